package usage

import (
	"fmt"
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
		// Item 6 of issue 14: the Volumes row counts named volumes, so the
		// full cleanup says what it frees with them (named-orphan, 30)
		// and the row what it frees without them (anon1 is in use: 0).
		{"full cleanup with named volumes", a.FullCleanupAllVolumesBytes, 50 + 2_000_000 + 3_000_000 + 300 + 70 + 30},
		{"anonymous volumes reclaimable", a.AnonymousVolumesReclaimableBytes, 0},
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
	ps := Build(sample(), inspect.EngineInfo{}, Options{}).Projects
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

// TestBuildTopCountsOmitted checks item 5 of issue 14: --top keeps the
// largest objects and counts those it leaves out, per list.
func TestBuildTopCountsOmitted(t *testing.T) {
	for _, tt := range []struct {
		top  int
		want Omitted
	}{
		{0, Omitted{}},
		{1, Omitted{Images: 2, Containers: 1, Volumes: 3, BuildCache: 2}},
		{3, Omitted{Volumes: 1}},
		{4, Omitted{}},
	} {
		t.Run(fmt.Sprint(tt.top), func(t *testing.T) {
			r := Build(sample(), inspect.EngineInfo{}, Options{Verbose: true, Top: tt.top})
			if r.Omitted != tt.want {
				t.Fatalf("omitted = %+v, want %+v", r.Omitted, tt.want)
			}
			if len(r.Images)+r.Omitted.Images != 3 || len(r.Volumes)+r.Omitted.Volumes != 4 {
				t.Fatalf("%d images and %d volumes shown, %+v left out: they must add up to 3 and 4", len(r.Images), len(r.Volumes), r.Omitted)
			}
		})
	}
}

// TestProjectsSharedImageAndReclaimable checks item 7 of issue 14: an
// image two projects use counts in the SIZE of both, marked, and once in
// the total; each project's RECLAIMABLE is its share of the full cleanup,
// and the shares add up to it.
func TestProjectsSharedImageAndReclaimable(t *testing.T) {
	inv := &inspect.Inventory{
		Collected:  inspect.Kinds,
		LayersSize: 8_000_000,
		Images: []inspect.Image{
			{ID: "shared", SizeBytes: 5_000_000, UniqueBytes: 5_000_000, Containers: 2, Layers: []inspect.Layer{layer("s", 5_000_000)}},
			{ID: "blogonly", SizeBytes: 2_000_000, UniqueBytes: 2_000_000, Containers: 1, Layers: []inspect.Layer{layer("b", 2_000_000)}},
			{ID: "orphan", SizeBytes: 1_000_000, UniqueBytes: 1_000_000, Containers: 0, Layers: []inspect.Layer{layer("o", 1_000_000)}},
		},
		Containers: []inspect.Container{
			{ID: "s1", ImageID: "shared", State: "running", SizeBytes: 100, ComposeProject: "shop"},
			{ID: "b1", ImageID: "shared", State: "exited", SizeBytes: 40, ComposeProject: "blog"},
			{ID: "b2", ImageID: "blogonly", State: "exited", SizeBytes: 10, Volumes: []string{"anonb"}, ComposeProject: "blog"},
		},
		Volumes: []inspect.Volume{{Name: "anonb", SizeBytes: 70, RefCount: 1, Anonymous: true, ComposeProject: "blog"}},
	}
	r := Build(inv, inspect.EngineInfo{}, Options{})
	got := map[string]Project{}
	var sum int64
	for _, p := range r.Projects {
		got[p.Name] = p
		sum += p.ReclaimableBytes
	}
	for _, tt := range []struct {
		name               string
		bytes, reclaimable int64
		sharedImages       int
		sharedImageBytes   int64
	}{
		{"shop", 100 + 5_000_000, 0, 1, 5_000_000},
		{"blog", 40 + 10 + 70 + 5_000_000 + 2_000_000, 40 + 10 + 70 + 2_000_000, 1, 5_000_000},
		{"", 1_000_000, 1_000_000, 0, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := got[tt.name]
			if p.Bytes != tt.bytes || p.ReclaimableBytes != tt.reclaimable || p.SharedImages != tt.sharedImages || p.SharedImageBytes != tt.sharedImageBytes {
				t.Fatalf("%q = %+v, want bytes %d, reclaimable %d, %d shared images of %d bytes", tt.name, p, tt.bytes, tt.reclaimable, tt.sharedImages, tt.sharedImageBytes)
			}
		})
	}
	if want := int64(100 + 5_000_000 + 40 + 10 + 70 + 2_000_000 + 1_000_000); r.ProjectsTotalBytes != want {
		t.Errorf("projects total = %d, want %d (the shared image once)", r.ProjectsTotalBytes, want)
	}
	if sum != r.FullCleanupBytes {
		t.Errorf("projects' reclaimable add up to %d, the full cleanup is %d", sum, r.FullCleanupBytes)
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
