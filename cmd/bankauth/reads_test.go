package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bankauth/bankauth/adapters/storage"
	"github.com/bankauth/bankauth/adapters/storage/storagetest"
	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden responses under testdata/golden/reads")

// readsBase is the fixed clock of the read-side dataset.
var readsBase = time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)

// readsData is what seedReads wrote: fixed ids a test can ask for.
type readsData struct {
	scope domain.Scope
	// many is the customer with readsManyAuths auths.
	many      domain.ID
	auth      domain.ID
	account   domain.ID
	record    domain.ID
	balance   domain.ID
	bank      domain.ID
	customers int
}

// readsManyAuths is how many auths the busiest customer has: more than a
// full page of 100.
const readsManyAuths = 101

// fixedID is a deterministic id: a kind byte and a serial number.
func fixedID(kind byte, n int) domain.ID { return fmt.Sprintf("%02x%022x", kind, n) }

// seedReads writes a deterministic dataset into the scope through the
// store, in one transaction: three banks; singles customers with one
// record, two accounts, an auth and balances each (every tenth also a
// failed record without an auth or accounts); and one customer with
// readsManyAuths records, each with an account, an auth and a balance.
// Only the company id is not fixed.
func seedReads(t testing.TB, store ports.Store, scope domain.Scope, singles int) readsData {
	t.Helper()
	ctx := context.Background()
	d := readsData{scope: scope}
	err := store.WithinTx(ctx, func(ctx context.Context, tx ports.Repos) error {
		clock := readsBase
		tick := func() time.Time { clock = clock.Add(time.Minute + 1234*time.Microsecond); return clock }
		var banks []domain.Bank
		for i, status := range []string{"", domain.BankOperational, "degraded"} {
			b, err := tx.Banks().Upsert(ctx, domain.Bank{ID: fixedID(0xba, i+1), Slug: fmt.Sprintf("reads-bank-%c", 'a'+i),
				Name: fmt.Sprintf("Reads Bank %c", 'A'+i), Country: "NG", Connector: "reads", Methods: []domain.LoginMethod{"internet_banking"},
				Products: []string{"auth", "balance"}, Status: status, CreatedAt: readsBase, UpdatedAt: readsBase})
			if err != nil {
				return fmt.Errorf("bank: %w", err)
			}
			banks = append(banks, b)
		}
		d.bank = banks[0].ID
		serial := 0
		next := func(kind byte) domain.ID { serial++; return fixedID(kind, serial) }
		link := func(cu domain.Customer, bank domain.Bank, accounts int, withAuth bool, status domain.RecordStatus) error {
			at := tick()
			rec := domain.Record{ID: next(0x7e), CompanyID: scope.CompanyID, Env: scope.Env, CustomerID: cu.ID, BankID: bank.ID,
				Status: status, Method: domain.MethodInternetBanking, Products: []string{"auth", "balance"}, CreatedAt: at, UpdatedAt: at.Add(time.Second)}
			if err := tx.Records().Create(ctx, rec); err != nil {
				return fmt.Errorf("record: %w", err)
			}
			var ids []domain.ID
			for k := 0; k < accounts; k++ {
				a, _, err := tx.Accounts().Upsert(ctx, domain.Account{ID: next(0xac), CompanyID: scope.CompanyID, Env: scope.Env,
					RecordID: rec.ID, CustomerID: cu.ID, BankID: bank.ID, ConnectorRef: fmt.Sprintf("ref-%d", serial),
					NUBAN: fmt.Sprintf("%010d", 2000000000+serial), Name: cu.Name, Type: []string{"savings", "current"}[k%2],
					Currency: domain.CurrencyNGN, Connected: serial%7 != 0, CreatedAt: tick(), UpdatedAt: clock})
				if err != nil {
					return fmt.Errorf("account: %w", err)
				}
				// Newest first, so the stored order differs from creation order.
				ids = append([]domain.ID{a.ID}, ids...)
				for n := 0; n < 1+serial%3; n++ {
					bal := domain.Balance{ID: next(0xb0), CompanyID: scope.CompanyID, Env: scope.Env, AccountID: a.ID, RecordID: rec.ID,
						CustomerID: cu.ID, Available: domain.Minor(100000 + serial*137), Ledger: domain.Minor(120000 + serial*91),
						Currency: domain.CurrencyNGN, AsOf: tick(), CreatedAt: clock}
					if err := tx.Balances().Add(ctx, bal); err != nil {
						return fmt.Errorf("balance: %w", err)
					}
					d.balance = bal.ID
				}
				d.account = a.ID
			}
			if withAuth {
				au, _, err := tx.Auths().Upsert(ctx, domain.Auth{ID: next(0xa0), CompanyID: scope.CompanyID, Env: scope.Env, RecordID: rec.ID,
					CustomerID: cu.ID, BankID: bank.ID, Validated: serial%5 != 0, ValidationNote: map[bool]string{true: "bvn mismatch"}[serial%5 == 0],
					AccountIDs: ids, CreatedAt: tick(), UpdatedAt: clock.Add(time.Hour)})
				if err != nil {
					return fmt.Errorf("auth: %w", err)
				}
				d.auth, d.record = au.ID, rec.ID
			}
			return nil
		}
		customer := func(name string) (domain.Customer, error) {
			at := tick()
			cu := domain.Customer{ID: next(0xc0), CompanyID: scope.CompanyID, Env: scope.Env, Name: name, CreatedAt: at, UpdatedAt: at}
			if err := tx.Customers().Create(ctx, cu); err != nil {
				return cu, fmt.Errorf("customer: %w", err)
			}
			return cu, nil
		}
		many, err := customer("Many Accounts Ltd")
		if err != nil {
			return err
		}
		d.many = many.ID
		for i := 0; i < readsManyAuths; i++ {
			if err := link(many, banks[i%len(banks)], 1, true, domain.RecordSuccess); err != nil {
				return err
			}
		}
		for i := 0; i < singles; i++ {
			cu, err := customer(fmt.Sprintf("Customer %03d", i))
			if err != nil {
				return err
			}
			if i%10 == 0 {
				if err := link(cu, banks[(i+1)%len(banks)], 0, false, domain.RecordFailed); err != nil {
					return err
				}
			}
			if err := link(cu, banks[i%len(banks)], 2, true, domain.RecordSuccess); err != nil {
				return err
			}
		}
		d.customers = singles + 1
		return nil
	})
	if err != nil {
		t.Fatalf("seed the read-side dataset: %v", err)
	}
	return d
}

