package okra

import (
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
	"github.com/bankauth/bankauth/core/reads"
)

// BenchmarkPresentAuthPage: presenting and writing a page of 100 auths
// that alternate between two banks and name fifty customers, as
// products/auths does (one Memo for the page); ns/row is the figure per
// auth.
func BenchmarkPresentAuthPage(b *testing.B) {
	banks := []*domain.Bank{
		{ID: domain.NewID(), Slug: "first-bank", Name: "First Bank of Nigeria", Status: "operational"},
		{ID: domain.NewID(), Slug: "gtbank", Name: "Guaranty Trust Bank"},
	}
	customers := make([]*domain.Customer, 50)
	for i := range customers {
		customers[i] = &domain.Customer{ID: domain.NewID(), Name: "Adaeze Okonkwo-Bello"}
	}
	at := time.Date(2026, 3, 4, 5, 6, 7, 891000000, time.UTC)
	page := make([]reads.Auth, 100)
	for i := range page {
		page[i] = reads.Auth{
			Auth: domain.Auth{ID: domain.NewID(), CompanyID: domain.NewID(), Env: domain.EnvSandbox, RecordID: domain.NewID(),
				Validated: true, AccountIDs: []domain.ID{domain.NewID(), domain.NewID()}, CreatedAt: at, UpdatedAt: at},
			Bank: banks[i%2], Customer: customers[i%50],
		}
	}
	var buf []byte
	for b.Loop() {
		buf = buf[:0]
		var m Memo
		for _, v := range page {
			buf = PresentAuth(v).AppendRow(buf, &m)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(page)), "ns/row")
	b.ReportMetric(float64(len(buf))/float64(len(page)), "bytes/row")
}
