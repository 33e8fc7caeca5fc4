package prune

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	dockertypes "github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"

	"github.com/dockctl/dockctl/internal/clierr"
	"github.com/dockctl/dockctl/internal/fake"
	"github.com/dockctl/dockctl/internal/inspect"
)

func applyOpts(concurrency int) ApplyOptions {
	return ApplyOptions{Concurrency: concurrency, Now: func() time.Time { return now }}
}

// outcomes renders a result's outcomes, one per line: "result type name:
// reason".
func outcomes(res Result) string {
	var out []string
	for _, list := range [][]Outcome{res.Removed, res.Skipped, res.Failed} {
		for _, o := range list {
			line := o.Result + " " + string(o.Type) + " " + o.Name
			if o.Result != ResultRemoved && o.Result != ResultUntagged {
				line += ": " + o.Reason
			}
			if o.Error != "" {
				line += fmt.Sprintf(" [%d %s]", o.Status, o.Error)
			}
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// outcomeOf finds the outcome for the item of type typ named name.
func outcomeOf(res Result, typ Type, name string) (Outcome, bool) {
	for _, list := range [][]Outcome{res.Removed, res.Skipped, res.Failed} {
		for _, o := range list {
			if o.Type == typ && o.Name == name {
				return o, true
			}
		}
	}
	return Outcome{}, false
}

// withMultiTag adds an image with two tags, one of which a policy may
// keep, so plans have untag items.
func withMultiTag(inv *inspect.Inventory) *inspect.Inventory {
	inv.Images = append(inv.Images, inspect.Image{ID: "sha256:multi", Tags: []string{"tool:1", "tool:old"}, Created: ago(70 * day),
		Labels: map[string]string{}, Layers: []inspect.Layer{layer("c-multi", 40)}})
	return inv
}

// TestApplyFreesWhatPlanPredicts applies plans to a stateful fake engine
// and checks the engine frees exactly what each plan predicted.
func TestApplyFreesWhatPlanPredicts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		pol  Policy
	}{
		{"default", Policy{}},
		{"volumes", Policy{Volumes: true}},
		{"all", Policy{All: true, AllVolumes: true, AllBuildCache: true}},
		{"all, running projects too", Policy{All: true, AllVolumes: true, AllBuildCache: true, IncludeRunningProjects: true}},
		{"keep a tag", Policy{All: true, Keep: []string{"tool:1"}}},
		{"keep recent", Policy{All: true, KeepRecent: 1}},
		{"budget", Policy{All: true, HighWatermark: 80, LowWatermark: 60, FS: FS{SizeBytes: 10000, FreeBytes: 1000}}},
	}
	for _, tt := range tests {
		for _, conc := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/concurrency %d", tt.name, conc), func(t *testing.T) {
				inv := withMultiTag(fixture())
				plan := BuildPlan(inv, tt.pol, now)
				if len(plan.Items) == 0 {
					t.Fatal("empty plan")
				}
				e := newFake(inv)
				res := Apply(context.Background(), e, plan, applyOpts(conc))
				if len(res.Failed) > 0 || len(res.Skipped) > 0 || res.Interrupted {
					t.Fatalf("outcomes:\n%s", outcomes(res))
				}
				if len(res.Removed) != len(plan.Items) {
					t.Errorf("%d removed, %d planned", len(res.Removed), len(plan.Items))
				}
				if e.Freed() != plan.ReclaimBytes || res.ReclaimedBytes != plan.ReclaimBytes {
					t.Errorf("engine freed %d, result says %d, plan predicted %d", e.Freed(), res.ReclaimedBytes, plan.ReclaimBytes)
				}
				for _, it := range plan.Items {
					if it.Action != ActionUntag && e.Has(it.ID) {
						t.Errorf("%s %s still there", it.Type, it.Name)
					}
				}
				for _, k := range plan.Kept {
					if !e.Has(k.ID) {
						t.Errorf("kept %s %s is gone", k.Type, k.Name)
					}
				}
				if err := res.Err(); err != nil {
					t.Errorf("Err() = %v", err)
				}
				if e.Cancelled() != 0 {
					t.Errorf("%d calls with a done context", e.Cancelled())
				}
			})
		}
	}
}

