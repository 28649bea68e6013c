package identity

import (
	"fmt"
	"strings"
	"testing"

	"github.com/bankauth/bankauth/core/domain"
)

// people are real-looking Nigerian names: first, middle (may be empty),
// last.
var people = [][3]string{
	{"Ada", "", "Obi"}, {"Chidi", "", "Okeke"}, {"Oluwaseun", "Adebayo", "Ogunleye"}, {"Ngozi", "Chiamaka", "Eze"},
	{"Ibrahim", "Musa", "Danjuma"}, {"Aisha", "", "Bello"}, {"Emeka", "Chukwudi", "Nwosu"}, {"Funmilayo", "Adeola", "Adeyemi"},
	{"Tunde", "", "Bakare"}, {"Halima", "Zainab", "Usman"}, {"Chinedu", "Ikenna", "Okafor"}, {"Yetunde", "Omolara", "Balogun"},
	{"Abubakar", "Sadiq", "Yusuf"}, {"Nkechi", "", "Anyanwu"}, {"Olumide", "Babatunde", "Fashola"}, {"Amaka", "Ifeoma", "Chukwu"},
	{"Kelechi", "Obinna", "Ibe"}, {"Folake", "", "Ogundipe"}, {"Musa", "Garba", "Abdullahi"}, {"Temitope", "Oluwakemi", "Ajayi"},
	{"Uchenna", "", "Madu"}, {"Zainab", "Hadiza", "Lawal"}, {"Segun", "Olawale", "Adeleke"}, {"Ifeanyi", "Chibuzor", "Onyeka"},
	{"Bisola", "", "Akinwale"}, {"Nnamdi", "Kenechukwu", "Okonkwo"}, {"Hauwa", "", "Mohammed"}, {"Adaeze", "Chinwe", "Okoro"},
	{"Gbenga", "Oluwafemi", "Oyelaran"}, {"Chioma", "Blessing", "Nwachukwu"}, {"Yakubu", "", "Sani"}, {"Omotola", "Jolade", "Ekeinde"},
	{"Obiageli", "", "Ezekwesili"}, {"Babajide", "Olusola", "Sanwo"}, {"Efosa", "", "Osagie"}, {"Ebele", "Nneka", "Obiora"},
	{"Damilola", "Esther", "Adegbite"}, {"Aminu", "", "Kano"}, {"Ikechukwu", "Samuel", "Uzor"}, {"Titilayo", "Mojisola", "Oladipo"},
}

func personOf(n [3]string) domain.Person {
	return domain.Person{FirstName: n[0], MiddleName: n[1], LastName: n[2],
		FullName: strings.Join(strings.Fields(n[0]+" "+n[1]+" "+n[2]), " ")}
}

var accents = strings.NewReplacer("a", "á", "e", "ẹ", "o", "ọ", "i", "í", "u", "ú")

// typo swaps two letters in the middle of the longest part.
func typo(n [3]string) [3]string {
	i := 0
	for j := range n {
		if len(n[j]) > len(n[i]) {
			i = j
		}
	}
	b := []byte(n[i])
	if len(b) >= 7 {
		k := len(b) / 2
		b[k], b[k+1] = b[k+1], b[k]
	}
	n[i] = string(b)
	return n
}

// trueClaims are ways a careful person writes the same name.
func trueClaims(n [3]string) []string {
	f, m, l := n[0], n[1], n[2]
	fm := strings.TrimSpace(f + " " + m)
	out := []string{
		fm + " " + l,
		strings.ToUpper(fm + " " + l),
		strings.ToUpper(l) + ", " + fm,
		l + " " + f,
		strings.ToLower(f + " " + l),
		"Mr " + f + " " + l,
		"Mrs. " + fm + " " + l,
		"Dr " + l + " " + f,
		"Chief " + f + " " + l + " (JP)",
		"Alhaji " + fm + " " + l,
		accents.Replace(f) + " " + accents.Replace(l),
		"  " + f + "   " + l + ".  ",
		f + "-" + l,
		l + ", " + f,
	}
	if m != "" {
		out = append(out, f+" "+m[:1]+". "+l, l+" "+f+" "+m[:1], strings.ToUpper(l)+" "+f+" "+m[:1]+".")
	} else {
		out = append(out, f+" Chukwudi "+l) // the bank has no middle name; the claim does
	}
	if t := typo(n); t != n {
		out = append(out, strings.Join(strings.Fields(t[0]+" "+t[1]+" "+t[2]), " "))
	}
	return out
}

