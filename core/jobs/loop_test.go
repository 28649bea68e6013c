package jobs

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// TestLoopRunsDueJobsAndStops: a nudge runs every due job; Stop waits for
// the job in flight, and a Stop whose deadline passes cuts it short.
func TestLoopRunsDueJobsAndStops(t *testing.T) {
	wake := make(chan struct{}, 1)
	ran := make(chan int, 10)
	due := 0
	entered := make(chan struct{})
	release := make(chan struct{})
	l := &Loop{Name: "test", Poll: time.Hour, Wake: wake, RunOne: func(ctx context.Context) (int, error) {
		if due == 0 {
			return 0, nil
		}
		if due == 99 {
			close(entered)
			select {
			case <-release:
			case <-ctx.Done():
				return 1, ctx.Err()
			}
		}
		due--
		ran <- due
		return 1, nil
	}}
	if err := l.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The loop looks once at start: nothing due. Three jobs, one nudge.
	l.Stop(context.Background()) // a stopped loop can start again
	due = 3
	if err := l.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for want := 2; want >= 0; want-- {
		if got := <-ran; got != want {
			t.Fatalf("ran down to %d, want %d", got, want)
		}
	}
	if err := l.Stop(context.Background()); err != nil {
		t.Fatalf("stop: %v", err)
	}

	// A job in flight when Stop's deadline passes is interrupted.
	due = 99
	if err := l.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := l.Stop(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("stop with a passed deadline: %v, want context.Canceled", err)
	}
	close(release)
	if err := l.Stop(context.Background()); err != nil {
		t.Fatalf("a second stop: %v", err)
	}
}

// TestLoopWaitsForBackgroundJobs: a loop whose RunOne leaves jobs running
// counts as stopped only once they have ended, even when Stop's deadline
// has passed and cut them short.
func TestLoopWaitsForBackgroundJobs(t *testing.T) {
	var running sync.WaitGroup
	entered, aborted, release := make(chan struct{}), make(chan struct{}), make(chan struct{})
	started := false
	l := &Loop{Name: "test", Poll: time.Hour, Wait: running.Wait, RunOne: func(ctx context.Context) (int, error) {
		if started {
			return 0, nil
		}
		started = true
		running.Add(1)
		go func() {
			defer running.Done()
			<-ctx.Done()
			close(aborted)
			<-release
		}()
		close(entered)
		return 0, nil
	}}
	if err := l.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-entered
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	stopped := make(chan error, 1)
	go func() { stopped <- l.Stop(ctx) }()
	<-aborted
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) while a job still ran", err)
	default:
	}
	close(release)
	if err := <-stopped; !errors.Is(err, context.Canceled) {
		t.Fatalf("stop: %v, want context.Canceled", err)
	}
}
