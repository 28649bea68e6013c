package domain

// Associated data binds each sealed value to the row (and purpose) it
// belongs to, so a ciphertext copied to another row or column does not
// open. The formulas live here, in one place, because the code that seals
// a value and the key-rotation walk that re-seals it must agree on them.

// RecordSessionAD is the associated data of a record's sealed bank session.
func RecordSessionAD(recordID ID) []byte { return []byte("record-session:" + recordID) }

// RecordUsernameAD is the associated data of a record's remembered username.
func RecordUsernameAD(recordID ID) []byte { return []byte("record-username:" + recordID) }

// IdentifierAD is the associated data of a sealed customer identifier.
func IdentifierAD(identifierID ID) []byte { return []byte("identifier:" + identifierID) }

// IdentityAD is the associated data of a record's sealed identity.
func IdentityAD(identityID ID) []byte { return []byte("identity:" + identityID) }

// LinkSessionStateAD is the associated data of a link session's sealed state.
func LinkSessionStateAD(sessionID ID) []byte { return []byte("link-session:" + sessionID) }

// LinkTokenAD is the associated data of a link token's sealed options.
func LinkTokenAD(tokenID ID) []byte { return []byte("link-token:" + tokenID) }

// Purposes of a webhook endpoint's sealed values.
const (
	WebhookSecretPurpose = "webhook-signing-secret"
	WebhookTokenPurpose  = "webhook-token"
)

// WebhookAD is the associated data of a webhook endpoint's sealed value
// (its signing secrets or its bearer token).
func WebhookAD(s Scope, purpose string) []byte {
	return []byte("webhook\x00" + s.CompanyID + "\x00" + string(s.Env) + "\x00" + purpose)
}
