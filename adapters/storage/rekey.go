package storage

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// KeyRing is what a rotation needs from the key ring (seal.Ring).
type KeyRing interface {
	ports.Sealer
	ports.BlindIndexer
	// Current reports whether a ciphertext was sealed with the newest key.
	Current(ciphertext []byte) bool
	// IndexCurrent reports whether a blind index was made with it.
	IndexCurrent(index []byte) bool
	CurrentKeyID() uint32
}

// RotateOptions tune a rotation.
type RotateOptions struct {
	// BatchSize is how many rows one transaction rewrites (default 200).
	BatchSize int
	// Progress, when set, is called after every committed batch with the
	// totals so far.
	Progress func(RotateReport)
	// AfterRead, when set, is called with a row's table and id after it is
	// read and before it is rewritten: the moment a concurrent writer
	// could change it (tests use it to be that writer).
	AfterRead func(table, id string)
}

// RotateReport counts what a rotation did. Nothing secret is in it.
type RotateReport struct {
	// Rows is how many rows were rewritten under the newest key.
	Rows int
	// Concurrent rows were changed by another writer between read and
	// write; theirs is the newer value, so they are left to it (a re-run
	// checks them again).
	Concurrent int
	// Unreadable ciphertexts did not open under the ring; they are left as
	// they are.
	Unreadable int
	// KeptLogins are records whose login cannot be recovered from what is
	// stored (USSD logins whose phone is not among the customer's
	// identifiers, removed records): their login key stays until that
	// login links again.
	KeptLogins int
	// Batches is how many transactions committed.
	Batches int
}

// Rotate re-seals every sealed column under the ring's newest key and
// re-computes every blind index under it, per company. It works in batches,
// each its own transaction, so a crash or a cancelled ctx leaves every row
// either as it was or rewritten, all readable with the same ring, and a
// re-run carries on. Rows are written only if they still hold what was
// read, so a value the server wrote meanwhile (already under the newest
// key) is never replaced with an older one.
func (s *Store) Rotate(ctx context.Context, ring KeyRing, opts RotateOptions) (RotateReport, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 200
	}
	rt := &rotation{s: s, ring: ring, opts: opts}
	binary.BigEndian.PutUint32(rt.kid[:], ring.CurrentKeyID())
	for _, step := range []struct {
		what string
		fn   func(ctx context.Context) error
	}{
		{"customer identifiers", rt.identifiers},
		{"records", rt.records},
		{"link sessions", rt.linkSessions},
		{"link tokens", rt.linkTokens},
		{"identities", rt.identities},
		{"webhook endpoints", rt.webhooks},
	} {
		if err := step.fn(ctx); err != nil {
			return rt.report, fmt.Errorf("rotate %s: %w", step.what, err)
		}
	}
	return rt.report, nil
}

type rotation struct {
	s      *Store
	ring   KeyRing
	opts   RotateOptions
	kid    [4]byte
	report RotateReport
}

// staleSealed is the SQL condition "col was sealed under another key";
// staleIndex also counts the first release's bare indexes as stale.
func staleSealed(col string) string {
	return "(" + col + " IS NOT NULL AND substr(" + col + ", 2, 4) <> ?)"
}

func staleIndex(col string) string {
	return fmt.Sprintf("(%s IS NOT NULL AND (length(%s) <> %d OR substr(%s, 2, 4) <> ?))", col, col, indexLen, col)
}

// indexLen is seal.IndexLen: format byte, key id and an HMAC-SHA256.
const indexLen = 1 + 4 + 32

// batch runs one transaction: fn reads up to BatchSize rows after the
// cursor and rewrites them, returning how many it read. It reports whether
// there may be more.
func (rt *rotation) batch(ctx context.Context, fn func(ctx context.Context, tx *repos) (int, error)) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	var n int
	before := rt.report
	err := rt.s.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		var err error
		n, err = fn(ctx, tx.(*repos))
		return err
	})
	if err != nil {
		rt.report = before // the batch rolled back: nothing it counted happened
		return false, err
	}
	if n > 0 {
		rt.report.Batches++
		if rt.opts.Progress != nil {
			rt.opts.Progress(rt.report)
		}
	}
	return n == rt.opts.BatchSize, nil
}

// outcome is what became of one row.
type outcome int

const (
	rowKept       outcome = iota // nothing this run can change (counted where it matters)
	rowChanged                   // rewritten under the newest key
	rowConcurrent                // another writer changed it between read and write
)

