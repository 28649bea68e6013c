package balance

import (
	"context"
	"errors"
	"sync"
)

var errUnfinished = errors.New("the shared balance pull did not finish")

// flight makes concurrent callers with the same key share one call: the
// first runs fn, the others wait for its answer. A caller whose context
// ends stops waiting; the call itself goes on for the others.
type flight[V any] struct {
	mu    sync.Mutex
	calls map[string]*flightCall[V]
}

type flightCall[V any] struct {
	done    chan struct{}
	waiters int
	val     V
	err     error
}

// do runs fn once for all callers that arrive while it runs. shared tells
// a caller it got another caller's answer.
func (f *flight[V]) do(ctx context.Context, key string, fn func() (V, error)) (v V, shared bool, err error) {
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]*flightCall[V]{}
	}
	if c, ok := f.calls[key]; ok {
		c.waiters++
		f.mu.Unlock()
		select {
		case <-c.done:
			return c.val, true, c.err
		case <-ctx.Done():
			return v, true, ctx.Err()
		}
	}
	c := &flightCall[V]{done: make(chan struct{}), err: errUnfinished}
	f.calls[key] = c
	f.mu.Unlock()

	func() {
		// Release the waiters even if fn panics.
		defer func() {
			f.mu.Lock()
			delete(f.calls, key)
			f.mu.Unlock()
			close(c.done)
		}()
		c.val, c.err = fn()
	}()
	return c.val, false, c.err
}

// waiting counts the callers parked on key's call (tests).
func (f *flight[V]) waiting(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.calls[key]; ok {
		return int(c.waiters)
	}
	return 0
}
