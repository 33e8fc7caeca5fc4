package integration

// Which engine the tests run on, and how it keeps images. The suite runs
// on two engines (.ci/run): Debian's Docker 20.10 (API 1.41) with a graph
// driver, where an image is a stack of layers and its Size is the bytes of
// their files; and Docker 29 (API 1.56) with the containerd image store,
// where an image is content blobs (its manifest, its config and each
// layer's compressed tar) plus one unpacked snapshot per layer, and its
// Size is both: moby's daemon/containerd image_list.go adds every
// manifest's present content (by descriptor size) to the snapshot chain's
// usage (allocated blocks). A fixture check states which store it ran on
// and checks that store's own equation (docs/design/containerd-image-store.md
// §2.4, §3), so that a test gets on to dockctl's figures on both.

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// engineFacts says what the engine under test is.
type engineFacts struct {
	// Version is the engine's version (docker version's Server.Version;
	// engine29 says "library-import", its module path being moby v2).
	Version string
	// API is the newest API version the engine speaks; Negotiated is the
	// one dockctl's client (and these tests') talk to it.
	API, Negotiated string
	// Driver is docker info's Driver: the graph driver, or the snapshotter
	// on the containerd store.
	Driver string
	// Containerd is set on the containerd image store (docker info's
	// DriverStatus [["driver-type", "io.containerd.snapshotter.v1"]]).
	Containerd bool
	RootDir    string
}

// String names the engine the way test messages do.
func (e engineFacts) String() string {
	store := "graph driver " + e.Driver
	if e.Containerd {
		store = "containerd image store, snapshotter " + e.Driver
	}
	return fmt.Sprintf("engine %s (API %s, talked at %s), %s", e.Version, e.API, e.Negotiated, store)
}

// sizedOnDisk reports whether dockctl report sizes this engine's
// containers and volumes itself (no /system/df for them): a graph driver
// whose layer store names each container's layer dir, and a root dir
// readable here.
func (e engineFacts) sizedOnDisk() bool {
	if e.Containerd || (e.Driver != "overlay2" && e.Driver != "fuse-overlayfs") {
		return false
	}
	_, err := os.ReadDir(e.RootDir)
	return err == nil
}

// reportDF is how many /system/df requests one dockctl report makes on
// this engine: none where it sizes on disk and asks BuildKit for the
// build cache (before API 1.42, where df would size everything); one
// otherwise (from 1.42 for the types left).
func (e engineFacts) reportDF() int {
	if e.sizedOnDisk() && !versionAtLeast(e.Negotiated, "1.42") {
		return 0
	}
	return 1
}

// listingDF is how many /system/df requests `dockctl inspect containers`
// or `inspect volumes` makes on this engine: none where the probe sizes
// them on disk, else one.
func (e engineFacts) listingDF() int {
	if e.sizedOnDisk() {
		return 0
	}
	return 1
}

// buildCacheDF is how many /system/df requests `dockctl inspect
// buildcache` makes: none before API 1.42, where BuildKit lists the
// records (a df would size every container and volume); one from 1.42,
// typed to the build cache alone.
func (e engineFacts) buildCacheDF() int {
	if versionAtLeast(e.Negotiated, "1.42") {
		return 1
	}
	return 0
}

// store names the image store alone, for messages.
func (e engineFacts) store() string {
	if e.Containerd {
		return "containerd image store"
	}
	return "graph driver " + e.Driver
}

var (
	factsOnce sync.Once
	facts     engineFacts
	factsErr  error
)

// engineUnderTest reads the engine's facts once per run.
func engineUnderTest(t testing.TB) engineFacts {
	t.Helper()
	c := requireEngine(t)
	factsOnce.Do(func() {
		ctx := testContext(t, time.Minute)
		v, err := c.ServerVersion(ctx)
		if err != nil {
			factsErr = fmt.Errorf("ServerVersion: %w", err)
			return
		}
		info, err := c.Info(ctx)
		if err != nil {
			factsErr = fmt.Errorf("Info: %w", err)
			return
		}
		facts = engineFacts{Version: v.Version, API: v.APIVersion, Negotiated: c.ClientVersion(), Driver: info.Driver, RootDir: info.DockerRootDir}
		for _, kv := range info.DriverStatus {
			if len(kv) == 2 && kv[0] == "driver-type" && kv[1] == "io.containerd.snapshotter.v1" {
				facts.Containerd = true
			}
		}
	})
	if factsErr != nil {
		t.Fatalf("reading the engine's facts: %v", factsErr)
	}
	return facts
}

