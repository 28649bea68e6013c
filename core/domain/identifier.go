package domain

import (
	"net/mail"
	"strings"
)

// NormalizeIdentifier puts an identifier in the one form its blind index is
// computed over: phone numbers as +234…, emails lower-case, BVN and NIN as
// 11 digits. An invalid value is refused with an error naming field.
func NormalizeIdentifier(kind IdentifierKind, value, field string) (string, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return "", Invalid(field, "must not be empty")
	}
	switch kind {
	case IdentBVN, IdentNIN:
		if len(v) != 11 || !allDigits(v) {
			return "", Invalid(field, "must be 11 digits")
		}
		return v, nil
	case IdentPhone:
		p := strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(v)
		switch {
		case strings.HasPrefix(p, "+234"):
			p = p[4:]
		case strings.HasPrefix(p, "234") && len(p) == 13:
			p = p[3:]
		case strings.HasPrefix(p, "0") && len(p) == 11:
			p = p[1:]
		}
		if len(p) != 10 || !allDigits(p) {
			return "", Invalid(field, "must be a Nigerian phone number such as 08012345678 or +2348012345678")
		}
		return "+234" + p, nil
	case IdentEmail:
		addr, err := mail.ParseAddress(v)
		if err != nil || addr.Address != v || !strings.Contains(v, "@") {
			return "", Invalid(field, "must be an email address")
		}
		return strings.ToLower(v), nil
	case IdentExternal:
		if len(v) > 200 {
			return "", Invalid(field, "must be at most 200 characters")
		}
		return v, nil
	}
	return "", Invalid(field, "unknown identifier kind")
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
