package auth

import (
	"fmt"
	"testing"
	"time"

	"github.com/bankauth/bankauth/core/domain"
)

func TestProducts(t *testing.T) {
	tests := []struct {
		in                   []string
		offered, unavailable string
		err                  bool
	}{
		{nil, "[auth]", "[]", false},
		{[]string{"auth", "identity", "balance", "transactions", "income"}, "[auth identity balance]", "[transactions income]", false},
		{[]string{" Balance ", "balance", "PAYMENTS"}, "[auth balance]", "[payments]", false},
		{[]string{"direct-debit", "auth"}, "[auth]", "[direct-debit]", false},
		{[]string{"auth", "horoscope"}, "", "", true},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.in), func(t *testing.T) {
			all, err := normalizeProducts(tc.in)
			if tc.err {
				if domain.KindOf(err) != domain.KindInvalid {
					t.Fatalf("want a 400 naming products, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			offered, unavailable := offeredProducts(all)
			if got := fmt.Sprint(offered, unavailable); got != tc.offered+" "+tc.unavailable {
				t.Fatalf("offered, unavailable = %s, want %s %s", got, tc.offered, tc.unavailable)
			}
		})
	}
}

func TestCheckExp(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		exp  string
		kind domain.Kind // "" for no error
	}{
		{"", ""},
		{"2026-03-01", ""}, // through the end of that day
		{"2026-02-28", domain.KindExpired},
		{"2026-03-01T11:59:59Z", domain.KindExpired},
		{"2026-03-01T12:00:01+00:00", ""},
		{"tomorrow", domain.KindInvalid},
	}
	for _, tc := range tests {
		err := checkExp(tc.exp, now)
		if (tc.kind == "" && err != nil) || (tc.kind != "" && domain.KindOf(err) != tc.kind) {
			t.Errorf("exp %q: %v, want kind %q", tc.exp, err, tc.kind)
		}
	}
}
