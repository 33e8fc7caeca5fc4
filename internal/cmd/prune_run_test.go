package cmd

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"

	"github.com/dockctl/dockctl/internal/engine"
	"github.com/dockctl/dockctl/internal/fake"
)

// A dry run makes every refusal the real run would make, with the same
// exit code: --max-remove without --force is exit 4 after the plan, dry
// run or not.
func TestDryRunRefusesAsTheRealRunDoes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"dry run over --max-remove", []string{"prune", "--no-cache", "--all", "--max-remove", "1", "--dry-run"}, 4},
		{"real run over --max-remove", []string{"prune", "--no-cache", "--all", "--max-remove", "1", "--yes"}, 4},
		{"dry run with --force", []string{"prune", "--no-cache", "--all", "--max-remove", "1", "--force", "--dry-run"}, 0},
		{"dry run under --max-remove", []string{"prune", "--no-cache", "--all", "--max-remove", "3", "--dry-run"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := fakeEngine()
			code, out, errOut := runFake(t, e, tt.args...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.want, errOut)
			}
			if !strings.Contains(out, "remove 3 objects") {
				t.Fatalf("stdout does not show the plan of 3 removals:\n%s", out)
			}
			if tt.want == 4 && !strings.Contains(errOut, "--max-remove 1") {
				t.Fatalf("stderr %q does not say why", errOut)
			}
			if n := e.Mutations(); n != 0 {
				t.Fatalf("%d mutating calls", n)
			}
		})
	}
}

// --log to a file that cannot be written (/dev/full): the prune stops
// before the next removal, says why on stderr, and exits 1.
func TestPruneStopsWhenTheLogCannotBeWritten(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full here")
	}
	e := fakeEngine()
	e.ContainerInspectFn = func(_ context.Context, id string) (container.InspectResponse, error) {
		return container.InspectResponse{ContainerJSONBase: &container.ContainerJSONBase{ID: id, State: &container.State{Status: "exited"}}}, nil
	}
	e.ContainerRemoveFn = func(context.Context, string, container.RemoveOptions) error { return nil }
	e.ImageRemoveFn = func(context.Context, string, image.RemoveOptions) ([]image.DeleteResponse, error) { return nil, nil }
	code, out, errOut := runFake(t, e, "prune", "--no-cache", "--all", "--yes", "--concurrency", "1", "--log", "/dev/full")
	if code != 1 {
		t.Fatalf("exit %d, want 1; stderr %q", code, errOut)
	}
	if n := e.Calls("ContainerRemove") + e.Calls("ImageRemove"); n != 1 {
		t.Errorf("%d removals, want 1: the prune goes on without its log", n)
	}
	if ls := strings.Split(strings.TrimSpace(errOut), "\n"); len(ls) != 1 || !strings.Contains(errOut, "log") || !strings.Contains(errOut, "no space left") {
		t.Errorf("stderr %q, want one line saying the log could not be written and why", errOut)
	}
	if !strings.Contains(out, "The log could not be written") {
		t.Errorf("stdout does not say the run stopped for the log:\n%s", out)
	}
}

// An engine busy with another client's /system/df (engines before Docker
// 23) is waited for at most one --timeout, and stderr says so while it
// waits; then the command fails with one more line saying why.
func TestBusyDiskUsageWaitsOneTimeout(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--timeout", "300ms", "inspect", "volumes"},
		{"--timeout", "300ms", "report", "--no-cache"},
		{"--timeout", "300ms", "prune", "--no-cache", "--dry-run"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			e := fakeEngine()
			e.DiskUsageFn = func(context.Context, types.DiskUsageOptions) (types.DiskUsage, error) {
				return types.DiskUsage{}, errors.New("Error response from daemon: a disk usage operation is already running")
			}
			f, out, errOut := testFactory(t, nil)
			f.Dial = func(engine.Endpoint, engine.Env, time.Duration) (Engine, error) { return e, nil }
			// Well past the bound: only a dockctl that never gives up
			// reaches it.
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			code := Run(ctx, f, args)
			if code != 1 || out.Len() != 0 {
				t.Fatalf("exit %d, stdout %q; stderr %q; want exit 1 at the --timeout bound", code, out, errOut)
			}
			ls := strings.Split(strings.TrimSpace(errOut.String()), "\n")
			if len(ls) != 2 || !strings.Contains(ls[0], "waiting") || !strings.Contains(ls[0], "already running") || !strings.Contains(ls[1], "still busy") {
				t.Fatalf("stderr %q, want a line saying it waits and why, then the error", errOut)
			}
		})
	}
}

