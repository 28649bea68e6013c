package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/okra"
)

// TokenRequest is what a company's server vouches for when it creates a
// link token with its secret key.
type TokenRequest struct {
	Customer      *CustomerInput  `json:"customer,omitempty"`
	ReauthAccount string          `json:"reauth_account,omitempty"`
	ReauthBank    string          `json:"reauth_bank,omitempty"`
	Products      []string        `json:"products,omitempty"`
	Filter        *BankFilter     `json:"filter,omitempty"`
	Name          string          `json:"name,omitempty"`
	Color         string          `json:"color,omitempty"`
	Logo          string          `json:"logo,omitempty"`
	Meta          json.RawMessage `json:"meta,omitempty"`
	CallbackURL   string          `json:"callback_url,omitempty"`
	RedirectURL   string          `json:"redirect_url,omitempty"`
}

// TokenCreated answers CreateLinkToken. The token is shown once.
type TokenCreated struct {
	LinkToken string `json:"link_token"`
	ExpiresAt string `json:"expires_at"`
}

// grant is what the company's server asserted, from a link token or a
// short link: the only source of customer and reauth facts before the
// bank login.
type grant struct {
	TokenRequest
	// ReauthRecord is the record behind reauth_account, resolved when the
	// token was created.
	ReauthRecord domain.ID `json:"reauth_record,omitempty"`
}

// errBadLinkToken is the one answer for a token that is unknown, used,
// expired, or another company's or environment's.
var errBadLinkToken = &domain.Error{Kind: domain.KindUnauthorized, Code: "INVALID_LINK_TOKEN", Field: "link_token",
	Message: "link_token: unknown, expired or already used; create a new one on your server (POST widget/tokens/create)"}

// errPageReauth refuses reauth fields sent with the public key. It is the
// same whatever the account number, so it tells nothing about it.
var errPageReauth = &domain.Error{Kind: domain.KindInvalid, Code: "REAUTH_NEEDS_LINK_TOKEN", Field: "reauth_account",
	Message: "reauth_account: a reauthentication is opened only with a link_token your server creates with its secret key (POST widget/tokens/create with reauth_account and reauth_bank)"}

var (
	hexColor   = regexp.MustCompile(`^#([0-9A-Fa-f]{3}|[0-9A-Fa-f]{4}|[0-9A-Fa-f]{6}|[0-9A-Fa-f]{8})$`)
	namedColor = regexp.MustCompile(`^[A-Za-z]{3,20}$`)
	nubanShape = regexp.MustCompile(`^[0-9]{10}$`)
)

// CreateLinkToken validates what the company's server vouches for and
// issues a single-use token for it.
func (s *Service) CreateLinkToken(ctx context.Context, scope domain.Scope, req TokenRequest) (TokenCreated, error) {
	g := grant{TokenRequest: req}
	if err := s.validateGrant(ctx, scope, &g); err != nil {
		return TokenCreated{}, err
	}
	opts, err := json.Marshal(g)
	if err != nil {
		return TokenCreated{}, fmt.Errorf("encode link token: %w", err)
	}
	now := s.clock.Now()
	token := newLinkToken(scope.Env)
	id := s.ids.NewID()
	// The options name the customer: sealed like every identifier.
	sealed, err := s.sealer.Seal(opts, domain.LinkTokenAD(id))
	if err != nil {
		return TokenCreated{}, fmt.Errorf("seal link token: %w", err)
	}
	t := domain.LinkToken{ID: id, CompanyID: scope.CompanyID, Env: scope.Env, Hash: hashToken(token),
		Options: sealed, ExpiresAt: now.Add(s.cfg.LinkTokenTTL), CreatedAt: now}
	if err := s.store.LinkTokens().Create(ctx, t); err != nil {
		return TokenCreated{}, fmt.Errorf("store link token: %w", err)
	}
	return TokenCreated{LinkToken: token, ExpiresAt: okra.Time(t.ExpiresAt)}, nil
}

// validateGrant checks every field, naming the bad one, and resolves the
// record to reauthenticate.
func (s *Service) validateGrant(ctx context.Context, scope domain.Scope, g *grant) error {
	if c := g.Customer; c != nil {
		if _, err := c.Identifiers(); err != nil {
			return err
		}
		if err := c.validateProfile(); err != nil {
			return err
		}
	}
	products, err := normalizeProducts(g.Products)
	if err != nil {
		return err
	}
	g.Products = products
	if g.Filter != nil {
		if err := s.checkFilter(ctx, scope.Env, g.Filter.Banks); err != nil {
			return err
		}
	}
	if err := g.checkLook(); err != nil {
		return err
	}
	if err := checkURLs(g.CallbackURL, g.RedirectURL); err != nil {
		return err
	}
	return s.resolveReauth(ctx, scope, g)
}

