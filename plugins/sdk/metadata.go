package sdk

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// The one set of metadata rules: the host refuses a connector whose
// metadata breaks them and the conformance kit reports each broken rule.
var (
	semverRe   = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$`)
	slugRe     = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	countryRe  = regexp.MustCompile(`^[A-Z]{2}$`)
	bankCodeRe = regexp.MustCompile(`^\d{3}$`)
)

// MetadataError lists every rule a Metadata breaks, so an author sees them
// all at once rather than one per run.
type MetadataError struct {
	Problems []string
}

func (e *MetadataError) Error() string {
	return "invalid metadata: " + strings.Join(e.Problems, "; ")
}

// Validate checks m against the protocol's rules: a name, a semantic
// version, at least one bank, slug ids that are unique, well-formed banks,
// and capabilities that agree with what the banks offer. It returns nil or a
// *MetadataError.
func (m Metadata) Validate() error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if m.Name == "" {
		add("name is empty")
	}
	if !semverRe.MatchString(m.Version) {
		add("version %q is not a semantic version like 1.2.3", m.Version)
	}
	if len(m.Banks) == 0 {
		add("no banks")
	}
	for _, k := range m.Capabilities.MFAKinds {
		if k != ChallengeOTP && k != ChallengeSecurityQuestion {
			add("capabilities.mfa_kinds has %q; only otp and security_question are MFA kinds (USSD is a login method)", k)
		}
	}
	seen := map[string]bool{}
	anyUSSD, anyBalance, anyIdentity := false, false, false
	for i, b := range m.Banks {
		where := fmt.Sprintf("bank %d (%q)", i, b.ID)
		if !slugRe.MatchString(b.ID) {
			add("%s: id is not a slug (lowercase letters, digits, hyphens)", where)
		}
		if seen[b.ID] {
			add("bank id %q is not unique", b.ID)
		}
		seen[b.ID] = true
		if b.Name == "" {
			add("%s: name is empty", where)
		}
		if !countryRe.MatchString(b.Country) {
			add("%s: country %q is not an ISO 3166 alpha-2 code", where, b.Country)
		}
		if b.Code != "" && !bankCodeRe.MatchString(b.Code) {
			add("%s: code %q is not a 3-digit CBN bank code", where, b.Code)
		}
		if len(b.Methods) == 0 {
			add("%s: no login methods", where)
		}
		dup := map[Method]bool{}
		for _, meth := range b.Methods {
			if !meth.Valid() {
				add("%s: login method %q is not one of internet_banking, mobile_banking, ussd", where, meth)
				continue
			}
			if dup[meth] {
				add("%s: login method %q listed twice", where, meth)
			}
			dup[meth] = true
			if meth == MethodUSSD {
				anyUSSD = true
			}
			fields := b.Fields[meth]
			if len(fields) == 0 {
				add("%s: method %s declares no credential fields", where, meth)
			}
			for _, f := range fields {
				if f.Name == "" || f.Label == "" {
					add("%s: method %s has a credential field without a name or label", where, meth)
				}
			}
		}
		for _, k := range b.MFAKinds {
			if !slices.Contains(m.Capabilities.MFAKinds, k) {
				add("%s asks for %s but capabilities.mfa_kinds does not declare it", where, k)
			}
		}
		if len(b.Products) == 0 {
			add("%s: no products", where)
		}
		anyBalance = anyBalance || slices.Contains(b.Products, ProductBalance)
		anyIdentity = anyIdentity || slices.Contains(b.Products, ProductIdentity)
	}
	if anyUSSD != m.Capabilities.USSD {
		add("capabilities.ussd is %v but a bank offering USSD login exists: %v", m.Capabilities.USSD, anyUSSD)
	}
	if anyBalance && !m.Capabilities.Balance {
		add("a bank offers the balance product but capabilities.balance is false")
	}
	if m.Capabilities.Balance && !anyBalance {
		add("capabilities.balance is true but no bank offers the balance product")
	}
	if m.Capabilities.Identity && !anyIdentity {
		add("capabilities.identity is true but no bank offers the identity product")
	}
	if m.Capabilities.Identity && m.ProtocolMinor < 1 {
		add("capabilities.identity is true but the connector reports protocol 1.%d; GetIdentity came with 1.1", m.ProtocolMinor)
	}
	if len(p) == 0 {
		return nil
	}
	return &MetadataError{Problems: p}
}
