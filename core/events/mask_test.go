package events

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/bankauth/bankauth/core/domain"
)

func TestMaskNUBANs(t *testing.T) {
	hide := domain.Company{HideAccountNumbers: true}
	for _, tc := range []struct {
		name      string
		company   domain.Company
		body, out string
	}{
		{"nested", hide, `{"balance":{"available_balance":1500.5,"account":{"nuban":"0123456785"}}}`,
			`{"balance":{"account":{"nuban":"******6785"},"available_balance":1500.5}}`},
		{"in lists", hide, `{"accounts":[{"nuban":"0123456785"},{"nuban":"9876543210","name":"0123456785"}]}`,
			`{"accounts":[{"nuban":"******6785"},{"name":"0123456785","nuban":"******3210"}]}`},
		{"not a string", hide, `{"nuban":12}`, `{"nuban":12}`},
		{"shown", domain.Company{}, `{"nuban":"0123456785"}`, `{"nuban":"0123456785"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v any
			dec := json.NewDecoder(bytes.NewReader([]byte(tc.body)))
			dec.UseNumber()
			if err := dec.Decode(&v); err != nil {
				t.Fatal(err)
			}
			got, err := json.Marshal(maskNUBANs(v, tc.company))
			if err != nil || string(got) != tc.out {
				t.Fatalf("got %s (%v), want %s", got, err, tc.out)
			}
		})
	}
}