func TestApplyRechecks(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		pol    Policy
		change func(e *fakeEngine)
		want   map[string]string // "type name" -> outcome line
	}{
		{"container started", Policy{Volumes: true}, func(e *fakeEngine) { e.SetState("c-job", "running") }, map[string]string{
			"container old-job": "skipped container old-job: now running",
			// What it uses is re-checked too.
			"network jobs":        "skipped network jobs: now used by container old-job",
			"volume " + anon('a'): "skipped volume " + anon('a') + ": now used by container old-job",
			"image job":           "skipped image job: now used by container old-job",
			"container tmp":       "removed container tmp",
			"volume " + anon('b'): "removed volume " + anon('b'),
			"build_cache npm ci":  "removed build_cache npm ci",
			"network empty-net":   "removed network empty-net",
			"image old":           "removed image old",
		}},
		{"stopped container now uses the volume", Policy{Volumes: true}, func(e *fakeEngine) {
			e.AddContainer(fContainer{id: "c-new", name: "newcomer", state: "created", volumes: []string{anon('b')}})
		}, map[string]string{"volume " + anon('b'): "skipped volume " + anon('b') + ": now used by container newcomer"}},
		{"container gone, name reused", Policy{}, func(e *fakeEngine) {
			e.mu.Lock()
			delete(e.containers, "c-job")
			e.mu.Unlock()
			e.AddContainer(fContainer{id: "c-other", name: "old-job", state: "exited"})
		}, map[string]string{"container old-job": "gone container old-job: already gone; name old-job now belongs to container c-other"}},
		{"image re-tagged", Policy{All: true}, func(e *fakeEngine) { e.Tag("app:new", "sha256:app1") }, map[string]string{
			"image app:1": "skipped image app:1: tagged app:new since the plan",
		}},
		{"tag now points to another image", Policy{All: true}, func(e *fakeEngine) { e.Tag("app:1", "sha256:old") }, map[string]string{
			"image app:1": "skipped image app:1: tag app:1 now points to image old",
		}},
		{"image now used", Policy{All: true}, func(e *fakeEngine) {
			e.AddContainer(fContainer{id: "c-late", name: "late", imageID: "sha256:old", state: "created"})
		}, map[string]string{"image old": "skipped image old: now used by container late"}},
		{"untag: tag moved", Policy{All: true, Keep: []string{"tool:1"}}, func(e *fakeEngine) { e.Tag("tool:old", "sha256:old") }, map[string]string{
			"image tool:old": "skipped image tool:old: tag tool:old now points to image old",
		}},
		{"untag: now the only tag", Policy{All: true, Keep: []string{"tool:1"}}, func(e *fakeEngine) {
			e.mu.Lock()
			delete(e.tags, "tool:1")
			e.mu.Unlock()
		}, map[string]string{
			"image tool:old": "skipped image tool:old: tool:old is now the image's only tag: untagging would remove the image the plan keeps",
		}},
		{"untag: image now used", Policy{All: true, Keep: []string{"tool:1"}}, func(e *fakeEngine) {
			e.AddContainer(fContainer{id: "c-tool", name: "toolbox", imageID: "sha256:multi", state: "exited"})
		}, map[string]string{"image tool:old": "skipped image tool:old: image now used by container toolbox"}},
		{"already gone", Policy{Volumes: true}, func(e *fakeEngine) {
			e.mu.Lock()
			delete(e.volumes, anon('b'))
			delete(e.networks, "n-empty")
			delete(e.images, "sha256:old")
			delete(e.cache, "bc1")
			e.mu.Unlock()
		}, map[string]string{
			"volume " + anon('b'):         "gone volume " + anon('b') + ": already gone",
			"network empty-net":           "gone network empty-net: already gone",
			"image old":                   "gone image old: already gone",
			"build_cache apt-get install": "skipped build_cache apt-get install: not pruned by the engine (now in use, or already gone)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := withMultiTag(fixture())
			plan := BuildPlan(inv, tt.pol, now)
			e := newFake(inv)
			tt.change(e)
			res := Apply(context.Background(), e, plan, applyOpts(2))
			for key, want := range tt.want {
				if want == "" {
					continue
				}
				typ, name, _ := strings.Cut(key, " ")
				o, ok := outcomeOf(res, Type(typ), name)
				if !ok {
					t.Errorf("%s: no outcome", key)
					continue
				}
				got := outcomes(Result{Removed: []Outcome{o}})
				if o.Result != ResultRemoved && o.Result != ResultUntagged {
					got = o.Result + " " + string(o.Type) + " " + o.Name + ": " + o.Reason
				}
				if got != want {
					t.Errorf("%s:\n got %q\nwant %q", key, got, want)
				}
			}
			if len(res.Failed) > 0 {
				t.Errorf("failures:\n%s", outcomes(res))
			}
			if got := len(res.Removed) + len(res.Skipped) + len(res.Failed); got != len(plan.Items) {
				t.Errorf("%d outcomes for %d items", got, len(plan.Items))
			}
		})
	}
}

