package connector

import (
	"reflect"
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/plugins/sdk"
)

func TestReasonsMatchDomain(t *testing.T) {
	t.Parallel()
	domainReasons := map[string]bool{
		domain.RejectInvalidCredentials: true, domain.RejectMFAFailed: true, domain.RejectAccountLocked: true,
		domain.RejectSessionExpired: true, domain.RejectUSSDDeclined: true, domain.RejectExpired: true,
		domain.RejectBankUnavailable: true, domain.RejectRateLimited: true, domain.RejectUnsupported: true,
	}
	for _, r := range sdk.RejectReasons() {
		if !domainReasons[string(r)] {
			t.Errorf("SDK reason %s has no domain constant", r)
		}
	}
	if len(sdk.RejectReasons()) != len(domainReasons) {
		t.Errorf("SDK has %d reasons, domain %d", len(sdk.RejectReasons()), len(domainReasons))
	}
	for _, k := range []sdk.ChallengeKind{sdk.ChallengeOTP, sdk.ChallengeSecurityQuestion, sdk.ChallengeUSSD} {
		if s := stepFromSDK(sdk.Step{Challenge: &sdk.Challenge{Kind: k}}); s.Challenge.Kind != string(k) {
			t.Errorf("kind %s", k)
		}
	}
	if domain.ChallengeOTP != string(sdk.ChallengeOTP) || domain.ChallengeSecurityQuestion != string(sdk.ChallengeSecurityQuestion) ||
		domain.ChallengeUSSD != string(sdk.ChallengeUSSD) || string(domain.MethodUSSD) != string(sdk.MethodUSSD) ||
		string(domain.MethodInternetBanking) != string(sdk.MethodInternetBanking) || string(domain.MethodMobileBanking) != string(sdk.MethodMobileBanking) {
		t.Error("challenge kinds or methods differ between SDK and domain")
	}
}

func TestStepFromSDK(t *testing.T) {
	t.Parallel()
	exp := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	avail, ledger := int64(150050), int64(-25)
	cases := []struct {
		name string
		in   sdk.Step
		want domain.BankStep
	}{
		{"challenge", sdk.Step{Challenge: &sdk.Challenge{Kind: sdk.ChallengeUSSD, Prompt: "dial", USSDCode: "*1#",
			AttemptsLeft: 2, ExpiresAt: exp}, FlowState: []byte("fs")},
			domain.BankStep{Challenge: &domain.BankChallenge{Kind: "ussd", Prompt: "dial", USSDCode: "*1#",
				AttemptsLeft: 2, ExpiresAt: exp}, FlowState: []byte("fs")}},
		{"pending", sdk.Step{Pending: &sdk.Pending{PollAfter: time.Second}, FlowState: []byte("p")},
			domain.BankStep{Pending: &domain.BankPending{PollAfter: time.Second}, FlowState: []byte("p")}},
		{"authenticated", sdk.Step{Authenticated: &sdk.Authenticated{Session: []byte("s"),
			Accounts: []sdk.Account{{ID: "a", NUBAN: "0123456789", Name: "Main", Type: "current", Currency: "NGN",
				AvailableMinor: &avail, LedgerMinor: &ledger}, {ID: "b"}},
			Owner: sdk.Owner{Name: "Ada", BVN: "1", Phone: "2", Email: "e"}}},
			domain.BankStep{Authenticated: &domain.BankLogin{Session: []byte("s"),
				Accounts: []domain.BankAccount{{Ref: "a", NUBAN: "0123456789", Name: "Main", Type: "current",
					Currency: "NGN", Available: ptr(domain.Minor(150050)), Ledger: ptr(domain.Minor(-25))}, {Ref: "b"}},
				Owner: domain.BankOwner{Name: "Ada", BVN: "1", Phone: "2", Email: "e"}}}},
		{"rejected", sdk.Reject(sdk.RejectMFAFailed, "no", true),
			domain.BankStep{Rejected: &domain.BankRejection{Reason: domain.RejectMFAFailed, Message: "no", Retryable: true}}},
	}
	for _, c := range cases {
		if got := stepFromSDK(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", c.name, got, c.want)
		}
	}
}

func TestBalancesAndBankFromSDK(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	got := balancesFromSDK(sdk.BalanceResult{Balances: []sdk.Balance{{AccountID: "a", AvailableMinor: 1,
		LedgerMinor: 2, Currency: "NGN", AsOf: at}}, RotatedSession: []byte("r")})
	want := domain.BankBalances{Balances: []domain.BankBalance{{Ref: "a", Available: 1, Ledger: 2, Currency: "NGN", AsOf: at}},
		RotatedSession: []byte("r")}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("balances: %+v", got)
	}
	rej := balancesFromSDK(sdk.BalanceResult{Rejected: &sdk.Rejected{Reason: sdk.RejectSessionExpired}})
	if rej.Rejected == nil || rej.Rejected.Reason != domain.RejectSessionExpired || rej.Balances != nil {
		t.Errorf("rejected balance: %+v", rej)
	}
	b := bankFromSDK("acme", true, sdk.Bank{ID: "acme-bank", Name: "Acme", Country: "NG",
		Methods: []sdk.Method{sdk.MethodUSSD}, MFAKinds: []sdk.ChallengeKind{sdk.ChallengeOTP}, Products: []string{"auth"}})
	wantBank := domain.Bank{Slug: "acme-bank", Name: "Acme", Country: "NG", Connector: "acme", Production: true,
		Methods: []domain.LoginMethod{"ussd"}, MFAKinds: []string{"otp"}, Products: []string{"auth"}}
	if !reflect.DeepEqual(b, wantBank) {
		t.Errorf("bank: %+v", b)
	}
}

func ptr[T any](v T) *T { return &v }
