package service

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// TestS3Store_AgainstGoFakeS3 runs the S3 store against gofakes3, an
// S3-compatible server (in-process, on loopback HTTP): minio-go signs real
// S3 requests (SigV4, path style), the server stores the object, and it is
// read back through the public URL.
func TestS3Store_AgainstGoFakeS3(t *testing.T) {
	backend := s3mem.New()
	if err := backend.CreateBucket("familycare"); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(backend).Server())
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	s, err := NewS3Store(S3Options{Endpoint: host, Secure: false, Region: "us-east-1", Bucket: "familycare",
		AccessKey: "AKIAFAKE", SecretKey: "fake-secret-key", Prefix: "uploads/", PathStyle: true,
		PublicURL: srv.URL + "/familycare"})
	if err != nil {
		t.Fatal(err)
	}
	key := strings.Repeat("ab", 32) + ".jpg"
	data := []byte("\xff\xd8\xff jpeg bytes")
	ctx := context.Background()
	if err := s.Put(ctx, key, bytes.NewReader(data), int64(len(data)), ImageJPEG); err != nil {
		t.Fatalf("put: %v", err)
	}
	url := s.URL(key)
	if url != srv.URL+"/familycare/uploads/"+key {
		t.Fatalf("url %s", url)
	}
	res, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !bytes.Equal(got, data) || res.Header.Get("Content-Type") != ImageJPEG {
		t.Fatalf("GET %s: %d %q %v", url, res.StatusCode, got, res.Header)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("delete: %v", err)
	}
	res, err = http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Fatalf("after delete: %d", res.StatusCode)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("deleting a missing object: %v", err)
	}
}