// ---------------------------------------------------------------------------
// An image as the containerd store keeps it

// storedLayer is one layer blob of an image and the regular files its tar
// holds (path → size), with how many directories it holds.
type storedLayer struct {
	ocispec.Descriptor
	Files map[string]int64
	Dirs  int
}

// files is the sum of the layer's file sizes.
func (l storedLayer) files() int64 {
	var n int64
	for _, s := range l.Files {
		n += s
	}
	return n
}

// storedImage is one image of the containerd store, read through the
// engine's API only (no access to its root dir is needed): the image
// summary with its manifests (API ≥ 1.47), the blobs `docker save`
// exports (the content store's own: same digests and sizes) and the
// snapshot usage per layer (/images/{id}/history: each layer's
// snapshot usage, moby image_history.go).
type storedImage struct {
	ID       string
	Summary  image.Summary
	Manifest ocispec.Descriptor
	Config   ocispec.Descriptor
	Layers   []storedLayer // bottom to top
	// Content and Unpacked are the engine's figures for the image's one
	// platform (Manifests[].Size.Content and ImageData.Size.Unpacked).
	Content, Unpacked int64
	// Snapshots are the history's layer sizes, bottom to top (empty
	// layers left out): each layer's own snapshot usage.
	Snapshots []int64
}

// meta is the image's manifest and config: per image, never shared.
func (s storedImage) meta() int64 { return s.Manifest.Size + s.Config.Size }

// blobs is the image's manifest, config and layer blobs.
func (s storedImage) blobs() int64 {
	n := s.meta()
	for _, l := range s.Layers {
		n += l.Size
	}
	return n
}

// readStoredImage reads image id of the containerd store.
func readStoredImage(t testing.TB, id string) storedImage {
	t.Helper()
	c := requireEngine(t)
	ctx := testContext(t, fixtureTimeout)
	s := storedImage{ID: id}
	list, err := c.ImageList(ctx, image.ListOptions{All: true, Manifests: true, Filters: runArgs()})
	if err != nil {
		t.Fatalf("listing images with their manifests: %v", err)
	}
	for _, sum := range list {
		if sum.ID == id {
			s.Summary = sum
		}
	}
	if s.Summary.ID == "" {
		t.Fatalf("image %s: not in the image list", short(id))
	}
	var images []image.ManifestSummary
	for _, m := range s.Summary.Manifests {
		if m.Kind == image.ManifestKindImage {
			images = append(images, m)
		}
	}
	if len(images) != 1 {
		t.Fatalf("image %s: %d image manifests (%+v), want one: a fixture has one platform", short(id), len(images), s.Summary.Manifests)
	}
	s.Content, s.Unpacked = images[0].Size.Content, images[0].ImageData.Size.Unpacked

	blobs := savedBlobs(t, id)
	s.Manifest = images[0].Descriptor
	var m ocispec.Manifest
	if err := json.Unmarshal(blobs[s.Manifest.Digest.String()], &m); err != nil {
		t.Fatalf("image %s: manifest %s: %v", short(id), s.Manifest.Digest, err)
	}
	if int64(len(blobs[s.Manifest.Digest.String()])) != s.Manifest.Size {
		t.Fatalf("image %s: docker save's manifest has %d bytes, its descriptor says %d", short(id), len(blobs[s.Manifest.Digest.String()]), s.Manifest.Size)
	}
	s.Config = m.Config
	for _, d := range m.Layers {
		b, ok := blobs[d.Digest.String()]
		if !ok || int64(len(b)) != d.Size {
			t.Fatalf("image %s: docker save has %d bytes of layer %s (present %v), its descriptor says %d", short(id), len(b), d.Digest, ok, d.Size)
		}
		l := storedLayer{Descriptor: d, Files: map[string]int64{}}
		if err := tarFiles(d.MediaType, b, &l); err != nil {
			t.Fatalf("image %s: layer %s: %v", short(id), d.Digest, err)
		}
		s.Layers = append(s.Layers, l)
	}

	hist, err := c.ImageHistory(ctx, id)
	if err != nil {
		t.Fatalf("image %s: history: %v", short(id), err)
	}
	for i := len(hist) - 1; i >= 0; i-- { // the history is newest first
		if hist[i].Size > 0 {
			s.Snapshots = append(s.Snapshots, hist[i].Size)
		}
	}
	return s
}

