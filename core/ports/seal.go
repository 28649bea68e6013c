package ports

// Sealer encrypts secrets at rest. The associated data (the row's id) is
// bound to the ciphertext: a ciphertext moved to another row fails to open.
type Sealer interface {
	Seal(plaintext, associatedData []byte) ([]byte, error)
	Open(ciphertext, associatedData []byte) ([]byte, error)
}

// BlindIndexer computes a keyed, deterministic index of a normalised
// identifier so it can be looked up without being stored in plain text.
type BlindIndexer interface {
	BlindIndex(purpose, value string) []byte
}
