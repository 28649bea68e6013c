package domain

import "testing"

func TestNormalizeIdentifier(t *testing.T) {
	good := []struct {
		kind     IdentifierKind
		in, want string
	}{
		{IdentPhone, "08000000001", "+2348000000001"},
		{IdentPhone, "+2348000000001", "+2348000000001"},
		{IdentPhone, "2348000000001", "+2348000000001"},
		{IdentPhone, "0800 000 0001", "+2348000000001"},
		{IdentEmail, "Ada.Obi@Example.com", "ada.obi@example.com"},
		{IdentBVN, "22222222222", "22222222222"},
		{IdentNIN, " 12345678901 ", "12345678901"},
		{IdentExternal, "cust-42", "cust-42"},
	}
	for _, c := range good {
		got, err := NormalizeIdentifier(c.kind, c.in, string(c.kind))
		if err != nil || got != c.want {
			t.Errorf("%s %q = %q, %v; want %q", c.kind, c.in, got, err, c.want)
		}
	}
	bad := []struct {
		kind IdentifierKind
		in   string
	}{
		{IdentPhone, "12345"}, {IdentPhone, "+15551234567"}, {IdentEmail, "not-an-email"},
		{IdentEmail, "Ada <ada@example.com>"}, {IdentBVN, "2222222222"}, {IdentBVN, "2222222222a"},
		{IdentNIN, ""},
	}
	for _, c := range bad {
		_, err := NormalizeIdentifier(c.kind, c.in, "customer."+string(c.kind))
		if e, ok := AsError(err); !ok || e.Kind != KindInvalid || e.Field != "customer."+string(c.kind) {
			t.Errorf("%s %q: err %v, want invalid naming the field", c.kind, c.in, err)
		}
	}
}
