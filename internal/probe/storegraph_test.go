package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/system"

	"github.com/dockctl/dockctl/internal/inspect"
)

// fakeStore is storeAPI with one func field per call.
type fakeStore struct {
	namespaces     func(ctx context.Context) ([]string, error)
	images         func(ctx context.Context, ns string) ([]storeImage, error)
	leases         func(ctx context.Context, ns string) ([]storeLease, error)
	leaseResources func(ctx context.Context, ns, lease string) ([]storeResource, error)
	content        func(ctx context.Context, ns string) ([]storeBlob, error)
	snapshots      func(ctx context.Context, ns, snapshotter string) ([]storeSnapshot, error)
	usage          func(ctx context.Context, ns, snapshotter, key string) (int64, error)
}

func (f *fakeStore) Namespaces(ctx context.Context) ([]string, error) { return f.namespaces(ctx) }
func (f *fakeStore) Images(ctx context.Context, ns string) ([]storeImage, error) {
	return f.images(ctx, ns)
}
func (f *fakeStore) Leases(ctx context.Context, ns string) ([]storeLease, error) {
	return f.leases(ctx, ns)
}
func (f *fakeStore) LeaseResources(ctx context.Context, ns, lease string) ([]storeResource, error) {
	return f.leaseResources(ctx, ns, lease)
}
func (f *fakeStore) Content(ctx context.Context, ns string) ([]storeBlob, error) {
	return f.content(ctx, ns)
}
func (f *fakeStore) Snapshots(ctx context.Context, ns, snapshotter string) ([]storeSnapshot, error) {
	return f.snapshots(ctx, ns, snapshotter)
}
func (f *fakeStore) Usage(ctx context.Context, ns, snapshotter, key string) (int64, error) {
	return f.usage(ctx, ns, snapshotter, key)
}

// storeNS is one namespace's metadata as containerd lists it.
type storeNS struct {
	images    []storeImage
	leases    []storeLease
	resources map[string][]storeResource // by lease
	blobs     []storeBlob
	snapshots []storeSnapshot
	usage     map[string]int64 // by snapshot key
}

// fakeOf serves namespaces' data; missing leases and snapshots are
// NotFound, as containerd answers for ones removed since listed.
func fakeOf(data map[string]storeNS) *fakeStore {
	return &fakeStore{
		namespaces: func(context.Context) ([]string, error) {
			var out []string
			for ns := range data {
				out = append(out, ns)
			}
			return out, nil
		},
		images: func(_ context.Context, ns string) ([]storeImage, error) { return data[ns].images, nil },
		leases: func(_ context.Context, ns string) ([]storeLease, error) { return data[ns].leases, nil },
		leaseResources: func(_ context.Context, ns, lease string) ([]storeResource, error) {
			r, ok := data[ns].resources[lease]
			if !ok {
				return nil, fmt.Errorf("lease %q: %w", lease, errdefs.ErrNotFound)
			}
			return r, nil
		},
		content: func(_ context.Context, ns string) ([]storeBlob, error) { return data[ns].blobs, nil },
		snapshots: func(_ context.Context, ns, snapshotter string) ([]storeSnapshot, error) {
			if snapshotter != "overlayfs" {
				return nil, fmt.Errorf("snapshotter %q: %w", snapshotter, errdefs.ErrNotFound)
			}
			return data[ns].snapshots, nil
		},
		usage: func(ctx context.Context, ns, _, key string) (int64, error) {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			n, ok := data[ns].usage[key]
			if !ok {
				return 0, fmt.Errorf("snapshot %q: %w", key, errdefs.ErrNotFound)
			}
			return n, nil
		},
	}
}

var storeNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// storeData is the fixture of inspect's storeFixture as containerd lists
// it: a base image and an image BuildKit built FROM it, the build's
// records, a stopped container of the base, build history in
// moby_history, an expired lease, and the label forms the collector
// reads and those it does not.
func storeData() map[string]storeNS {
	expire := func(d time.Duration) string { return storeNow.Add(d).Format(time.RFC3339) }
	return map[string]storeNS{
		"moby": {
			images: []storeImage{
				{Name: "docker.io/x/base:1", Target: "base-manifest"},
				{Name: "docker.io/x/base:2", Target: "base-manifest"},
				{Name: "docker.io/x/app:1", Target: "app-manifest"},
				{Name: "docker.io/x/old:1", Target: "old-manifest", Labels: map[string]string{labelGCExpire: expire(-time.Minute)}},
			},
			blobs: []storeBlob{
				{Digest: "base-manifest", Size: 400, Labels: map[string]string{
					"containerd.io/gc.ref.content.config": "base-config",
					"containerd.io/gc.ref.content.l.0":    "base-layer",
					"containerd.io/distribution.source":   "x",
				}},
				{Digest: "base-config", Size: 300, Labels: map[string]string{"containerd.io/gc.ref.snapshot.overlayfs": "chain-base"}},
				{Digest: "base-layer", Size: 1000, Labels: map[string]string{"containerd.io/uncompressed": "diff-base"}},
				{Digest: "app-manifest", Size: 600, Labels: map[string]string{
					"containerd.io/gc.ref.content.0": "app-config",
					"containerd.io/gc.ref.content.1": "base-layer",
					// BuildKit's form: '.' then a name with colons.
					"containerd.io/gc.ref.content.blob-sha256:x:y": "app-layer",
				}},
				{Digest: "app-config", Size: 500, Labels: map[string]string{"containerd.io/gc.ref.snapshot.overlayfs/extra": "chain-app"}},
				{Digest: "app-layer", Size: 100},
				{Digest: "expired", Size: 7},
				// Not reference labels: a longer word after the prefix.
				{Digest: "pinned", Size: 9, Labels: map[string]string{
					"containerd.io/gc.root":             "2026-01-01T00:00:00Z",
					"containerd.io/gc.ref.contentish":   "expired",
					"containerd.io/gc.reference.foo":    "expired",
					"containerd.io/gc.ref.snapshot.zfs": "z",
				}},
			},
			snapshots: []storeSnapshot{
				{Key: "chain-base"},
				{Key: "chain-app", Parent: "chain-base"},
				{Key: "rec-copy", Parent: "chain-base"},
				{Key: "rec-context"},
				{Key: "ctr-init", Parent: "chain-base"},
				{Key: "ctr", Parent: "ctr-init"},
				{Key: "removed-meanwhile"},
			},
			usage: map[string]int64{"chain-base": 2000, "chain-app": 200, "rec-copy": 200, "rec-context": 50, "ctr-init": 30, "ctr": 70},
			leases: []storeLease{
				{ID: "recfrom", Labels: map[string]string{labelGCFlat: "2026-12-01T10:29:31Z"}},
				{ID: "reccopy", Labels: map[string]string{labelGCFlat: ""}},
				{ID: "reccopy-variants"},
				{ID: "recctx", Labels: map[string]string{labelGCFlat: "", labelGCExpire: expire(time.Hour)}},
				{ID: "ctr1"},
				{ID: "tmp", Labels: map[string]string{labelGCExpire: expire(-time.Second)}},
				{ID: "released-meanwhile"},
			},
			resources: map[string][]storeResource{
				"recfrom":          {{"snapshots/overlayfs", "chain-base"}, {"content", "base-layer"}},
				"reccopy":          {{"snapshots/overlayfs", "rec-copy"}},
				"reccopy-variants": {{"content", "app-layer"}},
				"recctx":           {{"snapshots/overlayfs", "rec-context"}, {"ingests", "upload-1"}},
				"ctr1":             {{"snapshots/overlayfs", "ctr-init"}, {"snapshots/overlayfs", "ctr"}},
				"tmp":              {{"content", "expired"}},
			},
		},
		"moby_history": {
			// BuildKit's history keeps its own records of the app's
			// manifest and config: there the manifest names the config
			// (and provenance) only, and the config nothing.
			blobs: []storeBlob{
				{Digest: "app-manifest", Size: 600, Labels: map[string]string{
					"containerd.io/gc.ref.content.0":          "app-config",
					"containerd.io/gc.ref.content/provenance": "prov",
				}},
				{Digest: "app-config", Size: 500},
				{Digest: "prov", Size: 5},
			},
			// History leases are not flat.
			leases: []storeLease{{ID: "ref_1"}, {ID: "ref_flat", Labels: map[string]string{labelGCFlat: ""}}},
			resources: map[string][]storeResource{
				// base-layer has no record in moby_history: the lease
				// names it, yet keeps nothing of it.
				"ref_1":    {{"content", "app-manifest"}, {"content", "prov"}, {"content", "base-layer"}, {"images", "no-such-image"}},
				"ref_flat": {{"content", "app-manifest"}},
			},
		},
		"empty": {},
	}
}

