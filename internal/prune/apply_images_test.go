package prune

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	cerrdefs "github.com/containerd/errdefs"

	"github.com/dockctl/dockctl/internal/clierr"
	"github.com/dockctl/dockctl/internal/inspect"
)

// threeTags is an unused image tagged a:1, a:2 and a:3, and an unused
// dangling image.
func threeTags() *inspect.Inventory {
	return &inspect.Inventory{
		Collected: []inspect.Kind{inspect.KindImages, inspect.KindContainers},
		Time:      now,
		Images: []inspect.Image{
			{ID: "sha256:a", Tags: []string{"a:1", "a:2", "a:3"}, Created: ago(20 * day), Labels: map[string]string{},
				Layers: []inspect.Layer{layer("la", 100)}},
			{ID: "sha256:d", Dangling: true, Created: ago(30 * day), Labels: map[string]string{},
				Layers: []inspect.Layer{layer("ld", 10)}},
		},
	}
}

// logLines applies plan to e with a JSON-lines log and returns the result
// and the log.
func applyLogged(t *testing.T, e *fakeEngine, plan Plan, conc int) (Result, string) {
	t.Helper()
	var buf bytes.Buffer
	opts := applyOpts(conc)
	opts.Log = JSONLines(&buf)
	return Apply(context.Background(), e, plan, opts), buf.String()
}

// TestApplyImageRechecksBeforeEachUntag (issue 10, item 5): a container
// created from the image between two untags keeps the tags not yet
// removed; the outcome says why, and the untag that happened is recorded.
func TestApplyImageRechecksBeforeEachUntag(t *testing.T) {
	t.Parallel()
	inv := threeTags()
	plan := BuildPlan(inv, Policy{All: true}, now)
	if it, ok := item(plan, TypeImage, "a:1"); !ok || it.Action != ActionRemove || len(it.Refs) != 3 {
		t.Fatalf("plan %+v", plan.Items)
	}
	e := newFake(inv)
	var mu sync.Mutex
	untagged, added := false, false
	e.Hook = func(method, arg string) error {
		mu.Lock()
		defer mu.Unlock()
		// The first call after a:1 is untagged: a container appears.
		if untagged && !added {
			added = true
			e.AddContainer(fContainer{id: "c-late", name: "late", imageID: "sha256:a", state: "created"})
		}
		if method == "ImageRemove" && arg == "a:1" {
			untagged = true
		}
		return nil
	}
	res, log := applyLogged(t, e, plan, 4)
	if !added {
		t.Fatalf("a:1 was never untagged: calls %v", e.Calls())
	}
	e.mu.Lock()
	tags := e.refsOf("sha256:a")
	e.mu.Unlock()
	if got := strings.Join(tags, " "); got != "a:2 a:3" {
		t.Errorf("tags left on the image in use: %q, want \"a:2 a:3\"\ncalls %v", got, e.Calls())
	}
	o, _ := outcomeOf(Result{Skipped: res.Skipped, Failed: res.Failed}, TypeImage, "a:1")
	want := "now used by container late; its tags a:2, a:3 stay (a:1 was untagged before the container appeared)"
	if o.Result != ResultSkipped || o.Reason != want {
		t.Errorf("outcome %s: %q, want skipped: %q", o.Result, o.Reason, want)
	}
	if got := outcomes(Result{Removed: res.Removed}); got != "removed image d\nuntagged image a:1" && got != "untagged image a:1\nremoved image d" {
		t.Errorf("removed:\n%s\nwant the dangling image and the untag of a:1", got)
	}
	if len(res.Failed) != 0 || res.Err() != nil {
		t.Errorf("failures:\n%s", outcomes(res))
	}
	if !strings.Contains(log, `"name":"a:1","bytes":0,`) || !strings.Contains(log, `"result":"untagged"`) {
		t.Errorf("the untag of a:1 is not logged:\n%s", log)
	}
}

// removedByAnother is a fake engine hook: another client removes image id
// just as dockctl asks to remove ref, which is then not found.
func removedByAnother(ref, id string) func(e *fakeEngine, method, arg string) error {
	return func(e *fakeEngine, method, arg string) error {
		if method == "ImageRemove" && arg == ref {
			e.DeleteImage(id)
			return notFoundErr("image: " + ref)
		}
		return nil
	}
}