// falseClaims are names of someone else, judged against person i.
func falseClaims(i int) []string {
	n := people[i]
	var out []string
	for j, o := range people {
		if j == i {
			continue
		}
		out = append(out, strings.Join(strings.Fields(o[0]+" "+o[1]+" "+o[2]), " "))
		if o[2] != n[2] {
			out = append(out, n[0]+" "+o[2], n[0]+" "+n[1]+" "+o[2]) // same first name, another family
		}
		if o[0] != n[0] {
			out = append(out, o[0]+" "+n[2]) // a sibling: same surname
		}
	}
	out = append(out, n[0], n[2], n[0][:1]+". "+n[2]) // too little to tell
	return out
}

type rates struct {
	trues, falseRejects, falses, falseMatches int
	strangerScoreMax                          int
}

func (r rates) String() string {
	return fmt.Sprintf("%d true pairs, %d false rejects (%.2f%%); %d false pairs, %d false matches (%.2f%%); highest stranger score %d",
		r.trues, r.falseRejects, 100*float64(r.falseRejects)/float64(r.trues),
		r.falses, r.falseMatches, 100*float64(r.falseMatches)/float64(r.falses), r.strangerScoreMax)
}

func nameRates(t *testing.T) rates {
	var r rates
	for i, n := range people {
		p := personOf(n)
		for _, c := range trueClaims(n) {
			r.trues++
			if got := MatchName(c, p); !got.Match {
				r.falseRejects++
				t.Logf("false reject: %q vs %q: %+v", c, p.FullName, got)
			}
		}
		for j, c := range falseClaims(i) {
			r.falses++
			got := MatchName(c, p)
			if got.Match {
				r.falseMatches++
				t.Logf("false match: %q vs %q: %+v", c, p.FullName, got)
			}
			if j < 2*len(people) && strings.Count(c, " ") >= 1 && got.Score > r.strangerScoreMax && !sharesWord(c, p) {
				r.strangerScoreMax = got.Score
			}
		}
	}
	return r
}

func sharesWord(c string, p domain.Person) bool {
	for _, w := range words(c) {
		for _, pt := range reportedParts(p) {
			if w == pt.word {
				return true
			}
		}
	}
	return false
}

// TestNameMatchRates runs several hundred generated pairs and reports the
// false-match and false-reject rates on them.
func TestNameMatchRates(t *testing.T) {
	r := nameRates(t)
	t.Logf("name matcher: %s", r)
	if r.trues < 300 || r.falses < 1000 {
		t.Fatalf("the table is too small to say anything: %s", r)
	}
	if r.falseMatches > 0 {
		t.Errorf("false matches: %s", r)
	}
	if float64(r.falseRejects) > 0.01*float64(r.trues) {
		t.Errorf("more than 1%% false rejects: %s", r)
	}
	if r.strangerScoreMax >= 40 {
		t.Errorf("a stranger sharing no name scored %d, want under 40", r.strangerScoreMax)
	}
}

var ada = domain.Person{FullName: "Ada Obi", FirstName: "Ada", LastName: "Obi", DOB: "1990-01-15", Gender: "female",
	BVN: "22222222222", NIN: "40000000001", Phones: []string{"08000000001"}, Emails: []string{"ada.obi@example.com"},
	Addresses: []string{"12 Marina Road, Lagos Island, Lagos"}}

var adaNgozi = domain.Person{FirstName: "Ada", MiddleName: "Ngozi", LastName: "Obi"}

