package prune

import (
	"testing"

	"github.com/dockctl/dockctl/internal/inspect"
)

// storeInventory is an engine with the containerd image store: a base
// image with two tags, an app built FROM it with BuildKit (its records
// hold the base's layer blob and snapshot, and the app's layer blob), a
// stopped container of the base, a running one of the app, and a
// lease that expired (swept at the next collection).
func storeInventory() *inspect.Inventory {
	snap := func(k string) string { return inspect.SnapshotKey("moby", "overlayfs", k) }
	c := inspect.ContentKey
	return &inspect.Inventory{
		Collected: append([]inspect.Kind{}, inspect.Kinds...),
		Images: []inspect.Image{
			{ID: "sha256:base", Tags: []string{"base:1", "base:2"}, Created: ago(10 * day), SizeBytes: 3700, Layers: []inspect.Layer{layer("chain-base", 2000)}},
			{ID: "sha256:app", Tags: []string{"app:1"}, Created: ago(10 * day), SizeBytes: 4400, Layers: []inspect.Layer{layer("chain-base", 2000), layer("chain-app", 200)}},
			{ID: "sha256:lone", Tags: []string{"lone:1"}, Created: ago(10 * day), SizeBytes: 90, Layers: []inspect.Layer{layer("chain-lone", 40)}},
		},
		Containers: []inspect.Container{
			{ID: "c-stopped", Name: "stopped", ImageID: "sha256:base", State: "exited", Created: ago(5 * day), SizeBytes: 70, LogBytes: 5},
		},
		BuildCache: []inspect.BuildCacheRecord{
			{ID: "recfrom", Type: "regular", SizeBytes: 1000, Shared: true, Created: ago(10 * day)},
			{ID: "reccopy", Type: "regular", Parents: []string{"recfrom"}, SizeBytes: 300, Shared: true, Created: ago(10 * day)},
			{ID: "recctx", Type: "source.local", SizeBytes: 50, Created: ago(10 * day)},
		},
		Store: &inspect.StoreGraph{
			Snapshotter: "overlayfs",
			Objects: map[string]inspect.StoreObject{
				c("sha256:base"):       {Bytes: 400, Refs: []string{c("base-config"), c("base-layer")}},
				c("base-config"):       {Bytes: 300, Refs: []string{snap("chain-base")}},
				c("base-layer"):        {Bytes: 1000},
				snap("chain-base"):     {Bytes: 2000},
				c("sha256:app"):        {Bytes: 600, Refs: []string{c("app-config"), c("base-layer"), c("app-layer")}},
				c("app-config"):        {Bytes: 500, Refs: []string{snap("chain-app")}},
				c("app-layer"):         {Bytes: 100},
				snap("chain-app"):      {Bytes: 200, Parent: snap("chain-base")},
				c("sha256:lone"):       {Bytes: 50, Refs: []string{snap("chain-lone")}},
				snap("chain-lone"):     {Bytes: 40},
				snap("rec-copy"):       {Bytes: 200, Parent: snap("chain-base")},
				snap("rec-ctx"):        {Bytes: 50},
				snap("c-stopped-init"): {Bytes: 30, Parent: snap("chain-base")},
				snap("c-stopped"):      {Bytes: 70, Parent: snap("c-stopped-init")},
				c("expired"):           {Bytes: 7},
			},
			Holders: []inspect.StoreHolder{
				{Namespace: "moby", Kind: inspect.HolderImage, ID: "docker.io/library/base:1", Target: "sha256:base", Holds: []string{c("sha256:base")}},
				{Namespace: "moby", Kind: inspect.HolderImage, ID: "docker.io/library/base:2", Target: "sha256:base", Holds: []string{c("sha256:base")}},
				{Namespace: "moby", Kind: inspect.HolderImage, ID: "docker.io/library/app:1", Target: "sha256:app", Holds: []string{c("sha256:app")}},
				{Namespace: "moby", Kind: inspect.HolderImage, ID: "docker.io/library/lone:1", Target: "sha256:lone", Holds: []string{c("sha256:lone")}},
				{Namespace: "moby", Kind: inspect.HolderLease, ID: "recfrom", Flat: true, Holds: []string{c("base-layer"), snap("chain-base")}},
				{Namespace: "moby", Kind: inspect.HolderLease, ID: "reccopy", Flat: true, Holds: []string{snap("rec-copy"), c("app-layer")}},
				{Namespace: "moby", Kind: inspect.HolderLease, ID: "recctx", Flat: true, Holds: []string{snap("rec-ctx")}},
				{Namespace: "moby", Kind: inspect.HolderLease, ID: "c-stopped", Holds: []string{snap("c-stopped"), snap("c-stopped-init")}},
				{Namespace: "moby_history", Kind: inspect.HolderLease, ID: "ref_1", Flat: true, Holds: []string{c("sha256:app")}},
			},
		},
	}
}