func TestReadStore(t *testing.T) {
	t.Parallel()
	snap := func(k string) string { return inspect.SnapshotKey("moby", "overlayfs", k) }
	c := inspect.ContentKey
	rec := func(ns, d string) string { return recordKey(ns, c(d)) }
	want := &inspect.StoreGraph{
		Snapshotter: "overlayfs",
		Objects: map[string]inspect.StoreObject{
			c("base-manifest"): {Bytes: 400, Refs: []string{c("base-config"), c("base-layer")}},
			c("base-config"):   {Bytes: 300, Refs: []string{snap("chain-base")}},
			c("base-layer"):    {Bytes: 1000},
			// The namespaces disagree on the app's manifest and config:
			// the files carry the bytes, each namespace's record its
			// references.
			c("app-manifest"):                   {Bytes: 600},
			rec("moby", "app-manifest"):         {Refs: []string{c("app-layer"), c("app-manifest"), c("base-layer"), rec("moby", "app-config")}},
			rec("moby_history", "app-manifest"): {Refs: []string{c("app-manifest"), c("prov"), rec("moby_history", "app-config")}},
			c("app-config"):                     {Bytes: 500},
			rec("moby", "app-config"):           {Refs: []string{c("app-config"), snap("chain-app")}},
			rec("moby_history", "app-config"):   {Refs: []string{c("app-config")}},
			c("app-layer"):                      {Bytes: 100},
			c("expired"):                        {Bytes: 7},
			c("pinned"):                         {Bytes: 9, Refs: []string{inspect.SnapshotKey("moby", "zfs", "z")}},
			c("prov"):                           {Bytes: 5},
			snap("chain-base"):                  {Bytes: 2000},
			snap("chain-app"):                   {Bytes: 200, Parent: snap("chain-base")},
			snap("rec-copy"):                    {Bytes: 200, Parent: snap("chain-base")},
			snap("rec-context"):                 {Bytes: 50},
			snap("ctr-init"):                    {Bytes: 30, Parent: snap("chain-base")},
			snap("ctr"):                         {Bytes: 70, Parent: snap("ctr-init")},
		},
		Holders: []inspect.StoreHolder{
			{Namespace: "moby", Kind: inspect.HolderImage, ID: "docker.io/x/app:1", Target: "app-manifest", Holds: []string{rec("moby", "app-manifest")}},
			{Namespace: "moby", Kind: inspect.HolderImage, ID: "docker.io/x/base:1", Target: "base-manifest", Holds: []string{c("base-manifest")}},
			{Namespace: "moby", Kind: inspect.HolderImage, ID: "docker.io/x/base:2", Target: "base-manifest", Holds: []string{c("base-manifest")}},
			{Namespace: "moby", Kind: inspect.HolderLease, ID: "ctr1", Holds: []string{snap("ctr"), snap("ctr-init")}},
			{Namespace: "moby", Kind: inspect.HolderLease, ID: "reccopy", Flat: true, Holds: []string{snap("rec-copy")}},
			{Namespace: "moby", Kind: inspect.HolderLease, ID: "reccopy-variants", Holds: []string{c("app-layer")}},
			{Namespace: "moby", Kind: inspect.HolderLease, ID: "recctx", Flat: true, Holds: []string{snap("rec-context")}},
			{Namespace: "moby", Kind: inspect.HolderLease, ID: "recfrom", Flat: true, Holds: []string{c("base-layer"), snap("chain-base")}},
			{Namespace: "moby", Kind: inspect.HolderRoot, ID: c("pinned"), Holds: []string{c("pinned")}},
			{Namespace: "moby_history", Kind: inspect.HolderLease, ID: "ref_1", Holds: []string{c("prov"), rec("moby_history", "app-manifest"), rec("moby_history", "base-layer")}},
			// Flat: the file, not a record whose references it would follow.
			{Namespace: "moby_history", Kind: inspect.HolderLease, ID: "ref_flat", Flat: true, Holds: []string{c("app-manifest")}},
		},
	}
	got, err := readStore(context.Background(), fakeOf(storeData()), "overlayfs", storeNow)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Objects, want.Objects) {
		for k, o := range want.Objects {
			if g, ok := got.Objects[k]; !ok || !reflect.DeepEqual(g, o) {
				t.Errorf("object %s: got %+v (present %v), want %+v", k, g, ok, o)
			}
		}
		for k, o := range got.Objects {
			if _, ok := want.Objects[k]; !ok {
				t.Errorf("object %s: got %+v, want none", k, o)
			}
		}
	}
	if !reflect.DeepEqual(got.Holders, want.Holders) {
		t.Errorf("holders:\n got %+v\nwant %+v", got.Holders, want.Holders)
	}
	if got.Snapshotter != want.Snapshotter {
		t.Errorf("snapshotter %q, want %q", got.Snapshotter, want.Snapshotter)
	}

	// What the graph says removals free, garbage (the expired lease's
	// blob) first. The history keeps the app's manifest and config
	// files, not what moby's records of them reference: removing the
	// app's image frees its snapshot (a union of the namespaces'
	// references would keep it).
	b := got.NewBook()
	if n := b.Garbage(); n != 7 {
		t.Errorf("garbage %d, want 7 (the blob only an expired lease held)", n)
	}
	steps := []struct {
		name  string
		match func(inspect.StoreHolder) bool
		want  int64
	}{
		{"container", func(h inspect.StoreHolder) bool { return h.ContainerHolder("ctr1") }, 7 + 70 + 30},
		{"app image", func(h inspect.StoreHolder) bool { return h.ImageHolder("app-manifest") }, 200},
		{"history", func(h inspect.StoreHolder) bool {
			return h.Kind == inspect.HolderLease && h.Namespace == "moby_history"
		}, 600 + 500 + 5},
	}
	for _, st := range steps {
		if n, ok := b.Release(st.match); n != st.want || !ok {
			t.Errorf("removing the %s frees %d (found %v), want %d", st.name, n, ok, st.want)
		}
	}
}

func TestReadStoreErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	tests := []struct {
		name    string
		breakIt func(f *fakeStore)
		want    string
	}{
		{"namespaces", func(f *fakeStore) {
			f.namespaces = func(context.Context) ([]string, error) { return nil, boom }
		}, "listing containerd namespaces: boom"},
		{"content", func(f *fakeStore) {
			f.content = func(context.Context, string) ([]storeBlob, error) { return nil, boom }
		}, "listing content in namespace empty: boom"},
		{"lease resources", func(f *fakeStore) {
			f.leaseResources = func(context.Context, string, string) ([]storeResource, error) { return nil, boom }
		}, "listing the resources of lease"},
		{"usage", func(f *fakeStore) {
			f.usage = func(context.Context, string, string, string) (int64, error) { return 0, boom }
		}, "sizing snapshot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := fakeOf(storeData())
			tt.breakIt(f)
			_, err := readStore(context.Background(), f, "overlayfs", storeNow)
			if !errors.Is(err, boom) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one saying %q wrapping boom", err, tt.want)
			}
		})
	}
}

// Many snapshots are sized Workers() at a time, and a cancelled context
// stops the reading with its error.
func TestReadStoreUsageBoundedAndCancelled(t *testing.T) {
	t.Parallel()
	data := map[string]storeNS{"moby": {usage: map[string]int64{}}}
	ns := data["moby"]
	for i := range 200 {
		k := fmt.Sprintf("s%d", i)
		ns.snapshots = append(ns.snapshots, storeSnapshot{Key: k})
		ns.usage[k] = int64(i)
	}
	data["moby"] = ns
	f := fakeOf(data)
	var running, most atomic.Int64
	inner := f.usage
	f.usage = func(ctx context.Context, ns, ss, key string) (int64, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(time.Millisecond)
		return inner(ctx, ns, ss, key)
	}
	g, err := readStore(context.Background(), f, "overlayfs", storeNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.Objects) != 200 {
		t.Errorf("%d objects, want 200", len(g.Objects))
	}
	if m := most.Load(); m > int64(Workers()) {
		t.Errorf("%d Usage calls at once, want at most Workers() = %d", m, Workers())
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := readStore(ctx, f, "overlayfs", storeNow); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: error %v, want context.Canceled", err)
	}
}

