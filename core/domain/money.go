package domain

import (
	"strconv"
	"strings"
)

// Minor is an amount in minor units (kobo for NGN). The API shows amounts in
// major units with at most two decimals; the conversion is exact and never
// goes through a float.
type Minor int64

// MarshalJSON writes the amount as a JSON number in major units: 150050 is
// 1500.5, 25000000 is 250000.
func (m Minor) MarshalJSON() ([]byte, error) {
	return []byte(m.Major()), nil
}

// Major renders m in major units, shortest exact form.
func (m Minor) Major() string {
	neg := m < 0
	u := uint64(m)
	if neg {
		u = uint64(-m)
	}
	whole, frac := u/100, u%100
	s := strconv.FormatUint(whole, 10)
	switch {
	case frac == 0:
	case frac%10 == 0:
		s += "." + strconv.FormatUint(frac/10, 10)
	default:
		s += "." + string([]byte{byte('0' + frac/10), byte('0' + frac%10)})
	}
	if neg {
		s = "-" + s
	}
	return s
}

// UnmarshalJSON accepts a JSON number in major units with at most two
// decimals. Strings, exponents and more precision are refused.
func (m *Minor) UnmarshalJSON(b []byte) error {
	v, err := ParseMajor(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// ParseMajor parses a decimal in major units ("1500.5", "250000.01") into
// minor units exactly.
func ParseMajor(s string) (Minor, error) {
	bad := &Error{Kind: KindInvalid, Message: "must be a number with at most two decimals"}
	if s == "" || len(s) > 20 {
		return 0, bad
	}
	neg := false
	if s[0] == '-' {
		neg, s = true, s[1:]
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && (frac == "" || len(frac) > 2)) {
		return 0, bad
	}
	for _, part := range []string{whole, frac} {
		for i := 0; i < len(part); i++ {
			if part[i] < '0' || part[i] > '9' {
				return 0, bad
			}
		}
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > (1<<62)/100 {
		return 0, bad
	}
	for len(frac) < 2 {
		frac += "0"
	}
	f, _ := strconv.ParseInt(frac, 10, 64)
	v := Minor(w*100 + f)
	if neg {
		v = -v
	}
	return v, nil
}

// Money is an amount with its ISO 4217 currency.
type Money struct {
	Amount   Minor
	Currency string
}

// CurrencyNGN is the currency of every sandbox account.
const CurrencyNGN = "NGN"
