package conformance

import (
	"fmt"
	"io"
	"runtime"
	"sync"
)

// Report is what a run outside go test found: every line the kit wrote,
// in order, and its failures.
type Report struct {
	// Lines are the kit's log, failures and skips as written, each with
	// its check's path.
	Lines []Line
}

// Line is one thing the kit said.
type Line struct {
	Kind LineKind
	Text string
}

// LineKind says what a line is.
type LineKind string

// The kinds of lines.
const (
	LineLog  LineKind = "log"
	LineFail LineKind = "fail"
	LineSkip LineKind = "skip"
)

// Passed reports whether no check failed.
func (r Report) Passed() bool { return len(r.Failures()) == 0 }

// Failures are the failure lines' texts.
func (r Report) Failures() []string { return r.texts(LineFail) }

// Logs are the log lines' texts.
func (r Report) Logs() []string { return r.texts(LineLog) }

func (r Report) texts(k LineKind) []string {
	var out []string
	for _, l := range r.Lines {
		if l.Kind == k {
			out = append(out, l.Text)
		}
	}
	return out
}

// Check runs the kit against target as plan directs outside go test (a
// command line, a certification service) and returns its report. When
// live is not nil each line is also written to it as it happens:
// "FAIL ", "SKIP " or five spaces, then the text.
func Check(target Target, plan Plan, live io.Writer) Report {
	rec := &recorder{live: live}
	done := make(chan struct{})
	go func() {
		// Fatalf ends this goroutine, as testing.T's ends a test.
		defer close(done)
		Run(rec, target, plan)
	}()
	<-done
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return Report{Lines: rec.lines}
}

// recorder is the root T of a run outside go test.
type recorder struct {
	mu    sync.Mutex
	live  io.Writer
	lines []Line
}

var _ T = (*recorder)(nil)

func (r *recorder) Helper() {}

func (r *recorder) Logf(format string, args ...any) { r.add(LineLog, format, args...) }

func (r *recorder) Errorf(format string, args ...any) { r.add(LineFail, format, args...) }

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Skipf(format string, args ...any) {
	r.add(LineSkip, format, args...)
	runtime.Goexit()
}

func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.lines {
		if l.Kind == LineFail {
			return true
		}
	}
	return false
}

var prefixes = map[LineKind]string{LineLog: "     ", LineFail: "FAIL ", LineSkip: "SKIP "}

func (r *recorder) add(k LineKind, format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, Line{Kind: k, Text: text})
	if r.live != nil {
		fmt.Fprintf(r.live, "%s%s\n", prefixes[k], text)
	}
}
