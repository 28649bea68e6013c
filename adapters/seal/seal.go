// Package seal encrypts secrets at rest with AES-256-GCM under a key ring
// and computes HMAC blind indexes for identifier lookup. It implements
// ports.Sealer and ports.BlindIndexer.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/bankauth/bankauth/core/ports"
)

// format is the first byte of every ciphertext, so the layout can change
// later without guessing.
const format byte = 1

const headerLen = 1 + 4 + 12 // format, key id, nonce

// ErrOpen is returned for any ciphertext that does not open: wrong key,
// wrong associated data (moved to another row) or tampering.
var ErrOpen = errors.New("seal: ciphertext does not open")

// Key is one AES-256 key of the ring.
type Key [32]byte

// ID names a key inside ciphertexts: the first four bytes of its SHA-256,
// so the id does not depend on the key's place in the ring.
func (k Key) ID() uint32 {
	sum := sha256.Sum256(k[:])
	return binary.BigEndian.Uint32(sum[:4])
}

// NewKey makes a random key.
func NewKey() Key {
	var k Key
	// crypto/rand.Read is documented never to return an error.
	_, _ = rand.Read(k[:])
	return k
}

// ParseKey reads a key written as 64 hex characters.
func ParseKey(s string) (Key, error) {
	var k Key
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != len(k) {
		return k, errors.New("seal: a master key is 32 bytes written as 64 hex characters")
	}
	copy(k[:], b)
	return k, nil
}

// Ring seals with its newest key and opens with any of its keys.
type Ring struct {
	current uint32
	aeads   map[uint32]cipher.AEAD
	index   []byte // blind index key
}

var (
	_ ports.Sealer       = (*Ring)(nil)
	_ ports.BlindIndexer = (*Ring)(nil)
)

// NewRing builds a ring from keys, newest first. The blind-index key is
// derived from the oldest key, so lookups survive rotation as long as that
// key stays in the ring.
func NewRing(keys ...Key) (*Ring, error) {
	if len(keys) == 0 {
		return nil, errors.New("seal: the key ring needs at least one key")
	}
	r := &Ring{current: keys[0].ID(), aeads: make(map[uint32]cipher.AEAD, len(keys))}
	for _, k := range keys {
		block, err := aes.NewCipher(k[:])
		if err != nil {
			return nil, fmt.Errorf("seal: new cipher: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("seal: new gcm: %w", err)
		}
		r.aeads[k.ID()] = aead
	}
	oldest := keys[len(keys)-1]
	mac := hmac.New(sha256.New, oldest[:])
	mac.Write([]byte("bankauth blind index v1"))
	r.index = mac.Sum(nil)
	return r, nil
}

// Seal encrypts plaintext bound to associatedData (the row id).
func (r *Ring) Seal(plaintext, associatedData []byte) ([]byte, error) {
	aead := r.aeads[r.current]
	out := make([]byte, headerLen, headerLen+len(plaintext)+aead.Overhead())
	out[0] = format
	binary.BigEndian.PutUint32(out[1:5], r.current)
	// crypto/rand.Read is documented never to return an error.
	_, _ = rand.Read(out[5:headerLen])
	return aead.Seal(out, out[5:headerLen], plaintext, additional(out[:5], associatedData)), nil
}

// Open decrypts a ciphertext made by Seal with the same associated data.
func (r *Ring) Open(ciphertext, associatedData []byte) ([]byte, error) {
	if len(ciphertext) < headerLen || ciphertext[0] != format {
		return nil, ErrOpen
	}
	aead, ok := r.aeads[binary.BigEndian.Uint32(ciphertext[1:5])]
	if !ok {
		return nil, fmt.Errorf("%w: sealed with a key that is not in the ring", ErrOpen)
	}
	pt, err := aead.Open(nil, ciphertext[5:headerLen], ciphertext[headerLen:], additional(ciphertext[:5], associatedData))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// Current reports whether ciphertext was sealed with the ring's newest key;
// rotation re-seals those that were not.
func (r *Ring) Current(ciphertext []byte) bool {
	return len(ciphertext) >= headerLen && binary.BigEndian.Uint32(ciphertext[1:5]) == r.current
}

// Reseal opens ciphertext and seals it again under the newest key. It
// returns the input unchanged when it is already current.
func (r *Ring) Reseal(ciphertext, associatedData []byte) ([]byte, error) {
	if r.Current(ciphertext) {
		return ciphertext, nil
	}
	pt, err := r.Open(ciphertext, associatedData)
	if err != nil {
		return nil, err
	}
	return r.Seal(pt, associatedData)
}

// BlindIndex is HMAC-SHA256 of purpose and value under the index key. The
// purpose (e.g. "bvn") keeps equal values of different kinds apart.
func (r *Ring) BlindIndex(purpose, value string) []byte {
	mac := hmac.New(sha256.New, r.index)
	mac.Write([]byte(purpose))
	mac.Write([]byte{0})
	mac.Write([]byte(value))
	return mac.Sum(nil)
}

// additional binds the header (format and key id) and the row's associated
// data, so neither can be swapped.
func additional(header, associatedData []byte) []byte {
	ad := make([]byte, 0, len(header)+len(associatedData))
	return append(append(ad, header...), associatedData...)
}