// --apply FILE --dry-run re-checks the saved plan against the engine now
// and removes nothing; it says what the real apply would remove, and exits
// as the real apply would.
func TestApplyDryRunRechecksASavedPlan(t *testing.T) {
	t.Parallel()
	engineNow := func(started bool) *fake.Engine {
		e := fakeEngine()
		refs := map[string]image.InspectResponse{
			"app:1": {ID: "sha256:a", RepoTags: []string{"app:1"}}, "sha256:a": {ID: "sha256:a", RepoTags: []string{"app:1"}},
			"tool:1": {ID: "sha256:b", RepoTags: []string{"tool:1"}}, "sha256:b": {ID: "sha256:b", RepoTags: []string{"tool:1"}},
		}
		e.ImageInspectFn = func(_ context.Context, ref string) (image.InspectResponse, error) { return refs[ref], nil }
		state := "exited"
		if started {
			state = "running" // since the plan
		}
		e.ContainerInspectFn = func(_ context.Context, id string) (container.InspectResponse, error) {
			return container.InspectResponse{ContainerJSONBase: &container.ContainerJSONBase{ID: id, State: &container.State{Status: state, Running: started}}}, nil
		}
		// Removing the container really removes it: the real apply then
		// finds its image unused, as on an engine.
		removed := false
		list := e.ContainerListFn
		e.ContainerListFn = func(ctx context.Context, o container.ListOptions) ([]container.Summary, error) {
			if removed {
				return nil, nil
			}
			return list(ctx, o)
		}
		e.ContainerRemoveFn = func(context.Context, string, container.RemoveOptions) error { removed = true; return nil }
		e.ImageRemoveFn = func(context.Context, string, image.RemoveOptions) ([]image.DeleteResponse, error) { return nil, nil }
		return e
	}
	plan := filepath.Join(t.TempDir(), "plan.json")
	if code, _, errOut := runFake(t, engineNow(false), "prune", "--no-cache", "--all", "--dry-run", "--plan-out", plan); code != 0 {
		t.Fatalf("making the plan: exit %d: %s", code, errOut)
	}
	for _, tt := range []struct {
		name    string
		started bool
		want    string // the counts the re-check gives
	}{
		{"nothing changed", false, "remove 3, skip 0, fail 0 of 3"},
		{"the container started since", true, "remove 1, skip 2, fail 0 of 3"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := engineNow(tt.started)
			code, out, errOut := runFake(t, e, "prune", "--apply", plan, "--dry-run")
			if code != 0 || e.Mutations() != 0 {
				t.Fatalf("exit %d, %d mutating calls; stderr %q", code, e.Mutations(), errOut)
			}
			if !strings.Contains(out, "would "+tt.want) {
				t.Errorf("stdout does not say it would %s:\n%s", tt.want, out)
			}
			// The real apply on the same engine does what the dry run said.
			real := engineNow(tt.started)
			rcode, rout, rerr := runFake(t, real, "prune", "--apply", plan, "--yes")
			done := strings.NewReplacer("remove ", "removed ", "skip ", "skipped ", "fail ", "failed ").Replace(tt.want)
			if rcode != code || !strings.Contains(rout, "Done: "+done) {
				t.Errorf("the real apply: exit %d, want %d; stderr %q; stdout:\n%s", rcode, code, rerr, rout)
			}
		})
	}
}
