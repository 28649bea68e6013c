package domain

import "time"

// Record status values (Okra's vocabulary).
type RecordStatus string

const (
	RecordPending       RecordStatus = "pending"
	RecordProcessing    RecordStatus = "processing"
	RecordSuccess       RecordStatus = "success"
	RecordFailed        RecordStatus = "failed"
	RecordInvalid       RecordStatus = "invalid"
	RecordTokenRequired RecordStatus = "token_required"
	RecordRemoved       RecordStatus = "removed"
)

// Record is one login at one bank by one customer.
type Record struct {
	ID         ID
	CompanyID  ID
	Env        Env
	CustomerID ID
	BankID     ID
	Status     RecordStatus
	Method     LoginMethod
	Products   []string
	// SealedSession is the connector's session, sealed with the record id.
	SealedSession []byte
	// SealedUsername is the remembered login name for password-only quick
	// login, sealed with the record id.
	SealedUsername []byte
	// LoginKey is the blind index of (bank, username or phone); it lets a
	// repeated login find its record without storing the username.
	LoginKey []byte
	// QuickLoginFailures counts failed quick logins since the last success
	// or lock, across sessions; QuickLoginLockedUntil refuses quick login
	// until then. Records().Update leaves both alone: only the dedicated
	// repository methods change them.
	QuickLoginFailures    int
	QuickLoginLockedUntil *time.Time
	CreatedAt             time.Time
	UpdatedAt             time.Time
}

// QuickLoginLocked reports whether quick login is refused at t.
func (r Record) QuickLoginLocked(t time.Time) bool {
	return r.QuickLoginLockedUntil != nil && t.Before(*r.QuickLoginLockedUntil)
}

// Account is a bank account reached through a record.
type Account struct {
	ID         ID
	CompanyID  ID
	Env        Env
	RecordID   ID
	CustomerID ID
	BankID     ID
	// ConnectorRef is the connector's id for the account.
	ConnectorRef string
	NUBAN        string
	Name         string
	Type         string
	Currency     string
	Connected    bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// MaskedNUBAN shows only the last four digits.
func (a Account) MaskedNUBAN() string { return MaskNUBAN(a.NUBAN) }

// MaskNUBAN shows only the last four digits of an account number.
func MaskNUBAN(n string) string {
	if len(n) <= 4 {
		return n
	}
	b := []byte(n)
	for i := 0; i < len(b)-4; i++ {
		b[i] = '*'
	}
	return string(b)
}

// Auth is the proof that a customer owns the accounts it covers.
type Auth struct {
	ID         ID
	CompanyID  ID
	Env        Env
	RecordID   ID
	CustomerID ID
	BankID     ID
	Validated  bool
	// ValidationNote says why Validated is false (e.g. "bvn mismatch").
	ValidationNote string
	AccountIDs     []ID
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Balance sources.
const (
	SourceCached = "cached"
	SourceLive   = "live"
)

// Balance is one snapshot of an account's balance. Snapshots are history.
type Balance struct {
	ID         ID
	CompanyID  ID
	Env        Env
	AccountID  ID
	RecordID   ID
	CustomerID ID
	Available  Minor
	Ledger     Minor
	Currency   string
	AsOf       time.Time
	CreatedAt  time.Time
}
