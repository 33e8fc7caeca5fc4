//go:build unix

package integration

// Issue 13 item 2: the storage probe reads the containerd image store's
// object graph (probe.Store, inspect.StoreGraph) from the engine's
// containerd. Checked against what the engine and the disk say on their
// own: blob files, image ids, a container's layer, build-cache records
// and image history sizes.

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/system"

	"github.com/dockctl/dockctl/internal/inspect"
)

// containerdStore reports whether the engine keeps images in containerd.
func containerdStore(info system.Info) bool {
	for _, kv := range info.DriverStatus {
		if kv[0] == "driver-type" && kv[1] == "io.containerd.snapshotter.v1" {
			return true
		}
	}
	return false
}

// storeBuild builds appRef FROM baseRef with BuildKit (a COPY of n random
// bytes) and returns the image id and the build-cache records it made,
// which cleanup prunes by id. Unlike buildKitWorld it checks nothing of
// the engine's sizes, which differ on the containerd store.
func storeBuild(t *testing.T, baseRef, appRef string, n int) (string, map[string]*build.CacheRecord) {
	t.Helper()
	c := requireEngine(t)
	cli := buildkitCLI()
	if st, err := os.Stat(cli); err != nil || st.IsDir() {
		skipf(t, "BuildKit unavailable: %s is absent (DOCKCTL_IT_BUILDKIT_CLI picks another CLI)", cli)
	}
	before := cacheRecords(t)
	mine := map[string]*build.CacheRecord{}
	t.Cleanup(func() {
		ids := map[string]bool{}
		for id := range mine {
			ids[id] = true
		}
		if len(ids) > 0 {
			pruneCacheRecords(t, c, ids)
		}
	})
	dir := t.TempDir()
	df := fmt.Sprintf("FROM %s\nCOPY blob /blob\nLABEL %s=%s %s=%s\n", baseRef,
		strconv.Quote(runLabel), strconv.Quote(runID), strconv.Quote(caseLabel), strconv.Quote(caseName(t)))
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "blob"), randomBytes(t, n), 0o644); err != nil {
		t.Fatal(err)
	}
	iidFile := filepath.Join(t.TempDir(), "iid")
	cmd := exec.CommandContext(testContext(t, commandTimeout), cli, "build", "--iidfile", iidFile, "-t", appRef, dir)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=1")
	out, buildErr := cmd.CombinedOutput()
	for id, r := range cacheRecords(t) {
		if before[id] == nil {
			mine[id] = r
		}
	}
	b, err := os.ReadFile(iidFile)
	if buildErr != nil || err != nil {
		t.Fatalf("DOCKER_BUILDKIT=1 %s build: %v %v\n%s", cli, buildErr, err, out)
	}
	app := strings.TrimSpace(string(b))
	t.Cleanup(func() { cleanupImage(t, app) })
	if len(mine) == 0 {
		t.Fatalf("fixture: the build made no build-cache record:\n%s", out)
	}
	return app, mine
}