// checkLook checks what the widget shows (name, colour, logo) and the
// meta it passes on; a null meta is dropped.
func (g *grant) checkLook() error {
	if utf8.RuneCountInString(g.Name) > 100 {
		return domain.Invalid("name", "must be at most 100 characters")
	}
	if g.Color != "" && !hexColor.MatchString(g.Color) && !namedColor.MatchString(g.Color) {
		return domain.Invalid("color", "must be a hex colour such as #1f6feb or a colour name")
	}
	if g.Logo != "" && (!strings.HasPrefix(g.Logo, "https://") || len(g.Logo) > 2048) {
		return domain.Invalid("logo", "must be an https URL of at most 2048 characters")
	}
	m := bytes.TrimSpace(g.Meta)
	if len(m) == 0 || string(m) == "null" {
		g.Meta = nil
		return nil
	}
	if m[0] != '{' {
		return domain.Invalid("meta", "must be a JSON object")
	}
	if len(m) > 8<<10 {
		return domain.Invalid("meta", "must be at most 8 KiB of JSON")
	}
	return nil
}

// resolveReauth checks the reauth fields and resolves the record they
// name.
func (s *Service) resolveReauth(ctx context.Context, scope domain.Scope, g *grant) error {
	if (g.ReauthAccount == "") != (g.ReauthBank == "") {
		return domain.Invalid("reauth_account", "reauth_account and reauth_bank go together")
	}
	if g.ReauthAccount == "" {
		return nil
	}
	if !nubanShape.MatchString(g.ReauthAccount) {
		return domain.Invalid("reauth_account", "must be a 10-digit account number (NUBAN)")
	}
	// The caller holds the secret key: telling it which of its own
	// accounts exist reveals nothing it could not list.
	r, err := s.reauthRecord(ctx, scope, g.ReauthBank, g.ReauthAccount)
	if err != nil {
		return err
	}
	g.ReauthRecord = r.ID
	return nil
}

func checkURLs(callback, redirect string) error {
	for _, f := range []struct{ name, v string }{{"callback_url", callback}, {"redirect_url", redirect}} {
		if f.v != "" && !strings.HasPrefix(f.v, "https://") && !strings.HasPrefix(f.v, "http://") {
			return domain.Invalid(f.name, "must be an http(s) URL")
		}
	}
	return nil
}

// checkFilter refuses bank references this environment does not know.
func (s *Service) checkFilter(ctx context.Context, env domain.Env, refs []string) error {
	all, err := s.bank.Banks(ctx)
	if err != nil {
		return fmt.Errorf("list banks: %w", err)
	}
	for _, ref := range refs {
		found := false
		for _, b := range all {
			found = found || (b.Production == (env == domain.EnvProduction) && (b.Slug == ref || b.ID == ref))
		}
		if !found {
			return domain.Invalid("filter.banks", fmt.Sprintf("%q is not a bank of %s", ref, env))
		}
	}
	return nil
}

// validateProfile checks the non-identifier fields of a customer.
func (c CustomerInput) validateProfile() error {
	if utf8.RuneCountInString(c.Name) > 200 {
		return domain.Invalid("customer.name", "must be at most 200 characters")
	}
	if c.DOB != "" {
		if _, err := time.Parse(time.DateOnly, c.DOB); err != nil {
			return domain.Invalid("customer.dob", "must be a date, YYYY-MM-DD")
		}
	}
	return nil
}

// consumeLinkToken spends a token presented at session open.
func (s *Service) consumeLinkToken(ctx context.Context, scope domain.Scope, token string) (grant, error) {
	if !validLinkTokenShape(token) {
		return grant{}, errBadLinkToken
	}
	t, err := s.store.LinkTokens().Consume(ctx, scope, hashToken(token), s.clock.Now())
	if errors.Is(err, domain.ErrNotFound) {
		return grant{}, errBadLinkToken
	}
	if err != nil {
		return grant{}, fmt.Errorf("consume link token: %w", err)
	}
	opts, err := s.sealer.Open(t.Options, domain.LinkTokenAD(t.ID))
	if err != nil {
		return grant{}, fmt.Errorf("open link token %s: %w", t.ID, err)
	}
	var g grant
	if err := json.Unmarshal(opts, &g); err != nil {
		return grant{}, fmt.Errorf("decode link token %s: %w", t.ID, err)
	}
	return g, nil
}

func newLinkToken(env domain.Env) string {
	var b [32]byte
	// crypto/rand.Read is documented never to return an error.
	_, _ = rand.Read(b[:])
	prefix := "lt_test_"
	if env == domain.EnvProduction {
		prefix = "lt_live_"
	}
	return prefix + hex.EncodeToString(b[:])
}

func validLinkTokenShape(t string) bool {
	rest, found := strings.CutPrefix(t, "lt_test_")
	if !found {
		rest, found = strings.CutPrefix(t, "lt_live_")
	}
	if !found || len(rest) != 64 {
		return false
	}
	_, err := hex.DecodeString(rest)
	return err == nil
}