func TestApplyFailuresContinue(t *testing.T) {
	t.Parallel()
	inv := fixture()
	plan := BuildPlan(inv, Policy{Volumes: true}, now)
	e := newFake(inv)
	e.Hook = func(method, arg string) error {
		switch method + " " + arg {
		case "ContainerRemove c-job":
			return fmt.Errorf("Error response from daemon: driver failed: %w", cerrdefs.ErrInternal)
		case "NetworkRemove n-empty":
			return fmt.Errorf("Error response from daemon: network busy: %w", cerrdefs.ErrConflict)
		case "ContainerRemove c-tmp":
			return fmt.Errorf("Error response from daemon: no such container: %w", cerrdefs.ErrNotFound)
		}
		return nil
	}
	res := Apply(context.Background(), e, plan, applyOpts(4))
	want := strings.Join([]string{
		"removed volume " + anon('b'),
		"removed image old",
		"removed build_cache npm ci",
		"removed build_cache apt-get install",
		"gone container tmp: already gone",
		// old-job stays, so what it uses is skipped, not force-removed.
		"skipped network jobs: now used by container old-job",
		"skipped volume " + anon('a') + ": now used by container old-job",
		"skipped image job: now used by container old-job",
		"failed container old-job: not running (exited) [500 removing container old-job: Error response from daemon: driver failed: internal]",
		"failed network empty-net: unused custom network [409 removing network empty-net: Error response from daemon: network busy: conflict]",
	}, "\n")
	if got := outcomes(res); got != want {
		t.Errorf("outcomes\n%s\nwant\n%s", got, want)
	}
	var pe *clierr.PartialError
	if err := res.Err(); !errors.As(err, &pe) || pe.Failed != 2 || pe.Total != len(plan.Items) {
		t.Errorf("Err() = %v", err)
	}
	if clierr.Code(res.Err()) != clierr.ExitPartial {
		t.Errorf("exit code %d", clierr.Code(res.Err()))
	}
}

func TestApplyCancel(t *testing.T) {
	t.Parallel()
	inv := fixture()
	plan := BuildPlan(inv, Policy{}, now)
	e := newFake(inv)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e.Hook = func(method, arg string) error {
		if method == "ContainerRemove" && arg == "c-job" {
			cancel() // Ctrl-C while the first removal is in flight
		}
		return nil
	}
	res := Apply(ctx, e, plan, applyOpts(1))
	if !res.Interrupted {
		t.Fatal("not interrupted")
	}
	if len(res.Removed) != 1 || res.Removed[0].Name != "old-job" {
		t.Errorf("the removal in flight should finish:\n%s", outcomes(res))
	}
	if len(res.Skipped) != len(plan.Items)-1 {
		t.Errorf("%d skipped, want %d", len(res.Skipped), len(plan.Items)-1)
	}
	for _, o := range res.Skipped {
		if o.Reason != interruptedReason {
			t.Errorf("%s skipped for %q", o.Name, o.Reason)
		}
	}
	if n := e.Count("ContainerRemove") + e.Count("NetworkRemove") + e.Count("ImageRemove") + e.Count("BuildCachePrune"); n != 1 {
		t.Errorf("%d removals sent after the interruption:\n%s", n-1, strings.Join(e.Calls(), "\n"))
	}
	if e.Cancelled() != 0 {
		t.Error("the removal in flight ran with a cancelled context")
	}
	if !errors.Is(res.Err(), clierr.ErrInterrupted) {
		t.Errorf("Err() = %v", res.Err())
	}
	// A context cancelled before Apply removes nothing.
	res = Apply(ctx, newFake(inv), plan, applyOpts(4))
	if !res.Interrupted || len(res.Removed) != 0 || len(res.Skipped) != len(plan.Items) {
		t.Errorf("pre-cancelled apply:\n%s", outcomes(res))
	}
}

