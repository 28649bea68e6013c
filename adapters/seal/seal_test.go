package seal

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSealRoundTrip(t *testing.T) {
	r, err := NewRing(NewKey())
	if err != nil {
		t.Fatal(err)
	}
	for _, pt := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("session"), 1000)} {
		ct, err := r.Seal(pt, []byte("row-1"))
		if err != nil {
			t.Fatal(err)
		}
		if len(pt) > 0 && bytes.Contains(ct, pt) {
			t.Fatal("ciphertext contains the plaintext")
		}
		got, err := r.Open(ct, []byte("row-1"))
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("Open = %q, %v; want %q", got, err, pt)
		}
	}
}

func TestSealBindsRow(t *testing.T) {
	r, _ := NewRing(NewKey())
	ct, _ := r.Seal([]byte("secret"), []byte("row-1"))
	if _, err := r.Open(ct, []byte("row-2")); !errors.Is(err, ErrOpen) {
		t.Fatalf("a ciphertext moved to another row opened (err %v)", err)
	}
	tampered := append([]byte(nil), ct...)
	tampered[len(tampered)-1] ^= 1
	if _, err := r.Open(tampered, []byte("row-1")); !errors.Is(err, ErrOpen) {
		t.Fatalf("a tampered ciphertext opened (err %v)", err)
	}
	if _, err := r.Open([]byte{1, 2}, nil); !errors.Is(err, ErrOpen) {
		t.Fatalf("a short ciphertext opened (err %v)", err)
	}
}

func TestRotation(t *testing.T) {
	oldKey, newKey := NewKey(), NewKey()
	before, _ := NewRing(oldKey)
	oldCT, _ := before.Seal([]byte("old row"), []byte("a"))

	after, _ := NewRing(newKey, oldKey)
	if got, err := after.Open(oldCT, []byte("a")); err != nil || string(got) != "old row" {
		t.Fatalf("old row unreadable after rotation: %q, %v", got, err)
	}
	newCT, _ := after.Seal([]byte("new row"), []byte("b"))
	if !after.Current(newCT) || after.Current(oldCT) {
		t.Fatal("new rows must use the new key and old rows must be told apart")
	}
	if _, err := before.Open(newCT, []byte("b")); err == nil {
		t.Fatal("a row sealed with the new key opened without it")
	}
	resealed, err := after.Reseal(oldCT, []byte("a"))
	if err != nil || !after.Current(resealed) {
		t.Fatalf("reseal: current=%v err=%v", after.Current(resealed), err)
	}
	if !bytes.Equal(before.BlindIndex("bvn", "22222222222"), after.BlindIndex("bvn", "22222222222")) {
		t.Fatal("blind index changed with rotation; lookups would break")
	}
}

func TestBlindIndex(t *testing.T) {
	r1, _ := NewRing(NewKey())
	r2, _ := NewRing(NewKey())
	a := r1.BlindIndex("bvn", "22222222222")
	if !bytes.Equal(a, r1.BlindIndex("bvn", "22222222222")) {
		t.Fatal("blind index is not deterministic")
	}
	if bytes.Equal(a, r1.BlindIndex("nin", "22222222222")) {
		t.Fatal("purpose does not separate indexes")
	}
	if bytes.Equal(a, r2.BlindIndex("bvn", "22222222222")) {
		t.Fatal("blind index does not depend on the key")
	}
}

func TestKeyFile(t *testing.T) {
	dir := t.TempDir()
	r1, err := Load(Source{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(filepath.Join(dir, KeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, want 0600", info.Mode().Perm())
	}
	ct, _ := r1.Seal([]byte("v"), []byte("id"))
	if err := RotateKeyFile(dir); err != nil {
		t.Fatal(err)
	}
	r2, err := Load(Source{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := r2.Open(ct, []byte("id")); err != nil || string(got) != "v" {
		t.Fatalf("after rotation: %q, %v", got, err)
	}
	if r2.Current(ct) {
		t.Fatal("rotation did not make a new current key")
	}
}

func TestLoadFromEnvValue(t *testing.T) {
	k := strings.Repeat("ab", 32)
	if _, err := Load(Source{MasterKeys: k}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"xyz", strings.Repeat("ab", 31), k + ",nothex"} {
		if _, err := Load(Source{MasterKeys: bad}); err == nil {
			t.Errorf("Load(%q) accepted a bad key", bad)
		}
	}
}
