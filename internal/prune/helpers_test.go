package prune

import (
	"strings"
	"testing"
	"time"

	"github.com/dockctl/dockctl/internal/inspect"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

const day = 24 * time.Hour

func ago(d time.Duration) time.Time { return now.Add(-d) }

// anon is a 64-hex anonymous volume name.
func anon(c byte) string { return strings.Repeat(string(c), 64) }

func layer(id string, size int64) inspect.Layer { return inspect.Layer{ChainID: id, SizeBytes: size} }

// fixture is a small engine: a running compose web app, a stopped job
// with a dangling image, an anonymous volume and its own network, a
// protected database, stray images, volumes, networks and build cache.
func fixture() *inspect.Inventory {
	base := layer("c-base", 1000)
	return &inspect.Inventory{
		Collected: append([]inspect.Kind{}, inspect.Kinds...),
		Time:      now,
		Containers: []inspect.Container{
			{ID: "c-web1", Name: "web-1", Image: "app:2", ImageID: "sha256:app2", State: "running", Created: ago(10 * day),
				Labels: map[string]string{inspect.ComposeProjectLabel: "shop"}, ComposeProject: "shop", SizeBytes: 1000,
				Volumes: []string{"shop_data"}, Networks: []string{"shop_default"}},
			{ID: "c-job", Name: "old-job", Image: "sha256:job", ImageID: "sha256:job", State: "exited", Created: ago(30 * day),
				Labels: map[string]string{}, SizeBytes: 5000, Volumes: []string{anon('a')}, Networks: []string{"jobs"}},
			{ID: "c-tmp", Name: "tmp", Image: "app:1", ImageID: "sha256:app1", State: "created", Created: ago(2 * day),
				Labels: map[string]string{}, SizeBytes: 0, Volumes: []string{}, Networks: []string{"bridge"}},
			{ID: "c-worker", Name: "worker", Image: "app:2", ImageID: "sha256:app2", State: "exited", Created: ago(5 * day),
				Labels: map[string]string{inspect.ComposeProjectLabel: "shop"}, ComposeProject: "shop", SizeBytes: 300,
				Volumes: []string{}, Networks: []string{"shop_default"}},
			{ID: "c-pg", Name: "pg", Image: "postgres:16", ImageID: "sha256:pg", State: "exited", Created: ago(40 * day),
				Labels: map[string]string{KeepLabel: "true"}, SizeBytes: 200, Volumes: []string{"pgdata"}, Networks: []string{}},
		},
		Images: []inspect.Image{
			{ID: "sha256:base", Tags: []string{"debian:12"}, Created: ago(100 * day), Labels: map[string]string{},
				Layers: []inspect.Layer{base}, UniqueBytes: 0},
			{ID: "sha256:app1", Tags: []string{"app:1"}, Created: ago(20 * day), Labels: map[string]string{},
				Layers: []inspect.Layer{base, layer("c-app1", 300)}, UniqueBytes: 300},
			{ID: "sha256:app2", Tags: []string{"app:latest", "app:2"}, Created: ago(3 * day), Labels: map[string]string{},
				Layers: []inspect.Layer{base, layer("c-app2", 400)}, UniqueBytes: 400},
			{ID: "sha256:job", Tags: []string{}, Dangling: true, Created: ago(31 * day), Labels: map[string]string{},
				Layers: []inspect.Layer{base, layer("c-job", 700)}, UniqueBytes: 700},
			{ID: "sha256:old", Tags: []string{}, Dangling: true, Created: ago(60 * day), Labels: map[string]string{},
				Layers: []inspect.Layer{layer("c-old", 50)}, UniqueBytes: 50},
			{ID: "sha256:pg", Tags: []string{"postgres:16"}, Created: ago(50 * day), Labels: map[string]string{},
				Layers: []inspect.Layer{layer("c-pg", 2000)}, UniqueBytes: 2000},
		},
		Volumes: []inspect.Volume{
			{Name: "shop_data", Labels: map[string]string{inspect.ComposeProjectLabel: "shop"}, ComposeProject: "shop",
				SizeBytes: 10000, RefCount: 1, Containers: []string{"web-1"}, Created: ago(10 * day)},
			{Name: anon('a'), Labels: map[string]string{}, Anonymous: true, SizeBytes: 800, RefCount: 1,
				Containers: []string{"old-job"}, Created: ago(30 * day)},
			{Name: "pgdata", Labels: map[string]string{}, SizeBytes: 3000, RefCount: 1, Containers: []string{"pg"}, Created: ago(40 * day)},
			{Name: anon('b'), Labels: map[string]string{}, Anonymous: true, SizeBytes: -1, Containers: []string{}, Created: ago(9 * day)},
			{Name: "cache-vol", Labels: map[string]string{}, SizeBytes: 100, Containers: []string{}, Created: ago(9 * day)},
		},
		Networks: []inspect.Network{
			{ID: "n-bridge", Name: "bridge", Builtin: true, Labels: map[string]string{}, Containers: []string{"tmp"}},
			{ID: "n-host", Name: "host", Builtin: true, Labels: map[string]string{}, Containers: []string{}},
			{ID: "n-shop", Name: "shop_default", Labels: map[string]string{inspect.ComposeProjectLabel: "shop"}, ComposeProject: "shop",
				Containers: []string{"web-1", "worker"}, Created: ago(10 * day)},
			{ID: "n-jobs", Name: "jobs", Labels: map[string]string{}, Containers: []string{"old-job"}, Created: ago(30 * day)},
			{ID: "n-empty", Name: "empty-net", Labels: map[string]string{}, Containers: []string{}, Created: ago(30 * day)},
		},
		BuildCache: []inspect.BuildCacheRecord{
			{ID: "bc1", Type: "regular", Description: "apt-get install", SizeBytes: 500, Created: ago(20 * day), LastUsed: ago(10 * day)},
			{ID: "bc2", Type: "regular", Description: "base layer", SizeBytes: 900, Shared: true, Created: ago(20 * day), LastUsed: ago(10 * day)},
			{ID: "bc3", Type: "regular", Description: "running build", SizeBytes: 100, InUse: true, Created: ago(day)},
			{ID: "bc4", Type: "internal", Description: "local source", SizeBytes: 50, Created: ago(20 * day)},
			{ID: "bc5", Type: "regular", Description: "npm ci", SizeBytes: 70, Parents: []string{"bc1"}, Created: ago(20 * day), LastUsed: ago(8 * day)},
		},
	}
}

// decision says what the plan does with the object named name (as items
// and kept entries name it): "remove: reason", "untag: reason" or "keep:
// reason" (several lines when several entries name it).
func decision(p Plan, typ Type, name string) string {
	var out []string
	for _, it := range p.Items {
		if it.Type == typ && it.Name == name {
			verb := "remove"
			if it.Action == ActionUntag {
				verb = "untag"
			}
			out = append(out, verb+": "+it.Reason)
		}
	}
	for _, k := range p.Kept {
		if k.Type == typ && k.Name == name {
			out = append(out, "keep: "+k.Reason)
		}
	}
	if len(out) == 0 {
		return "absent"
	}
	return strings.Join(out, "\n")
}

func item(p Plan, typ Type, name string) (Item, bool) {
	for _, it := range p.Items {
		if it.Type == typ && it.Name == name {
			return it, true
		}
	}
	return Item{}, false
}

// checkComplete asserts the house rule: every object of a kind in scope
// is either planned or kept, exactly once (untag items aside), and
// ReclaimBytes sums the items.
func checkComplete(t *testing.T, inv *inspect.Inventory, p Plan) {
	t.Helper()
	seen := map[Type]map[string]int{}
	mark := func(typ Type, id string) {
		if seen[typ] == nil {
			seen[typ] = map[string]int{}
		}
		seen[typ][id]++
	}
	var sum int64
	for _, it := range p.Items {
		sum += it.Bytes
		if it.Action != ActionUntag {
			mark(it.Type, it.ID)
		}
	}
	for _, k := range p.Kept {
		mark(k.Type, k.ID)
	}
	if sum != p.ReclaimBytes {
		t.Errorf("reclaim_bytes %d, items sum to %d", p.ReclaimBytes, sum)
	}
	in := map[inspect.Kind]bool{}
	for _, k := range p.Kinds {
		in[k] = true
	}
	want := map[Type][]string{}
	if in[inspect.KindContainers] {
		for _, c := range inv.Containers {
			want[TypeContainer] = append(want[TypeContainer], c.ID)
		}
	}
	if in[inspect.KindImages] {
		for _, i := range inv.Images {
			want[TypeImage] = append(want[TypeImage], i.ID)
		}
	}
	if in[inspect.KindVolumes] {
		for _, v := range inv.Volumes {
			want[TypeVolume] = append(want[TypeVolume], v.Name)
		}
	}
	if in[inspect.KindNetworks] {
		for _, n := range inv.Networks {
			want[TypeNetwork] = append(want[TypeNetwork], n.ID)
		}
	}
	if in[inspect.KindBuildCache] {
		for _, r := range inv.BuildCache {
			want[TypeBuildCache] = append(want[TypeBuildCache], r.ID)
		}
	}
	for _, typ := range types {
		if len(seen[typ]) != len(want[typ]) {
			t.Errorf("%s: %d objects decided, %d in scope", typ, len(seen[typ]), len(want[typ]))
		}
		for _, id := range want[typ] {
			if seen[typ][id] != 1 {
				t.Errorf("%s %s decided %d times, want once", typ, id, seen[typ][id])
			}
		}
	}
	for _, k := range p.Kept {
		if k.Reason == "" {
			t.Errorf("%s %s kept without a reason", k.Type, k.Name)
		}
	}
	for _, it := range p.Items {
		if it.Reason == "" {
			t.Errorf("%s %s planned without a reason", it.Type, it.Name)
		}
	}
}
