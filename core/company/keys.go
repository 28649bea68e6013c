package company

import (
	"github.com/bankauth/bankauth/core/domain"
)

// Key layout (domain.NewSecret): a prefix naming kind and environment, 32
// hex characters of randomness (128 bits), then 8 hex characters of
// CRC-32 over the rest so a mistyped or truncated key is refused before
// any lookup.
const randomBytes = 16

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
	return domain.NewSecret(keyPrefix(kind, env), randomBytes)
}

// parseKey checks a key's shape and checksum and tells its kind and env.
func parseKey(key string) (domain.KeyKind, domain.Env, error) {
	for _, kind := range []domain.KeyKind{domain.KeySecret, domain.KeyPublic} {
		for _, env := range []domain.Env{domain.EnvSandbox, domain.EnvProduction} {
			if domain.CheckSecret(key, keyPrefix(kind, env), randomBytes) {
				return kind, env, nil
			}
		}
	}
	return "", "", &domain.Error{Kind: domain.KindUnauthorized, Code: "MALFORMED_KEY", Message: "the key is malformed"}
}

// hashKey is what the database keeps.
func hashKey(key string) []byte { return domain.HashSecret(key) }
