package seal

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
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
		// A one-byte plaintext may turn up among random bytes by chance;
		// only longer ones say anything.
		if len(pt) >= 8 && bytes.Contains(ct, pt) {
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
	// Indexes are written under the newest key but looked up under every
	// key, so a row indexed before the new key came is still found.
	oldIndex := before.BlindIndex("c1", "bvn", "22222222222")
	if bytes.Equal(oldIndex, after.BlindIndex("c1", "bvn", "22222222222")) {
		t.Fatal("the new key writes the same index as the old one; rotation would not re-key anything")
	}
	if !containsBytes(after.BlindIndexes("c1", "bvn", "22222222222"), oldIndex) {
		t.Fatal("lookups after adding a key do not find an index made with the old key")
	}
	if after.IndexCurrent(oldIndex) || !after.IndexCurrent(after.BlindIndex("c1", "bvn", "22222222222")) {
		t.Fatal("IndexCurrent does not tell the old key's index from the new key's")
	}
	if got, _ := KeyIDOf(oldIndex); got != oldKey.ID() {
		t.Fatalf("KeyIDOf(old index) = %08x, want %08x", got, oldKey.ID())
	}
}

func containsBytes(list [][]byte, b []byte) bool {
	for _, x := range list {
		if bytes.Equal(x, b) {
			return true
		}
	}
	return false
}

func TestBlindIndex(t *testing.T) {
	r1, _ := NewRing(NewKey())
	r2, _ := NewRing(NewKey())
	a := r1.BlindIndex("c1", "bvn", "22222222222")
	tests := []struct {
		name  string
		other []byte
		equal bool
	}{
		{"deterministic", r1.BlindIndex("c1", "bvn", "22222222222"), true},
		{"purpose separates", r1.BlindIndex("c1", "nin", "22222222222"), false},
		{"company separates", r1.BlindIndex("c2", "bvn", "22222222222"), false},
		{"key separates", r2.BlindIndex("c1", "bvn", "22222222222"), false},
		{"company and purpose do not run together", r1.BlindIndex("c1b", "vn", "22222222222"), false},
	}
	for _, tt := range tests {
		if got := bytes.Equal(a, tt.other); got != tt.equal {
			t.Errorf("%s: equal = %v, want %v", tt.name, got, tt.equal)
		}
	}
	if len(a) != IndexLen {
		t.Errorf("index length %d, want %d", len(a), IndexLen)
	}
}

// TestLegacyBlindIndex pins the first release's index (oldest key, no
// company id): lookups must keep finding rows indexed that way until a
// rotation re-indexes them.
func TestLegacyBlindIndex(t *testing.T) {
	oldest, newer := NewKey(), NewKey()
	sub := hmac.New(sha256.New, oldest[:])
	sub.Write([]byte("bankauth blind index v1"))
	mac := hmac.New(sha256.New, sub.Sum(nil))
	mac.Write([]byte("bvn\x0022222222222"))
	legacy := mac.Sum(nil)

	for _, keys := range [][]Key{{oldest}, {newer, oldest}} {
		r, _ := NewRing(keys...)
		got := r.BlindIndexes("any-company", "bvn", "22222222222")
		if !containsBytes(got, legacy) {
			t.Fatalf("ring of %d keys: lookups miss the first release's index", len(keys))
		}
		if len(got) != len(keys)+1 {
			t.Fatalf("ring of %d keys: %d candidates, want one per key and the legacy one", len(keys), len(got))
		}
		if r.IndexCurrent(legacy) {
			t.Fatal("a legacy index counts as current")
		}
		if _, ok := KeyIDOf(legacy); ok {
			t.Fatal("KeyIDOf claims a key id for a legacy index")
		}
	}
}

func TestNewRingRefusesDuplicateKeys(t *testing.T) {
	k := NewKey()
	if _, err := NewRing(k, NewKey(), k); err == nil {
		t.Fatal("a ring with the same key twice was accepted")
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
	added, err := AddKeyFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	r2, err := Load(Source{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := r2.Open(ct, []byte("id")); err != nil || string(got) != "v" {
		t.Fatalf("after adding a key: %q, %v", got, err)
	}
	if r2.Current(ct) || r2.CurrentKeyID() != added {
		t.Fatal("adding a key did not make it the current key")
	}
	if err := RemoveKeyFile(dir, added); err == nil {
		t.Fatal("the newest key was removed")
	}
	if err := RemoveKeyFile(dir, 12345); err == nil {
		t.Fatal("removing a key that is not there succeeded")
	}
	old := r1.CurrentKeyID()
	if err := RemoveKeyFile(dir, old); err != nil {
		t.Fatal(err)
	}
	r3, err := Load(Source{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if ids := r3.KeyIDs(); len(ids) != 1 || ids[0] != added {
		t.Fatalf("after removing the old key the ring holds %x, want only %08x", ids, added)
	}
	if _, err := r3.Open(ct, []byte("id")); !errors.Is(err, ErrOpen) {
		t.Fatalf("a row sealed with a removed key opened (err %v)", err)
	}
	if info, err := os.Stat(filepath.Join(dir, KeyFileName)); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file after rewrite: %v, %v", info, err)
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