// Issue 13: on the containerd image store a plan's bytes are what the
// collector frees once the plan's holders are gone, in Apply's order
// (containers, images, build cache), each object counted on the removal
// that lets it go.
func TestStorePlanBytes(t *testing.T) {
	t.Parallel()
	kinds := func(ks ...inspect.Kind) Policy {
		return Policy{Kinds: ks, All: true, AllBuildCache: true, Volumes: true}
	}
	tests := []struct {
		name  string
		pol   Policy
		want  map[string]int64
		total int64
	}{
		{"containers alone: the writable and init snapshots, the log, and what the collector sweeps", kinds(inspect.KindContainers),
			map[string]int64{"c-stopped": 70 + 30 + 5 + 7}, 112},
		{"images alone: the records keep the base layer, its snapshot and the app layer; history keeps the app manifest", kinds(inspect.KindImages),
			// base is used by the stopped container: kept.
			map[string]int64{"sha256:app": 7 + 500 + 200, "sha256:lone": 90}, 797},
		{"build cache alone: the images keep the blobs and the base snapshot", kinds(inspect.KindBuildCache),
			map[string]int64{"reccopy": 7 + 200, "recfrom": 0, "recctx": 50}, 257},
		{"everything: the container lets the base go, the records let the layers go", kinds(inspect.Kinds...),
			map[string]int64{
				"c-stopped":   112,
				"sha256:app":  700,
				"sha256:base": 700,
				"sha256:lone": 90,
				"reccopy":     200 + 100,
				"recfrom":     1000 + 2000,
				"recctx":      50,
			}, 112 + 700 + 700 + 90 + 300 + 3000 + 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := BuildPlan(storeInventory(), tt.pol, now)
			got := itemBytes(p, func(it Item) string { return it.ID })
			for id, b := range got {
				if _, ok := tt.want[id]; !ok && b != 0 {
					t.Errorf("%s: unexpected %d bytes", id, b)
				}
			}
			for id, want := range tt.want {
				if b, ok := got[id]; !ok || b != want {
					t.Errorf("%s: bytes %d (planned %v), want %d", id, b, ok, want)
				}
			}
			if p.ReclaimBytes != tt.total {
				t.Errorf("ReclaimBytes = %d, want %d", p.ReclaimBytes, tt.total)
			}
			if p.Approximate {
				t.Errorf("plan approximate: every object is in the graph")
			}
		})
	}
}

// An image listed after containerd was read is not in the graph: its size
// is unknown, never guessed from layer lists.
func TestStorePlanImageMissingFromGraph(t *testing.T) {
	t.Parallel()
	inv := storeInventory()
	inv.Images = append(inv.Images, inspect.Image{ID: "sha256:new", Tags: []string{"new:1"}, Created: ago(10 * day), SizeBytes: 10, Layers: []inspect.Layer{layer("chain-new", 10)}})
	p := BuildPlan(inv, Policy{Kinds: []inspect.Kind{inspect.KindImages}, All: true}, now)
	it, ok := item(p, TypeImage, "new:1")
	if !ok || !it.SizeUnknown || it.Bytes != 0 || !p.Approximate {
		t.Fatalf("new:1 = %+v (planned %v), approximate %v; want size unknown, 0 bytes, an approximate plan", it, ok, p.Approximate)
	}
}

