package domain

// Env is the environment every stored object belongs to. Data, keys and
// webhooks never cross environments.
type Env string

const (
	EnvProduction Env = "production"
	EnvSandbox    Env = "production-sandbox"
)

// Valid reports whether e is one of the two environments.
func (e Env) Valid() bool { return e == EnvProduction || e == EnvSandbox }

// ParseEnv accepts the wire names and the short aliases Okra's SDKs send.
func ParseEnv(s string) (Env, error) {
	switch s {
	case "production", "live":
		return EnvProduction, nil
	case "production-sandbox", "sandbox", "test":
		return EnvSandbox, nil
	}
	return "", Invalid("env", "must be production or production-sandbox")
}
