package connector

import (
	"context"
	"reflect"
	"testing"

	"github.com/bankauth/bankauth/core/domain"
)

// GetIdentity through real processes: the built-in fake bank (protocol
// 1.1) answers the owner; a fixture built like a 1.0 connector answers
// Unimplemented, which the host reports as UNSUPPORTED without counting it
// against the bank and without logging a failure.
//
// Not parallel: it starts two processes, and beside the parallel process
// tests under -race on a small machine they would miss their start timeout.
func TestGetIdentity(t *testing.T) {
	cfg := testConfig(t)
	h := newTestHost(t, cfg)
	bin := installFixture(t, cfg.PluginDir, modeGood)
	registerBinary(t, h.store, cfg.PluginDir, modeGood, bin, false)
	start(t, h.Host)
	ctx := context.Background()

	st := goodLogin(t, h.Host, "sandbox-bank")
	id, err := h.GetIdentity(ctx, "sandbox-bank", st.Authenticated.Session)
	if err != nil {
		t.Fatalf("GetIdentity at the fake bank: %v", err)
	}
	want := domain.Person{FullName: "Ada Obi", FirstName: "Ada", LastName: "Obi", DOB: "1990-01-15", Gender: "female",
		BVN: "22222222222", NIN: "40000000001", Phones: []string{"08000000001"}, Emails: []string{"ada.obi@example.com"},
		Addresses: []string{"12 Marina Road, Lagos Island, Lagos"}}
	if id.Person == nil || !reflect.DeepEqual(*id.Person, want) || id.Rejected != nil {
		t.Fatalf("identity %+v (rejected %+v), want %+v", id.Person, id.Rejected, want)
	}
	id, err = h.GetIdentity(ctx, "sandbox-bank", []byte("not a session"))
	if err != nil || id.Rejected == nil || id.Rejected.Reason != domain.RejectSessionExpired {
		t.Fatalf("a bad session: %+v, %v; want SESSION_EXPIRED", id, err)
	}

	bank := fixtureBank(modeGood)
	old := goodLogin(t, h.Host, bank)
	_, err = h.GetIdentity(ctx, bank, old.Authenticated.Session)
	de := requireKind(t, err, domain.KindUnavailable)
	if de.Code != CodeUnsupported {
		t.Fatalf("a 1.0 connector's GetIdentity: code %q, want %q", de.Code, CodeUnsupported)
	}
	if old.Authenticated.Owner.Name != "Fixture Owner" || old.Authenticated.Identity != nil {
		t.Fatalf("the 1.0 login's owner %+v, identity %+v", old.Authenticated.Owner, old.Authenticated.Identity)
	}
	if got := h.bankStatus(bank, h.conns[modeGood]); got != domain.BankOperational {
		t.Errorf("an unsupported call made %s %s", bank, got)
	}
}