func TestLabelRefs(t *testing.T) {
	t.Parallel()
	c := inspect.ContentKey
	tests := []struct {
		labels map[string]string
		want   []string
	}{
		{map[string]string{"containerd.io/gc.ref.content": "a"}, []string{c("a")}},
		{map[string]string{"containerd.io/gc.ref.content.m.1": "a", "containerd.io/gc.ref.content/x": "b"}, []string{c("a"), c("b")}},
		{map[string]string{"containerd.io/gc.ref.contents": "a", "containerd.io/gc.ref.content_x": "b"}, nil},
		{map[string]string{"containerd.io/gc.ref.snapshot.overlayfs": "k"}, []string{inspect.SnapshotKey("ns", "overlayfs", "k")}},
		{map[string]string{"containerd.io/gc.ref.snapshot.native/any/thing": "k"}, []string{inspect.SnapshotKey("ns", "native", "k")}},
		{map[string]string{"containerd.io/gc.ref.snapshot": "k", "containerd.io/gc.root": "x"}, nil},
		{map[string]string{"containerd.io/gc.ref.content.0": "a", "containerd.io/gc.ref.content.1": "a"}, []string{c("a")}},
	}
	for _, tt := range tests {
		if got := labelRefs("ns", tt.labels); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("labelRefs(%v) = %v, want %v", tt.labels, got, tt.want)
		}
	}
}

// Store reads nothing on a graph-driver engine, and says in one line
// why it cannot read a containerd store's socket.
func TestStoreUnavailable(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	c8d := [][2]string{{"driver-type", "io.containerd.snapshotter.v1"}}
	open := func(t *testing.T, info system.Info) *Probe {
		t.Helper()
		info.DockerRootDir = root
		p, err := Open(info, Options{})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	ctx := context.Background()

	g, err := open(t, system.Info{Driver: "overlay2"}).Store(ctx)
	if g != nil || err != nil {
		t.Errorf("graph driver: Store = %v, %v; want nil, nil", g, err)
	}

	// A socket nobody listens on: closed right after binding.
	dead := filepath.Join(t.TempDir(), "dead.sock")
	l, err := net.Listen("unix", dead)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()

	tests := []struct {
		name   string
		socket *system.ContainerdInfo
		reason Reason
		says   string
	}{
		{"no address", nil, ReasonNoSocket, "did not report its containerd socket"},
		{"missing", &system.ContainerdInfo{Address: filepath.Join(root, "nope.sock")}, ReasonNotFound, "is not visible here"},
		{"not listening", &system.ContainerdInfo{Address: "unix://" + dead}, ReasonFailed, "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := open(t, system.Info{Driver: "overlayfs", DriverStatus: c8d, Containerd: tt.socket}).Store(ctx)
			var u *StoreUnavailable
			if !errors.As(err, &u) || u.Reason != tt.reason || !strings.Contains(err.Error(), tt.says) {
				t.Errorf("Store error %v, want a *StoreUnavailable %s saying %q", err, tt.reason, tt.says)
			}
		})
	}
}

