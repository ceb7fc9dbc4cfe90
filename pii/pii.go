// Package pii encrypts personal data at rest (phone numbers, addresses,
// WeChat session keys) with AES-256-GCM. Every sealed value names the key
// that sealed it, so keys can rotate: new writes use the current key, old
// values still open with the key they name. Equality search uses a keyed
// hash (HMAC-SHA256), never the plaintext.
package pii

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

const prefix = "enc:v1:"

// Box seals and opens values.
type Box struct {
	current string
	aeads   map[string]cipher.AEAD
	hashKey []byte
}

// DevKeys is the key used when none is configured outside production.
const DevKeys = "dev:ZGV2LW9ubHkta2V5LWRvLW5vdC11c2UtaW4tcHJvZCE="

// New builds a Box from "id:base64key,id2:base64key2" (32-byte keys) and the
// id of the key new values are sealed with (empty: the first). The lookup
// hash is keyed by the first key listed: keep it listed when rotating.
func New(keys, current string) (*Box, error) {
	b := &Box{aeads: map[string]cipher.AEAD{}}
	for i, part := range strings.Split(keys, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, enc, ok := strings.Cut(part, ":")
		if !ok || id == "" || strings.Contains(id, ":") {
			return nil, fmt.Errorf("pii: key %d: want id:base64key", i+1)
		}
		raw, err := base64.StdEncoding.DecodeString(enc)
		if err != nil || len(raw) != 32 {
			return nil, fmt.Errorf("pii: key %q: want 32 bytes in base64", id)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, err
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		b.aeads[id] = aead
		if b.hashKey == nil {
			h := hmac.New(sha256.New, raw)
			h.Write([]byte("familycare lookup hash"))
			b.hashKey = h.Sum(nil)
			if current == "" {
				current = id
			}
		}
	}
	if len(b.aeads) == 0 {
		return nil, errors.New("pii: no keys")
	}
	if _, ok := b.aeads[current]; !ok {
		return nil, fmt.Errorf("pii: current key %q is not among the keys", current)
	}
	b.current = current
	return b, nil
}

// Seal encrypts s; the empty string stays empty.
func (b *Box) Seal(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	aead := b.aeads[b.current]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	ct := aead.Seal(nonce, nonce, []byte(s), []byte(b.current))
	return prefix + b.current + ":" + base64.RawStdEncoding.EncodeToString(ct), nil
}

// Open decrypts a value made by Seal. A value without the prefix is returned
// as it is (rows written before encryption was enabled).
func (b *Box) Open(s string) (string, error) {
	if !strings.HasPrefix(s, prefix) {
		return s, nil
	}
	id, enc, ok := strings.Cut(strings.TrimPrefix(s, prefix), ":")
	aead := b.aeads[id]
	if !ok || aead == nil {
		return "", fmt.Errorf("pii: unknown key %q", id)
	}
	raw, err := base64.RawStdEncoding.DecodeString(enc)
	if err != nil || len(raw) < aead.NonceSize() {
		return "", errors.New("pii: malformed value")
	}
	pt, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(id))
	if err != nil {
		return "", errors.New("pii: value does not open with its key")
	}
	return string(pt), nil
}

// Hash is the lookup hash of s (hex), for equality search; empty stays empty.
func (b *Box) Hash(s string) string {
	if s == "" {
		return ""
	}
	h := hmac.New(sha256.New, b.hashKey)
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil))
}

// KeyOf names the key a sealed value was sealed with ("" for plaintext).
func KeyOf(s string) string {
	if !strings.HasPrefix(s, prefix) {
		return ""
	}
	id, _, _ := strings.Cut(strings.TrimPrefix(s, prefix), ":")
	return id
}
