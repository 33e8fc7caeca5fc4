//go:build unix

package integration

// `dockctl report` and BuildKit: a layer that a Shared build-cache record
// also holds is not freed by removing the image, only with the cache. This
// file also measures the Docker root dir's disk use (allocated blocks),
// which needs syscall.Stat_t.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
)

func init() { walkRootDir = walkAllocated }

var errWalkTooSlow = errors.New("walking the root dir takes longer than " + duLimit.String() + " (much data under it)")

// walkAllocated sums the sizes of the regular files (and the blocks
// allocated to every entry) under root, each inode once, staying on root's filesystem (a
// container's mounted rootfs or shm is another one).
func walkAllocated(root string, limit time.Duration) (diskMeasure, error) {
	m := diskMeasure{byDir: map[string]int64{}}
	fi, err := os.Lstat(root)
	if err != nil {
		return m, err
	}
	rs, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return m, fmt.Errorf("%s: no stat_t", root)
	}
	rootDev := uint64(rs.Dev)
	deadline := time.Now().Add(limit)
	seen := map[uint64]bool{}
	n := 0
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while we walked
			}
			return err
		}
		if n++; n%256 == 1 && time.Now().After(deadline) {
			return errWalkTooSlow
		}
		info, err := d.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		s, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			return fmt.Errorf("%s: no stat_t", p)
		}
		if uint64(s.Dev) != rootDev {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !d.IsDir() && uint64(s.Nlink) > 1 {
			if seen[uint64(s.Ino)] {
				return nil
			}
			seen[uint64(s.Ino)] = true
		}
		m.allocated += int64(s.Blocks) * 512
		if info.Mode().IsRegular() {
			m.apparent += info.Size()
			top := "."
			if rel, err := filepath.Rel(root, p); err == nil {
				top, _, _ = strings.Cut(rel, string(filepath.Separator))
			}
			m.byDir[top] += info.Size()
		}
		return nil
	})
	return m, err
}

// ---------------------------------------------------------------------------
// Build cache records

// cacheRecords lists the engine's build-cache records by id.
func cacheRecords(t testing.TB) map[string]*build.CacheRecord {
	t.Helper()
	out := map[string]*build.CacheRecord{}
	for _, r := range diskUsage(t).BuildCache {
		if r != nil {
			out[r.ID] = r
		}
	}
	return out
}

// pruneCacheRecords removes the build-cache records whose ids are in ids
// (records this test made: they carry no label), one id per prune call,
// and returns the space the engine says it reclaimed. A record whose
// parent is also in ids goes first; passes repeat until none is left. It
// reports a record the engine removed that is not in ids.
func pruneCacheRecords(t testing.TB, c *client.Client, ids map[string]bool) int64 {
	t.Helper()
	remaining := map[string]bool{}
	for id := range ids {
		remaining[id] = true
	}
	var reclaimed int64
	// The engine matches the id filter as a regular expression: anchor it.
	// Should an engine match literally, the anchored form matches nothing,
	// and the next pass falls back to the plain id.
	anchored := true
	for pass := 1; pass <= 6 && len(remaining) > 0; pass++ {
		progress := false
		for _, id := range sortedIDs(remaining) {
			val := id
			if anchored {
				val = "^" + id + "$"
			}
			ctx, cancel := context.WithTimeout(context.Background(), fixtureTimeout)
			rep, err := c.BuildCachePrune(ctx, build.CachePruneOptions{All: true, Filters: filters.NewArgs(filters.Arg("id", val))})
			cancel()
			if err != nil {
				t.Errorf("pruning build-cache record %s: %v", id, err)
				continue
			}
			for _, d := range rep.CachesDeleted {
				if !ids[d] {
					t.Errorf("SAFETY: pruning build-cache record %s by id also removed record %s, which this test did not make", id, d)
				}
				delete(remaining, d)
				progress = true
			}
			reclaimed += int64(rep.SpaceReclaimed)
		}
		present := cacheRecords(t)
		for id := range remaining {
			if present[id] == nil {
				delete(remaining, id)
				progress = true
			}
		}
		if !progress {
			anchored = !anchored
		}
	}
	if len(remaining) > 0 {
		t.Errorf("build-cache records this test made are left: %v", sortedIDs(remaining))
	}
	return reclaimed
}

