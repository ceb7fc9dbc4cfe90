package pii

import (
	"encoding/base64"
	"strings"
	"testing"
)

func key(b byte) string {
	return base64.StdEncoding.EncodeToString([]byte(strings.Repeat(string(rune('a'+b)), 32)))
}

func TestBox_SealOpenRotate(t *testing.T) {
	old, err := New("k1:"+key(1), "")
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := old.Seal("13812345678")
	if err != nil || !strings.HasPrefix(sealed, "enc:v1:k1:") || strings.Contains(sealed, "13812345678") {
		t.Fatalf("sealed %q, %v", sealed, err)
	}
	again, _ := old.Seal("13812345678")
	if again == sealed {
		t.Fatal("two seals of one value must differ (random nonce)")
	}
	// Rotate: k2 is current, k1 still opens old values; the hash is stable.
	rotated, err := New("k1:"+key(1)+",k2:"+key(2), "k2")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotated.Open(sealed); err != nil || got != "13812345678" {
		t.Fatalf("old value after rotation: %q %v", got, err)
	}
	fresh, _ := rotated.Seal("x")
	if KeyOf(fresh) != "k2" {
		t.Fatalf("new writes use the current key: %q", fresh)
	}
	if old.Hash("13812345678") != rotated.Hash("13812345678") || old.Hash("1") == old.Hash("2") {
		t.Fatal("lookup hash must be stable across rotation and differ per value")
	}
	if got, _ := rotated.Open("plain"); got != "plain" {
		t.Fatal("plaintext rows open as they are")
	}
	tampered := sealed[:len(sealed)-2] + "AA"
	if _, err := rotated.Open(tampered); err == nil {
		t.Fatal("a tampered value must not open")
	}
	other, _ := New("k1:"+key(3), "")
	if _, err := other.Open(sealed); err == nil {
		t.Fatal("the wrong key must not open it")
	}
	if s, _ := old.Seal(""); s != "" {
		t.Fatal("empty stays empty")
	}
}

func TestNew_RejectsBadKeys(t *testing.T) {
	for _, spec := range []string{"", "nokey", "k1:short", "k1:" + key(1) + ",k2:!!!", ":" + key(1)} {
		if _, err := New(spec, ""); err == nil {
			t.Errorf("%q accepted", spec)
		}
	}
	if _, err := New("k1:"+key(1), "k9"); err == nil {
		t.Error("unknown current key accepted")
	}
	if _, err := New(DevKeys, ""); err != nil {
		t.Errorf("dev keys: %v", err)
	}
}