// TestApplyImageSaysWhatDockctlDid (issue 10, item 7): an image another
// client removed is "gone", not removed by dockctl, and its bytes are not
// counted; every untag dockctl made is logged and counted, also on the
// way to a failure.
func TestApplyImageSaysWhatDockctlDid(t *testing.T) {
	t.Parallel()
	boom := fmt.Errorf("Error response from daemon: driver failed: %w", cerrdefs.ErrInternal)
	tests := []struct {
		name string
		hook func(e *fakeEngine, method, arg string) error
		// want lists the outcomes of image a:1 (extra untags first, as
		// they happened), "result name: reason [status]".
		want  []string
		bytes int64 // reclaimed bytes dockctl claims
		code  int
	}{
		{"removed by another client before any untag", removedByAnother("a:1", "sha256:a"),
			[]string{"gone a:1: already gone: removed by another client"}, 10, clierr.ExitOK},
		{"removed by another client after dockctl untagged a:1", removedByAnother("a:2", "sha256:a"), []string{
			"untagged a:1: untagged by dockctl before the image was gone",
			"gone a:1: already gone: removed by another client",
		}, 10, clierr.ExitOK},
		{"500 on the second tag", func(e *fakeEngine, method, arg string) error {
			if method == "ImageRemove" && arg == "a:2" {
				return boom
			}
			return nil
		}, []string{
			"untagged a:1: untagged by dockctl before the removal failed",
			"failed a:1: unused image [500 removing image a:1: untagging a:2: Error response from daemon: driver failed: internal]",
		}, 10, clierr.ExitPartial},
		{"dangling image removed by another client", removedByAnother("sha256:d", "sha256:d"), nil, 100, clierr.ExitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := threeTags()
			plan := BuildPlan(inv, Policy{All: true}, now)
			e := newFake(inv)
			e.Hook = func(method, arg string) error { return tt.hook(e, method, arg) }
			res, log := applyLogged(t, e, plan, 1)
			var got []string
			for _, list := range [][]Outcome{res.Removed, res.Skipped, res.Failed} {
				for _, o := range list {
					if o.ID != "sha256:a" {
						continue
					}
					line := o.Result + " " + o.Name + ": " + o.Reason
					if o.Error != "" {
						line += fmt.Sprintf(" [%d %s]", o.Status, o.Error)
					}
					got = append(got, line)
				}
			}
			if tt.want == nil {
				// The dangling one is the subject here.
				o, _ := outcomeOf(res, TypeImage, "d")
				got = []string{o.Result + " " + o.Reason}
				tt.want = []string{"gone already gone: removed by another client"}
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("outcomes\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if res.ReclaimedBytes != tt.bytes {
				t.Errorf("dockctl claims %d bytes freed, want %d", res.ReclaimedBytes, tt.bytes)
			}
			if c := clierr.Code(res.Err()); c != tt.code {
				t.Errorf("exit code %d, want %d (%v)", c, tt.code, res.Err())
			}
			// The log says the same, line for line.
			if n, want := strings.Count(log, "\n"), len(res.Removed)+len(res.Skipped)+len(res.Failed); n != want {
				t.Errorf("%d log lines for %d outcomes:\n%s", n, want, log)
			}
			for _, w := range tt.want {
				if strings.HasPrefix(w, "untagged ") && !strings.Contains(log, `"name":"a:1","bytes":0,"reason":"untagged by dockctl`) {
					t.Errorf("the untag of a:1 is not in the log:\n%s", log)
				}
			}
		})
	}
}

// TestApplyImageRemovedAlongWith (issue 10, item 8): an image the engine
// removes as a side effect of another removal is removed by dockctl, said
// so, and its bytes counted; a removal whose parent went meanwhile (the
// engine's "unrecognized image ID" of the parent) removed the image.
func TestApplyImageRemovedAlongWith(t *testing.T) {
	t.Parallel()
	inv := parentAndChild(inspect.Image{ID: "sha256:x", Tags: []string{"x:1", "x:2"}, Created: ago(5 * day), Layers: []inspect.Layer{layer("lx", 7)}})
	for _, conc := range []int{1, 4} {
		t.Run(fmt.Sprint("concurrency ", conc), func(t *testing.T) {
			plan := BuildPlan(inv, Policy{All: true}, now)
			e := newFake(inv)
			e.PruneParents = true
			e.images["sha256:c"].parent = "sha256:p"
			// x's parent (an intermediate the plan does not list) was
			// removed by another removal while the removal of x's last
			// tag went on: x went with that tag, its first untag is part
			// of its removal.
			e.Hook = func(method, arg string) error {
				if method == "ImageRemove" && arg == "x:2" {
					e.DeleteImage("sha256:x")
					return fmt.Errorf("Error response from daemon: unrecognized image ID sha256:%s: %w", strings.Repeat("9", 64), cerrdefs.ErrInternal)
				}
				return nil
			}
			res := Apply(context.Background(), e, plan, applyOpts(conc))
			want := strings.Join([]string{
				"removed image p: dangling image; removed by the engine along with c",
				"removed image c: dangling image",
				"removed image x:1: unused image; its parent image 999999999999 was removed meanwhile by another removal",
			}, "\n")
			var got []string
			for _, o := range res.Removed {
				got = append(got, o.Result+" "+string(o.Type)+" "+o.Name+": "+o.Reason)
			}
			if strings.Join(got, "\n") != want || len(res.Skipped)+len(res.Failed) > 0 {
				t.Errorf("outcomes\n%s\n%s\nwant\n%s", strings.Join(got, "\n"), outcomes(Result{Skipped: res.Skipped, Failed: res.Failed}), want)
			}
			if res.ReclaimedBytes != plan.ReclaimBytes {
				t.Errorf("dockctl counts %d bytes, the plan %d", res.ReclaimedBytes, plan.ReclaimBytes)
			}
		})
	}
}