func TestMatchFields(t *testing.T) {
	cases := []struct {
		name   string
		claim  Claim
		person domain.Person
		field  string
		match  bool
		min    int // the score is at least min …
		max    int // … and at most max
	}{
		{"exact name", Claim{Name: "Ada Obi"}, ada, FieldName, true, 100, 100},
		{"order and case", Claim{Name: "OBI, Ada"}, ada, FieldName, true, 100, 100},
		{"diacritics", Claim{Name: "Adá Obí"}, ada, FieldName, true, 100, 100},
		{"yoruba dots below", Claim{Name: "Ọlá Àdìsá"}, domain.Person{FullName: "Ola Adisa"}, FieldName, true, 100, 100},
		{"honorifics", Claim{Name: "Mrs. Ada Obi"}, ada, FieldName, true, 100, 100},
		{"honorifics after", Claim{Name: "Obi Ada (Dr)"}, ada, FieldName, true, 100, 100},
		{"middle initial", Claim{Name: "Ada N. Obi"}, adaNgozi, FieldName, true, 90, 99},
		{"missing middle name", Claim{Name: "Ada Obi"}, adaNgozi, FieldName, true, 80, 95},
		{"middle name the bank lacks", Claim{Name: "Ada Ngozi Obi"}, ada, FieldName, true, 80, 95},
		{"wrong middle initial", Claim{Name: "Ada K. Obi"}, adaNgozi, FieldName, true, 80, 92},
		{"only the full name at the bank", Claim{Name: "obi ada ngozi"}, domain.Person{FullName: "ADA NGOZI OBI"}, FieldName, true, 100, 100},
		{"a variant spelling", Claim{Name: "Mohammed Abubakar"}, domain.Person{FullName: "Muhammad Abubakar"}, FieldName, true, 95, 99},
		{"written apart", Claim{Name: "Abdul Rahman Bello"}, domain.Person{FirstName: "Abdulrahman", LastName: "Bello"}, FieldName, true, 100, 100},
		{"a stranger", Claim{Name: "Chidi Okeke"}, ada, FieldName, false, 0, 10},
		{"a sibling", Claim{Name: "Chidi Obi"}, ada, FieldName, false, 30, 60},
		{"a namesake of another family", Claim{Name: "Ada Okafor"}, ada, FieldName, false, 30, 60},
		{"a first name alone", Claim{Name: "Ada"}, ada, FieldName, false, 30, 60},
		{"an initial for the first name", Claim{Name: "A. Obi"}, ada, FieldName, false, 40, 79},
		{"titles alone", Claim{Name: "Mr"}, ada, FieldName, false, 0, 0},

		{"a local phone", Claim{Phone: "08000000001"}, ada, FieldPhone, true, 100, 100},
		{"an E.164 phone", Claim{Phone: "+234 800 000 0001"}, ada, FieldPhone, true, 100, 100},
		{"234 without plus", Claim{Phone: "2348000000001"}, ada, FieldPhone, true, 100, 100},
		{"another phone", Claim{Phone: "08000000002"}, ada, FieldPhone, false, 0, 0},
		{"email in capitals", Claim{Email: "Ada.Obi@Example.COM"}, ada, FieldEmail, true, 100, 100},
		{"gmail dots", Claim{Email: "adaobi+bank@gmail.com"}, domain.Person{Emails: []string{"ada.obi@gmail.com"}}, FieldEmail, true, 90, 95},
		{"dots elsewhere matter", Claim{Email: "adaobi@example.com"}, ada, FieldEmail, false, 0, 0},
		{"another provider", Claim{Email: "ada.obi@yahoo.com"}, ada, FieldEmail, false, 1, 40},
		{"date of birth", Claim{DOB: "1990-01-15"}, ada, FieldDOB, true, 100, 100},
		{"date of birth, a day off", Claim{DOB: "1990-01-16"}, ada, FieldDOB, false, 0, 0},
		{"day and month swapped", Claim{DOB: "1990-15-01"}, ada, FieldDOB, false, 0, 0},
		{"no date at the bank", Claim{DOB: "1990-01-15"}, adaNgozi, FieldDOB, false, 0, 0},
		{"bvn", Claim{BVN: "22222222222"}, ada, FieldBVN, true, 100, 100},
		{"another bvn", Claim{BVN: "22222222223"}, ada, FieldBVN, false, 0, 0},
		{"nin", Claim{NIN: "40000000001"}, ada, FieldNIN, true, 100, 100},
		{"no nin at the bank", Claim{NIN: "40000000001"}, adaNgozi, FieldNIN, false, 0, 0},
		{"the address", Claim{Address: "12 Marina Road, Lagos Island, Lagos"}, ada, FieldAddress, true, 100, 100},
		{"abbreviated and shorter", Claim{Address: "No. 12, Marina Rd, Lagos"}, ada, FieldAddress, true, 85, 99},
		{"another house", Claim{Address: "14 Marina Road, Lagos Island, Lagos"}, ada, FieldAddress, false, 0, 50},
		{"another street", Claim{Address: "5 Allen Avenue, Ikeja, Lagos"}, ada, FieldAddress, false, 0, 35},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Match(tc.claim, tc.person)
			r, ok := got[tc.field]
			if !ok || len(got) != 1 {
				t.Fatalf("want exactly the %s field, got %+v", tc.field, got)
			}
			if r.Match != tc.match || r.Score < tc.min || r.Score > tc.max {
				t.Errorf("%+v vs %+v: %s = %+v, want match %v and a score in [%d, %d]", tc.claim, tc.person, tc.field, r, tc.match, tc.min, tc.max)
			}
		})
	}
}

func TestMatchAnswersEverySuppliedField(t *testing.T) {
	got := Match(Claim{Name: "Ada Obi", Phone: "08000000001", Email: "x@y.z", DOB: "1990-01-15", BVN: "1", NIN: "2", Address: "Lagos"}, ada)
	if len(got) != 7 {
		t.Fatalf("%d fields answered, want 7: %+v", len(got), got)
	}
	if got := Match(Claim{}, ada); len(got) != 0 {
		t.Fatalf("nothing supplied, %d fields answered", len(got))
	}
	score, verified := Overall(map[string]Result{FieldName: {Score: 100, Match: true}, FieldDOB: {Score: 0}})
	if score != 50 || verified {
		t.Fatalf("overall %d %v, want 50 false", score, verified)
	}
}
