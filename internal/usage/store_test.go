package usage

import (
	"testing"

	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/probe"
)

// storeInventory: an engine with the containerd image store. app (in use
// by the running c1) and tool share base's blob and snapshot; a BuildKit
// record pins base's snapshot and tool's layer blob; c2 is stopped; build
// history keeps tool's manifest; an expired lease left a blob.
func storeInventory() *inspect.Inventory {
	snap := func(k string) string { return inspect.SnapshotKey("moby", "overlayfs", k) }
	c := inspect.ContentKey
	img := func(name, target string) inspect.StoreHolder {
		return inspect.StoreHolder{Namespace: "moby", Kind: inspect.HolderImage, ID: name, Target: target, Holds: []string{c(target)}}
	}
	lease := func(ns, id string, flat bool, holds ...string) inspect.StoreHolder {
		return inspect.StoreHolder{Namespace: ns, Kind: inspect.HolderLease, ID: id, Flat: flat, Holds: holds}
	}
	return &inspect.Inventory{
		Collected:  inspect.Kinds,
		LayersSize: 1, // docker's figure: replaced by the graph's
		Images: []inspect.Image{
			{ID: "app", Containers: 1, SizeBytes: 1},
			{ID: "tool", SizeBytes: 1},
		},
		Containers: []inspect.Container{
			{ID: "c1", ImageID: "app", State: "running", SizeBytes: 10},
			{ID: "c2", ImageID: "app", State: "exited", SizeBytes: 20},
		},
		BuildCache: []inspect.BuildCacheRecord{{ID: "rec", Type: "regular", SizeBytes: 1, Shared: true}},
		Store: &inspect.StoreGraph{
			Snapshotter: "overlayfs",
			Objects: map[string]inspect.StoreObject{
				c("app"):          {Bytes: 100, Refs: []string{c("base-layer"), snap("base")}},
				c("tool"):         {Bytes: 200, Refs: []string{c("base-layer"), c("tool-layer"), snap("tool")}},
				c("base-layer"):   {Bytes: 1000},
				c("tool-layer"):   {Bytes: 300},
				snap("base"):      {Bytes: 2000},
				snap("tool"):      {Bytes: 400, Parent: snap("base")},
				snap("c1-init"):   {Bytes: 5, Parent: snap("base")},
				snap("c1"):        {Bytes: 10, Parent: snap("c1-init")},
				snap("c2-init"):   {Bytes: 5, Parent: snap("base")},
				snap("c2"):        {Bytes: 20, Parent: snap("c2-init")},
				snap("rec-own"):   {Bytes: 50, Parent: snap("base")},
				c("history-prov"): {Bytes: 9},
				c("expired"):      {Bytes: 3},
			},
			Holders: []inspect.StoreHolder{
				img("docker.io/library/app:1", "app"),
				img("docker.io/library/tool:1", "tool"),
				lease("moby", "c1", false, snap("c1"), snap("c1-init")),
				lease("moby", "c2", false, snap("c2"), snap("c2-init")),
				lease("moby", "rec", true, snap("rec-own"), c("tool-layer")),
				lease("moby_history", "ref_1", true, c("tool"), c("history-prov")),
			},
		},
	}
}

// Issue 13: on the containerd store the rows keep docker's SIZE, the total
// is the graph's, each object once; RECLAIMABLE is what the plan of that
// type frees; the containerd dir's Unaccounted is what the graph does not
// hold.
func TestComputeOnTheContainerdStore(t *testing.T) {
	t.Parallel()
	inv := storeInventory()
	const du = 10_000
	m := &probe.Measurement{RootDir: "/var/lib/docker", RootDirBytes: du, TopLevel: []probe.DirBytes{
		// 4,093 bytes of objects, 9 of history, the rest metadata.
		{Name: "containerd", Bytes: 9_000},
		{Name: "network", Bytes: 1_000},
	}}
	r := Build(inv, inspect.EngineInfo{}, Options{Disk: m})
	s := r.Summary
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		// The rows keep docker's columns; the total is the graph's.
		{"images SIZE: docker's LayersSize", s.Images.SizeBytes, 1},
		{"containers SIZE: docker's SizeRw", s.Containers.SizeBytes, 10 + 20},
		{"build cache SIZE: docker's, shared records left out", s.BuildCache.SizeBytes, 0},
		{"total: manifests, blobs and snapshots of images, writable and init snapshots, the record's own snapshot, the expired lease's blob",
			r.TotalBytes, 100 + 200 + 1000 + 300 + 2000 + 400 + 10 + 5 + 20 + 5 + 50 + 3},
		// tool goes: its manifest is history's, its layer blob the
		// record's, its snapshot is freed; and the sweep.
		{"images RECLAIMABLE", s.Images.ReclaimableBytes, 400 + 3},
		{"containers RECLAIMABLE: c2's snapshots", s.Containers.ReclaimableBytes, 20 + 5 + 3},
		{"build cache RECLAIMABLE: its own snapshot (tool still holds its layer)", s.BuildCache.ReclaimableBytes, 50 + 3},
		// c2, tool (its snapshot), then rec lets tool's layer go.
		{"full cleanup", r.FullCleanupBytes, 25 + 3 + 400 + 50 + 300},
		{"unaccounted: the containerd dir beyond the graph, and network", s.Unaccounted.SizeBytes, 9_000 - 4_000 - 40 - 53 + 1_000},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	if r.Disk.AccountedBytes != du {
		t.Errorf("accounted %d of du %d: rows and Unaccounted must add up", r.Disk.AccountedBytes, du)
	}
	var history int64
	for _, n := range r.Notes {
		if n.Row == "images" && n.DockctlBytes == 9 {
			history = n.DockctlBytes
		}
	}
	if history != 9 {
		t.Errorf("no note of the 9 bytes only build history keeps: %+v", r.Notes)
	}
}

// Without containerd's socket (dockctl in a container with the root dir
// mounted, but not the socket) the containerd dir holds what docker's
// figures size: they come off it, not counted twice.
func TestDiskRowsContainerdWithoutTheGraph(t *testing.T) {
	t.Parallel()
	inv := storeInventory()
	inv.Store = nil
	inv.LayersSize = 4_000
	m := &probe.Measurement{RootDir: "/var/lib/docker", RootDirBytes: 10_000, TopLevel: []probe.DirBytes{{Name: "containerd", Bytes: 10_000}}}
	r := Build(inv, inspect.EngineInfo{StorageDriver: "overlayfs", ContainerdStore: true}, Options{Disk: m})
	// Containers' SizeRw 10 + 20; the one record is Shared (its bytes
	// are the images').
	if want := int64(10_000 - 4_000 - 30); r.Summary.Unaccounted.SizeBytes != want {
		t.Fatalf("unaccounted %d, want %d", r.Summary.Unaccounted.SizeBytes, want)
	}
	if r.Disk.AccountedBytes != 10_000 {
		t.Fatalf("accounted %d of 10000", r.Disk.AccountedBytes)
	}
}