func TestApplyPhaseOrder(t *testing.T) {
	t.Parallel()
	inv := withMultiTag(fixture())
	plan := BuildPlan(inv, Policy{All: true, Volumes: true, AllBuildCache: true, Keep: []string{"tool:1"}}, now)
	e := newFake(inv)
	var mu sync.Mutex
	var order []string
	e.Hook = func(method, arg string) error {
		mu.Lock()
		defer mu.Unlock()
		switch method {
		case "ContainerRemove", "NetworkRemove", "VolumeRemove", "BuildCachePrune":
			order = append(order, method)
		case "ImageRemove":
			if strings.HasPrefix(arg, "tool:old") {
				order = append(order, "Untag")
			} else {
				order = append(order, method)
			}
		}
		return nil
	}
	res := Apply(context.Background(), e, plan, applyOpts(4))
	if len(res.Failed)+len(res.Skipped) > 0 {
		t.Fatalf("outcomes:\n%s", outcomes(res))
	}
	rank := map[string]int{"ContainerRemove": 0, "NetworkRemove": 1, "VolumeRemove": 2, "Untag": 3, "ImageRemove": 4, "BuildCachePrune": 5}
	seen := map[string]bool{}
	for i := 1; i < len(order); i++ {
		if rank[order[i]] < rank[order[i-1]] {
			t.Fatalf("%s after %s: %v", order[i], order[i-1], order)
		}
	}
	for _, s := range order {
		seen[s] = true
	}
	if len(seen) != len(rank) {
		t.Errorf("phases seen %v", order)
	}
	// Build cache: one record per call, children first, All so that the
	// engine does not skip shared records.
	var prunes []string
	for _, c := range e.Calls() {
		if strings.HasPrefix(c, "BuildCachePrune ") {
			prunes = append(prunes, strings.TrimPrefix(c, "BuildCachePrune "))
		}
	}
	if got := strings.Join(prunes, " "); got != "^bc5$ ^bc1$ ^bc2$ ^bc4$" {
		t.Errorf("build cache prunes %q", got)
	}
}

// parentAndChild is two dangling images: P and C, its child (classic
// builder; the fake engine's link is set by the test), plus more. The
// plan lists P first (older).
func parentAndChild(more ...inspect.Image) *inspect.Inventory {
	return &inspect.Inventory{
		Collected: []inspect.Kind{inspect.KindImages, inspect.KindContainers},
		Images: append([]inspect.Image{
			{ID: "sha256:p", Dangling: true, Created: ago(20 * day), Layers: []inspect.Layer{layer("l1", 100)}},
			{ID: "sha256:c", Dangling: true, Created: ago(10 * day), Layers: []inspect.Layer{layer("l1", 100), layer("l2", 10)}},
		}, more...),
	}
}

