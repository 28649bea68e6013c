package auth

import (
	"context"
	"testing"

	"github.com/bankauth/bankauth/core/domain"
)

// TestFlaggedCustomerCannotLink: a flagged customer's link fails at the
// last step and leaves the session choosing accounts; unflagged, the
// same customer links again.
func TestFlaggedCustomerCannotLink(t *testing.T) {
	w := newWorld(t, Config{Budgets: Budgets{Off: true}})
	ctx := context.Background()
	ada1 := func() domain.LinkSession {
		_, l := w.mustOpen(OpenRequest{LinkToken: w.token(TokenRequest{Customer: &CustomerInput{ID: "ada-1"}})})
		return l
	}
	first, err := w.link(ada1(), "ada")
	if err != nil {
		t.Fatal(err)
	}
	flag := func(flagged bool) {
		t.Helper()
		if err := w.store.Customers().SetFlagged(ctx, w.scope, first.CustomerID, flagged, w.clock.Now()); err != nil {
			t.Fatal(err)
		}
	}

	flag(true)
	l := ada1()
	if _, err := w.link(l, "ada"); domain.KindOf(err) != domain.KindFlagged {
		t.Fatalf("a flagged customer linked: %v", err)
	}
	if w.reload(l).Status != domain.StepAccounts {
		t.Fatal("a flagged customer's session left the accounts step")
	}

	flag(false)
	if again, err := w.link(ada1(), "ada"); err != nil || again.CustomerID != first.CustomerID {
		t.Fatalf("unflagged: %+v %v", again, err)
	}
}
