package usage

import (
	"testing"
	"time"

	"github.com/dockctl/dockctl/internal/inspect"
)

func layer(id string, size int64) inspect.Layer { return inspect.Layer{ChainID: id, SizeBytes: size} }

// engine: base (4MB) shared by app (in use) and tool (unused); tool adds
// 3MB of its own; an old image (unused) has 2MB alone.
func sample() *inspect.Inventory {
	return &inspect.Inventory{
		Collected:  inspect.Kinds,
		LayersSize: 9_000_000,
		Images: []inspect.Image{
			{ID: "app", SizeBytes: 4_000_000, SharedBytes: 4_000_000, UniqueBytes: 0, Containers: 1, Layers: []inspect.Layer{layer("base", 4_000_000)}},
			{ID: "tool", SizeBytes: 7_000_000, SharedBytes: 4_000_000, UniqueBytes: 3_000_000, Containers: 0, Layers: []inspect.Layer{layer("base", 4_000_000), layer("tool", 3_000_000)}},
			{ID: "old", SizeBytes: 2_000_000, SharedBytes: 0, UniqueBytes: 2_000_000, Containers: 1, Layers: []inspect.Layer{layer("old", 2_000_000)}},
		},
		Containers: []inspect.Container{
			{ID: "c1", ImageID: "app", State: "running", SizeBytes: 100, Volumes: []string{"data"}, ComposeProject: "shop"},
			{ID: "c2", ImageID: "old", State: "exited", SizeBytes: 50, Volumes: []string{"anon1"}},
		},
		Volumes: []inspect.Volume{
			{Name: "data", SizeBytes: 1000, RefCount: 1, ComposeProject: "shop"},
			{Name: "anon1", SizeBytes: 70, RefCount: 1, Anonymous: true},
			{Name: "named-orphan", SizeBytes: 30, RefCount: 0},
			{Name: "remote", SizeBytes: -1, RefCount: 0},
		},
		Networks: []inspect.Network{{Name: "bridge", Builtin: true}, {Name: "shop_default", ComposeProject: "shop"}},
		BuildCache: []inspect.BuildCacheRecord{
			{ID: "r1", SizeBytes: 500, InUse: true},
			{ID: "r2", SizeBytes: 300},
			{ID: "r3", SizeBytes: 3_000_000, Shared: true},
		},
	}
}

func TestCompute(t *testing.T) {
	a := Compute(sample(), Scope{})
	tests := []struct {
		name      string
		got, want int64
	}{
		{"images total", int64(a.Summary.Images.Total), 3},
		{"images active", int64(a.Summary.Images.Active), 2},
		{"images size = layers once", a.Summary.Images.SizeBytes, 9_000_000},
		// docker: 9MB - (0 + 2MB) = 7MB, counting app's shared base as free.
		{"docker images reclaimable", a.Summary.Images.DockerReclaimableBytes, 7_000_000},
		// true: tool's own layer, which the build cache holds: nothing.
		{"true images reclaimable", a.Summary.Images.ReclaimableBytes, 0},
		{"containers active", int64(a.Summary.Containers.Active), 1},
		{"containers size", a.Summary.Containers.SizeBytes, 150},
		{"containers reclaimable", a.Summary.Containers.ReclaimableBytes, 50},
		{"volumes active", int64(a.Summary.Volumes.Active), 2},
		{"volumes size skips unknown", a.Summary.Volumes.SizeBytes, 1100},
		{"volumes reclaimable", a.Summary.Volumes.ReclaimableBytes, 30},
		{"cache total", int64(a.Summary.BuildCache.Total), 3},
		{"cache active", int64(a.Summary.BuildCache.Active), 1},
		{"cache size leaves shared out", a.Summary.BuildCache.SizeBytes, 800},
		{"cache reclaimable", a.Summary.BuildCache.ReclaimableBytes, 300},
		// full: c2 (50) + old (2MB, freed with c2) + tool (3MB) + cache 300 + anon1 (70).
		{"full cleanup", a.FullCleanupBytes, 50 + 2_000_000 + 3_000_000 + 300 + 70},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("got %d, want %d", tt.got, tt.want)
			}
		})
	}
	if len(a.Notes) != 3 {
		t.Fatalf("notes = %+v, want docker-differs, held-by-cache and shared-cache notes", a.Notes)
	}
}

