package fakebank

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/bankauth/bankauth/plugins/sdk"
)

// bankDef is one fake bank.
type bankDef struct {
	ID      string
	Name    string
	Code    string // three-digit code used in NUBAN check digits
	Methods []sdk.Method
	MFA     []sdk.ChallengeKind
}

var banks = []bankDef{
	{ID: "sandbox-bank", Name: "Sandbox Bank", Code: "901",
		Methods: []sdk.Method{sdk.MethodInternetBanking, sdk.MethodMobileBanking, sdk.MethodUSSD},
		MFA:     []sdk.ChallengeKind{sdk.ChallengeOTP, sdk.ChallengeSecurityQuestion}},
	{ID: "sandbox-ussd-bank", Name: "Sandbox USSD Bank", Code: "902",
		Methods: []sdk.Method{sdk.MethodUSSD}},
	{ID: "sandbox-flaky-bank", Name: "Sandbox Flaky Bank", Code: "903",
		Methods: []sdk.Method{sdk.MethodInternetBanking},
		MFA:     []sdk.ChallengeKind{sdk.ChallengeOTP, sdk.ChallengeSecurityQuestion}},
}

func bankIDs() []string {
	ids := make([]string, len(banks))
	for i, b := range banks {
		ids[i] = b.ID
	}
	return ids
}

func findBank(id string) (bankDef, bool) {
	for _, b := range banks {
		if b.ID == id {
			return b, true
		}
	}
	return bankDef{}, false
}

func (b bankDef) supports(m sdk.Method) bool {
	for _, x := range b.Methods {
		if x == m {
			return true
		}
	}
	return false
}

// person is a customer as a fake bank knows them.
type person struct {
	Owner    sdk.Owner
	Accounts []accountDef
}

type accountDef struct {
	Type           string
	AvailableMinor int64
	LedgerMinor    int64
}

// Fixed people. USSD phone 08000000001 is Ada Obi (user_good).
var fixedPeople = map[string]person{
	"user_good": {
		Owner: sdk.Owner{Name: "Ada Obi", BVN: "22222222222", Phone: "08000000001", Email: "ada.obi@example.com"},
		Accounts: []accountDef{
			{Type: "current", AvailableMinor: 25_000_000, LedgerMinor: 26_250_000},
			{Type: "savings", AvailableMinor: 120_000_000, LedgerMinor: 120_000_000},
		},
	},
	"user_low": {
		Owner: sdk.Owner{Name: "Chidi Okeke", BVN: "33333333333", Phone: "08000000004", Email: "chidi.okeke@example.com"},
		Accounts: []accountDef{
			{Type: "current", AvailableMinor: 50_000, LedgerMinor: 50_000},
		},
	},
}

// USSD phones with fixed behaviour.
const (
	phoneConfirm = "08000000001"
	phoneDecline = "08000000002"
	phoneExpire  = "08000000003"
)

var (
	firstNames = []string{"Amaka", "Bola", "Chinedu", "Damilola", "Emeka", "Funke", "Gbenga", "Halima",
		"Ifeanyi", "Jumoke", "Kelechi", "Lola", "Musa", "Ngozi", "Olu", "Sade", "Tunde", "Uche", "Yemi", "Zainab"}
	lastNames = []string{"Adeyemi", "Balogun", "Chukwu", "Danjuma", "Eze", "Fashola", "Ibrahim", "Nwosu",
		"Okafor", "Ogunleye", "Usman", "Yusuf"}
)

// digest hashes its parts into a stable number source.
type digest [sha256.Size]byte

func hashOf(parts ...string) digest {
	return sha256.Sum256([]byte(strings.Join(parts, "\x00")))
}

// uint returns the i-th 64-bit word of the digest (i in 0..3).
func (d digest) uint(i int) uint64 { return binary.BigEndian.Uint64(d[i*8 : i*8+8]) }

// digits returns n decimal digits taken from word i.
func (d digest) digits(i, n int) string {
	mod := uint64(1)
	for range n {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", n, d.uint(i)%mod)
}

// personKey is the key a person is derived from: the username, or for USSD
// the phone number (Ada Obi's phone maps to user_good).
func ussdPersonKey(phone string) string {
	if phone == phoneConfirm {
		return "user_good"
	}
	return "phone:" + phone
}

func personFor(key string) person {
	if p, ok := fixedPeople[key]; ok {
		return p
	}
	h := hashOf("person", key)
	first := firstNames[h.uint(0)%uint64(len(firstNames))]
	last := lastNames[h.uint(1)%uint64(len(lastNames))]
	phone := "080" + h.digits(2, 8)
	if p, ok := strings.CutPrefix(key, "phone:"); ok {
		phone = p
	}
	p := person{Owner: sdk.Owner{
		Name:  first + " " + last,
		BVN:   "22" + h.digits(3, 9),
		Phone: phone,
		Email: strings.ToLower(first+"."+last) + "@example.com",
	}}
	cur := int64(h.uint(2)%50_000_000) + 10_000 // ₦100.00 .. ₦500,100.00
	p.Accounts = append(p.Accounts, accountDef{Type: "current", AvailableMinor: cur, LedgerMinor: cur + int64(h.uint(3)%500_000)})
	if h.uint(3)%2 == 0 {
		sav := int64(h.uint(1)%200_000_000) + 100_000
		p.Accounts = append(p.Accounts, accountDef{Type: "savings", AvailableMinor: sav, LedgerMinor: sav})
	}
	return p
}

// nuban builds a 10-digit NUBAN: a 9-digit serial derived from bank, person
// and account index, and the CBN check digit computed with the bank's code.
func nuban(b bankDef, key string, index int) string {
	serial := hashOf("nuban", b.ID, key, fmt.Sprint(index)).digits(0, 9)
	check, _ := sdk.NUBANCheckDigit(b.Code, serial) // both are digits of the right length
	return serial + string(check)
}

func accountsFor(b bankDef, key string) ([]sdk.Account, person) {
	p := personFor(key)
	out := make([]sdk.Account, 0, len(p.Accounts))
	for i, a := range p.Accounts {
		n := nuban(b, key, i)
		avail, ledger := a.AvailableMinor, a.LedgerMinor
		out = append(out, sdk.Account{
			ID:             "acct_" + n,
			NUBAN:          n,
			Name:           p.Owner.Name,
			Type:           a.Type,
			Currency:       "NGN",
			AvailableMinor: &avail,
			LedgerMinor:    &ledger,
		})
	}
	return out, p
}