// savedBlobs exports image id with `docker save` (an OCI layout on the
// containerd store) and returns its blobs by digest.
func savedBlobs(t testing.TB, id string) map[string][]byte {
	t.Helper()
	rc, err := requireEngine(t).ImageSave(testContext(t, fixtureTimeout), []string{id})
	if err != nil {
		t.Fatalf("saving image %s: %v", short(id), err)
	}
	defer rc.Close()
	out := map[string][]byte{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("saving image %s: %v", short(id), err)
		}
		hex, ok := strings.CutPrefix(h.Name, "blobs/sha256/")
		if !ok || h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("saving image %s: %v", short(id), err)
		}
		out["sha256:"+hex] = b
	}
	return out
}

// tarFiles lists the regular files and directories of a layer blob.
func tarFiles(mediaType string, blob []byte, l *storedLayer) error {
	var r io.Reader = bytes.NewReader(blob)
	switch {
	case strings.HasSuffix(mediaType, "gzip"):
		zr, err := gzip.NewReader(r)
		if err != nil {
			return err
		}
		r = zr
	case strings.HasSuffix(mediaType, "zstd"):
		return fmt.Errorf("a zstd layer (%s): these tests read gzip or plain tar", mediaType)
	}
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		switch h.Typeflag {
		case tar.TypeReg:
			l.Files["/"+strings.TrimPrefix(path.Clean(h.Name), "/")] = h.Size
		case tar.TypeDir:
			l.Dirs++
		}
	}
}

// snapshotBounds are the least and the most a snapshot holding layer l can
// use: the snapshotter counts allocated blocks (containerd continuity's
// DiskUsage: st_blocks × 512) of the files, the directories and the
// snapshot's root, so at least the files' bytes and at most their 4 KiB
// blocks plus one block per directory.
func snapshotBounds(l storedLayer) (lo, hi int64) {
	const block = 4096
	for _, s := range l.Files {
		lo += s
		hi += (s + block - 1) / block * block
	}
	hi += block * int64(l.Dirs+1)
	return lo, hi
}

// checkStoredBase checks image b of the containerd store against the
// store's equations: Size = Content + Unpacked; Content = its manifest,
// config and layer blobs; Unpacked = its layers' snapshots. With files,
// its top layer must hold exactly those files (path → bytes), its
// snapshot within snapshotBounds.
func checkStoredBase(t testing.TB, b storedImage, files map[string]int64) {
	t.Helper()
	name := short(b.ID)
	if b.Summary.Size != b.Content+b.Unpacked {
		t.Fatalf("fixture (engine problem, not dockctl) on the containerd image store: image %s Size %d, want Content %d + Unpacked %d (moby image_list.go)", name, b.Summary.Size, b.Content, b.Unpacked)
	}
	if b.Content != b.blobs() {
		t.Fatalf("fixture (engine problem, not dockctl) on the containerd image store: image %s Content %d, want its manifest %d + config %d + layer blobs = %d", name, b.Content, b.Manifest.Size, b.Config.Size, b.blobs())
	}
	if sum(map[int]int64(indexed(b.Snapshots))) != b.Unpacked || len(b.Snapshots) != len(b.Layers) {
		t.Fatalf("fixture (engine problem, not dockctl) on the containerd image store: image %s snapshots %v (one per layer of %d), want them to add up to Unpacked %d", name, b.Snapshots, len(b.Layers), b.Unpacked)
	}
	if files == nil {
		return
	}
	top := b.Layers[len(b.Layers)-1]
	for p, n := range files {
		if top.Files[p] != n {
			t.Fatalf("fixture (engine problem, not dockctl): image %s's top layer holds %s with %d bytes, want %d (its files: %v)", name, p, top.Files[p], n, top.Files)
		}
	}
	snap := b.Snapshots[len(b.Snapshots)-1]
	if lo, hi := snapshotBounds(top); snap < lo || snap > hi {
		t.Fatalf("fixture (engine problem, not dockctl): image %s's top snapshot uses %d bytes, want between its files' %d and their blocks' %d", name, snap, lo, hi)
	}
}