// readCase is one read request of the golden and query-count tests.
type readCase struct {
	name, path string
	body       func(d readsData) any
}

func page(n, limit int) func(readsData) any {
	return func(readsData) any { return map[string]any{"page": n, "limit": limit} }
}

// readCases are the read routes whose bodies must not change.
var readCases = []readCase{
	{"auths-limit-1", "products/auths", page(1, 1)},
	{"auths-limit-100", "products/auths", page(1, 100)},
	{"auths-page-3-of-7", "products/auths", page(3, 7)},
	{"auths-past-the-end", "products/auths", page(40, 100)},
	{"auth-getById", "auth/getById", func(d readsData) any { return map[string]any{"id": d.auth} }},
	{"auth-getByCustomer-100", "auth/getByCustomer", func(d readsData) any { return map[string]any{"customer": d.many, "limit": 100} }},
	{"auth-getByCustomer-page-2", "auth/getByCustomer", func(d readsData) any { return map[string]any{"customer": d.many, "limit": 100, "page": 2} }},
	{"auth-getByBank", "auth/getByBank", func(d readsData) any { return map[string]any{"bank": d.bank, "limit": 30} }},
	{"auth-getByDate", "auth/getByDate", func(d readsData) any {
		return map[string]any{"from": "2025-04-01", "to": "2025-04-01", "limit": 100}
	}},
	{"accounts-limit-100", "products/accounts", page(1, 100)},
	{"accounts-page-2", "products/accounts", page(2, 100)},
	{"account-getById", "accounts/getById", func(d readsData) any { return map[string]any{"id": d.account} }},
	{"accounts-getByCustomer", "accounts/getByCustomer", func(d readsData) any { return map[string]any{"customer": d.many, "limit": 100} }},
	{"balances-limit-100", "products/balances", page(1, 100)},
	{"balances-limit-1", "products/balances", page(1, 1)},
	{"balance-getById", "balance/getById", func(d readsData) any { return map[string]any{"id": d.balance} }},
	{"balance-getByCustomer", "balance/getByCustomer", func(d readsData) any { return map[string]any{"customer": d.many, "limit": 100} }},
	{"customers-limit-100", "customers/list", page(1, 100)},
	{"customers-page-2", "customers/list", page(2, 100)},
	{"customer-get", "customers/get", func(d readsData) any { return map[string]any{"customer": d.many} }},
	{"records-limit-100", "records/list", page(1, 100)},
	{"records-page-3", "records/list", page(3, 100)},
	{"record-get", "products/records/get", func(d readsData) any { return map[string]any{"record_id": d.record} }},
}