func TestApplyImageChildrenFirst(t *testing.T) {
	t.Parallel()
	// The engine refuses to remove P while C exists.
	inv := parentAndChild()
	for _, conc := range []int{1, 4} {
		t.Run(fmt.Sprint("concurrency ", conc), func(t *testing.T) {
			plan := BuildPlan(inv, Policy{}, now)
			if plan.Items[0].ID != "sha256:p" {
				t.Fatalf("plan order %+v", plan.Items)
			}
			e := newFake(inv)
			e.images["sha256:c"].parent = "sha256:p"
			res := Apply(context.Background(), e, plan, applyOpts(conc))
			if len(res.Removed) != 2 || len(res.Failed) != 0 {
				t.Fatalf("outcomes:\n%s", outcomes(res))
			}
			if e.Freed() != plan.ReclaimBytes || plan.ReclaimBytes != 110 {
				t.Errorf("freed %d, plan %d", e.Freed(), plan.ReclaimBytes)
			}
		})
	}
	// A child the plan keeps: the parent is its base and stays too.
	inv.Containers = []inspect.Container{{ID: "c1", Name: "user", ImageID: "sha256:c", State: "running"}}
	plan := BuildPlan(inv, Policy{}, now)
	if len(plan.Items) != 0 || decision(plan, TypeImage, "p") != "keep: base of kept image c: its layers stay, removing it frees nothing" {
		t.Fatalf("the base of a kept image is planned: %+v / %+v", plan.Items, plan.Kept)
	}
	// Without layer data the planner cannot tell: Apply sees the child and
	// records a 409 without asking the engine to remove (or untag) the
	// parent, once the retries stop making progress.
	inv.Images[0].Layers, inv.Images[1].Layers = nil, nil
	plan = BuildPlan(inv, Policy{}, now)
	e := newFake(inv)
	e.images["sha256:c"].parent = "sha256:p"
	res := Apply(context.Background(), e, plan, applyOpts(2))
	if len(res.Failed) != 1 || res.Failed[0].Status != 409 || e.Count("ImageRemove") != 0 {
		t.Errorf("outcomes:\n%s\ncalls %v", outcomes(res), e.Calls())
	}
}

func TestApplyBuildCacheAlongWith(t *testing.T) {
	t.Parallel()
	inv := fixture()
	plan := BuildPlan(inv, Policy{Kinds: []inspect.Kind{inspect.KindBuildCache}}, now)
	e := newFake(inv)
	// The engine prunes bc1 (planned) and bc4 (kept: internal) with bc5.
	e.AlsoPrunes = map[string][]string{"bc5": {"bc1", "bc4"}}
	res := Apply(context.Background(), e, plan, applyOpts(4))
	want := strings.Join([]string{
		"removed build_cache npm ci",
		"removed build_cache ",
		"removed build_cache apt-get install",
	}, "\n")
	if got := outcomes(res); got != want {
		t.Errorf("outcomes\n%s\nwant\n%s", got, want)
	}
	if e.Count("BuildCachePrune") != 1 {
		t.Errorf("calls %v", e.Calls())
	}
	o, _ := outcomeOf(res, TypeBuildCache, "apt-get install")
	if o.Bytes != 500 || !strings.HasSuffix(o.Reason, "; pruned along with bc5") {
		t.Errorf("along-with outcome %+v", o)
	}
	if res.Removed[1].ID != "bc4" || res.Removed[1].Bytes != 0 || res.Removed[1].Reason != "pruned by the engine along with bc5" {
		t.Errorf("extra outcome %+v", res.Removed[1])
	}
	if res.Total != 2 {
		t.Errorf("total %d", res.Total)
	}
}

