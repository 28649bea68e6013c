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

	"github.com/bankauth/bankauth/core/domain"
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

// Ring seals with its newest key and opens with any of its keys. Blind
// indexes are keyed per key of the ring too: written under the newest,
// looked up under every one.
type Ring struct {
	current uint32
	order   []uint32 // key ids, newest first
	aeads   map[uint32]cipher.AEAD
	index   map[uint32][]byte // per-key blind-index keys
	// legacy is the blind-index key of the first release (derived from the
	// oldest key, with no company id): lookups still try it so rows indexed
	// before the first rotation are found until it re-indexes them.
	legacy []byte
}

var (
	_ ports.Sealer       = (*Ring)(nil)
	_ ports.BlindIndexer = (*Ring)(nil)
)

// NewRing builds a ring from keys, newest first.
func NewRing(keys ...Key) (*Ring, error) {
	if len(keys) == 0 {
		return nil, errors.New("seal: the key ring needs at least one key")
	}
	r := &Ring{current: keys[0].ID(), aeads: make(map[uint32]cipher.AEAD, len(keys)), index: make(map[uint32][]byte, len(keys))}
	for _, k := range keys {
		id := k.ID()
		if _, dup := r.aeads[id]; dup {
			return nil, fmt.Errorf("seal: key %08x is in the ring twice", id)
		}
		block, err := aes.NewCipher(k[:])
		if err != nil {
			return nil, fmt.Errorf("seal: new cipher: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("seal: new gcm: %w", err)
		}
		r.aeads[id] = aead
		r.order = append(r.order, id)
		r.index[id] = derive(k, "bankauth blind index v2")
	}
	r.legacy = derive(keys[len(keys)-1], "bankauth blind index v1")
	return r, nil
}

// derive makes a sub-key for one use of a master key.
func derive(k Key, label string) []byte {
	mac := hmac.New(sha256.New, k[:])
	mac.Write([]byte(label))
	return mac.Sum(nil)
}

// KeyIDs lists the ring's key ids, newest first.
func (r *Ring) KeyIDs() []uint32 { return append([]uint32(nil), r.order...) }

// CurrentKeyID is the id of the key new ciphertexts and indexes use.
func (r *Ring) CurrentKeyID() uint32 { return r.current }

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
	return len(ciphertext) >= headerLen && ciphertext[0] == format && binary.BigEndian.Uint32(ciphertext[1:5]) == r.current
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

// indexFormat is the first byte of every blind index; like a ciphertext,
// the key id follows, so rotation and status can tell which key made it.
// Indexes of the first release are bare 32-byte MACs.
const indexFormat byte = 2

// IndexLen is the length of a blind index: format, key id and MAC.
const IndexLen = 1 + 4 + sha256.Size

// BlindIndex is the index to store for value: HMAC-SHA256 of the company
// id, purpose (e.g. "bvn") and value under the newest key. The company id
// keeps one person's identifiers unlinkable across companies; the purpose
// keeps equal values of different kinds apart.
func (r *Ring) BlindIndex(companyID domain.ID, purpose, value string) []byte {
	return r.indexUnder(r.current, companyID, purpose, value)
}

// BlindIndexes are the indexes a stored row of value may carry: under every
// key of the ring, newest first, then the first release's form. Lookups
// match any, so recognition keeps working while a rotation runs.
func (r *Ring) BlindIndexes(companyID domain.ID, purpose, value string) [][]byte {
	out := make([][]byte, 0, len(r.order)+1)
	for _, id := range r.order {
		out = append(out, r.indexUnder(id, companyID, purpose, value))
	}
	mac := hmac.New(sha256.New, r.legacy)
	mac.Write([]byte(purpose))
	mac.Write([]byte{0})
	mac.Write([]byte(value))
	return append(out, mac.Sum(nil))
}

func (r *Ring) indexUnder(id uint32, companyID domain.ID, purpose, value string) []byte {
	mac := hmac.New(sha256.New, r.index[id])
	// Length prefixes: no choice of company id and purpose can collide
	// with another.
	var n [4]byte
	for _, part := range []string{companyID, purpose} {
		binary.BigEndian.PutUint32(n[:], uint32(len(part)))
		mac.Write(n[:])
		mac.Write([]byte(part))
	}
	mac.Write([]byte(value))
	out := make([]byte, 5, IndexLen)
	out[0] = indexFormat
	binary.BigEndian.PutUint32(out[1:5], id)
	return mac.Sum(out)
}

// KeyIDOf tells which key made a ciphertext or a blind index; ok is false
// for a first-release blind index or anything malformed.
func KeyIDOf(b []byte) (id uint32, ok bool) {
	if len(b) < 5 || (b[0] != format && b[0] != indexFormat) || (b[0] == indexFormat && len(b) != IndexLen) {
		return 0, false
	}
	return binary.BigEndian.Uint32(b[1:5]), true
}

// IndexCurrent reports whether a blind index was made with the newest key.
func (r *Ring) IndexCurrent(index []byte) bool {
	id, ok := KeyIDOf(index)
	return ok && len(index) == IndexLen && id == r.current
}

// additional binds the header (format and key id) and the row's associated
// data, so neither can be swapped.
func additional(header, associatedData []byte) []byte {
	ad := make([]byte, 0, len(header)+len(associatedData))
	return append(append(ad, header...), associatedData...)
}