// checkStoredDerived checks image a, built FROM base b with one layer of
// its own holding files, on the containerd store, and returns the bytes
// the engine counts as a's own: a.Size − a.SharedSize (SharedSize as
// /system/df computes it, over the listed images), which on this store is
// its manifest, its config, its own layer's blob and its own snapshot —
// not a.Size − b.Size, which also has a's manifest and config in place
// of b's. It checks a.SharedSize = b's layer blobs + b's snapshots = b.Size
// less b's manifest and config, which are per image.
func checkStoredDerived(t testing.TB, b, a storedImage, dfA, dfB *image.Summary, files map[string]int64) int64 {
	t.Helper()
	checkStoredBase(t, a, files)
	name := short(a.ID)
	if len(a.Layers) != len(b.Layers)+1 {
		t.Fatalf("fixture (engine problem, not dockctl): image %s has %d layers, want its base's %d and one of its own", name, len(a.Layers), len(b.Layers))
	}
	for i, l := range b.Layers {
		if a.Layers[i].Digest != l.Digest || a.Snapshots[i] != b.Snapshots[i] {
			t.Fatalf("fixture (engine problem, not dockctl): image %s's layer %d is blob %s (snapshot %d), its base's %s (%d)", name, i, a.Layers[i].Digest, a.Snapshots[i], l.Digest, b.Snapshots[i])
		}
	}
	baseShared := dfB.Size - b.meta()
	if dfA.SharedSize != baseShared {
		t.Fatalf("fixture (engine problem, not dockctl) on the containerd image store: image %s SharedSize %d, want its base's blobs and snapshots %d (base Size %d less its manifest and config %d)", name, dfA.SharedSize, baseShared, dfB.Size, b.meta())
	}
	own := dfA.Size - dfA.SharedSize
	top := a.Layers[len(a.Layers)-1]
	if want := a.meta() + top.Size + a.Snapshots[len(a.Snapshots)-1]; own != want {
		t.Fatalf("fixture (engine problem, not dockctl) on the containerd image store: image %s's own bytes %d (Size − SharedSize), want manifest %d + config %d + layer blob %d + snapshot %d = %d",
			name, own, a.Manifest.Size, a.Config.Size, top.Size, a.Snapshots[len(a.Snapshots)-1], want)
	}
	t.Logf("containerd image store: image %s's own bytes %d = manifest %d + config %d + layer blob %d + snapshot %d (files %d)",
		name, own, a.Manifest.Size, a.Config.Size, top.Size, a.Snapshots[len(a.Snapshots)-1], top.files())
	return own
}

func indexed(s []int64) map[int]int64 {
	m := map[int]int64{}
	for i, v := range s {
		m[i] = v
	}
	return m
}

// ---------------------------------------------------------------------------
// What is ground truth where

// enginesClaimsAreTruth reports whether the engine's own figures for what
// a prune freed (SpaceReclaimed, the drop of LayersSize) measure the disk.
// On a graph driver they do: a layer's size is its files'. On the
// containerd image store they do not, either way: SpaceReclaimed claims
// blobs the build history keeps and misses container configs, -init
// snapshots and directories; LayersSize leaves out what only build-cache
// records hold (docs/design/containerd-image-store.md §3.4). There the
// root dir's disk use is the only measure.
func enginesClaimsAreTruth(t testing.TB) bool { return !engineUnderTest(t).Containerd }

// measuredOnlyByEngine says that the root dir's disk use was not measured
// for what: on a graph driver the engine's figures were checked instead;
// on the containerd store nothing was, which fails under CI=true (a run
// that checks nothing must not pass there) and is announced otherwise.
func measuredOnlyByEngine(t testing.TB, what string) {
	t.Helper()
	if enginesClaimsAreTruth(t) {
		t.Logf("%s: the root dir's disk use was not measured: the prediction is checked against the engine's prune report only", what)
		return
	}
	inconclusive(t, "%s: the root dir's disk use was not measured, and on the %s the engine's own figures are no measure (its root dir must be readable here, and no other client may change the engine meanwhile)", what, engineUnderTest(t).store())
}

// inconclusive records that a check could not be made: a failure under
// CI=true, else a line announced after the run (as skips are) while the
// test goes on.
func inconclusive(t testing.TB, format string, args ...any) {
	t.Helper()
	why := fmt.Sprintf(format, args...)
	if inCI() {
		t.Errorf("CI=true, so a check may not be left out: %s", why)
		return
	}
	t.Logf("INCONCLUSIVE: %s", why)
	skipsMu.Lock()
	skips = append(skips, t.Name()+" (inconclusive, not skipped): "+why)
	skipsMu.Unlock()
}