// readsServer starts the program on db and seeds the dataset for a new
// company's sandbox.
func readsServer(t testing.TB, dbConfig func(testing.TB) storage.Config, singles int) (*testServer, string, readsData) {
	t.Helper()
	ts := startServer(t, dbConfig(t), nil)
	keys := ts.newCompany("Reads Co")
	d := seedReads(t, ts.Store, domain.Scope{CompanyID: keys.Company.ID, Env: domain.EnvSandbox}, singles)
	if err := ts.Store.Analyze(context.Background()); err != nil {
		t.Fatalf("analyze the seeded database: %v", err)
	}
	return ts, keys.Sandbox.SecretKey, d
}

// readsSingles is the number of one-auth customers in the test dataset:
// with the busy customer, more than a full page of everything.
const readsSingles = 105

// TestReadGoldens holds the read routes' bodies byte for byte to the
// golden files, the same files on both databases (go test -run
// TestReadGoldens -update rewrites them from SQLite and holds PostgreSQL to
// them). The company id, the one random id, is written as {{company}}.
func TestReadGoldens(t *testing.T) {
	dir := filepath.Join("..", "..", "testdata", "golden", "reads")
	for i, target := range storagetest.Configs() {
		t.Run(target.Name, func(t *testing.T) {
			ts, key, d := readsServer(t, target.Config, readsSingles)
			write := *updateGolden && i == 0
			if write {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			for _, c := range readCases {
				t.Run(c.name, func(t *testing.T) {
					r := ts.call("POST", "/v2/sandbox/"+c.path, key, c.body(d))
					if r.Status != 200 {
						t.Fatalf("%s: %d %s", c.path, r.Status, r.Body)
					}
					got := bytes.ReplaceAll(r.Body, []byte(d.scope.CompanyID), []byte("{{company}}"))
					file := filepath.Join(dir, c.name+".json")
					if write {
						if err := os.WriteFile(file, got, 0o644); err != nil {
							t.Fatal(err)
						}
						return
					}
					want, err := os.ReadFile(file)
					if err != nil {
						t.Fatalf("read golden (run with -update to create it): %v", err)
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("%s differs from %s:\n%s", c.path, file, firstDiff(got, want))
					}
				})
			}
		})
	}
}

// firstDiff shows where two bodies part.
func firstDiff(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-120)
	clip := func(b []byte) string { return strings.TrimSpace(string(b[from:min(len(b), i+120)])) }
	return fmt.Sprintf("at byte %d (got %d bytes, want %d)\n got: …%s…\nwant: …%s…", i, len(got), len(want), clip(got), clip(want))
}

