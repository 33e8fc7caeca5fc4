package prune

import (
	"testing"

	"github.com/dockctl/dockctl/internal/inspect"
)

// Issue 11 5(b): a "from local" record the engine sizes 0 B holds the
// layer of a removed base image; pruning the build cache frees it, so the
// plan counts it, on one record, only when every "from local" record goes.
func TestCacheHeldLayers(t *testing.T) {
	t.Parallel()
	inv := func(mod func(*inspect.Inventory)) *inspect.Inventory {
		inv := &inspect.Inventory{
			Collected: append([]inspect.Kind{}, inspect.Kinds...),
			BuildCache: []inspect.BuildCacheRecord{
				{ID: "from-a", Type: "regular", Description: "from local ", Created: ago(10 * day)},
				{ID: "from-b", Type: "regular", Description: "from local docker.io/library/base:1", Created: ago(10 * day)},
				{ID: "copy", Type: "regular", Description: "fileop target", SizeBytes: 3000, Created: ago(10 * day)},
			},
			UnreferencedLayers: []inspect.Layer{layer("sha256:base", 1999), layer("sha256:base2", 1)},
		}
		if mod != nil {
			mod(inv)
		}
		return inv
	}
	all := Policy{Kinds: []inspect.Kind{inspect.KindBuildCache}, All: true, AllBuildCache: true}
	tests := []struct {
		name      string
		inv       *inspect.Inventory
		pol       Policy
		wantBytes map[string]int64
		total     int64
	}{
		{"every from-local record goes: the layers on the last by id", inv(nil), all,
			map[string]int64{"from-a": 0, "from-b": 2000, "copy": 3000}, 5000},
		{"a kept from-local record may hold them: nothing counted", inv(func(i *inspect.Inventory) { i.BuildCache[1].InUse = true }), all,
			map[string]int64{"from-a": 0, "copy": 3000}, 3000},
		{"no from-local record: nothing the cache frees", inv(func(i *inspect.Inventory) { i.BuildCache = i.BuildCache[2:] }), all,
			map[string]int64{"copy": 3000}, 3000},
		{"no unreferenced layers (the disk not read)", inv(func(i *inspect.Inventory) { i.UnreferencedLayers = nil }), all,
			map[string]int64{"from-a": 0, "from-b": 0, "copy": 3000}, 3000},
		{"a build-cache filter: nothing counted", inv(nil),
			Policy{Kinds: []inspect.Kind{inspect.KindBuildCache}, All: true, AllBuildCache: true,
				Filters: map[inspect.Kind]inspect.Filter{inspect.KindBuildCache: mustFilter(t, inspect.KindBuildCache, "type=regular")}},
			map[string]int64{"from-a": 0, "from-b": 0, "copy": 3000}, 3000},
		{"images alone: the cache stays, nothing counted", inv(nil), Policy{Kinds: []inspect.Kind{inspect.KindImages}, All: true}, map[string]int64{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := BuildPlan(tt.inv, tt.pol, now)
			got := itemBytes(p, func(it Item) string { return it.ID })
			if len(got) != len(tt.wantBytes) {
				t.Errorf("planned %v, want %v", got, tt.wantBytes)
			}
			for id, want := range tt.wantBytes {
				if b, ok := got[id]; !ok || b != want {
					t.Errorf("%s: bytes %d (planned %v), want %d", id, b, ok, want)
				}
			}
			if p.ReclaimBytes != tt.total {
				t.Errorf("ReclaimBytes = %d, want %d", p.ReclaimBytes, tt.total)
			}
		})
	}
}

// itemBytes are a plan's items' bytes by key.
func itemBytes(p Plan, key func(Item) string) map[string]int64 {
	got := map[string]int64{}
	for _, it := range p.Items {
		got[key(it)] = it.Bytes
	}
	return got
}
