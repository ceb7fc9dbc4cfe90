package service

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// BlobStore keeps uploaded files under content-addressed keys
// (<sha256>.<ext>): the same key always holds the same bytes, so a file is
// written once and may be cached forever.
type BlobStore interface {
	// Put stores size bytes from r under key (nothing happens if the key
	// exists already).
	Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error
	// Delete removes the file; a missing file is not an error.
	Delete(ctx context.Context, key string) error
	// URL is where the mini-program loads the file.
	URL(key string) string
}

// LocalStore keeps files in a directory of the local disk; the API serves
// them under BaseURL (GET /files/{key}, long cache headers).
type LocalStore struct {
	Dir     string
	BaseURL string // e.g. "/files/" or "https://api.example.com/files/"
}

// NewLocalStore creates the directory if needed.
func NewLocalStore(dir, baseURL string) (*LocalStore, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("upload store: %w", err)
	}
	if !strings.HasSuffix(baseURL, "/") {
		baseURL += "/"
	}
	return &LocalStore{Dir: dir, BaseURL: baseURL}, nil
}

// Path is the file of key on disk ("" for a key that is not one of ours).
func (s *LocalStore) Path(key string) string {
	if !ValidBlobKey(key) {
		return ""
	}
	return filepath.Join(s.Dir, key[:2], key)
}

// Put writes the file through a temporary name, so a reader never sees half
// a file.
func (s *LocalStore) Put(_ context.Context, key string, r io.Reader, _ int64, _ string) error {
	p := s.Path(key)
	if p == "" {
		return fmt.Errorf("upload store: bad key %q", key)
	}
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".put-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := io.Copy(tmp, r); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

// Delete removes the file.
func (s *LocalStore) Delete(_ context.Context, key string) error {
	p := s.Path(key)
	if p == "" {
		return nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// URL is BaseURL + key.
func (s *LocalStore) URL(key string) string { return s.BaseURL + key }

// ValidBlobKey reports a key of the form <64 hex>.<jpg|png|webp|gif>.
func ValidBlobKey(key string) bool {
	name, ext, ok := strings.Cut(key, ".")
	if !ok || len(name) != 64 {
		return false
	}
	switch ext {
	case "jpg", "png", "webp", "gif":
	default:
		return false
	}
	for _, c := range name {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// S3Options configure an S3-compatible store (MinIO, Tencent COS, Aliyun
// OSS, AWS S3).
type S3Options struct {
	Endpoint  string // host[:port], no scheme
	Secure    bool   // https to the endpoint
	Region    string
	Bucket    string
	AccessKey string
	SecretKey string
	Prefix    string // key prefix inside the bucket, e.g. "uploads/"
	// PublicURL is where the mini-program loads objects (a CDN or the
	// bucket's public https address); the object key is appended.
	PublicURL string
	// PathStyle forces path-style requests (MinIO; most others use
	// virtual-host style).
	PathStyle bool
}

// S3Store keeps files in an S3-compatible bucket through minio-go.
type S3Store struct {
	c *minio.Client
	o S3Options
}

// NewS3Store builds the client (it does not contact the server).
func NewS3Store(o S3Options) (*S3Store, error) {
	lookup := minio.BucketLookupAuto
	if o.PathStyle {
		lookup = minio.BucketLookupPath
	}
	c, err := minio.New(o.Endpoint, &minio.Options{
		Creds:  credentials.NewStaticV4(o.AccessKey, o.SecretKey, ""),
		Secure: o.Secure, Region: o.Region, BucketLookup: lookup, MaxRetries: 3,
	})
	if err != nil {
		return nil, fmt.Errorf("upload store s3: %w", err)
	}
	if _, err := url.Parse(o.PublicURL); err != nil || o.PublicURL == "" {
		return nil, fmt.Errorf("upload store s3: UPLOAD_S3_PUBLIC_URL %q is not a URL", o.PublicURL)
	}
	if !strings.HasSuffix(o.PublicURL, "/") {
		o.PublicURL += "/"
	}
	return &S3Store{c: c, o: o}, nil
}

// Put uploads the object with a year-long immutable cache header (the key
// is the content's hash).
func (s *S3Store) Put(ctx context.Context, key string, r io.Reader, size int64, contentType string) error {
	_, err := s.c.PutObject(ctx, s.o.Bucket, s.o.Prefix+key, r, size, minio.PutObjectOptions{
		ContentType: contentType, CacheControl: "public, max-age=31536000, immutable",
	})
	if err != nil {
		return fmt.Errorf("upload store s3: put: %w", err)
	}
	return nil
}

// Delete removes the object (S3 answers success for a missing one).
func (s *S3Store) Delete(ctx context.Context, key string) error {
	if err := s.c.RemoveObject(ctx, s.o.Bucket, s.o.Prefix+key, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("upload store s3: delete: %w", err)
	}
	return nil
}

// URL is PublicURL + prefix + key.
func (s *S3Store) URL(key string) string { return s.o.PublicURL + s.o.Prefix + key }