func TestStoreGraph(t *testing.T) {
	c := requireEngine(t)
	ctx := testContext(t, 10*time.Minute)
	info, p := requireProbe(t, ctx)
	if !containerdStore(info) {
		g, err := p.Store(ctx)
		if g != nil || err != nil {
			t.Fatalf("graph-driver store (%s): Store = %v, %v; want nil, nil", info.Driver, g, err)
		}
		t.Logf("graph-driver store (%s): no containerd graph, as it must be", info.Driver)
		return
	}

	baseRef, appRef := imageRef("store-base", "1"), imageRef("store-app", "1")
	base := importImage(t, baseRef, map[string][]byte{"/opt/base.bin": randomBytes(t, 200_003)}, nil)
	app, records := storeBuild(t, baseRef, appRef, 300_007)
	ctr := createContainer(t, baseRef, objName("store-stopped"), containerOpts{State: stateExited, WriteBytes: 100_000})

	g, err := p.Store(ctx)
	if err != nil || g == nil {
		t.Fatalf("containerd store: Store = %v, %v; want the graph", g, err)
	}
	t.Logf("graph: %d objects, %d holders, snapshotter %s", len(g.Objects), len(g.Holders), g.Snapshotter)
	snap := func(key string) string { return inspect.SnapshotKey("moby", g.Snapshotter, key) }

	// Every blob's size is its file's: the content store keeps one file
	// per digest. Other tests remove images meanwhile, so a file gone
	// since the graph was read is no mismatch; this test's images' blobs
	// must all be there.
	blobs := filepath.Join(p.RootDir(), "containerd", "daemon", "io.containerd.content.v1.content", "blobs", "sha256")
	checked, gone := 0, 0
	for key, o := range g.Objects {
		digest, ok := strings.CutPrefix(key, "content/")
		if !ok {
			continue
		}
		hex, ok := strings.CutPrefix(digest, "sha256:")
		if !ok {
			t.Errorf("blob %s: not a sha256 digest", key)
			continue
		}
		st, err := os.Stat(filepath.Join(blobs, hex))
		if errors.Is(err, fs.ErrNotExist) {
			gone++
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		checked++
		if st.Size() != o.Bytes {
			t.Errorf("blob %s: graph says %d bytes, its file has %d", digest, o.Bytes, st.Size())
		}
	}
	t.Logf("blob files: %d match their sizes, %d removed since the graph was read", checked, gone)

	// The image holders are the images' names, targeting the engine's
	// image ids; each reaches its blobs, all of them on disk.
	for ref, id := range map[string]string{baseRef: base, appRef: app} {
		var names []string
		for _, h := range g.Holders {
			if h.Namespace == "moby" && h.Kind == inspect.HolderImage && h.ID == "docker.io/"+ref {
				names = append(names, h.ID)
				if h.Target != id {
					t.Errorf("image holder %s targets %s, the engine's image id is %s", h.ID, h.Target, id)
				}
			}
		}
		if len(names) != 1 {
			t.Errorf("image %s: %d holders named docker.io/%s, want 1", id, len(names), ref)
		}
		if o, ok := g.Objects[inspect.ContentKey(id)]; !ok || o.Bytes <= 0 {
			t.Errorf("image %s: its manifest %v is not a blob of the graph", id, o)
		}
		if _, err := os.Stat(filepath.Join(blobs, strings.TrimPrefix(id, "sha256:"))); err != nil {
			t.Errorf("image %s: its manifest's file: %v", id, err)
		}
	}

	// The stopped container's lease holds its writable layer and its init
	// layer, which sits on the base's chain; the layer's usage is the
	// engine's SizeRw.
	var lease *inspect.StoreHolder
	for i, h := range g.Holders {
		if h.Namespace == "moby" && h.ContainerHolder(ctr) {
			lease = &g.Holders[i]
		}
	}
	if lease == nil {
		t.Fatalf("container %s: no lease holder", ctr)
	}
	for _, k := range []string{snap(ctr), snap(ctr + "-init")} {
		if !contains(lease.Holds, k) {
			t.Errorf("container %s: its lease holds %v, not %s", ctr, lease.Holds, k)
		}
	}
	if o := g.Objects[snap(ctr)]; o.Parent != snap(ctr+"-init") {
		t.Errorf("container %s: writable snapshot's parent %q, want its -init", ctr, o.Parent)
	}
	if o := g.Objects[snap(ctr+"-init")]; o.Parent != snap(chainOf(t, base)) {
		t.Errorf("container %s: -init snapshot's parent %q, want the base's chain %s", ctr, o.Parent, chainOf(t, base))
	}
	ci, _, err := c.ContainerInspectWithRaw(ctx, ctr, true)
	if err != nil {
		t.Fatal(err)
	}
	if ci.SizeRw == nil || *ci.SizeRw != g.Objects[snap(ctr)].Bytes {
		t.Errorf("container %s: SizeRw %v, the graph's writable snapshot %d bytes", ctr, ci.SizeRw, g.Objects[snap(ctr)].Bytes)
	}

	t.Logf("container %s: lease holds %d objects; writable snapshot %d bytes = SizeRw", ctr, len(lease.Holds), *ci.SizeRw)

	// Each build-cache record /system/df lists has a lease named after it.
	for id := range records {
		found := false
		for _, h := range g.Holders {
			found = found || (h.Namespace == "moby" && h.Kind == inspect.HolderLease && h.ID == id)
		}
		if !found {
			t.Errorf("build-cache record %s (%s %q): no lease", id, records[id].Type, records[id].Description)
		}
	}
	t.Logf("build-cache records of the build: %d, each with its lease", len(records))

	// An image's snapshot chain is its history: /images/{id}/history
	// sizes each layer by its snapshot's usage.
	for _, id := range []string{base, app} {
		hist, err := c.ImageHistory(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var want, got int64
		for _, h := range hist {
			want += h.Size
		}
		n := 0
		for k := snap(chainOf(t, id)); k != ""; k = g.Objects[k].Parent {
			o, ok := g.Objects[k]
			if !ok {
				t.Fatalf("image %s: snapshot %s of its chain is not in the graph", id, k)
			}
			got += o.Bytes
			n++
		}
		if got != want || n == 0 {
			t.Errorf("image %s: its %d snapshots use %d bytes, its history says %d", id, n, got, want)
		}
		t.Logf("image %s: %d snapshots, %d bytes = its history's", id, n, got)
	}

	// dockctl reads it too: the report has no note that it could not.
	doc := reportJSON(t, scopeFilters(t))
	for _, n := range doc.Notes {
		if strings.Contains(n.Text, "containerd image store") {
			t.Errorf("report note %q: dockctl could not read the store the test read", n.Text)
		}
	}
	// The report and the dry runs account from the same inventory,
	// graph attached alike.
	checkPlanIsReport(t)
}
