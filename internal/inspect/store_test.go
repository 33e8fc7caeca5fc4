package inspect

import (
	"slices"
	"testing"
)

// storeFixture is the research fixture of docs/design/containerd-image-store.md
// §3.3 in small: a base image, an image built FROM it with BuildKit, the
// build's records, a stopped container of the base, and an expired lease.
func storeFixture() *StoreGraph {
	snap := func(k string) string { return SnapshotKey("moby", "overlayfs", k) }
	return &StoreGraph{
		Snapshotter: "overlayfs",
		Objects: map[string]StoreObject{
			ContentKey("base-manifest"): {Bytes: 400, Refs: []string{ContentKey("base-config"), ContentKey("base-layer")}},
			ContentKey("base-config"):   {Bytes: 300, Refs: []string{snap("chain-base")}},
			ContentKey("base-layer"):    {Bytes: 1000},
			snap("chain-base"):          {Bytes: 2000},
			ContentKey("app-manifest"):  {Bytes: 600, Refs: []string{ContentKey("app-config"), ContentKey("base-layer"), ContentKey("app-layer")}},
			ContentKey("app-config"):    {Bytes: 500, Refs: []string{snap("chain-app")}},
			ContentKey("app-layer"):     {Bytes: 100},
			snap("chain-app"):           {Bytes: 200, Parent: snap("chain-base")},
			snap("rec-copy"):            {Bytes: 200, Parent: snap("chain-base")},
			snap("rec-context"):         {Bytes: 50},
			snap("ctr-init"):            {Bytes: 30, Parent: snap("chain-base")},
			snap("ctr"):                 {Bytes: 70, Parent: snap("ctr-init")},
			ContentKey("expired"):       {Bytes: 7},
		},
		Holders: []StoreHolder{
			{Namespace: "moby", Kind: HolderImage, ID: "docker.io/x/base:1", Target: "base-manifest", Holds: []string{ContentKey("base-manifest")}},
			{Namespace: "moby", Kind: HolderImage, ID: "docker.io/x/base:2", Target: "base-manifest", Holds: []string{ContentKey("base-manifest")}},
			{Namespace: "moby", Kind: HolderImage, ID: "docker.io/x/app:1", Target: "app-manifest", Holds: []string{ContentKey("app-manifest")}},
			{Namespace: "moby", Kind: HolderLease, ID: "recfrom", Flat: true, Holds: []string{ContentKey("base-layer"), snap("chain-base")}},
			{Namespace: "moby", Kind: HolderLease, ID: "reccopy", Flat: true, Holds: []string{snap("rec-copy")}},
			{Namespace: "moby", Kind: HolderLease, ID: "reccopy-variants", Holds: []string{ContentKey("app-layer")}},
			{Namespace: "moby", Kind: HolderLease, ID: "recctx", Flat: true, Holds: []string{snap("rec-context")}},
			{Namespace: "moby", Kind: HolderLease, ID: "ctr1", Holds: []string{snap("ctr"), snap("ctr-init")}},
			{Namespace: "moby_history", Kind: HolderLease, ID: "ref_1", Holds: []string{ContentKey("app-manifest")}, Flat: true},
		},
	}
}

func TestStoreBook(t *testing.T) {
	t.Parallel()
	type step struct {
		name  string
		match func(StoreHolder) bool
		want  int64
		found bool
	}
	image := func(id string) func(StoreHolder) bool { return func(h StoreHolder) bool { return h.ImageHolder(id) } }
	record := func(id string) func(StoreHolder) bool {
		return func(h StoreHolder) bool { return h.BuildRecordHolder(id) }
	}
	container := func(id string) func(StoreHolder) bool {
		return func(h StoreHolder) bool { return h.ContainerHolder(id) }
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"images alone: the records keep the base layer, its snapshot and the app layer; history keeps the app manifest", []step{
			{"app", image("app-manifest"), 7 + 500 + 200, true}, // garbage, app config, app snapshot
			{"base (both names)", image("base-manifest"), 400 + 300, true},
		}},
		{"build cache alone: the images keep every blob and the base snapshot", []step{
			{"from", record("recfrom"), 7, true},
			{"copy with its variants lease", record("reccopy"), 200, true},
			{"context", record("recctx"), 50, true},
		}},
		{"container first frees its layers; the base stays for the images", []step{
			{"ctr1", container("ctr1"), 7 + 70 + 30, true},
			{"unknown container", container("nope"), 0, false},
		}},
		{"everything: what only both kinds hold goes with the last holder", []step{
			{"ctr1", container("ctr1"), 107, true},
			{"app", image("app-manifest"), 700, true},
			{"base", image("base-manifest"), 700, true},
			{"from: its blob goes, its snapshot is rec-copy's parent", record("recfrom"), 1000, true},
			{"copy", record("reccopy"), 200 + 2000 + 100, true},
			{"context", record("recctx"), 50, true},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := storeFixture()
			b := g.NewBook()
			if b.Garbage() != 7 {
				t.Fatalf("garbage %d, want 7", b.Garbage())
			}
			for _, s := range tt.steps {
				got, found := b.Release(s.match)
				if got != s.want || found != s.found {
					t.Errorf("%s: freed %d (found %v), want %d (%v)", s.name, got, found, s.want, s.found)
				}
			}
		})
	}
}

