package company

import (
	"slices"
	"testing"

	"github.com/bankauth/bankauth/core/domain"
)

func TestParseOrigins(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		bad  bool
	}{
		{in: "https://app.example.com", want: []string{"https://app.example.com"}},
		{in: "HTTPS://App.Example.com/", want: []string{"https://app.example.com"}},
		{in: "https://a.example, http://localhost:3000 https://a.example", want: []string{"https://a.example", "http://localhost:3000"}},
		{in: "https://a.example:443 http://b.example:80", want: []string{"https://a.example", "http://b.example"}},
		{in: "none", want: nil},
		{in: "", want: nil},
		{in: "https://a.example/path", bad: true},
		{in: "https://*.example.com", bad: true},
		{in: "ftp://a.example", bad: true},
		{in: "a.example", bad: true},
		{in: "https://", bad: true},
		{in: "https://a.example:", bad: true},
		{in: "https://a.example:x1", bad: true},
		{in: "*", bad: true},
		{in: "'self'", bad: true},
	} {
		got, err := ParseOrigins(c.in)
		if c.bad {
			if domain.KindOf(err) != domain.KindInvalid {
				t.Errorf("ParseOrigins(%q) = %v, %v; want an invalid-input error", c.in, got, err)
			}
			continue
		}
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("ParseOrigins(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestAllowsOrigin(t *testing.T) {
	open := domain.Company{}
	if !open.AllowsOrigin("https://evil.example") {
		t.Error("a company with no list should allow any origin")
	}
	c := domain.Company{AllowedOrigins: []string{"https://app.example.com"}}
	for origin, want := range map[string]bool{"https://app.example.com": true, "https://evil.example": false, "": false, "http://app.example.com": false} {
		if got := c.AllowsOrigin(origin); got != want {
			t.Errorf("AllowsOrigin(%q) = %v, want %v", origin, got, want)
		}
	}
}