func TestApplyProgressAndLog(t *testing.T) {
	t.Parallel()
	inv := fixture()
	plan := BuildPlan(inv, Policy{Volumes: true}, now)
	var buf bytes.Buffer
	var mu sync.Mutex
	var calls [][3]int64
	opts := applyOpts(4)
	opts.Log = JSONLines(&buf)
	opts.Progress = func(done, total int, b int64) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, [3]int64{int64(done), int64(total), b})
	}
	res := Apply(context.Background(), newFake(inv), plan, opts)
	if len(calls) != len(plan.Items) {
		t.Fatalf("%d progress calls for %d items", len(calls), len(plan.Items))
	}
	for i, c := range calls {
		if c[0] != int64(i+1) || c[1] != int64(len(plan.Items)) {
			t.Errorf("progress call %d: %v", i, c)
		}
		if i > 0 && c[2] < calls[i-1][2] {
			t.Errorf("bytes went down: %v", calls)
		}
	}
	if last := calls[len(calls)-1]; last[2] != plan.ReclaimBytes {
		t.Errorf("final bytes %d, want %d", last[2], plan.ReclaimBytes)
	}
	sc := bufio.NewScanner(&buf)
	lines := 0
	for sc.Scan() {
		lines++
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		for _, k := range []string{"time", "type", "id", "name", "bytes", "result"} {
			if _, ok := m[k]; !ok {
				t.Errorf("log line %q lacks %q", sc.Text(), k)
			}
		}
		if m["time"] != "2026-11-25T12:00:00Z" {
			t.Errorf("time %v", m["time"])
		}
	}
	if lines != len(res.Removed) {
		t.Errorf("%d log lines, %d outcomes", lines, len(res.Removed))
	}
}

func TestResultErr(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		res  Result
		code int
	}{
		{"clean", Result{Removed: []Outcome{{}}, Total: 1}, clierr.ExitOK},
		{"skips are fine", Result{Skipped: []Outcome{{}}, Total: 1}, clierr.ExitOK},
		{"failure", Result{Failed: []Outcome{{}}, Removed: []Outcome{{}}, Total: 2}, clierr.ExitPartial},
		{"interrupted wins", Result{Failed: []Outcome{{}}, Interrupted: true, Total: 3}, clierr.ExitInterrupted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := clierr.Code(tt.res.Err()); got != tt.code {
				t.Errorf("code %d, want %d (err %v)", got, tt.code, tt.res.Err())
			}
		})
	}
}

func TestStatusOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  error
		want int
	}{
		{nil, 0},
		{context.Canceled, 0},
		{fmt.Errorf("removing: %w", context.DeadlineExceeded), 0},
		{fmt.Errorf("x: %w", cerrdefs.ErrNotFound), 404},
		{fmt.Errorf("x: %w", cerrdefs.ErrConflict), 409},
	}
	for _, tt := range tests {
		if got := statusOf(tt.err); got != tt.want {
			t.Errorf("statusOf(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}

// TestApplyRechecksNetworkUsers: the re-check before a network's removal
// finds every container attached to it, as the planner does, whatever the
// container's state. Docker 20.10 records no network id for a container
// never started since it joined (created, or connected while stopped), so
// its network=<id> filter misses them; the fake answers the same way.
func TestApplyRechecksNetworkUsers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		c    fContainer
	}{
		{"created, never started", fContainer{id: "c-new", name: "fresh", state: "created", networks: []string{"empty-net"}}},
		{"connected while stopped", fContainer{id: "c-stop", name: "stopped", state: "exited", networks: []string{"bridge", "empty-net"},
			joinedStopped: []string{"empty-net"}}},
		{"ran on it, now exited", fContainer{id: "c-ran", name: "ran", state: "exited", networks: []string{"empty-net"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := fixture()
			plan := BuildPlan(inv, Policy{Kinds: []inspect.Kind{inspect.KindNetworks}}, now)
			if _, ok := item(plan, TypeNetwork, "empty-net"); !ok {
				t.Fatalf("the plan does not remove empty-net:\n%+v", plan.Items)
			}
			e := newFake(inv)
			e.AddContainer(tt.c)
			// The planner, given the same engine's answer, keeps it too.
			again := BuildPlan(inventoryOf(t, e), Policy{Kinds: []inspect.Kind{inspect.KindNetworks}}, now)
			if got, want := decision(again, TypeNetwork, "empty-net"), "keep: used by container "+tt.c.name; got != want {
				t.Errorf("planned again: %q, want %q", got, want)
			}
			res := Apply(context.Background(), e, plan, applyOpts(2))
			o, _ := outcomeOf(res, TypeNetwork, "empty-net")
			if want := "now used by container " + tt.c.name; o.Result != ResultSkipped || o.Reason != want {
				t.Errorf("empty-net: %s %q, want skipped %q", o.Result, o.Reason, want)
			}
			if !e.Has("n-empty") {
				t.Error("empty-net was removed: its container can no longer start")
			}
		})
	}
}

// inventoryOf collects the fake engine's containers and networks the way
// dockctl collects them from a real one.
func inventoryOf(t *testing.T, e *fakeEngine) *inspect.Inventory {
	t.Helper()
	cs, err := e.ContainerList(context.Background(), container.ListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	e.mu.Lock()
	var ns []network.Summary
	for _, n := range e.networks {
		ns = append(ns, network.Summary{ID: n.id, Name: n.name, Labels: n.labels})
	}
	e.mu.Unlock()
	eng := &fake.Engine{
		DiskUsageFn: func(context.Context, dockertypes.DiskUsageOptions) (dockertypes.DiskUsage, error) {
			var du dockertypes.DiskUsage
			for i := range cs {
				du.Containers = append(du.Containers, &cs[i])
			}
			return du, nil
		},
		NetworkListFn: func(context.Context, network.ListOptions) ([]network.Summary, error) { return ns, nil },
	}
	inv, err := inspect.Collect(context.Background(), eng, []inspect.Kind{inspect.KindContainers, inspect.KindNetworks}, now)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

// TestApplyRechecksGuards: Apply re-applies the planner's guards (the
// label dockctl.keep=true in any case, --keep-label, --keep globs) just
// before each removal, also when the plan went through a file, so that a
// label or name given after the plan still protects.
func TestApplyRechecksGuards(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		pol    Policy
		change func(e *fakeEngine)
		key    string // "type name" of the item
		want   string // its skip reason
	}{
		{"dockctl.keep=TRUE on a container", Policy{}, func(e *fakeEngine) { e.Label("c-tmp", KeepLabel, "TRUE") },
			"container tmp", "now kept: label dockctl.keep=true"},
		{"dockctl.keep=True on a volume", Policy{Volumes: true}, func(e *fakeEngine) { e.Label(anon('b'), KeepLabel, "True") },
			"volume " + anon('b'), "now kept: label dockctl.keep=true"},
		{"dockctl.keep=true on an image", Policy{All: true}, func(e *fakeEngine) { e.Label("sha256:old", KeepLabel, "true") },
			"image old", "now kept: label dockctl.keep=true"},
		{"--keep-label KEY=VALUE on a network", Policy{KeepLabels: []string{"tier=prod"}}, func(e *fakeEngine) { e.Label("n-empty", "tier", "prod") },
			"network empty-net", "now kept: label tier=prod"},
		{"--keep-label KEY on a container", Policy{KeepLabels: []string{"owner"}}, func(e *fakeEngine) { e.Label("c-tmp", "owner", "ana") },
			"container tmp", "now kept: label owner=ana"},
		{"--keep-label on an untagged image", Policy{All: true, Keep: []string{"tool:1"}, KeepLabels: []string{"pin"}},
			func(e *fakeEngine) { e.Label("sha256:multi", "pin", "") }, "image tool:old", "now kept: label pin="},
		{"--keep glob on a renamed container", Policy{Keep: []string{"keep-*"}}, func(e *fakeEngine) { e.Rename("c-tmp", "keep-tmp") },
			"container tmp", "now kept: matches --keep 'keep-*'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := withMultiTag(fixture())
			planned := BuildPlan(inv, tt.pol, now)
			// Through a file, as --plan-out then --apply.
			raw, err := json.Marshal(planned)
			if err != nil {
				t.Fatal(err)
			}
			plan, err := ReadPlan(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			e := newFake(inv)
			tt.change(e)
			res := Apply(context.Background(), e, plan, applyOpts(2))
			typ, name, _ := strings.Cut(tt.key, " ")
			o, ok := outcomeOf(res, Type(typ), name)
			if !ok {
				t.Fatalf("%s: no outcome (not planned?)\n%s", tt.key, outcomes(res))
			}
			if o.Result != ResultSkipped || o.Reason != tt.want {
				t.Errorf("%s: %s %q, want skipped %q", tt.key, o.Result, o.Reason, tt.want)
			}
		})
	}
}
