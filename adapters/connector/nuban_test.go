package connector

import (
	"io"
	"log/slog"
	"testing"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/plugins/sdk"
)

// A login whose accounts fail the check digit of their bank's declared code
// is a clear connector error; a bank without a code is not checked.
func TestCheckedNUBANs(t *testing.T) {
	s := &Supervisor{spec: launchSpec{name: "coded"}, md: &sdk.Metadata{Banks: []sdk.Bank{
		{ID: "coded-bank", Code: "901"}, {ID: "plain-bank"},
	}}}
	h := &Host{log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		routes: map[string]*Supervisor{"coded-bank": s, "plain-bank": s}}
	login := func(nubans ...string) domain.BankStep {
		st := domain.BankStep{Authenticated: &domain.BankLogin{}}
		for i, n := range nubans {
			st.Authenticated.Accounts = append(st.Authenticated.Accounts, domain.BankAccount{Ref: string(rune('a' + i)), NUBAN: n})
		}
		return st
	}
	for _, tc := range []struct {
		name, bank string
		step       domain.BankStep
		wantErr    bool
	}{
		{"valid", "coded-bank", login("0000000017"), false},
		{"one fails", "coded-bank", login("0000000017", "0000000018"), true},
		{"not digits", "coded-bank", login("000000001x"), true},
		{"no code declared", "plain-bank", login("0000000018"), false},
		{"not a login", "coded-bank", domain.BankStep{Pending: &domain.BankPending{}}, false},
		{"unrouted bank", "other-bank", login("0000000018"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.checked(tc.bank, tc.step)
			if !tc.wantErr {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			de, ok := domain.AsError(err)
			if !ok || de.Kind != domain.KindConnectorFailed || de.Code != "INVALID_NUBAN" {
				t.Fatalf("want a connector_failed INVALID_NUBAN error, got %v", err)
			}
		})
	}
}
