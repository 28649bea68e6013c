package storage

import (
	"strings"
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

// TestInOrder: rows a join delivered in any order are put back in the
// page's order, newest first and ties by id descending, with the keys and
// names that go with them.
func TestInOrder(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	want := []pageRow{
		{ID: "00000000000000000000000c", CreatedAt: t0.Add(time.Microsecond)},
		{ID: "ffffffffffffffffffffffff", CreatedAt: t0},
		{ID: "aa0000000000000000000000", CreatedAt: t0},
		{ID: "a00000000000000000000000", CreatedAt: t0},
		{ID: "0000000000000000000000ff", CreatedAt: t0},
		{ID: "000000000000000000000001", CreatedAt: t0.Add(-time.Hour)},
	}
	for _, perm := range [][]int{{0, 1, 2, 3, 4, 5}, {5, 4, 3, 2, 1, 0}, {2, 0, 4, 1, 5, 3}, {1, 2, 3, 4, 0, 5}} {
		var rows []domain.Auth
		var keys []pageRow
		var names []string
		for _, j := range perm {
			rows = append(rows, domain.Auth{ID: want[j].ID})
			keys = append(keys, want[j])
			names = append(names, "name of "+want[j].ID)
		}
		rows, keys, names = inOrder(rows, keys, names)
		for i, k := range want {
			if rows[i].ID != k.ID || keys[i] != k || names[i] != "name of "+k.ID {
				t.Fatalf("from %v: position %d holds %s, %v, %q; want %s", perm, i, rows[i].ID, keys[i], names[i], k.ID)
			}
		}
	}
}

// TestIDList: a row's ids and its customer's name joined with commas go
// back to their fields, the name whole whatever it holds, and a column
// with too few fields is refused, not spread.
func TestIDList(t *testing.T) {
	var a, b, c, name string
	l := idList{ids: []*string{&a, &b, &c}, name: &name}
	for _, in := range []any{"x1,y2,z3,Ada, Obi", []byte("x1,y2,z3,Ada, Obi")} {
		a, b, c, name = "", "", "", ""
		if err := l.Scan(in); err != nil || a != "x1" || b != "y2" || c != "z3" || name != "Ada, Obi" {
			t.Fatalf("Scan(%q) = %q %q %q %q, %v", in, a, b, c, name, err)
		}
	}
	if err := l.Scan("x1,y2,z3,"); err != nil || c != "z3" || name != "" {
		t.Fatalf("no name: %q %q, %v", c, name, err)
	}
	for _, bad := range []any{"x1,y2,z3", "x1,y2", "", nil, int64(1)} {
		if err := l.Scan(bad); err == nil {
			t.Fatalf("Scan(%#v) took it: %q %q %q %q", bad, a, b, c, name)
		}
	}
}

// TestNamedPagesPackTheirIDs: each named page sends its leading id
// columns, and only those, joined with the customer's name.
func TestNamedPagesPackTheirIDs(t *testing.T) {
	for _, c := range []struct {
		np   namedPage
		want string
	}{
		{authsNamed, "auths.id || ',' || auths.record_id || ',' || auths.customer_id || ',' || auths.bank_id || ',' || " + customerName + ", auths.validated"},
		{accountsNamed, "accounts.id || ',' || accounts.record_id || ',' || accounts.customer_id || ',' || accounts.bank_id || ',' || " + customerName + ", accounts.nuban"},
		{balancesNamed, "balances.id || ',' || balances.account_id || ',' || balances.record_id || ',' || balances.customer_id || ',' || " + customerName + ", balances.available"},
		{recordsNamed, "records.id || ',' || records.customer_id || ',' || records.bank_id || ',' || " + customerName + ", records.status"},
	} {
		if !strings.HasPrefix(c.np.cols, c.want) {
			t.Errorf("columns %q, want them to start %q", c.np.cols, c.want)
		}
	}
}

// TestPageKeys: a named page reads each row's order and customer from the
// destinations of its id, customer_id and created_at columns, and refuses
// destinations of another type.
func TestPageKeys(t *testing.T) {
	np := newNamedPage("t", "id, customer_id, bank_id, created_at")
	var id, customer, bank string
	var created dbTime
	key, err := np.pageKeys([]any{&id, &customer, &bank, &created})
	if err != nil {
		t.Fatal(err)
	}
	when := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	id, customer, created.Time = "a1", "c1", when
	if got, want := key(), (pageRow{"a1", "c1", when}); got != want {
		t.Fatalf("key %+v, want %+v", got, want)
	}
	var createdText string
	if _, err := np.pageKeys([]any{&id, &customer, &bank, &createdText}); err == nil {
		t.Fatal("created_at read into a string: no error")
	}
	if _, err := newNamedPage("t", "id, bank_id").pageKeys([]any{&id, &bank}); err == nil {
		t.Fatal("no customer_id column: no error")
	}
}
