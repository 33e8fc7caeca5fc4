package lock

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"
)

func TestSecondHolderWaits(t *testing.T) {
	dir := t.TempDir()
	first, err := Acquire(context.Background(), dir, "unix:///var/run/docker.sock", nil)
	if err != nil {
		t.Fatal(err)
	}
	// A second prune on the same engine waits, and is told who holds it.
	var toldPID int
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	_, err = Acquire(ctx, dir, "unix:///var/run/docker.sock", func(pid int) { toldPID = pid })
	if !errors.Is(err, context.DeadlineExceeded) || toldPID != os.Getpid() {
		t.Fatalf("second acquire: err %v, told pid %d; want a timeout and pid %d", err, toldPID, os.Getpid())
	}
	// Another engine is not blocked.
	other, err := Acquire(context.Background(), dir, "tcp://10.0.0.1:2376", nil)
	if err != nil {
		t.Fatal(err)
	}
	other.Release()
	// Once released, the next one gets it.
	done := make(chan error, 1)
	go func() {
		l, err := Acquire(context.Background(), dir, "unix:///var/run/docker.sock", nil)
		if err == nil {
			l.Release()
		}
		done <- err
	}()
	time.Sleep(100 * time.Millisecond)
	first.Release()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("the waiting prune never got the lock")
	}
}
