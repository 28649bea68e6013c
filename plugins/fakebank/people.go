package fakebank

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

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

// person is a customer as a fake bank knows them. A login reports the
// owner only (the fields of protocol 1.0), so that the host's GetIdentity
// path is the one exercised; GetIdentity answers the full identity.
type person struct {
	Identity sdk.Identity
	Accounts []accountDef
}

// identity is a copy GetIdentity may hand out.
func (p person) identity() sdk.Identity {
	i := p.Identity
	i.Phones = append([]string(nil), i.Phones...)
	i.Emails = append([]string(nil), i.Emails...)
	i.Addresses = append([]string(nil), i.Addresses...)
	return i
}

type accountDef struct {
	Type           string
	AvailableMinor int64
	LedgerMinor    int64
}

// Fixed people. USSD phone 08000000001 is Ada Obi (user_good).
var fixedPeople = map[string]person{
	"user_good": {
		Identity: sdk.Identity{Name: "Ada Obi", BVN: "22222222222",
			FirstName: "Ada", LastName: "Obi", DateOfBirth: "1990-01-15", Gender: sdk.GenderFemale, NIN: "40000000001",
			Phones: []string{"08000000001"}, Emails: []string{"ada.obi@example.com"},
			Addresses: []string{"12 Marina Road, Lagos Island, Lagos"}},
		Accounts: []accountDef{
			{Type: "current", AvailableMinor: 25_000_000, LedgerMinor: 26_250_000},
			{Type: "savings", AvailableMinor: 120_000_000, LedgerMinor: 120_000_000},
		},
	},
	"user_low": {
		Identity: sdk.Identity{Name: "Chidi Okeke", BVN: "33333333333",
			FirstName: "Chidi", LastName: "Okeke", DateOfBirth: "1985-06-02", Gender: sdk.GenderMale, NIN: "40000000004",
			Phones: []string{"08000000004"}, Emails: []string{"chidi.okeke@example.com"},
			Addresses: []string{"4 Ogui Road, Enugu North, Enugu"}},
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
	// femaleNames are the first names above borne by women.
	femaleNames = map[string]bool{"Amaka": true, "Bola": true, "Damilola": true, "Funke": true, "Halima": true,
		"Jumoke": true, "Lola": true, "Ngozi": true, "Sade": true, "Yemi": true, "Zainab": true}
	middleNames = []string{"Oluwaseun", "Chidera", "Temitope", "Ifeoma", "Adeola", "Nnamdi", "Aminu", "Ayodele"}
	streets     = []string{"Marina Road", "Awolowo Road", "Allen Avenue", "Adeola Odeku Street", "Herbert Macaulay Way",
		"Ahmadu Bello Way", "Aminu Kano Crescent", "Ogui Road"}
	areas = [][2]string{{"Lagos Island", "Lagos"}, {"Ikeja", "Lagos"}, {"Yaba", "Lagos"}, {"Wuse II", "Abuja"},
		{"Garki", "Abuja"}, {"Old GRA", "Port Harcourt"}, {"Bodija", "Ibadan"}, {"Enugu North", "Enugu"}}
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

// ussdPersonKey is the key a USSD login's person is derived from, as the
// username is for the other methods: the phone number (Ada Obi's phone
// maps to user_good).
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
	email := strings.ToLower(first+"."+last) + "@example.com"
	id := hashOf("identity", key)
	middle := ""
	if id.uint(0)%3 != 0 {
		middle = middleNames[id.uint(1)%uint64(len(middleNames))]
	}
	gender := sdk.GenderMale
	if femaleNames[first] {
		gender = sdk.GenderFemale
	}
	born := time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(id.uint(2)%(40*365)))
	area := areas[id.uint(3)%uint64(len(areas))]
	address := fmt.Sprintf("%d %s, %s, %s", 1+id.uint(1)%120, streets[id.uint(2)%uint64(len(streets))], area[0], area[1])
	p := person{Identity: sdk.Identity{
		Name:      first + " " + last,
		BVN:       "22" + h.digits(3, 9),
		FirstName: first, MiddleName: middle, LastName: last,
		DateOfBirth: born.Format(time.DateOnly), Gender: gender, NIN: "4" + id.digits(0, 10),
		Phones: []string{phone}, Emails: []string{email}, Addresses: []string{address},
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
			Name:           p.Identity.Name,
			Type:           a.Type,
			Currency:       "NGN",
			AvailableMinor: &avail,
			LedgerMinor:    &ledger,
		})
	}
	return out, p
}