func TestComputeWithoutBuildCacheFreesUniqueLayers(t *testing.T) {
	inv := sample()
	inv.BuildCache = nil
	a := Compute(inv, Scope{})
	if a.Summary.Images.ReclaimableBytes != 3_000_000 {
		t.Fatalf("reclaimable = %d, want tool's own 3MB", a.Summary.Images.ReclaimableBytes)
	}
	if a.Approximate {
		t.Fatal("all layers were known; the figure is exact")
	}
}

func TestComputeFallsBackWithoutLayers(t *testing.T) {
	inv := sample()
	inv.BuildCache = nil
	for i := range inv.Images {
		inv.Images[i].Layers = nil
	}
	a := Compute(inv, Scope{})
	if a.Summary.Images.ReclaimableBytes != 3_000_000 || !a.Approximate {
		t.Fatalf("reclaimable = %d approximate = %v, want tool's unique size, approximate", a.Summary.Images.ReclaimableBytes, a.Approximate)
	}
}

func TestProjects(t *testing.T) {
	ps := Projects(sample(), Scope{})
	if len(ps) != 2 || ps[0].Name != "shop" || ps[1].Name != "" {
		t.Fatalf("projects = %+v", ps)
	}
	shop := ps[0]
	if shop.Containers != 1 || shop.ContainersRunning != 1 || shop.Volumes != 1 || shop.Networks != 1 || shop.Images != 1 || shop.Bytes != 100+1000 {
		t.Fatalf("shop = %+v", shop)
	}
}

func TestComputeScoped(t *testing.T) {
	inv := sample()
	inv.BuildCache = nil
	// Only "tool" and "app" in scope: base is shared with app (in use), so
	// only tool's own layer is reclaimable; old is out of scope entirely.
	images, err := inspect.ParseFilters(inspect.KindImages, []string{"id=app", "id=tool"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	containers, err := inspect.ParseFilters(inspect.KindContainers, []string{"id=c1"}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sc := Scope{Filters: map[inspect.Kind]inspect.Filter{inspect.KindImages: images, inspect.KindContainers: containers}}
	a := Compute(inv, sc)
	im := a.Summary.Images
	if im.Total != 2 || im.Active != 1 || im.SizeBytes != 7_000_000 || im.ReclaimableBytes != 3_000_000 {
		t.Fatalf("images = %+v", im)
	}
	if a.Summary.Containers.Total != 1 || a.Summary.Containers.ReclaimableBytes != 0 {
		t.Fatalf("containers = %+v", a.Summary.Containers)
	}
	// Out-of-scope c2 stays, so old and its anonymous volume stay too: the
	// full cleanup frees tool's layer only.
	if a.FullCleanupBytes != 3_000_000 {
		t.Fatalf("full cleanup = %d", a.FullCleanupBytes)
	}
}

// Issue 11 5(b): the layer of a removed base image that a "from local"
// record holds is in the build cache's RECLAIMABLE (not its SIZE: docker's
// figure) and the full cleanup, with a note; the plan of `prune
// buildcache --all` counts the same bytes.
func TestComputeCacheHeldLayers(t *testing.T) {
	inv := sample()
	inv.BuildCache = append(inv.BuildCache, inspect.BuildCacheRecord{ID: "r4", Type: "regular", Description: "from local "})
	inv.UnreferencedLayers = []inspect.Layer{{ChainID: "gone-base", SizeBytes: 9_200_000}}
	before := Compute(sample(), Scope{})
	a := Compute(inv, Scope{})
	tests := []struct {
		name      string
		got, want int64
	}{
		{"cache size stays docker's", a.Summary.BuildCache.SizeBytes, before.Summary.BuildCache.SizeBytes},
		{"cache reclaimable counts the layer", a.Summary.BuildCache.ReclaimableBytes, before.Summary.BuildCache.ReclaimableBytes + 9_200_000},
		{"full cleanup counts the layer", a.FullCleanupBytes, before.FullCleanupBytes + 9_200_000},
		{"the plan counts the same", reclaim(inv, Scope{}, true, inspect.KindBuildCache).ReclaimBytes, a.Summary.BuildCache.ReclaimableBytes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("got %d, want %d", tt.got, tt.want)
			}
		})
	}
	found := false
	for _, n := range a.Notes {
		found = found || (n.Row == "build_cache" && n.DockctlBytes == 9_200_000)
	}
	if !found {
		t.Errorf("notes = %+v, want one on build_cache with the layer's bytes", a.Notes)
	}
}
