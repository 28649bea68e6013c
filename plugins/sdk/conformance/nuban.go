package conformance

import (
	"github.com/bankauth/bankauth/plugins/sdk"
)

// checkNUBANCheckDigits logs in with the plan's success credentials and
// checks every account's NUBAN against the check digit of its bank's
// declared code: the host refuses accounts that fail it. A bank that
// declares no code is skipped.
func (r *runner) checkNUBANCheckDigits(t T) {
	var code string
	for _, b := range r.metadata(t).Banks {
		if b.ID == r.plan.Bank {
			code = b.Code
		}
	}
	if code == "" {
		r.skipf(t, "bank %q declares no code", r.plan.Bank)
		return
	}
	c, done := r.target.Open(t)
	defer done()
	a := r.login(t, c, r.plan.Success)
	for _, acc := range a.Accounts {
		if !sdk.ValidNUBAN(code, acc.NUBAN) {
			t.Errorf("account %q: NUBAN %q fails the CBN check digit for bank code %s", acc.ID, acc.NUBAN, code)
		}
	}
}
