package identity

import (
	"reflect"
	"testing"

	"github.com/bankauth/bankauth/core/domain"
)

func TestChangedFields(t *testing.T) {
	cases := []struct {
		name string
		b    func(*domain.Person)
		want []string
	}{
		{"nothing", func(*domain.Person) {}, nil},
		{"a new phone", func(p *domain.Person) { p.Phones = append(p.Phones, "08011111111") }, []string{"phone"}},
		{"moved house and married", func(p *domain.Person) {
			p.LastName, p.Addresses = "Okafor", []string{"5 Allen Avenue, Ikeja, Lagos"}
		}, []string{"lastname", "address"}},
		{"empty lists are empty", func(p *domain.Person) { p.NIN, p.Emails = "", []string{} }, []string{"nin"}},
	}
	for _, tc := range cases {
		b := ada
		b.Phones = append([]string(nil), ada.Phones...)
		tc.b(&b)
		a := ada
		if tc.name == "empty lists are empty" {
			a.Emails = nil
		}
		if got := changedFields(a, b); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestIdentifiersAreNormalised(t *testing.T) {
	p := domain.Person{BVN: "22222222222", NIN: "bad", Phones: []string{"08000000001", "+2348000000001", "0800"},
		Emails: []string{"Ada.Obi@Example.com"}}
	want := []IdentifierValue{{domain.IdentBVN, "22222222222"}, {domain.IdentPhone, "+2348000000001"}, {domain.IdentEmail, "ada.obi@example.com"}}
	if got := Identifiers(p); !reflect.DeepEqual(got, want) {
		t.Fatalf("identifiers %v, want %v", got, want)
	}
}

func TestMergeOwnerKeepsWhatTheLoginDoesNotSay(t *testing.T) {
	owner := domain.PersonFromOwner(domain.BankOwner{Name: "ADA OBI", Phone: "08000000009"})
	got := mergeOwner(ada, owner)
	if got.DOB != ada.DOB || got.FullName != "ADA OBI" || !reflect.DeepEqual(got.Phones, []string{"08000000001", "08000000009"}) {
		t.Fatalf("merged %+v", got)
	}
}
