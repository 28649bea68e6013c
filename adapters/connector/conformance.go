package connector

import (
	"fmt"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/bankauth/bankauth/plugins/sdk/conformance"
)

// RunConformance runs the conformance kit against the connector binary at
// path (started with args, env added to the environment) as plan directs,
// outside go test: it is what `bankauth connector test PATH --plan FILE`
// calls. The kit's log goes to w; passed is true when no check failed.
// startTimeout 0 keeps the kit's default.
func RunConformance(path string, args, env []string, plan conformance.Plan, startTimeout time.Duration, w io.Writer) (passed bool) {
	target := conformance.Binary(path, args...).WithEnv(env...)
	if startTimeout > 0 {
		target.StartTimeout = startTimeout
	}
	r := &recorder{w: w}
	done := make(chan struct{})
	go func() {
		defer close(done)
		conformance.Run(r, target, plan)
	}()
	<-done
	return !r.Failed()
}

// recorder is a conformance.T that writes to w. Fatalf and Skipf end the
// calling goroutine, as testing.T's do; the kit runs every check in a
// goroutine of its own when given a T that is not *testing.T.
type recorder struct {
	mu     sync.Mutex
	w      io.Writer
	failed bool
}

var _ conformance.T = (*recorder)(nil)

func (r *recorder) Helper() {}

func (r *recorder) Logf(format string, args ...any) { r.printf("     ", format, args...) }

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	r.failed = true
	r.mu.Unlock()
	r.printf("FAIL ", format, args...)
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Skipf(format string, args ...any) {
	r.printf("SKIP ", format, args...)
	runtime.Goexit()
}

func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

func (r *recorder) printf(prefix, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.w, "%s%s\n", prefix, fmt.Sprintf(format, args...))
}