// row rewrites one row in a savepoint: a conflict (its new index was taken
// meanwhile) skips that row only.
func (rt *rotation) row(ctx context.Context, table, id string, fn func(ctx context.Context, tx *repos) (outcome, error)) error {
	if rt.opts.AfterRead != nil {
		rt.opts.AfterRead(table, id)
	}
	var got outcome
	err := rt.s.WithinTx(ctx, func(ctx context.Context, sp ports.Repos) error {
		var err error
		got, err = fn(ctx, sp.(*repos))
		return err
	})
	switch {
	case domain.KindOf(err) == domain.KindConflict:
		got = rowConcurrent
	case err != nil:
		return err
	}
	switch got {
	case rowChanged:
		rt.report.Rows++
	case rowConcurrent:
		rt.report.Concurrent++
	}
	return nil
}

// reseal re-seals ct under the newest key; ok is false when it does not
// open (counted, left as it is).
func (rt *rotation) reseal(ct, ad []byte) (out []byte, ok bool, err error) {
	if len(ct) == 0 || rt.ring.Current(ct) {
		return ct, true, nil
	}
	pt, err := rt.ring.Open(ct, ad)
	if err != nil {
		rt.report.Unreadable++
		return ct, false, nil
	}
	out, err = rt.ring.Seal(pt, ad)
	if err != nil {
		return nil, false, fmt.Errorf("seal: %w", err)
	}
	return out, true, nil
}

// update writes set where every compared column still holds what was read.
func update(ctx context.Context, tx *repos, table string, set, where []string, setArgs, whereArgs []any, compare map[string][]byte) (outcome, error) {
	args := append(append([]any(nil), setArgs...), whereArgs...)
	for _, col := range slices.Sorted(maps.Keys(compare)) {
		if v := compare[col]; v == nil {
			where = append(where, col+" IS NULL")
		} else {
			where = append(where, col+" = ?")
			args = append(args, v)
		}
	}
	n, err := tx.exec(ctx, table, "rotate "+table,
		"UPDATE "+table+" SET "+strings.Join(set, ", ")+" WHERE "+strings.Join(where, " AND "), args...)
	if err != nil {
		return rowKept, err
	}
	if n == 0 {
		return rowConcurrent, nil
	}
	return rowChanged, nil
}

// --- customer identifiers: sealed value and blind index

type rekeyIdentifier struct {
	ID        string `db:"id"`
	CompanyID string `db:"company_id"`
	Env       string `db:"env"`
	Kind      string `db:"kind"`
	Blind     []byte `db:"blind_index"`
	Sealed    []byte `db:"sealed"`
	CreatedAt dbTime `db:"created_at"`
}

