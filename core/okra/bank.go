package okra

import "github.com/bankauth/bankauth/core/domain"

// Bank is a bank as banks/list and banks/getById answer it.
type Bank struct {
	ID        string   `json:"id"`
	MongoID   string   `json:"_id"`
	Name      string   `json:"name"`
	Slug      string   `json:"slug"`
	Icon      string   `json:"icon"`
	Logo      string   `json:"logo"`
	V2Icon    string   `json:"v2_icon"`
	V2Logo    string   `json:"v2_logo"`
	Status    string   `json:"status"`
	Country   string   `json:"country"`
	Countries []string `json:"countries"`
	Methods   []string `json:"methods"`
	MFAKinds  []string `json:"mfa_kinds"`
	Products  []string `json:"products"`
	// Okra's auth-method flags, derived from methods and MFA kinds.
	SecretQuestionOrOTP       bool   `json:"secret_question_or_otp"`
	SecretQuestionOrOTPMobile bool   `json:"secret_question_or_otp_mobile"`
	USSD                      bool   `json:"ussd"`
	Individual                bool   `json:"individual"`
	Corporate                 bool   `json:"corporate"`
	CreatedAt                 string `json:"created_at"`
	LastUpdated               string `json:"last_updated"`
}

// PresentBank shapes b for the wire.
func PresentBank(b domain.Bank) Bank {
	ref := PresentBankRefWithStatus(b)
	mfa := len(b.MFAKinds) > 0
	return Bank{
		ID: b.ID, MongoID: b.ID, Name: b.Name, Slug: b.Slug, Icon: ref.Icon, Logo: ref.Logo,
		V2Icon: ref.Icon, V2Logo: ref.Logo, Status: ref.Status, Country: b.Country,
		Countries: []string{b.Country}, Methods: methodNames(b.Methods), MFAKinds: orEmpty(b.MFAKinds), Products: orEmpty(b.Products),
		SecretQuestionOrOTP:       mfa && b.HasMethod(domain.MethodInternetBanking),
		SecretQuestionOrOTPMobile: mfa && b.HasMethod(domain.MethodMobileBanking),
		USSD:                      b.HasMethod(domain.MethodUSSD),
		Individual:                true,
		CreatedAt:                 Time(b.CreatedAt), LastUpdated: Time(b.UpdatedAt),
	}
}

// methodNames lists a bank's login methods as the wire names them.
func methodNames(ms []domain.LoginMethod) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = string(m)
	}
	return out
}
