package domain

import "testing"

func TestValidNUBAN(t *testing.T) {
	for _, tc := range []struct {
		code, nuban string
		want        bool
	}{
		{"901", "0000000017", true},
		{"058", "0123456785", true},
		{"058", "0123456784", false}, // wrong check digit
		{"901", "0123456785", false}, // right digit for another bank
		{"058", "012345678", false},
		{"058", "01234567855", false},
		{"058", "01234a6785", false},
		{"058", "012345678x", false},
		{"58", "0123456785", false},
		{"", "0123456785", false},
	} {
		if got := ValidNUBAN(tc.code, tc.nuban); got != tc.want {
			t.Errorf("ValidNUBAN(%q, %q) = %v, want %v", tc.code, tc.nuban, got, tc.want)
		}
	}
}

func TestShowNUBAN(t *testing.T) {
	for _, tc := range []struct {
		hide  bool
		nuban string
		want  string
	}{
		{false, "0123456785", "0123456785"},
		{true, "0123456785", "******6785"},
		{true, "", ""},
	} {
		c := Company{HideAccountNumbers: tc.hide}
		if got := c.ShowNUBAN(tc.nuban); got != tc.want {
			t.Errorf("hide=%v: ShowNUBAN(%q) = %q, want %q", tc.hide, tc.nuban, got, tc.want)
		}
	}
}

func TestSecrets(t *testing.T) {
	s := NewSecret("ptok_test_", 32)
	if len(s) != len("ptok_test_")+64+8 || !CheckSecret(s, "ptok_test_", 32) {
		t.Fatalf("NewSecret made %q, which CheckSecret refuses", s)
	}
	flipped := []byte(s)
	if flipped[12] == 'a' {
		flipped[12] = 'b'
	} else {
		flipped[12] = 'a'
	}
	for name, bad := range map[string]string{
		"other prefix": "ptok_live_" + s[len("ptok_test_"):],
		"truncated":    s[:len(s)-1],
		"mistyped":     string(flipped),
		"upper case":   "ptok_test_" + string([]byte{s[10] &^ 0x20}) + s[11:],
		"empty":        "",
	} {
		if CheckSecret(bad, "ptok_test_", 32) {
			t.Errorf("%s: CheckSecret accepted %q", name, bad)
		}
	}
}
