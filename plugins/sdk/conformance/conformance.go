// Package conformance is the contract-test kit for bankauth connectors.
//
// A connector author runs it from go test against their own fake or test
// bank, in-process or as the real binary:
//
//	func TestConformance(t *testing.T) {
//		plan, err := conformance.LoadPlan("testdata/plan.json")
//		if err != nil {
//			t.Fatal(err)
//		}
//		conformance.Run(t, conformance.Binary("./bin/mybank-connector"), plan)
//	}
//
// Every check is a named subtest. Checks whose inputs the plan lacks, or
// that the connector's declared capabilities exclude, are skipped.
package conformance

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// T is the part of *testing.T the kit uses. A test can pass its own
// recorder to observe the kit's failures.
type T interface {
	Helper()
	Logf(format string, args ...any)
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	Failed() bool
}

var _ T = (*testing.T)(nil)

// Run runs every check of the kit against target as directed by plan.
func Run(t T, target Target, plan Plan) {
	t.Helper()
	if err := plan.Validate(); err != nil {
		t.Fatalf("%v", err)
		return
	}
	r := &runner{target: target, plan: plan}
	r.all(t)
	t.Logf("conformance: %d checks run, %d skipped, against %s", r.ran, r.skipped, target.Name())
}

type runner struct {
	target Target
	plan   Plan

	mu           sync.Mutex
	ran, skipped int
}

// skipped reports whether name (or one of its parents) is listed in
// plan.Skip.
func (r *runner) skip(path string) bool {
	for _, s := range r.plan.Skip {
		if path == s || strings.HasPrefix(path, s+"/") {
			return true
		}
	}
	return false
}

// group runs fn as a subtest that only holds other subtests.
func (r *runner) group(t T, path, name string, fn func(t T, path string)) {
	full := join(path, name)
	if r.skip(full) {
		r.count(false)
		t.Logf("%s: skipped by the plan", full)
		return
	}
	sub(t, name, func(t T) { fn(t, full) })
}

// check runs fn as a counted subtest.
func (r *runner) check(t T, path, name string, fn func(t T)) {
	full := join(path, name)
	if r.skip(full) {
		r.count(false)
		t.Logf("%s: skipped by the plan", full)
		return
	}
	r.count(true)
	sub(t, name, fn)
}

// skipf skips the current check and counts it as skipped.
func (r *runner) skipf(t T, format string, args ...any) {
	r.count(false)
	r.mu.Lock()
	r.ran--
	r.mu.Unlock()
	t.Skipf(format, args...)
}

func (r *runner) count(ran bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ran {
		r.ran++
	} else {
		r.skipped++
	}
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "/" + name
}

// sub runs fn as a subtest: t.Run for *testing.T, otherwise a recorder that
// prefixes messages with the subtest's name and reports to the parent.
func sub(t T, name string, fn func(t T)) {
	t.Helper()
	if tt, ok := t.(*testing.T); ok {
		tt.Run(name, func(st *testing.T) { fn(st) })
		return
	}
	s := &subT{parent: t, name: name}
	if p, ok := t.(*subT); ok {
		// Report to the root with the full path; failures mark every level.
		s = &subT{parent: p.parent, name: p.name + "/" + name, up: p}
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(s)
	}()
	<-done
}

// subT reports to its parent T; Fatalf and Skipf end its goroutine, as
// testing.T does.
type subT struct {
	parent T
	name   string
	up     *subT
	mu     sync.Mutex
	failed bool
}

func (s *subT) Helper() {}

func (s *subT) Logf(format string, args ...any) {
	s.parent.Logf("%s: %s", s.name, fmt.Sprintf(format, args...))
}

func (s *subT) Errorf(format string, args ...any) {
	s.mu.Lock()
	s.failed = true
	s.mu.Unlock()
	for u := s.up; u != nil; u = u.up {
		u.mu.Lock()
		u.failed = true
		u.mu.Unlock()
	}
	s.parent.Errorf("%s: %s", s.name, fmt.Sprintf(format, args...))
}

func (s *subT) Fatalf(format string, args ...any) {
	s.Errorf(format, args...)
	runtime.Goexit()
}

func (s *subT) Skipf(format string, args ...any) {
	s.parent.Logf("%s: skipped: %s", s.name, fmt.Sprintf(format, args...))
	runtime.Goexit()
}

func (s *subT) Failed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}