// walk pages through the stale rows of one table by id, each page in its
// own transaction (rt.batch), and rewrites each row on its own (rt.row).
// query selects a page: its first argument is the cursor, its last the page
// size, and stale holds the arguments between them.
func walk[T any](ctx context.Context, rt *rotation, table, query string, stale []any, idOf func(T) string,
	each func(ctx context.Context, tx *repos, w T) (outcome, error)) error {
	cursor := ""
	for more := true; more; {
		var err error
		more, err = rt.batch(ctx, func(ctx context.Context, tx *repos) (int, error) {
			var rows []T
			args := append(append([]any{cursor}, stale...), rt.opts.BatchSize)
			if err := tx.sel(ctx, &rows, table, query, args...); err != nil {
				return 0, err
			}
			for _, w := range rows {
				cursor = idOf(w)
				if err := rt.row(ctx, table, cursor, func(ctx context.Context, tx *repos) (outcome, error) { return each(ctx, tx, w) }); err != nil {
					return 0, err
				}
			}
			return len(rows), nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (rt *rotation) identifiers(ctx context.Context) error {
	return walk(ctx, rt, "customer_identifiers",
		"SELECT id, company_id, env, kind, blind_index, sealed, created_at FROM customer_identifiers WHERE id > ? AND ("+
			staleSealed("sealed")+" OR "+staleIndex("blind_index")+") ORDER BY id LIMIT ?",
		[]any{rt.kid[:], rt.kid[:]}, func(w rekeyIdentifier) string { return w.ID }, rt.identifier)
}

func (rt *rotation) identifier(ctx context.Context, tx *repos, w rekeyIdentifier) (outcome, error) {
	ad := domain.IdentifierAD(w.ID)
	value, err := rt.ring.Open(w.Sealed, ad)
	if len(w.Sealed) == 0 || err != nil {
		// Without the value the index cannot be re-computed either.
		rt.report.Unreadable++
		return rowKept, nil
	}
	sealed := w.Sealed
	if !rt.ring.Current(sealed) {
		if sealed, err = rt.ring.Seal(value, ad); err != nil {
			return rowKept, fmt.Errorf("seal identifier: %w", err)
		}
	}
	index := rt.ring.BlindIndex(w.CompanyID, w.Kind, string(value))
	if !bytes.Equal(index, w.Blind) {
		// A link during the rotation window may have stored the same value
		// under the new index already: keep the older of the two, as
		// lookups and AddIdentifier do.
		var other rekeyIdentifier
		err := tx.get(ctx, &other, "customer identifier",
			"SELECT id, company_id, env, kind, blind_index, sealed, created_at FROM customer_identifiers"+
				" WHERE company_id = ? AND env = ? AND kind = ? AND blind_index = ? AND id <> ?",
			w.CompanyID, w.Env, w.Kind, index, w.ID)
		switch {
		case err == nil:
			older := other.CreatedAt.Before(w.CreatedAt.Time) || (other.CreatedAt.Equal(w.CreatedAt.Time) && other.ID < w.ID)
			drop := other.ID
			if older {
				drop = w.ID
			}
			if _, err := tx.exec(ctx, "customer identifier", "drop duplicate identifier",
				"DELETE FROM customer_identifiers WHERE id = ?", drop); err != nil {
				return rowKept, err
			}
			if older {
				return rowChanged, nil
			}
		case !errors.Is(err, domain.ErrNotFound):
			return rowKept, err
		}
	}
	return update(ctx, tx, "customer_identifiers", []string{"sealed = ?", "blind_index = ?"}, []string{"id = ?"},
		[]any{sealed, index}, []any{w.ID}, map[string][]byte{"sealed": w.Sealed, "blind_index": w.Blind})
}

// --- records: sealed session and username, login key

type rekeyRecord struct {
	ID         string  `db:"id"`
	CompanyID  string  `db:"company_id"`
	Env        string  `db:"env"`
	CustomerID string  `db:"customer_id"`
	BankID     string  `db:"bank_id"`
	Session    []byte  `db:"sealed_session"`
	Username   []byte  `db:"sealed_username"`
	LoginKey   []byte  `db:"login_key"`
	BankSlug   *string `db:"slug"`
}

func (rt *rotation) records(ctx context.Context) error {
	return walk(ctx, rt, "records",
		"SELECT r.id, r.company_id, r.env, r.customer_id, r.bank_id, r.sealed_session, r.sealed_username, r.login_key, b.slug"+
			" FROM records r LEFT JOIN banks b ON b.id = r.bank_id WHERE r.id > ? AND ("+
			staleSealed("r.sealed_session")+" OR "+staleSealed("r.sealed_username")+" OR "+staleIndex("r.login_key")+
			") ORDER BY r.id LIMIT ?",
		[]any{rt.kid[:], rt.kid[:], rt.kid[:]}, func(w rekeyRecord) string { return w.ID }, rt.record)
}

func (rt *rotation) record(ctx context.Context, tx *repos, w rekeyRecord) (outcome, error) {
	session, _, err := rt.reseal(w.Session, domain.RecordSessionAD(w.ID))
	if err != nil {
		return rowKept, err
	}
	username, _, err := rt.reseal(w.Username, domain.RecordUsernameAD(w.ID))
	if err != nil {
		return rowKept, err
	}
	loginKey := w.LoginKey
	if len(loginKey) > 0 && !rt.ring.IndexCurrent(loginKey) {
		if loginKey, err = rt.loginKey(ctx, tx, w); err != nil {
			return rowKept, err
		}
	}
	if bytes.Equal(session, w.Session) && bytes.Equal(username, w.Username) && bytes.Equal(loginKey, w.LoginKey) {
		return rowKept, nil
	}
	return update(ctx, tx, "records", []string{"sealed_session = ?", "sealed_username = ?", "login_key = ?"}, []string{"id = ?"},
		[]any{blob(session), blob(username), blob(loginKey)}, []any{w.ID},
		map[string][]byte{"sealed_session": w.Session, "sealed_username": w.Username, "login_key": w.LoginKey})
}

// loginKey re-computes a record's login key under the newest key. The login
// itself is not stored; it is recovered from the remembered username or,
// for USSD logins, from the customer's phone identifiers, and accepted only
// if it reproduces the stored key. When it cannot be recovered the key is
// kept. When a link during the rotation window already made a record under
// the new key, that newer record is the login's now and this one's key is
// cleared.
func (rt *rotation) loginKey(ctx context.Context, tx *repos, w rekeyRecord) ([]byte, error) {
	if w.BankSlug == nil {
		rt.report.KeptLogins++
		return w.LoginKey, nil
	}
	var logins []string
	if len(w.Username) > 0 {
		if u, err := rt.ring.Open(w.Username, domain.RecordUsernameAD(w.ID)); err == nil {
			logins = append(logins, "user:"+strings.ToLower(string(u)))
		}
	}
	var phones []rekeyIdentifier
	if err := tx.sel(ctx, &phones, "customer identifiers",
		"SELECT id, company_id, env, kind, blind_index, sealed, created_at FROM customer_identifiers WHERE company_id = ? AND env = ? AND customer_id = ? AND kind = ?",
		w.CompanyID, w.Env, w.CustomerID, string(domain.IdentPhone)); err != nil {
		return nil, err
	}
	for _, p := range phones {
		if v, err := rt.ring.Open(p.Sealed, domain.IdentifierAD(p.ID)); err == nil {
			logins = append(logins, "phone:"+string(v))
		}
	}
	for _, login := range logins {
		value := *w.BankSlug + "\x00" + login
		if !containsBytes(rt.ring.BlindIndexes(w.CompanyID, "login", value), w.LoginKey) {
			continue
		}
		key := rt.ring.BlindIndex(w.CompanyID, "login", value)
		// The link flow takes the same lock before it looks a login up.
		if err := tx.Lock(ctx, "login:"+hex.EncodeToString(key)); err != nil {
			return nil, err
		}
		var n int
		if err := tx.get(ctx, &n, "records",
			"SELECT COUNT(*) FROM records WHERE company_id = ? AND env = ? AND bank_id = ? AND login_key = ? AND id <> ?",
			w.CompanyID, w.Env, w.BankID, key, w.ID); err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, nil
		}
		return key, nil
	}
	rt.report.KeptLogins++
	return w.LoginKey, nil
}

func containsBytes(list [][]byte, b []byte) bool {
	return slices.ContainsFunc(list, func(x []byte) bool { return bytes.Equal(x, b) })
}

// --- link sessions (sealed flow state) and link tokens (sealed options)

type rekeySealed struct {
	ID     string `db:"id"`
	Sealed []byte `db:"sealed"`
}

func (rt *rotation) linkSessions(ctx context.Context) error {
	return rt.sealedColumn(ctx, "link_sessions", "sealed_state", domain.LinkSessionStateAD)
}

func (rt *rotation) identities(ctx context.Context) error {
	return rt.sealedColumn(ctx, "identities", "sealed", domain.IdentityAD)
}

func (rt *rotation) linkTokens(ctx context.Context) error {
	return rt.sealedColumn(ctx, "link_tokens", "options", domain.LinkTokenAD)
}

// sealedColumn re-seals one sealed column of a table keyed by id, whose
// associated data is ad(id).
func (rt *rotation) sealedColumn(ctx context.Context, table, col string, ad func(id domain.ID) []byte) error {
	return walk(ctx, rt, table,
		"SELECT id, "+col+" AS sealed FROM "+table+" WHERE id > ? AND "+staleSealed(col)+" ORDER BY id LIMIT ?",
		[]any{rt.kid[:]}, func(w rekeySealed) string { return w.ID },
		func(ctx context.Context, tx *repos, w rekeySealed) (outcome, error) {
			sealed, ok, err := rt.reseal(w.Sealed, ad(w.ID))
			if err != nil || !ok {
				return rowKept, err
			}
			return update(ctx, tx, table, []string{col + " = ?"}, []string{"id = ?"},
				[]any{sealed}, []any{w.ID}, map[string][]byte{col: w.Sealed})
		})
}

// --- webhook endpoints: token, signing secret and previous secret

type rekeyWebhook struct {
	CompanyID string `db:"company_id"`
	Env       string `db:"env"`
	Token     []byte `db:"sealed_token"`
	Secret    []byte `db:"sealed_secret"`
	Previous  []byte `db:"sealed_previous"`
}

func (rt *rotation) webhooks(ctx context.Context) error {
	var company, env string
	for more := true; more; {
		var err error
		more, err = rt.batch(ctx, func(ctx context.Context, tx *repos) (int, error) {
			var rows []rekeyWebhook
			if err := tx.sel(ctx, &rows, "webhook endpoints",
				"SELECT company_id, env, sealed_token, sealed_secret, sealed_previous FROM webhook_endpoints"+
					" WHERE (company_id > ? OR (company_id = ? AND env > ?)) AND ("+
					staleSealed("sealed_token")+" OR "+staleSealed("sealed_secret")+" OR "+staleSealed("sealed_previous")+
					") ORDER BY company_id, env LIMIT ?",
				company, company, env, rt.kid[:], rt.kid[:], rt.kid[:], rt.opts.BatchSize); err != nil {
				return 0, err
			}
			for _, w := range rows {
				company, env = w.CompanyID, w.Env
				if err := rt.row(ctx, "webhook_endpoints", w.CompanyID+"/"+w.Env, func(ctx context.Context, tx *repos) (outcome, error) {
					scope := domain.Scope{CompanyID: w.CompanyID, Env: domain.Env(w.Env)}
					token, _, err := rt.reseal(w.Token, domain.WebhookAD(scope, domain.WebhookTokenPurpose))
					if err != nil {
						return rowKept, err
					}
					secret, _, err := rt.reseal(w.Secret, domain.WebhookAD(scope, domain.WebhookSecretPurpose))
					if err != nil {
						return rowKept, err
					}
					previous, _, err := rt.reseal(w.Previous, domain.WebhookAD(scope, domain.WebhookSecretPurpose))
					if err != nil {
						return rowKept, err
					}
					if bytes.Equal(token, w.Token) && bytes.Equal(secret, w.Secret) && bytes.Equal(previous, w.Previous) {
						return rowKept, nil // unreadable, counted
					}
					return update(ctx, tx, "webhook_endpoints",
						[]string{"sealed_token = ?", "sealed_secret = ?", "sealed_previous = ?"}, []string{"company_id = ?", "env = ?"},
						[]any{blob(token), blob(secret), blob(previous)}, []any{w.CompanyID, w.Env},
						map[string][]byte{"sealed_token": w.Token, "sealed_secret": w.Secret, "sealed_previous": w.Previous})
				}); err != nil {
					return 0, err
				}
			}
			return len(rows), nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// --- status

// KeyUsage is how many values of one column are sealed or indexed under one
// key.
type KeyUsage struct {
	Column string // table.column
	// KeyID is the key's id; Legacy marks first-release blind indexes,
	// which carry none.
	KeyID  uint32
	Legacy bool
	Rows   int
}

// sealedColumns are every column Seal writes; indexColumns every blind
// index.
var (
	sealedColumns = []string{
		"customer_identifiers.sealed", "records.sealed_session", "records.sealed_username",
		"link_sessions.sealed_state", "link_tokens.options", "webhook_endpoints.sealed_token", "webhook_endpoints.sealed_secret",
		"webhook_endpoints.sealed_previous",
	}
	indexColumns = []string{"customer_identifiers.blind_index", "records.login_key"}
)

// KeyUsage counts, per sealed column and blind index, the rows under each
// key id, so an operator can tell when an old key is no longer used.
func (s *Store) KeyUsage(ctx context.Context) ([]KeyUsage, error) {
	var out []KeyUsage
	for _, tc := range append(append([]string(nil), sealedColumns...), indexColumns...) {
		table, col, _ := strings.Cut(tc, ".")
		kid := "substr(" + col + ", 2, 4)"
		if slices.Contains(indexColumns, tc) {
			kid = fmt.Sprintf("CASE WHEN length(%s) = %d THEN substr(%s, 2, 4) END", col, indexLen, col)
		}
		var rows []struct {
			KID  []byte `db:"kid"`
			Rows int    `db:"n"`
		}
		if err := s.root.sel(ctx, &rows, tc,
			"SELECT "+kid+" AS kid, COUNT(*) AS n FROM "+table+" WHERE "+col+" IS NOT NULL GROUP BY 1 ORDER BY 1"); err != nil {
			return nil, err
		}
		for _, r := range rows {
			u := KeyUsage{Column: tc, Rows: r.Rows, Legacy: len(r.KID) != 4}
			if !u.Legacy {
				u.KeyID = binary.BigEndian.Uint32(r.KID)
			}
			out = append(out, u)
		}
	}
	return out, nil
}