// DockerBytes on the store counts each object once, whoever holds it,
// plus what the collector has yet to sweep.
func TestStoreDockerBytes(t *testing.T) {
	t.Parallel()
	inv := storeInventory()
	var want int64
	for _, o := range inv.Store.Objects {
		want += o.Bytes
	}
	if got := inv.DockerBytes(); got != want {
		t.Fatalf("DockerBytes = %d, want %d (every object once)", got, want)
	}
}

// A classic build's final image shares its layer with the hidden
// intermediate it was built on; docker rmi removes that dangling parent
// too, so the plan frees the layer with the image.
func TestStorePlanClassicBuildIntermediates(t *testing.T) {
	t.Parallel()
	c := inspect.ContentKey
	snap := func(k string) string { return inspect.SnapshotKey("moby", "overlayfs", k) }
	inv := &inspect.Inventory{
		Collected: append([]inspect.Kind{}, inspect.Kinds...),
		Images:    []inspect.Image{{ID: "final", Tags: []string{"classic:1"}, Created: ago(10 * day), SizeBytes: 1}},
		Store: &inspect.StoreGraph{
			Objects: map[string]inspect.StoreObject{
				c("final"):    {Bytes: 10, Refs: []string{c("layer"), snap("chain")}},
				c("step"):     {Bytes: 20, Refs: []string{c("layer"), snap("chain")}},
				c("layer"):    {Bytes: 1000},
				snap("chain"): {Bytes: 2000},
			},
			Holders: []inspect.StoreHolder{
				{Namespace: "moby", Kind: inspect.HolderImage, ID: "docker.io/library/classic:1", Target: "final", Parent: "step", Holds: []string{c("final")}},
				{Namespace: "moby", Kind: inspect.HolderImage, ID: inspect.DanglingPrefix + "step", Target: "step", Holds: []string{c("step")}},
			},
		},
	}
	p := BuildPlan(inv, Policy{Kinds: []inspect.Kind{inspect.KindImages}, All: true}, now)
	if it, ok := item(p, TypeImage, "classic:1"); !ok || it.Bytes != 10+20+1000+2000 {
		t.Fatalf("classic:1 = %+v (planned %v), want 3030 bytes: its intermediate goes with it", it, ok)
	}
}

// BuildKit keeps a build's inputs under a temporary lease for minutes
// after it; its prune drops those leases, so pruning the records frees a
// removed base image's layer and snapshot that lease also reached.
func TestStorePlanBuildKitTemporaryLease(t *testing.T) {
	t.Parallel()
	c := inspect.ContentKey
	snap := func(k string) string { return inspect.SnapshotKey("moby", "overlayfs", k) }
	inv := &inspect.Inventory{
		Collected:  append([]inspect.Kind{}, inspect.Kinds...),
		BuildCache: []inspect.BuildCacheRecord{{ID: "recfrom", Type: "regular", SizeBytes: 1000, Created: ago(10 * day)}},
		Store: &inspect.StoreGraph{
			Objects: map[string]inspect.StoreObject{
				c("base-manifest"): {Bytes: 400, Refs: []string{c("base-config"), c("base-layer")}},
				c("base-config"):   {Bytes: 300, Refs: []string{snap("chain")}},
				c("base-layer"):    {Bytes: 1000},
				snap("chain"):      {Bytes: 2000},
			},
			Holders: []inspect.StoreHolder{
				{Namespace: "moby", Kind: inspect.HolderLease, ID: "recfrom", Flat: true, Holds: []string{c("base-layer"), snap("chain")}},
				{Namespace: "moby", Kind: inspect.HolderLease, ID: "782817472-yWjF", Temporary: true, Holds: []string{c("base-manifest"), c("base-config")}},
			},
		},
	}
	p := BuildPlan(inv, Policy{Kinds: []inspect.Kind{inspect.KindBuildCache}, All: true, AllBuildCache: true}, now)
	if p.ReclaimBytes != 400+300+1000+2000 {
		t.Fatalf("plan frees %d, want 3700: the temporary lease goes with the records", p.ReclaimBytes)
	}
}
