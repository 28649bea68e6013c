package domain

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"time"
)

// ID is a 24-character lowercase hex identifier. Okra used Mongo ObjectIds and
// its clients validate that shape, so ours look the same: 4 bytes of seconds
// since the epoch followed by 8 random bytes.
type ID = string

// NewID returns a fresh id.
func NewID() ID {
	var b [12]byte
	binary.BigEndian.PutUint32(b[:4], uint32(time.Now().Unix()))
	// crypto/rand.Read is documented never to return an error.
	_, _ = rand.Read(b[4:])
	return hex.EncodeToString(b[:])
}

// ValidID reports whether s has the shape of an id.
func ValidID(s string) bool {
	if len(s) != 24 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