// TestReadQueryCounts counts the statements each read request sends to the
// database and holds every list to a fixed number, the same at 1 row and at
// 100, so a query per row cannot come back unnoticed. Only statements sent
// with a request's context are counted, not the background workers'.
func TestReadQueryCounts(t *testing.T) {
	limit := func(n int, extra func(readsData) map[string]any) func(readsData) any {
		return func(d readsData) any {
			m := map[string]any{"page": 1, "limit": n}
			if extra != nil {
				for k, v := range extra(d) {
					m[k] = v
				}
			}
			return m
		}
	}
	ofMany := func(d readsData) map[string]any { return map[string]any{"customer": d.many} }
	cases := []struct {
		name, path string
		extra      func(readsData) map[string]any
		single     func(readsData) any // a get route: no page sizes
		max        int
	}{
		{name: "products/auths", path: "products/auths", max: 1},                        // page with account ids and customer names
		{name: "auth/getByCustomer", path: "auth/getByCustomer", extra: ofMany, max: 2}, // customer, page with account ids
		{name: "products/accounts", path: "products/accounts", max: 1},                  // page with customer names
		{name: "products/balances", path: "products/balances", max: 2},                  // page with customer names, accounts
		{name: "customers/list", path: "customers/list", max: 1},                        // page
		{name: "records/list", path: "records/list", max: 3},                            // page with customer names, account ids, auth ids
		{name: "auth/getById", path: "auth/getById", max: 2, // auth with its accounts, customer
			single: func(d readsData) any { return map[string]any{"id": d.auth} }},
		{name: "products/records/get", path: "products/records/get", max: 4, // record, customer, accounts, auth
			single: func(d readsData) any { return map[string]any{"record_id": d.record} }},
	}
	for _, target := range storagetest.Configs() {
		t.Run(target.Name, func(t *testing.T) {
			ts, key, d := readsServer(t, target.Config, readsSingles)
			var counting atomic.Bool
			var n atomic.Int64
			ts.Store.OnQuery(func(ctx context.Context, _ string) {
				// Requests' contexts carry their server; workers' do not.
				if counting.Load() && ctx.Value(http.ServerContextKey) != nil {
					n.Add(1)
				}
			})
			t.Cleanup(func() { ts.Store.OnQuery(nil) })
			count := func(path string, body any) (int, int) {
				t.Helper()
				n.Store(0)
				counting.Store(true)
				r := ts.call("POST", "/v2/sandbox/"+path, key, body)
				counting.Store(false)
				if r.Status != 200 {
					t.Fatalf("%s: %d %s", path, r.Status, r.Body)
				}
				items := 0
				if data, ok := r.JSON["data"].(map[string]any); ok {
					for k, v := range data {
						switch v := v.(type) {
						case []any:
							if k != "pagination" {
								items = len(v)
							}
						case map[string]any:
							// A single object (products/records/get answers
							// Okra's one-record shape).
							if k != "pagination" && v["id"] != nil {
								items = 1
							}
						}
					}
				}
				return int(n.Load()), items
			}
			// Warm what is cached across requests (the key, the banks).
			count("customers/list", limit(1, nil)(d))
			count("auth/getById", map[string]any{"id": d.auth})
			for _, c := range cases {
				t.Run(strings.ReplaceAll(c.name, "/", "-"), func(t *testing.T) {
					if c.single != nil {
						got, items := count(c.path, c.single(d))
						if items != 1 || got > c.max {
							t.Fatalf("%s: %d queries for %d item, want at most %d", c.path, got, items, c.max)
						}
						return
					}
					one, items1 := count(c.path, limit(1, c.extra)(d))
					hundred, items100 := count(c.path, limit(100, c.extra)(d))
					if items1 != 1 || items100 != 100 {
						t.Fatalf("%s: pages of %d and %d items, want 1 and 100", c.path, items1, items100)
					}
					if hundred > c.max || one != hundred {
						t.Fatalf("%s: %d queries for 1 row, %d for 100 rows, want the same and at most %d", c.path, one, hundred, c.max)
					}
				})
			}
		})
	}
}