// ---------------------------------------------------------------------------
// BuildKit fixture

// buildkitCLI is the docker CLI whose own BuildKit client (DOCKER_BUILDKIT=1,
// no buildx needed: CLIs before 23) builds the image.
func buildkitCLI() string {
	if p := os.Getenv("DOCKCTL_IT_BUILDKIT_CLI"); p != "" {
		return p
	}
	return "/usr/bin/docker"
}

// bkBuild builds ref FROM fromRef (an image of this run) with BuildKit
// (buildkitCLI, DOCKER_BUILDKIT=1), one COPY per file (path in the image →
// content) and the fixture labels, and registers the image's cleanup. It
// adds the build-cache records that appeared with the build to mine (they
// carry no label: the caller prunes them, by id, and only them) and
// returns the image id and the records right after the build. It skips
// (fails under CI=true) where the CLI cannot build with BuildKit.
func bkBuild(t *testing.T, fromRef, ref string, files map[string][]byte, mine map[string]bool) (string, map[string]*build.CacheRecord) {
	t.Helper()
	c := requireEngine(t)
	cli := buildkitCLI()
	if st, err := os.Stat(cli); err != nil || st.IsDir() {
		skipf(t, "BuildKit unavailable: %s is absent; this test builds with that CLI's own BuildKit client (DOCKER_BUILDKIT=1 docker build: Debian's docker.io 20.10 has it built in, later CLIs need buildx); DOCKCTL_IT_BUILDKIT_CLI picks another", cli)
	}
	before := cacheRecords(t)
	dir := t.TempDir()
	var df strings.Builder
	fmt.Fprintf(&df, "FROM %s\n", fromRef)
	for i, p := range sortedKeys(files) {
		src := fmt.Sprintf("f%d", i)
		if err := os.WriteFile(filepath.Join(dir, src), files[p], 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&df, "COPY %s %s\n", src, p)
	}
	fmt.Fprintf(&df, "LABEL %s=%s %s=%s\n", strconv.Quote(runLabel), strconv.Quote(runID), strconv.Quote(caseLabel), strconv.Quote(caseName(t)))
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(df.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	iidFile := filepath.Join(t.TempDir(), "iid")
	ctx := testContext(t, commandTimeout)
	cmd := exec.CommandContext(ctx, cli, "build", "--iidfile", iidFile, "-t", ref, dir)
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=1")
	out, buildErr := cmd.CombinedOutput()
	after := cacheRecords(t)
	for id := range after {
		if before[id] == nil {
			mine[id] = true
		}
	}
	var id string
	if b, err := os.ReadFile(iidFile); err == nil {
		id = strings.TrimSpace(string(b))
	} else if ii, err := c.ImageInspect(testContext(t, fixtureTimeout), ref); err == nil && ours(imageLabels(ii)) {
		id = ii.ID
	}
	if id != "" {
		t.Cleanup(func() { cleanupImage(t, id) })
	}
	if buildErr != nil {
		low := strings.ToLower(string(out))
		if strings.Contains(low, "buildx") || strings.Contains(low, "buildkit not supported") || strings.Contains(low, "experimental") {
			skipf(t, "BuildKit unavailable: DOCKER_BUILDKIT=1 %s build does not work here (DOCKCTL_IT_BUILDKIT_CLI picks another CLI): %v\n%s", cli, buildErr, out)
		}
		t.Fatalf("DOCKER_BUILDKIT=1 %s build: %v\n%s", cli, buildErr, out)
	}
	if id == "" {
		t.Fatalf("the build made no image id:\n%s", out)
	}
	return id, after
}

const (
	bkBaseBytes = 64<<10 + 3
	bkBlobBytes = 3_000_000 + 4321
)

// bkWorld is a BuildKit build FROM a labelled imported base, adding one
// COPY layer of bkBlobBytes.
type bkWorld struct {
	base, app string // image ids
	// mine are the build-cache records the build made (they carry no
	// label); cleanup prunes them, and only them, by id.
	mine  map[string]bool
	after map[string]*build.CacheRecord // the records right after the build
	// layer is the app's own layer as the engine's store counts it (see
	// buildKitWorld); held says a new Shared record holds it.
	layer int64
	held  bool
	// alone is what removing the app alone frees while the base stays,
	// by the store's rules: on a graph driver its layer, or nothing when a
	// Shared record holds it; on the containerd store see buildKitWorld.
	alone int64
	sd    scopedDF // /system/df after the build
}

// buildKitWorld builds the fixture, or skips (fails under CI=true) when
// the CLI cannot build with BuildKit. With holder, a created container keeps the base in use.
func buildKitWorld(t *testing.T, holder bool) *bkWorld {
	t.Helper()
	c := requireEngine(t)
	cli := buildkitCLI()
	if st, err := os.Stat(cli); err != nil || st.IsDir() {
		skipf(t, "BuildKit unavailable: %s is absent; this test builds with that CLI's own BuildKit client (DOCKER_BUILDKIT=1 docker build: Debian's docker.io 20.10 has it built in, later CLIs need buildx); DOCKCTL_IT_BUILDKIT_CLI picks another", cli)
	}
	w := &bkWorld{mine: map[string]bool{}}
	baseRef, appRef := imageRef("bk-base", "1"), imageRef("bk-app", "1")
	w.base = importImage(t, baseRef, map[string][]byte{"/opt/bk-base.bin": randomBytes(t, bkBaseBytes)}, map[string]string{"role": "bk-base"})
	if holder {
		createContainer(t, baseRef, objName("bk-holder"), containerOpts{})
	}

	// Build-cache records carry no labels: the test's are the ids that
	// appear with its build; cleanup removes those and nothing else.
	t.Cleanup(func() {
		if len(w.mine) > 0 {
			pruneCacheRecords(t, c, w.mine)
		}
	})
	w.app, w.after = bkBuild(t, baseRef, appRef, map[string][]byte{"/blob": randomBytes(t, bkBlobBytes)}, w.mine)
	for _, id := range sortedIDs(w.mine) {
		r := w.after[id]
		t.Logf("new build-cache record %s: %s %q size %d shared %v in use %v", id, r.Type, r.Description, r.Size, r.Shared, r.InUse)
	}

	// The app's own layer, as the engine's store sizes it.
	w.sd = scopedDiskUsage(t, w.mine)
	B, A := w.sd.images[w.base], w.sd.images[w.app]
	if B == nil || A == nil || len(w.sd.images) != 2 {
		t.Fatalf("fixture: /system/df lists %d images of this test, want the base and the app", len(w.sd.images))
	}
	e := engineUnderTest(t)
	if e.Containerd {
		// Its blob, snapshot, manifest and config (store_test.go). The
		// COPY record holds its own snapshot of the layer and the blob
		// (model §2.6): it is Shared, sized snapshot + blob.
		sb, sa := readStoredImage(t, w.base), readStoredImage(t, w.app)
		checkStoredBase(t, sb, map[string]int64{"/opt/bk-base.bin": bkBaseBytes})
		w.layer = checkStoredDerived(t, sb, sa, A, B, map[string]int64{"/blob": bkBlobBytes})
		top := sa.Layers[len(sa.Layers)-1]
		for id := range w.mine {
			if r := w.after[id]; r.Shared && r.Size > top.Size && r.Size-top.Size >= bkBlobBytes {
				w.held = true
			}
		}
		// Removing the app alone frees the one object only the image
		// holds: its unpacked snapshot of the layer (BuildKit's export
		// applies the blob into a new chain-id snapshot, model §2.6).
		// The COPY record holds the blob and a snapshot of its own, the
		// build's history record (namespace moby_history) the manifest
		// and config (model §3.3).
		w.alone = w.layer
		if w.held {
			w.alone = sa.Snapshots[len(sa.Snapshots)-1]
		}
	} else {
		w.layer = A.Size - B.Size
		if w.layer != bkBlobBytes {
			t.Fatalf("fixture (engine problem, not dockctl) on the %s: the app's own layer is %d bytes, want %d (a layer's size is its files')", e.store(), w.layer, bkBlobBytes)
		}
		for id := range w.mine {
			if r := w.after[id]; r.Shared && r.Size == w.layer {
				w.held = true
			}
		}
		if !w.held {
			w.alone = w.layer
		}
	}
	if !w.held {
		t.Logf("%s: no new Shared build-cache record holding the app's %d-byte layer: this engine does not share the layer with the cache", e, w.layer)
	}
	return w
}

// dockctlCacheFigure is what dockctl counts as reclaimable of the records
// in ids, from an unscoped `dockctl report -v` (build cache has no labels):
// the Build Cache row's reclaimable_bytes when the engine holds no other
// records, else the listed records added up as that row adds them, plus
// the layer store layers of chain ids in held that the report lists as
// held by "from local" records (cache_held_layers: the row counts them on
// one of those records, which may be another test's).
//
// On the containerd image store the records hold blobs and snapshots an
// adding-up of their sizes cannot see (a COPY record's own snapshot is in
// a record docker marks Shared; a FROM record pins the base's snapshot),
// and dockctl reads what each holds from containerd: its figure for just
// these records is the report's Build Cache row scoped to their ids.
func dockctlCacheFigure(t *testing.T, ids map[string]bool, held map[string]bool) int64 {
	t.Helper()
	if engineUnderTest(t).Containerd {
		args := []string{"report", "--format", "json", "--no-cache"}
		for _, id := range sortedIDs(ids) {
			args = append(args, "--filter", "id="+id)
		}
		out, errOut, code := runDockctl(t, args...)
		if code != 0 {
			t.Fatalf("dockctl %s: exit %d, stderr %q", strings.Join(args, " "), code, errOut)
		}
		var doc struct {
			Summary struct {
				BuildCache reportRow `json:"build_cache"`
			} `json:"summary"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("dockctl %s: %v", strings.Join(args, " "), err)
		}
		// A record listed while its build ran (in use) may be gone
		// since: count those the engine lists now.
		now := cacheRecords(t)
		listed := 0
		for id := range ids {
			if now[id] != nil {
				listed++
			}
		}
		if doc.Summary.BuildCache.Total != listed {
			t.Errorf("dockctl report scoped to the test's %d build-cache records the engine lists counts %d", listed, doc.Summary.BuildCache.Total)
		}
		t.Logf("build cache on the containerd image store: dockctl's row for the test's %d records: %+v", len(ids), doc.Summary.BuildCache)
		return doc.Summary.BuildCache.ReclaimableBytes
	}
	args := []string{"report", "-v", "--format", "json", "--no-cache"}
	out, errOut, code := runDockctl(t, args...)
	if code != 0 {
		t.Fatalf("dockctl %s: exit %d, stderr %q", strings.Join(args, " "), code, errOut)
	}
	var doc struct {
		Summary struct {
			BuildCache reportRow `json:"build_cache"`
		} `json:"summary"`
		BuildCache []struct {
			ID        string `json:"id"`
			SizeBytes int64  `json:"size_bytes"`
			InUse     bool   `json:"in_use"`
			Shared    bool   `json:"shared"`
		} `json:"build_cache"`
		CacheHeldLayers []struct {
			ChainID   string `json:"chain_id"`
			SizeBytes int64  `json:"size_bytes"`
		} `json:"cache_held_layers"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("dockctl %s: %v", strings.Join(args, " "), err)
	}
	var n int64
	seen := 0
	for _, r := range doc.BuildCache {
		if ids[r.ID] {
			seen++
			if !r.Shared && !r.InUse {
				n += r.SizeBytes
			}
		}
	}
	if seen != len(ids) {
		t.Errorf("dockctl report -v lists %d of the test's %d build-cache records", seen, len(ids))
	}
	if seen == len(doc.BuildCache) {
		t.Logf("build cache: the engine holds only the test's records: dockctl's row %+v", doc.Summary.BuildCache)
		return doc.Summary.BuildCache.ReclaimableBytes
	}
	for _, l := range doc.CacheHeldLayers {
		if held[l.ChainID] {
			n += l.SizeBytes
		}
	}
	t.Logf("build cache: the engine holds %d other records: adding up the test's %d as the row does, with the layers they hold (%d bytes; held layers listed %+v)", len(doc.BuildCache)-seen, seen, n, doc.CacheHeldLayers)
	return n
}

// pruneBuildKitRecords prunes the world's records and checks the root dir's
// disk use dropped by what dockctl counts for them. held are the chain ids
// of removed images' layers the records hold, and heldBytes their size:
// the engine sizes the records holding them 0 B, dockctl counts them (see
// TestReportBuildKitBaseImage).
func pruneBuildKitRecords(t *testing.T, w *bkWorld, root *rootDir, held map[string]bool, heldBytes int64) {
	t.Helper()
	c := requireEngine(t)
	for _, id := range sortedIDs(w.mine) {
		if r := cacheRecords(t)[id]; r != nil {
			t.Logf("build-cache record %s now: size %d shared %v in use %v", id, r.Size, r.Shared, r.InUse)
		}
	}
	predicted := dockctlCacheFigure(t, w.mine, held)
	duB, haveDU := root.measure(t)
	sdB := scopedDiskUsage(t, w.mine)
	reclaimed := pruneCacheRecords(t, c, w.mine)
	duA, _ := root.measure(t)
	sdA := scopedDiskUsage(t, w.mine)
	w.mine = nil
	t.Logf("build cache: dockctl counts %d bytes of the test's records as reclaimable; the engine says pruning them reclaimed %d", predicted, reclaimed)
	if predicted < 2*bkBlobBytes {
		t.Errorf("build cache: dockctl counts %d bytes of the test's records; want ≥ %d once the image is gone (the COPY result and the context)", predicted, 2*bkBlobBytes)
	}
	if !enginesClaimsAreTruth(t) {
		// The engine's SpaceReclaimed is the records' Sizes added up: a
		// "from" record's is its blob without the snapshot it pins, an
		// exported layer's counts the blob the image keeps (model §2.6).
		t.Logf("build cache: not compared with the engine's reclaimed %d on the %s, which is no measure of the disk", reclaimed, engineUnderTest(t).store())
	} else if predicted != reclaimed+heldBytes {
		t.Errorf("build cache: dockctl predicted %d, want the engine's reclaimed %d plus the %d bytes of removed images' layers the records hold, which the engine sizes 0", predicted, reclaimed, heldBytes)
	}
	if haveDU && duA.ok && sdB.quiet(t, sdA, "build cache") {
		checkDU(t, "build cache (the test's records)", duB, duA, predicted)
	} else {
		measuredOnlyByEngine(t, "build cache")
	}
}

// ---------------------------------------------------------------------------
// Tests

// The image's own layer is held by a Shared build-cache record: removing
// the image frees (next to) nothing on a graph driver (the record holds
// the very layer), only the image's unpacked snapshot on the containerd
// store (the record holds the blob and a snapshot of its own); pruning
// the records frees the rest.
func TestReportBuildKitSharedLayers(t *testing.T) {
	c := requireEngine(t)
	w := buildKitWorld(t, true) // a container keeps the base in use
	B := w.sd.images[w.base]
	e := engineUnderTest(t)

	doc := reportJSON(t, scopeFilters(t))
	im := doc.Summary.Images
	t.Logf("dockctl predicts: images %+v; full cleanup %d; notes %+v", im, doc.FullCleanupBytes, doc.Notes)
	if im.Total != 2 || im.Active != 1 || im.SizeBytes != B.Size+w.layer {
		t.Errorf("images: total %d active %d size %d; want 2, 1 and %d", im.Total, im.Active, im.SizeBytes, B.Size+w.layer)
	}
	// docker's way over the scope: every layer but the unique ones of
	// images in use (the base's layer is shared, so none; on the
	// containerd store the base's manifest and config are its own).
	if want := B.Size + w.layer - (B.Size - B.SharedSize); im.DockerReclaimableBytes != want {
		t.Errorf("images: docker_reclaimable_bytes %d; docker's sum over the scope is %d (the engine-wide LayersSize is %d)", im.DockerReclaimableBytes, want, w.sd.layersSize)
	}
	if w.held {
		if im.ReclaimableBytes != w.alone {
			t.Errorf("images (%s): dockctl predicted reclaimable_bytes %d, want %d: the app's own %d bytes are held by a Shared build-cache record but for those, and the base is in use", e.store(), im.ReclaimableBytes, w.alone, w.layer)
		}
		found := false
		for _, n := range doc.Notes {
			if n.Row == "images" && n.DockctlBytes == w.layer && strings.Contains(strings.ToLower(n.Text), "cache") {
				found = true
			}
		}
		if !found && !e.Containerd {
			t.Errorf("notes: none on the images row saying that the build cache holds %d bytes: %+v", w.layer, doc.Notes)
		}
	} else if im.ReclaimableBytes != w.layer {
		t.Errorf("images: dockctl predicted reclaimable_bytes %d, want the app's own layer %d (no cache record shares it)", im.ReclaimableBytes, w.layer)
	}

	// Ground truth: docker's own prune of the test's images, which removes
	// the app (the base is in use).
	root := localRootDir(t, c, w.base)
	duB, haveDU := root.measure(t)
	p := pruneScoped(t, "image")
	duA, _ := root.measure(t)
	checkReclaimed(t, "images", p, im.ReclaimableBytes)
	sd := scopedDiskUsage(t, w.mine)
	quiet := w.sd.quiet(t, sd, "images")
	if _, ok := sd.images[w.app]; ok {
		t.Fatalf("docker image prune left the app image")
	}
	if _, ok := sd.images[w.base]; !ok {
		t.Fatalf("docker image prune removed the base, which a container uses")
	}
	t.Logf("images: the engine's LayersSize dropped %d (docker's accounting); dockctl predicted %d", w.sd.layersSize-sd.layersSize, im.ReclaimableBytes)
	if haveDU && quiet && duA.ok {
		drop := checkDU(t, "images", duB, duA, im.ReclaimableBytes)
		if w.held && (abs64(drop-w.alone) >= 64<<10 || (!e.Containerd && duB.allocated-duA.allocated >= 64<<10)) {
			t.Errorf("images (%s): removing the app freed %d bytes on disk (%d allocated); want %d within 64 kB, the cache holding the rest of its %d bytes", e.store(), drop, duB.allocated-duA.allocated, w.alone, w.layer)
		}
	} else {
		measuredOnlyByEngine(t, "images")
	}

	// Then the test's own records, by id: they free the layer (and the
	// build context).
	pruneBuildKitRecords(t, w, root, nil, 0)
}

// The base image a BuildKit build started FROM, once unused: its layer is
// held by the build's "from" record as long as that lives, whatever size
// the engine reports for the record. Also the full cleanup under a label
// filter, which leaves the build cache alone.
func TestReportBuildKitBaseImage(t *testing.T) {
	c := requireEngine(t)
	w := buildKitWorld(t, false) // nothing uses the base
	B := w.sd.images[w.base]

	doc := reportJSON(t, scopeFilters(t))
	im := doc.Summary.Images
	t.Logf("dockctl predicts: images %+v; full cleanup %d; notes %+v", im, doc.FullCleanupBytes, doc.Notes)
	if im.Total != 2 || im.Active != 0 || im.SizeBytes != B.Size+w.layer {
		t.Errorf("images: total %d active %d size %d; want 2, 0 and %d", im.Total, im.Active, im.SizeBytes, B.Size+w.layer)
	}

	// docker's own prune of the test's images removes both. Under the
	// label filter that is also the whole of a full cleanup (no
	// containers, no volumes; build cache carries no label).
	root := localRootDir(t, c, w.base)
	ii, err := c.ImageInspect(testContext(t, fixtureTimeout), w.base)
	if err != nil || len(ii.RootFS.Layers) != 1 {
		t.Fatalf("fixture: inspecting the base: %v (layers %v; want one)", err, ii.RootFS.Layers)
	}
	baseChain := ii.RootFS.Layers[0] // a one-layer image's chain id is its diff id
	duB, haveDU := root.measure(t)
	p := pruneScoped(t, "image")
	duA, _ := root.measure(t)
	checkReclaimed(t, "images", p, im.ReclaimableBytes)
	checkReclaimed(t, "full cleanup under the label filter (full_cleanup_reclaimable_bytes)", p, doc.FullCleanupBytes)
	sd := scopedDiskUsage(t, w.mine)
	quiet := w.sd.quiet(t, sd, "images")
	if len(sd.images) != 0 {
		t.Fatalf("docker image prune left %d of the test's images", len(sd.images))
	}
	t.Logf("images: the engine's LayersSize dropped %d (docker's accounting: base %d + app's own %d)", w.sd.layersSize-sd.layersSize, B.Size, w.layer)
	if haveDU && quiet && duA.ok {
		checkDU(t, "images", duB, duA, im.ReclaimableBytes)
		checkDU(t, "full cleanup under the label filter (full_cleanup_reclaimable_bytes)", duB, duA, doc.FullCleanupBytes)
	} else {
		t.Log("images: the root dir's disk use was not measured: the prediction is checked against the engine's prune report only")
	}

	// Then the records: what they free now includes whatever they held of
	// the removed images. Once the base image is gone (removed here by
	// docker, outside dockctl's plan), its layer is held only by
	// BuildKit's "from local" record, which the engine reports with size
	// 0, so no figure of the API includes it (issue 11 5b); dockctl reads
	// it in the layer store (no image uses it) and counts it in the build
	// cache's RECLAIMABLE, the full cleanup and the dry run of `prune
	// buildcache --all`: its bytes on top of the engine's, what the disk
	// frees.
	checkPlanIsReport(t)
	pruneBuildKitRecords(t, w, root, map[string]bool{baseChain: true}, B.Size)
}

// checkPlanIsReport checks the build cache's RECLAIMABLE and the full
// cleanup of an unscoped report against the dry runs of `prune buildcache
// --all` and `prune --all --volumes`, engine-wide (build cache has no
// labels): other tests change the engine meanwhile, so a mismatch is
// asked again once before it fails.
func checkPlanIsReport(t *testing.T) {
	t.Helper()
	figures := func() (row, full, cachePlan, fullPlan int64) {
		var doc struct {
			Summary struct {
				BuildCache reportRow `json:"build_cache"`
			} `json:"summary"`
			FullCleanupBytes int64 `json:"full_cleanup_reclaimable_bytes"`
		}
		runJSON(t, &doc, "report", "--format", "json", "--no-cache")
		var plan struct {
			ReclaimBytes int64 `json:"reclaim_bytes"`
		}
		runJSON(t, &plan, "prune", "buildcache", "--all", "--dry-run", "--format", "json")
		cachePlan = plan.ReclaimBytes
		runJSON(t, &plan, "prune", "--all", "--volumes", "--dry-run", "--format", "json")
		return doc.Summary.BuildCache.ReclaimableBytes, doc.FullCleanupBytes, cachePlan, plan.ReclaimBytes
	}
	row, full, cachePlan, fullPlan := figures()
	if row != cachePlan || full != fullPlan {
		t.Logf("report %d/%d and dry runs %d/%d differ: asking again (other tests change the engine)", row, full, cachePlan, fullPlan)
		row, full, cachePlan, fullPlan = figures()
	}
	t.Logf("build cache: report reclaimable %d, prune buildcache --all --dry-run %d; full cleanup %d, prune --all --volumes --dry-run %d", row, cachePlan, full, fullPlan)
	if row != cachePlan {
		t.Errorf("build cache: report's reclaimable_bytes %d, the dry run of prune buildcache --all plans %d", row, cachePlan)
	}
	if full != fullPlan {
		t.Errorf("full cleanup: report's %d, the dry run of prune --all --volumes plans %d", full, fullPlan)
	}
}

// runJSON runs dockctl and decodes its stdout into v.
func runJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	out, errOut, code := runDockctl(t, args...)
	if code != 0 {
		t.Fatalf("dockctl %s: exit %d, stderr %q", strings.Join(args, " "), code, errOut)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("dockctl %s: %v", strings.Join(args, " "), err)
	}
}

// docker system df's Build Cache row with Shared records in it (and the
// other rows), as in TestReportMatchesDockerSystemDF.
func TestReportMatchesDockerSystemDFBuildKit(t *testing.T) {
	requireEngine(t)
	buildKitWorld(t, true)
	compareWithSystemDF(t)
}
