package ports

import "github.com/bankauth/bankauth/core/domain"

// Sealer encrypts secrets at rest. The associated data (the row's id) is
// bound to the ciphertext: a ciphertext moved to another row fails to open.
type Sealer interface {
	Seal(plaintext, associatedData []byte) ([]byte, error)
	Open(ciphertext, associatedData []byte) ([]byte, error)
}

// BlindIndexer computes keyed, deterministic indexes of a normalised
// identifier so it can be looked up without being stored in plain text.
// Indexes are per company: the same value at two companies differs.
type BlindIndexer interface {
	// BlindIndex is the index to store, under the newest key.
	BlindIndex(companyID domain.ID, purpose, value string) []byte
	// BlindIndexes are every index a stored row of the value may carry
	// (one per key of the ring, newest first, and older forms); a lookup
	// matches any of them, so rows not yet re-indexed are still found.
	BlindIndexes(companyID domain.ID, purpose, value string) [][]byte
}
