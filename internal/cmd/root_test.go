package cmd

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/docker/docker/api/types"

	"github.com/dockctl/dockctl/internal/engine"
	"github.com/dockctl/dockctl/internal/fake"
)

// closeCounting is a fake engine that counts its Close calls.
type closeCounting struct {
	*fake.Engine
	closed int
}

func (c *closeCounting) Close() error { c.closed++; return nil }

// TestRunClosesTheEngine: a command closes its engine client when it ends,
// whether it succeeded or not: an ssh:// engine's connections are ssh
// processes, which in-process runs would otherwise leave behind.
func TestRunClosesTheEngine(t *testing.T) {
	for _, tt := range []struct {
		name   string
		args   []string
		broken bool // the engine fails every disk-usage call
		code   int
	}{
		{"report", []string{"report", "--no-cache"}, false, 0},
		{"inspect", []string{"inspect", "images"}, false, 0},
		{"prune dry run", []string{"prune", "--dry-run", "--no-cache"}, false, 0},
		{"engine error", []string{"report", "--no-cache"}, true, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f, _, errOut := testFactory(t, nil)
			eng := &closeCounting{Engine: fakeEngine()}
			if tt.broken {
				eng.DiskUsageFn = func(context.Context, types.DiskUsageOptions) (types.DiskUsage, error) {
					return types.DiskUsage{}, errors.New("disk usage failed")
				}
			}
			f.Dial = func(engine.Endpoint, engine.Env, time.Duration) (Engine, error) { return eng, nil }
			if code := Run(context.Background(), f, tt.args); code != tt.code {
				t.Fatalf("exit %d, want %d: %s", code, tt.code, errOut)
			}
			if eng.closed != 1 {
				t.Errorf("engine closed %d times, want once", eng.closed)
			}
		})
	}
}