func TestStoreBookHeld(t *testing.T) {
	t.Parallel()
	b := storeFixture().NewBook()
	// Everything but the expired blob, each object once.
	want := int64(400 + 300 + 1000 + 2000 + 600 + 500 + 100 + 200 + 200 + 50 + 30 + 70)
	if got := b.Held(); got != want {
		t.Fatalf("held %d, want %d", got, want)
	}
}

func TestStoreShares(t *testing.T) {
	t.Parallel()
	g := storeFixture()
	got := g.Shares(nil, []string{"ctr1"}, []string{"recfrom", "reccopy", "recctx"})
	want := StoreShares{
		Images:     400 + 300 + 1000 + 2000 + 600 + 500 + 100 + 200,
		Containers: 30 + 70,
		BuildCache: 200 + 50,
		Garbage:    7,
	}
	if got != want {
		t.Fatalf("Shares = %+v, want %+v", got, want)
	}
	// A record the engine no longer lists: its lease's objects are other
	// holders'.
	got = g.Shares(nil, nil, []string{"recfrom", "reccopy"})
	want = StoreShares{Images: want.Images, BuildCache: 200, Other: 30 + 70 + 50, Garbage: 7}
	if got != want {
		t.Fatalf("Shares without ctr1 and recctx = %+v, want %+v", got, want)
	}
}

func TestRemovedWith(t *testing.T) {
	t.Parallel()
	img := func(name, target, parent string) StoreHolder {
		return StoreHolder{Namespace: "moby", Kind: HolderImage, ID: name, Target: target, Parent: parent}
	}
	g := &StoreGraph{Holders: []StoreHolder{
		img("docker.io/x/base:1", "base", ""),
		img(DanglingPrefix+"copy", "copy", "base"),
		img(DanglingPrefix+"env", "env", "copy"),
		img("docker.io/x/app:1", "app", "env"),
		img("docker.io/x/tagged-step:1", "tagged", "base"),
		img("docker.io/x/child:1", "child", "tagged"),
		img("docker.io/x/loop:1", "loop", "loop2"),
		img(DanglingPrefix+"loop2", "loop2", "loop"),
	}}
	tests := []struct {
		id   string
		want []string
	}{
		{"app", []string{"app", "env", "copy"}}, // stops at base, which has a name
		{"child", []string{"child"}},            // its parent is tagged: kept
		{"base", []string{"base"}},
		{"loop", []string{"loop", "loop2"}}, // a cycle ends
		{"unknown", []string{"unknown"}},
	}
	for _, tt := range tests {
		if got := g.RemovedWith(tt.id); !slices.Equal(got, tt.want) {
			t.Errorf("RemovedWith(%s) = %v, want %v", tt.id, got, tt.want)
		}
	}
}

// A scoped report counts the images in scope only; what the others keep
// is Other.
func TestStoreSharesScoped(t *testing.T) {
	t.Parallel()
	g := storeFixture()
	got := g.Shares([]string{"app-manifest"}, nil, nil)
	want := StoreShares{
		Images:  600 + 500 + 1000 + 100 + 200 + 2000,
		Other:   400 + 300 + 200 + 50 + 30 + 70,
		Garbage: 7,
	}
	if got != want {
		t.Fatalf("Shares of app only = %+v, want %+v", got, want)
	}
}
