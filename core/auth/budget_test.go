package auth

import (
	"fmt"
	"testing"
	"time"
)

// TestBucketsForgetOnlyWhatRefilled: a flood of made-up keys must not
// hand an attacker's own, spent bucket a fresh burst while the flood's
// buckets are still refilling; refilled buckets are what go first.
func TestBucketsForgetOnlyWhatRefilled(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	slow := Budget{Rate: 1.0 / 60, Burst: 1} // one a minute
	var bs buckets
	if ok, _ := bs.take("attacker", slow, now); !ok {
		t.Fatal("the first attempt should pass")
	}
	// Old buckets that have long refilled fill the map up to its bound.
	old := now.Add(-time.Hour)
	for i := range maxBuckets - 1 {
		bs.take(fmt.Sprint("old-", i), slow, old)
	}
	// A new key arrives: the refilled ones go, the attacker's stays spent.
	if ok, _ := bs.take("newcomer", slow, now); !ok {
		t.Fatal("a newcomer should get its burst")
	}
	if ok, wait := bs.take("attacker", slow, now); ok || wait <= 0 {
		t.Fatalf("the attacker's spent bucket was forgotten (ok=%v, wait=%v)", ok, wait)
	}
	if n := len(bs.keys); n != 2 {
		t.Fatalf("%d buckets kept, want the 2 still spending", n)
	}
	// Nothing refilled: the bound still holds.
	for i := range maxBuckets + 10 {
		bs.take(fmt.Sprint("flood-", i), slow, now)
	}
	if n := len(bs.keys); n > maxBuckets {
		t.Fatalf("%d buckets, more than the bound %d", n, maxBuckets)
	}
}
