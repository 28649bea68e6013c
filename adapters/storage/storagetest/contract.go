package storagetest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/ports"
)

// Run runs the contract cases of ports.Store, each against a fresh store
// from open. Implementations run it through ForEachDialect or Dialects.
func Run(t *testing.T, open func(t *testing.T) ports.Store) {
	cases := []struct {
		name string
		fn   func(t *testing.T, s ports.Store)
	}{
		{"Companies", testCompanies},
		{"Keys", testKeys},
		{"Banks", testBanks},
		{"Connectors", testConnectors},
		{"Customers", testCustomers},
		{"CustomerIdentifiers", testIdentifiers},
		{"Records", testRecords},
		{"Accounts", testAccounts},
		{"Auths", testAuths},
		{"AuthAccountsAgree", testAuthAccountsAgree},
		{"Balances", testBalances},
		{"ListPaginationAndDates", testListPages},
		{"TenantScoping", testScoping},
		{"TxCommitAndRollback", testTx},
		{"TxNested", testTxNested},
		{"LinkSessions", testLinkSessions},
		{"ShortLinksAndWebhooks", testShortLinksWebhooks},
		{"Idempotency", testIdempotency},
		{"IdempotencyLease", testIdempotencyLease},
		{"IdempotencyLeaseTakeoverRace", testIdempotencyTakeoverRace},
		{"OutboxClaim", testOutbox},
		{"OutboxConcurrentClaim", testOutboxConcurrent},
		{"OutboxPerEndpointClaim", testOutboxPerEndpoint},
		{"Jobs", testJobs},
		{"JobsClaimKind", testJobsClaimKind},
		{"Identities", testIdentities},
		{"Audit", testAudit},
		{"LinkTokens", testLinkTokens},
		{"LinkSessionPurge", testLinkSessionPurge},
		{"QuickLoginCounters", testQuickLoginCounters},
		{"BatchReads", testBatchReads},
		{"ListsWithCustomers", testListsWithCustomers},
		{"AccountRefs", testAccountRefs},
		{"BankReadsSeeWrites", testBankReadsSeeWrites},
		{"BankCodesAndHiddenNUBANs", testBankCodesAndHiddenNUBANs},
		{"Partners", testPartners},
		{"ProcessorTokens", testProcessorTokens},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.fn(t, open(t))
		})
	}
}

// base is the fixed clock of the suite.
var base = time.Date(2025, 3, 10, 12, 0, 0, 0, time.UTC)

func at(d time.Duration) time.Time { return base.Add(d) }

const day = 24 * time.Hour

var ctx = context.Background()

func scopeOf(company domain.ID, env domain.Env) domain.Scope {
	return domain.Scope{CompanyID: company, Env: env}
}

func must(t *testing.T, err error, what string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func wantKind(t *testing.T, err error, kind domain.Kind, what string) {
	t.Helper()
	if got := domain.KindOf(err); err == nil || got != kind {
		t.Fatalf("%s: error %v (kind %s), want kind %s", what, err, got, kind)
	}
}

func equal(t *testing.T, got, want any, what string) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %+v\n want %+v", what, got, want)
	}
}

func newCompany(t *testing.T, s ports.Store, name string) domain.Company {
	t.Helper()
	c := domain.Company{ID: domain.NewID(), Name: name, DuplicatePolicy: domain.DuplicateMerge, CreatedAt: base, UpdatedAt: base}
	must(t, s.Companies().Create(ctx, c), "create company")
	return c
}

func newCustomer(t *testing.T, s ports.Store, sc domain.Scope, created time.Time) domain.Customer {
	t.Helper()
	c := domain.Customer{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, Name: "Ada", CreatedAt: created, UpdatedAt: created}
	must(t, s.Customers().Create(ctx, c), "create customer")
	return c
}

func newRecord(t *testing.T, s ports.Store, sc domain.Scope, customer, bank domain.ID, created time.Time) domain.Record {
	t.Helper()
	r := domain.Record{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, CustomerID: customer, BankID: bank,
		Status: domain.RecordPending, Method: domain.MethodInternetBanking, Products: []string{"auth"}, CreatedAt: created, UpdatedAt: created}
	must(t, s.Records().Create(ctx, r), "create record")
	return r
}

func newAccount(sc domain.Scope, record domain.Record, nuban string, created time.Time) domain.Account {
	return domain.Account{ID: domain.NewID(), CompanyID: sc.CompanyID, Env: sc.Env, RecordID: record.ID, CustomerID: record.CustomerID,
		BankID: record.BankID, ConnectorRef: "ref-" + nuban, NUBAN: nuban, Name: "Ada Lovelace", Type: "savings",
		Currency: domain.CurrencyNGN, Connected: true, CreatedAt: created, UpdatedAt: created}
}

func ids[T any](items []T, id func(T) domain.ID) []domain.ID {
	out := make([]domain.ID, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

func nuban(i int) string { return fmt.Sprintf("%010d", 1000000000+i) }