// TestMeasureWithStore: on the containerd store, with its graph, a
// stopped container's writable layer is its snapshot's usage (and the
// init layer's beside it), and the blob files an image keeps are the
// image's share of the containerd dir, one walk each, counted once; a
// blob only a build record keeps stays the dir's own.
func TestMeasureWithStore(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	blobs := "containerd/daemon/io.containerd.content.v1.content/blobs/sha256/"
	tree{files: map[string]int{
		blobs + "aaaa": 1000, // the image's manifest
		blobs + "bbbb": 3000, // its layer
		blobs + "cccc": 500,  // a build record's blob
		"containerd/daemon/io.containerd.metadata.v1.bolt/meta.db": 64,
		"containers/c1/c1-json.log":                                10,
		"containers/c2/c2-json.log":                                10,
	}}.build(t, root)
	info := system.Info{DockerRootDir: "/var/lib/docker", Driver: "overlayfs", DriverStatus: [][2]string{{"driver-type", "io.containerd.snapshotter.v1"}}}
	p, err := Open(info, Options{RootDir: root})
	if err != nil {
		t.Fatal(err)
	}
	snap := func(k string) string { return inspect.SnapshotKey("moby", "overlayfs", k) }
	c := inspect.ContentKey
	g := &inspect.StoreGraph{
		Snapshotter: "overlayfs",
		Objects: map[string]inspect.StoreObject{
			c("sha256:aaaa"): {Bytes: 1000, Refs: []string{c("sha256:bbbb")}},
			c("sha256:bbbb"): {Bytes: 3000},
			c("sha256:cccc"): {Bytes: 500},
			snap("c1-init"):  {Bytes: 28672},
			snap("c1"):       {Bytes: 311296, Parent: snap("c1-init")},
		},
		Holders: []inspect.StoreHolder{
			{Namespace: "moby", Kind: inspect.HolderImage, ID: "docker.io/x/a:1", Target: "sha256:aaaa", Holds: []string{c("sha256:aaaa")}},
			{Namespace: "moby", Kind: inspect.HolderLease, ID: "c1", Holds: []string{snap("c1"), snap("c1-init")}},
			{Namespace: "moby", Kind: inspect.HolderLease, ID: "rec", Flat: true, Holds: []string{c("sha256:cccc"), c("sha256:bbbb")}},
		},
	}
	// c2 has no snapshot in the graph: said why, as without one.
	targets := Targets{Containers: []Container{{ID: "c1"}, {ID: "c2"}}, Store: g}
	m, err := p.Measure(context.Background(), targets)
	if err != nil {
		t.Fatal(err)
	}
	if c1 := m.Containers[0]; c1.WritableBytes != 311296 || c1.InitBytes != 28672 || c1.WritableUnknown != "" {
		t.Errorf("c1: writable %d (%q), init %d; want 311296 and 28672 from the graph", c1.WritableBytes, c1.WritableUnknown, c1.InitBytes)
	}
	if c2 := m.Containers[1]; c2.WritableBytes != -1 || c2.WritableUnknown == "" {
		t.Errorf("c2: writable %d (%q), want -1 with a reason", c2.WritableBytes, c2.WritableUnknown)
	}
	var cd DirBytes
	for _, d := range m.TopLevel {
		if d.Name == "containerd" {
			cd = d
		}
	}
	if cd.ImageBytes != 1000+3000 || cd.ContainerBytes != 0 || cd.Bytes != duSbx(t, filepath.Join(root, "containerd")) {
		t.Errorf("containerd dir %+v: want image bytes 4000 (the image's two blobs), none a container's, bytes = du -sbx %d", cd, duSbx(t, filepath.Join(root, "containerd")))
	}
	if m.RootDirBytes != duSbx(t, root) {
		t.Errorf("root dir %d, du -sbx %d", m.RootDirBytes, duSbx(t, root))
	}

	// Without the graph: the stopped container is unknown, the blobs
	// the dir's own.
	targets.Store = nil
	if m, err = p.Measure(context.Background(), targets); err != nil {
		t.Fatal(err)
	}
	for _, d := range m.TopLevel {
		if d.Name == "containerd" && d.ImageBytes != 0 {
			t.Errorf("without the graph: containerd image bytes %d, want 0", d.ImageBytes)
		}
	}
	if m.Containers[0].WritableBytes != -1 {
		t.Errorf("without the graph: c1 writable %d, want -1", m.Containers[0].WritableBytes)
	}
}
