package company

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"strings"

	"github.com/bankauth/bankauth/core/domain"
)

// Key layout: a prefix naming kind and environment, 32 hex characters of
// randomness (128 bits), then 8 hex characters of CRC-32 over the rest so a
// mistyped or truncated key is refused before any lookup.
const (
	randomHex   = 32
	checksumHex = 8
)

func keyPrefix(kind domain.KeyKind, env domain.Env) string {
	k := "pk_"
	if kind == domain.KeySecret {
		k = "sk_"
	}
	if env == domain.EnvProduction {
		return k + "live_"
	}
	return k + "test_"
}

// newKey makes a key of a kind for an environment.
func newKey(kind domain.KeyKind, env domain.Env) string {
	var b [randomHex / 2]byte
	// crypto/rand.Read is documented never to return an error.
	_, _ = rand.Read(b[:])
	body := keyPrefix(kind, env) + hex.EncodeToString(b[:])
	return body + fmt.Sprintf("%08x", crc32.ChecksumIEEE([]byte(body)))
}

// parseKey checks a key's shape and checksum and tells its kind and env.
func parseKey(key string) (domain.KeyKind, domain.Env, error) {
	bad := &domain.Error{Kind: domain.KindUnauthorized, Code: "MALFORMED_KEY", Message: "the key is malformed"}
	var kind domain.KeyKind
	var env domain.Env
	switch {
	case strings.HasPrefix(key, "sk_test_"):
		kind, env = domain.KeySecret, domain.EnvSandbox
	case strings.HasPrefix(key, "sk_live_"):
		kind, env = domain.KeySecret, domain.EnvProduction
	case strings.HasPrefix(key, "pk_test_"):
		kind, env = domain.KeyPublic, domain.EnvSandbox
	case strings.HasPrefix(key, "pk_live_"):
		kind, env = domain.KeyPublic, domain.EnvProduction
	default:
		return "", "", bad
	}
	if len(key) != len("sk_test_")+randomHex+checksumHex {
		return "", "", bad
	}
	body, sum := key[:len(key)-checksumHex], key[len(key)-checksumHex:]
	for _, c := range key[len("sk_test_"):] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", "", bad
		}
	}
	if fmt.Sprintf("%08x", crc32.ChecksumIEEE([]byte(body))) != sum {
		return "", "", bad
	}
	return kind, env, nil
}

// hashKey is what the database keeps. Keys carry 128 random bits, so a
// plain SHA-256 cannot be reversed by guessing.
func hashKey(key string) []byte {
	sum := sha256.Sum256([]byte(key))
	return sum[:]
}
