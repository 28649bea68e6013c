package domain

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"strings"
)

// Secrets handed out once (API keys, partner keys, processor tokens) share
// one layout: a prefix naming what they are and their environment, random
// lowercase hex, then 8 hex characters of CRC-32 over the rest, so a
// mistyped or truncated secret is refused before any lookup. Only their
// SHA-256 is stored.
const secretChecksumHex = 8

// NewSecret makes prefix + randomBytes of randomness in hex + checksum.
func NewSecret(prefix string, randomBytes int) string {
	b := make([]byte, randomBytes)
	// crypto/rand.Read is documented never to return an error.
	_, _ = rand.Read(b)
	body := prefix + hex.EncodeToString(b)
	return body + fmt.Sprintf("%08x", crc32.ChecksumIEEE([]byte(body)))
}

// CheckSecret reports whether s is a secret NewSecret(prefix, randomBytes)
// could have made: the prefix, the length, lowercase hex and the checksum.
func CheckSecret(s, prefix string, randomBytes int) bool {
	if !strings.HasPrefix(s, prefix) || len(s) != len(prefix)+2*randomBytes+secretChecksumHex {
		return false
	}
	for _, c := range s[len(prefix):] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	body, sum := s[:len(s)-secretChecksumHex], s[len(s)-secretChecksumHex:]
	return fmt.Sprintf("%08x", crc32.ChecksumIEEE([]byte(body))) == sum
}

// HashSecret is what the database keeps of a secret. Secrets carry at
// least 128 random bits, so a plain SHA-256 cannot be reversed by guessing.
func HashSecret(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}
