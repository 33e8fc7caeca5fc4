package prune

import (
	"context"
	"errors"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/dockctl/dockctl/internal/clierr"
)

// failingWriter accepts ok writes, then fails every later one.
type failingWriter struct {
	mu     sync.Mutex
	ok     int
	writes int
}

func (w *failingWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes++
	if w.writes > w.ok {
		return 0, syscall.ENOSPC
	}
	return len(b), nil
}

// A prune that cannot write its audit log stops before the next removal,
// says why, and its error is exit 1.
func TestApplyStopsWhenTheLogFails(t *testing.T) {
	t.Parallel()
	for _, ok := range []int{0, 2} {
		t.Run(map[int]string{0: "first line fails", 2: "third line fails"}[ok], func(t *testing.T) {
			inv := fixture()
			plan := BuildPlan(inv, Policy{All: true, AllVolumes: true, AllBuildCache: true}, now)
			if len(plan.Items) < ok+3 {
				t.Fatalf("fixture plans %d items, want at least %d", len(plan.Items), ok+3)
			}
			e := newFake(inv)
			w := &failingWriter{ok: ok}
			opts := applyOpts(1)
			opts.Log = JSONLines(w)
			res := Apply(context.Background(), e, plan, opts)
			// One removal per line written, plus the one whose line failed.
			if got := len(res.Removed); got != ok+1 {
				t.Errorf("%d removed, want %d (the logged ones and the one whose line failed):\n%s", got, ok+1, outcomes(res))
			}
			for _, o := range res.Skipped[len(res.Skipped)-1:] {
				if !strings.Contains(o.Reason, "log") {
					t.Errorf("skipped %s: %q, want a reason naming the log", o.Name, o.Reason)
				}
			}
			if !strings.Contains(res.LogError, "no space left") {
				t.Errorf("LogError %q, want the write error", res.LogError)
			}
			err := res.Err()
			if err == nil || clierr.Code(err) != clierr.ExitError || !errors.Is(err, syscall.ENOSPC) || !strings.Contains(err.Error(), "log") {
				t.Errorf("Err() = %v (exit %d), want exit 1 naming the log and the write error", err, clierr.Code(err))
			}
		})
	}
}
