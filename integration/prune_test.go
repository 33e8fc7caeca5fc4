package integration

// Acceptance tests of `dockctl prune` on the real engine (issue "dockctl
// prune: guarded cleanup with dry runs that are exact"): a dry run, then the
// apply, removes exactly the plan and frees exactly the predicted bytes;
// guards hold; saved plans are re-checked; --max-remove and --yes refuse;
// engine refusals are explained.
//
// Safety: every prune below is scoped with --filter label=dockctl.test=<run>
// --filter label=dockctl.test.case=<test> (scopeFilters of the test that
// made the fixtures), so it can only plan this test's own objects; a label
// filter also leaves build cache out of scope (records carry no labels).
// The saved-plan apply only touches the items of a plan made that way.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/versions"
	"github.com/docker/docker/api/types/volume"

	"github.com/dockctl/dockctl/internal/explain"
)

// ---------------------------------------------------------------------------
// The JSON of `dockctl prune --format json` (report.PruneDoc), decoded here
// with types of our own so a renamed key shows up as a failure.

type pruneDoc struct {
	Schema         string         `json:"schema"`
	DryRun         bool           `json:"dry_run"`
	Time           string         `json:"time"`
	Kinds          []string       `json:"kinds"`
	Plan           []pruneItem    `json:"plan"`
	Kept           []pruneKept    `json:"kept"`
	ReclaimBytes   int64          `json:"reclaim_bytes"`
	Approximate    bool           `json:"approximate"`
	Removed        []pruneOutcome `json:"removed"`
	Skipped        []pruneOutcome `json:"skipped"`
	Failed         []pruneOutcome `json:"failed"`
	Interrupted    bool           `json:"interrupted"`
	ReclaimedBytes *int64         `json:"reclaimed_bytes"`
}

type pruneItem struct {
	Type  string `json:"type"`
	ID    string `json:"id"`
	Name  string `json:"name"`
	Bytes int64  `json:"bytes"`
	// LogBytes: a container's logs, in Bytes, with the storage probe.
	LogBytes int64    `json:"log_bytes"`
	Reason   string   `json:"reason"`
	Action   string   `json:"action"`
	Refs     []string `json:"refs"`
}

type pruneKept struct {
	Type   string `json:"type"`
	ID     string `json:"id"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

type pruneOutcome struct {
	Time   string `json:"time"`
	Type   string `json:"type"`
	ID     string `json:"id"`
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	Reason string `json:"reason"`
	Result string `json:"result"`
	Error  string `json:"error"`
	Status int    `json:"status"`
}

// Keys every prune document has, dry run or not.
var pruneDocKeys = []string{"schema", "dry_run", "time", "kinds", "plan", "kept", "reclaim_bytes", "approximate"}

// anonymousReason is the plan's reason for an unused volume the engine
// named itself: engines before Docker 23.0 (API 1.42) do not record that a
// volume is anonymous, so there dockctl goes by the name and says so.
func anonymousReason() string {
	if versions.GreaterThanOrEqualTo(engineClient.ClientVersion(), "1.42") {
		return "unused anonymous volume"
	}
	return "unused volume, anonymous (by its name: engines before 23.0 do not record it)"
}

// objKey names an object across types: "container:<id>", "image:sha256:…".
// logBytes is what the plan's items carry of containers' logs (with the
// storage probe): bytes the engine's own figures never see.
func (d pruneDoc) logBytes() int64 {
	var n int64
	for _, it := range d.Plan {
		n += it.LogBytes
	}
	return n
}

// removedLogBytes is logBytes of the items the apply removed.
func (d pruneDoc) removedLogBytes() int64 {
	var n int64
	for _, o := range d.Removed {
		if it, ok := d.item(o.Type, o.ID); ok {
			n += it.LogBytes
		}
	}
	return n
}

func objKey(typ, id string) string { return typ + ":" + id }

func (d pruneDoc) planKeys() []string {
	var out []string
	for _, it := range d.Plan {
		out = append(out, objKey(it.Type, it.ID))
	}
	return sorted(out)
}

func outcomeKeys(os []pruneOutcome) []string {
	var out []string
	for _, o := range os {
		out = append(out, objKey(o.Type, o.ID))
	}
	return sorted(out)
}

func (d pruneDoc) item(typ, id string) (pruneItem, bool) {
	for _, it := range d.Plan {
		if it.Type == typ && it.ID == id {
			return it, true
		}
	}
	return pruneItem{}, false
}

func (d pruneDoc) kept(typ, id string) (pruneKept, bool) {
	for _, k := range d.Kept {
		if k.Type == typ && k.ID == id {
			return k, true
		}
	}
	return pruneKept{}, false
}

// pruneArgs builds a prune command line scoped to the objects of the test
// whose scopeFilters are scope: the scope always comes first, so no call
// below can forget it.
func pruneArgs(scope []string, args ...string) []string {
	return append(append([]string{"prune"}, filterFlags(scope)...), args...)
}

// prunePlan runs a scoped prune with --format json, wants exit code want and
// decodes the document. It returns the raw output too.
func prunePlan(t *testing.T, scope []string, want int, args ...string) (pruneDoc, string) {
	t.Helper()
	full := pruneArgs(scope, append(args, "--format", "json")...)
	out, errOut, code := runDockctl(t, full...)
	if code != want {
		t.Fatalf("dockctl %s: exit %d, want %d; stderr %q\nstdout:\n%s", strings.Join(full, " "), code, want, errOut, out)
	}
	requireKeys(t, "dockctl "+strings.Join(full, " "), []byte(out), pruneDocKeys)
	var doc pruneDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("dockctl %s: decoding: %v\n%s", strings.Join(full, " "), err, out)
	}
	if doc.Schema != "dockctl.prune/v1" {
		t.Errorf("schema %q, want dockctl.prune/v1", doc.Schema)
	}
	// Safety net: a label filter leaves build cache (which has no labels)
	// out of scope.
	for _, it := range doc.Plan {
		if it.Type == "build_cache" {
			t.Fatalf("dockctl %s: a label-scoped prune plans build cache %s", strings.Join(full, " "), it.ID)
		}
	}
	return doc, out
}

// isolateLayerCache points dockctl's layer cache (os.UserCacheDir: on Linux
// $XDG_CACHE_HOME) at a directory of the test, so the runs below exercise
// the cache without leaving files in the user's cache dir.
func isolateLayerCache(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
}

// ---------------------------------------------------------------------------
// Engine ground truth

// exists says whether the object of type typ ("container", "image",
// "volume", "network") with id is on the engine.
func exists(t testing.TB, typ, id string) bool {
	t.Helper()
	c := requireEngine(t)
	ctx := testContext(t, fixtureTimeout)
	var err error
	switch typ {
	case "container":
		_, err = c.ContainerInspect(ctx, id)
	case "image":
		_, err = c.ImageInspect(ctx, id)
	case "volume":
		_, err = c.VolumeInspect(ctx, id)
	case "network":
		_, err = c.NetworkInspect(ctx, id, network.InspectOptions{})
	default:
		t.Fatalf("exists: unknown type %q", typ)
	}
	if errdefs.IsNotFound(err) {
		return false
	}
	if err != nil {
		t.Fatalf("inspecting %s %s: %v", typ, id, err)
	}
	return true
}

// checkRemoved fails t for each object of keys ("type:id", objKey) still
// on the engine after what when names.
func checkRemoved(t testing.TB, keys []string, when string) {
	t.Helper()
	for _, k := range keys {
		typ, id, _ := strings.Cut(k, ":")
		if exists(t, typ, id) {
			t.Errorf("%s still exists after %s", k, when)
		}
	}
}

func containerState(t testing.TB, id string) string {
	t.Helper()
	ci, err := requireEngine(t).ContainerInspect(testContext(t, fixtureTimeout), id)
	if err != nil {
		t.Fatalf("inspecting container %s: %v", id, err)
	}
	if ci.ContainerJSONBase == nil || ci.State == nil {
		return ""
	}
	return ci.State.Status
}

// engineUsage is one /system/df reading, with docker's own disk use summed
// as dockctl and `docker system df` count it: image layers (LayersSize,
// each layer once), writable layers, volumes and unshared build cache.
type engineUsage struct {
	du types.DiskUsage
	// foreign holds what the reading says of objects this test did not
	// make (key → size), to tell whether another client changed the
	// engine while the test measured.
	foreign map[string]int64
}

func readUsage(t *testing.T) engineUsage {
	t.Helper()
	du := diskUsage(t)
	mine := func(l map[string]string) bool { return ours(l) && l[caseLabel] == caseName(t) }
	u := engineUsage{du: du, foreign: map[string]int64{}}
	for _, img := range du.Images {
		if !mine(img.Labels) {
			u.foreign[objKey("image", img.ID)] = img.Size
		}
	}
	for _, c := range du.Containers {
		if !mine(c.Labels) {
			u.foreign[objKey("container", c.ID)] = c.SizeRw
		}
	}
	for _, v := range du.Volumes {
		if !mine(v.Labels) {
			n := int64(-1)
			if v.UsageData != nil {
				n = v.UsageData.Size
			}
			u.foreign[objKey("volume", v.Name)] = n
		}
	}
	for _, r := range du.BuildCache {
		u.foreign[objKey("build_cache", r.ID)] = r.Size
	}
	return u
}

func (u engineUsage) total() int64 {
	n := u.du.LayersSize
	for _, c := range u.du.Containers {
		n += max(c.SizeRw, 0)
	}
	for _, v := range u.du.Volumes {
		if v.UsageData != nil {
			n += max(v.UsageData.Size, 0)
		}
	}
	for _, r := range u.du.BuildCache {
		if !r.Shared {
			n += max(r.Size, 0)
		}
	}
	return n
}

func (u engineUsage) containerSize(id string) (int64, bool) {
	for _, c := range u.du.Containers {
		if c.ID == id {
			return c.SizeRw, true
		}
	}
	return 0, false
}

func (u engineUsage) volumeSize(name string) (int64, bool) {
	for _, v := range u.du.Volumes {
		if v.Name == name && v.UsageData != nil {
			return v.UsageData.Size, true
		}
	}
	return 0, false
}

// foreignChanges lists what changed, between two readings, among the
// objects this test did not make. No test of this package calls
// t.Parallel, so within one `go test` process nothing else touches the
// engine while a test measures; another process (a second test run, a
// build) can, and then a global figure such as LayersSize no longer
// measures this test alone. This catches what the readings show (images,
// containers, volumes, build cache appearing, going or changing size); an
// image built and removed entirely between them would go unseen.
func foreignChanges(a, b engineUsage) []string {
	var out []string
	for k, v := range a.foreign {
		if w, ok := b.foreign[k]; !ok {
			out = append(out, k+" went")
		} else if w != v {
			out = append(out, fmt.Sprintf("%s changed size %d → %d", k, v, w))
		}
	}
	for k := range b.foreign {
		if _, ok := a.foreign[k]; !ok {
			out = append(out, k+" appeared")
		}
	}
	sort.Strings(out)
	return out
}

// ---------------------------------------------------------------------------
// TestPruneDryRunThenApply

// Bytes the fixtures write (random, so nothing is shared by accident).
const (
	pruneBaseBytes    = 1 << 20   // B's own file
	pruneAppBytes     = 300 << 10 // X's and Y's own layers
	pruneZBytes       = 200 << 10 // Z's own file
	pruneKeepmeBytes  = 50 << 10  // the --keep image's own layer
	pruneExitedWrites = 200 << 10 // the exited container's writable layer
	pruneCreatedWrite = 50 << 10  // the created container's writable layer
	pruneVolumeBytes  = 100 << 10 // the anonymous volume's data
)

// pruneWorld is what TestPruneDryRunThenApply builds. In the plan: the
// exited and the created container, X and Y (only those containers used
// them), the anonymous volume (only the exited container mounted it) and
// the unused network. Kept: everything else, each by one guard.
type pruneWorld struct {
	base, x, y, z, keepme            string // image ids
	baseRef, xRef, yRef, y2Ref, zRef string
	keepmeRef, keepGlob              string

	running, exited, created, keepCtr              string // container ids
	runningName, exitedName, createdName, keepName string

	anon, named string // volume names

	usedNet, unusedNet         string // network ids
	usedNetName, unusedNetName string
}

func buildPruneWorld(t *testing.T) *pruneWorld {
	w := &pruneWorld{
		baseRef:       imageRef("prune-base", "1"),
		xRef:          imageRef("prune-x", "1"),
		yRef:          imageRef("prune-y", "1"),
		y2Ref:         imageRef("prune-y", "second"),
		zRef:          imageRef("prune-z", "1"),
		keepmeRef:     imageRef("keepme", "1"),
		keepGlob:      "dockctl-it-" + runID + "/keepme:*",
		runningName:   objName("prune-running"),
		exitedName:    objName("prune-exited"),
		createdName:   objName("prune-created"),
		keepName:      objName("prune-keep"),
		usedNetName:   objName("prune-used-net"),
		unusedNetName: objName("prune-unused-net"),
	}
	w.base = importImage(t, w.baseRef, map[string][]byte{"/opt/base.bin": randomBytes(t, pruneBaseBytes)}, nil)
	w.x = buildImage(t, w.baseRef, w.xRef, map[string][]byte{"/opt/x.bin": randomBytes(t, pruneAppBytes)}, nil)
	w.y = buildImage(t, w.baseRef, w.yRef, map[string][]byte{"/opt/y.bin": randomBytes(t, pruneAppBytes)}, nil)
	tagImage(t, w.y, w.y2Ref)
	w.z = importImage(t, w.zRef, map[string][]byte{"/opt/z.bin": randomBytes(t, pruneZBytes)}, nil)
	w.keepme = buildImage(t, w.baseRef, w.keepmeRef, map[string][]byte{"/opt/keepme.bin": randomBytes(t, pruneKeepmeBytes)}, nil)

	w.anon = createVolume(t, "", nil)
	w.named = createVolume(t, objName("prune-named"), nil)
	w.usedNet = createNetwork(t, w.usedNetName, nil)
	w.unusedNet = createNetwork(t, w.unusedNetName, nil)

	// Fill the anonymous volume with a short-lived container, then remove it.
	writer := createContainer(t, w.zRef, objName("prune-writer"), containerOpts{
		State:      stateExited,
		WriteBytes: pruneVolumeBytes,
		WritePath:  "/vol/blob",
		Mounts:     []mount.Mount{{Type: mount.TypeVolume, Source: w.anon, Target: "/vol"}},
	})
	if err := removeContainer(testContext(t, fixtureTimeout), writer); err != nil {
		t.Fatalf("removing the volume writer: %v", err)
	}

	w.running = createContainer(t, w.zRef, w.runningName, containerOpts{State: stateRunning, Network: w.usedNetName})
	// The exited container also mounts the anonymous volume: removing it
	// frees the volume (the cascade).
	w.exited = createContainer(t, w.xRef, w.exitedName, containerOpts{
		State:      stateExited,
		WriteBytes: pruneExitedWrites,
		Mounts:     []mount.Mount{{Type: mount.TypeVolume, Source: w.anon, Target: "/vol"}},
	})
	w.created = createContainer(t, w.yRef, w.createdName, containerOpts{WriteBytes: pruneCreatedWrite})
	w.keepCtr = createContainer(t, w.baseRef, w.keepName, containerOpts{State: stateExited, Labels: map[string]string{"dockctl.keep": "true"}})
	return w
}

// timeLine is the plan's "time" line of the indented JSON (top level: two
// spaces): the one thing two dry runs may print differently, since a plan
// is stamped with the time it was made.
var timeLine = regexp.MustCompile(`(?m)^  "time": "[^"]*",$`)

func TestPruneDryRunThenApply(t *testing.T) {
	requireEngine(t)
	isolateLayerCache(t)
	w := buildPruneWorld(t)
	scope := scopeFilters(t)
	flags := []string{"--all", "--volumes", "--keep", w.keepGlob}

	// --- The dry run, twice.
	dry1, out1 := prunePlan(t, scope, 0, append([]string{"--dry-run"}, flags...)...)
	dry2, out2 := prunePlan(t, scope, 0, append([]string{"--dry-run"}, flags...)...)
	if !dry1.DryRun {
		t.Errorf("dry run: dry_run false")
	}
	if n := len(timeLine.FindAllString(out1, -1)); n != 1 {
		t.Errorf("dry run: %d top-level \"time\" lines, want 1:\n%s", n, out1)
	}
	// Byte for byte, except the time the plan was made.
	m1 := timeLine.ReplaceAllString(out1, `  "time": "…",`)
	m2 := timeLine.ReplaceAllString(out2, `  "time": "…",`)
	mineSame := equalSlices(dry1.planKeys(), dry2.planKeys()) && dry1.ReclaimBytes == dry2.ReclaimBytes && sameMineKept(t, dry1, dry2)
	switch {
	case !mineSame:
		t.Errorf("two dry runs in a row print different plans for this test's objects:\n%s", lineDiff(m1, m2))
	case m1 != m2:
		// Every object on the engine is in "kept" (most "outside
		// --filter"): another client's objects may come and go between
		// the runs. This test's own plan and kept entries are the same.
		t.Logf("two dry runs differ only in objects outside this test's scope (another client changed the engine between them):\n%s", lineDiff(m1, m2))
	}

	dry := dry1
	// With a label filter, build cache is out of scope.
	if want := []string{"containers", "networks", "volumes", "images"}; !equalSlices(dry.Kinds, want) {
		t.Errorf("kinds %v, want %v", dry.Kinds, want)
	}
	if dry.Approximate {
		t.Errorf("plan approximate: every image here has layer data, the bytes must be exact")
	}

	// --- What is planned, and why.
	type want struct {
		typ, id, name string
		reason        string // substring of the reason
	}
	planned := []want{
		{"container", w.exited, w.exitedName, "not running (exited)"},
		{"container", w.created, w.createdName, "not running (created)"},
		{"network", w.unusedNet, w.unusedNetName, "unused custom network"},
		{"volume", w.anon, w.anon, anonymousReason() + " (its containers are removed in this plan)"},
		{"image", w.x, w.xRef, "unused image (its containers are removed in this plan)"},
		{"image", w.y, w.yRef, "unused image (its containers are removed in this plan)"},
	}
	var wantPlan []string
	for _, p := range planned {
		wantPlan = append(wantPlan, objKey(p.typ, p.id))
		it, ok := dry.item(p.typ, p.id)
		if !ok {
			if k, ok := dry.kept(p.typ, p.id); ok {
				t.Errorf("%s %s (%s) kept (%q), want it in the plan", p.typ, p.name, short(p.id), k.Reason)
			} else {
				t.Errorf("%s %s (%s) neither planned nor kept", p.typ, p.name, short(p.id))
			}
			continue
		}
		if it.Name != p.name {
			t.Errorf("%s %s: name %q, want %q", p.typ, short(p.id), it.Name, p.name)
		}
		if !strings.Contains(it.Reason, p.reason) {
			t.Errorf("%s %s: reason %q, want it to say %q", p.typ, p.name, it.Reason, p.reason)
		}
	}
	if got := dry.planKeys(); !equalSlices(got, sorted(wantPlan)) {
		t.Errorf("plan:\n  %v\nwant:\n  %v", got, sorted(wantPlan))
	}
	if it, ok := dry.item("image", w.y); ok {
		if it.Action != "remove" || !equalSlices(sorted(it.Refs), sorted([]string{w.yRef, w.y2Ref})) {
			t.Errorf("image Y: action %q refs %v, want remove with both tags %v", it.Action, it.Refs, []string{w.yRef, w.y2Ref})
		}
	}
	var sum int64
	for _, it := range dry.Plan {
		sum += it.Bytes
	}
	if sum != dry.ReclaimBytes {
		t.Errorf("reclaim_bytes %d, the items sum to %d", dry.ReclaimBytes, sum)
	}

	keptWant := []want{
		{"container", w.running, w.runningName, "running"},
		{"container", w.keepCtr, w.keepName, "label dockctl.keep=true"},
		{"network", w.usedNet, w.usedNetName, "used by container " + w.runningName},
		{"volume", w.named, objName("prune-named"), "--all-volumes"},
		{"image", w.base, w.baseRef, "used by container " + w.keepName},
		{"image", w.z, w.zRef, "used by container " + w.runningName},
		{"image", w.keepme, w.keepmeRef, "matches --keep '" + w.keepGlob + "'"},
	}
	for _, k := range keptWant {
		got, ok := dry.kept(k.typ, k.id)
		if !ok {
			if _, planned := dry.item(k.typ, k.id); planned {
				t.Errorf("%s %s (%s) is in the plan; it is guarded (%s)", k.typ, k.name, short(k.id), k.reason)
			} else {
				t.Errorf("%s %s (%s) neither planned nor kept", k.typ, k.name, short(k.id))
			}
			continue
		}
		if !strings.Contains(got.Reason, k.reason) {
			t.Errorf("kept %s %s: reason %q, want it to say %q", k.typ, k.name, got.Reason, k.reason)
		}
	}
	if k, ok := dry.kept("container", w.running); ok && k.Reason != "running" {
		t.Errorf("running container kept for %q, want exactly \"running\"", k.Reason)
	}

	// --- Sizes the engine reports for what the plan removes, just before
	// the apply. Containers and volumes free exactly their own size: on a
	// graph driver a container's is its SizeRw; on the containerd image
	// store SizeRw leaves out its -init snapshot and its dir (model §2.5),
	// and the disk is the measure (below).
	e := engineUnderTest(t)
	before := readUsage(t)
	for _, id := range []string{w.exited, w.created} {
		it, _ := dry.item("container", id)
		if n, ok := before.containerSize(id); !ok {
			t.Errorf("container %s not in /system/df", it.Name)
		} else if e.Containerd && it.Bytes-it.LogBytes < n {
			t.Errorf("container %s on the %s: plan frees %d bytes less %d of logs, less than the engine's SizeRw %d", it.Name, e.store(), it.Bytes, it.LogBytes, n)
		} else if !e.Containerd && it.Bytes-it.LogBytes != n {
			t.Errorf("container %s: plan frees %d bytes less %d of logs, the engine's SizeRw is %d", it.Name, it.Bytes, it.LogBytes, n)
		}
	}
	if it, ok := dry.item("volume", w.anon); ok {
		if n, ok := before.volumeSize(w.anon); !ok {
			t.Errorf("volume %s not in /system/df", short(w.anon))
		} else if it.Bytes != n {
			t.Errorf("volume %s: plan frees %d bytes, the engine says it holds %d", short(w.anon), it.Bytes, n)
		}
		if it.Bytes < pruneVolumeBytes {
			t.Errorf("volume %s: plan frees %d bytes, it holds a %d-byte file", short(w.anon), it.Bytes, pruneVolumeBytes)
		}
	}
	// Each image frees its own COPY layer (B, which they share, stays):
	// on a graph driver a file and its directory; on the containerd store
	// its own bytes as the engine counts them (store_test.go), and the
	// manifests and configs of the classic builder's hidden images.
	for _, id := range []string{w.x, w.y} {
		own := int64(pruneAppBytes)
		if e.Containerd {
			var dfImg, dfBase *image.Summary
			for _, s := range before.du.Images {
				switch s.ID {
				case id:
					dfImg = s
				case w.base:
					dfBase = s
				}
			}
			if dfImg == nil || dfBase == nil {
				t.Fatalf("fixture: image %s or its base not in /system/df", short(id))
			}
			b := readStoredImage(t, w.base)
			checkStoredBase(t, b, nil)
			name := map[string]string{w.x: "/opt/x.bin", w.y: "/opt/y.bin"}[id]
			own = checkStoredDerived(t, b, readStoredImage(t, id), dfImg, dfBase, map[string]int64{name: pruneAppBytes})
		}
		if it, ok := dry.item("image", id); ok && (it.Bytes < own || it.Bytes > own+64<<10) {
			t.Errorf("image %s on the %s: plan frees %d bytes, want its own %d bytes (a %d-byte file and its directory) and at most 64 KiB more", it.Name, e.store(), it.Bytes, own, pruneAppBytes)
		}
	}
	// On the containerd store the root dir's disk use is the measure.
	var root *rootDir
	var duB diskMeasure
	haveDU := false
	if e.Containerd {
		root = localRootDir(t, requireEngine(t), w.z)
		duB, haveDU = root.measure(t)
	}

	// --- Apply.
	logFile := filepath.Join(t.TempDir(), "prune-log.jsonl")
	applied, _ := prunePlan(t, scope, 0, append([]string{"--yes", "--log", logFile}, flags...)...)
	after := readUsage(t)
	var duA diskMeasure
	if haveDU {
		duA, _ = root.measure(t)
	}

	if applied.DryRun {
		t.Errorf("apply: dry_run true")
	}
	// The apply plans again: it must be the dry run's plan.
	if !equalSlices(applied.planKeys(), dry.planKeys()) || applied.ReclaimBytes != dry.ReclaimBytes {
		t.Errorf("apply planned %v (%d bytes), the dry run %v (%d bytes)", applied.planKeys(), applied.ReclaimBytes, dry.planKeys(), dry.ReclaimBytes)
	}
	for _, it := range dry.Plan {
		if got, ok := applied.item(it.Type, it.ID); ok && (got.Bytes != it.Bytes || got.Reason != it.Reason) {
			t.Errorf("%s %s: apply planned %d bytes (%q), the dry run %d (%q)", it.Type, it.Name, got.Bytes, got.Reason, it.Bytes, it.Reason)
		}
	}
	if got := outcomeKeys(applied.Removed); !equalSlices(got, dry.planKeys()) {
		t.Errorf("removed:\n  %v\nthe dry run planned:\n  %v", got, dry.planKeys())
	}
	for _, o := range applied.Removed {
		if o.Result != "removed" {
			t.Errorf("removed %s %s: result %q, want removed", o.Type, o.Name, o.Result)
		}
	}
	if len(applied.Skipped) > 0 || len(applied.Failed) > 0 {
		t.Errorf("apply skipped %v and failed %v, want neither", applied.Skipped, applied.Failed)
	}

	// --- Bytes: the prediction, dockctl's measurement, ours.
	measured := before.total() - after.total()
	t.Logf("bytes: predicted (reclaim_bytes) %d, dockctl measured (reclaimed_bytes) %s, this test measured %d (docker usage %d → %d)",
		dry.ReclaimBytes, ptrString(applied.ReclaimedBytes), measured, before.total(), after.total())
	if applied.ReclaimedBytes == nil {
		t.Errorf("apply: no reclaimed_bytes")
	}
	changed := foreignChanges(before, after)
	switch {
	case e.Containerd && (len(changed) > 0 || !haveDU || !duA.ok):
		measuredOnlyByEngine(t, fmt.Sprintf("the apply (objects outside this test changed: %v)", changed))
	case e.Containerd:
		// The disk: logs are files there too.
		drop := checkDU(t, "the apply", duB, duA, dry.ReclaimBytes)
		if applied.ReclaimedBytes != nil && abs64(*applied.ReclaimedBytes-drop) > storeTolerance(drop) {
			t.Errorf("dockctl measured reclaimed_bytes %d, the root dir's disk use dropped %d (tolerance %d)", *applied.ReclaimedBytes, drop, storeTolerance(drop))
		}
	case len(changed) > 0:
		// Not dockctl's fault: another client changed the engine while
		// this test measured, so global figures do not measure the prune.
		t.Logf("NOT COMPARING MEASURED BYTES: objects outside this test changed during the apply: %v", changed)
	default:
		// The engine's figures leave out the containers' logs.
		engineBytes := dry.ReclaimBytes - dry.logBytes()
		if measured != engineBytes {
			t.Errorf("the engine's docker usage dropped by %d bytes, the plan predicted %d less %d of logs (difference %d)", measured, dry.ReclaimBytes, dry.logBytes(), measured-engineBytes)
		}
		if applied.ReclaimedBytes != nil && *applied.ReclaimedBytes != engineBytes {
			t.Errorf("dockctl measured reclaimed_bytes %d, the plan predicted reclaim_bytes %d less %d of logs", *applied.ReclaimedBytes, dry.ReclaimBytes, dry.logBytes())
		}
	}

	// --- The engine now: removed objects gone, guarded ones still there.
	for _, it := range dry.Plan {
		if exists(t, it.Type, it.ID) {
			t.Errorf("%s %s (%s) still exists after the apply", it.Type, it.Name, short(it.ID))
		}
	}
	for _, k := range keptWant {
		if !exists(t, k.typ, k.id) {
			t.Errorf("guarded %s %s (%s) was removed", k.typ, k.name, short(k.id))
		}
	}
	if st := containerState(t, w.running); st != "running" {
		t.Errorf("running container %s is now %q", w.runningName, st)
	}
	for ref, id := range map[string]string{w.baseRef: w.base, w.zRef: w.z, w.keepmeRef: w.keepme} {
		ii, err := requireEngine(t).ImageInspect(testContext(t, fixtureTimeout), ref)
		if err != nil || ii.ID != id {
			t.Errorf("guarded tag %s: inspect gives %s, %v; want image %s", ref, ii.ID, err, short(id))
		}
	}
	for _, ref := range []string{w.xRef, w.yRef, w.y2Ref} {
		if _, err := requireEngine(t).ImageInspect(testContext(t, fixtureTimeout), ref); !errdefs.IsNotFound(err) {
			t.Errorf("tag %s of a removed image: inspect error %v, want not found", ref, err)
		}
	}

	// --- The log: one JSON line per removed item.
	logged := readPruneLog(t, logFile)
	if got := outcomeKeys(logged); !equalSlices(got, dry.planKeys()) {
		t.Errorf("--log lines for %v, want one per plan item %v", got, dry.planKeys())
	}
	for _, o := range logged {
		if o.Result != "removed" {
			t.Errorf("--log: %s %s result %q, want removed", o.Type, o.Name, o.Result)
		}
		if _, err := time.Parse(time.RFC3339Nano, o.Time); err != nil {
			t.Errorf("--log: %s %s: time %q: %v", o.Type, o.Name, o.Time, err)
		}
		if it, ok := dry.item(o.Type, o.ID); ok && o.Bytes != it.Bytes {
			t.Errorf("--log: %s %s: %d bytes, the plan says %d", o.Type, o.Name, o.Bytes, it.Bytes)
		}
	}
}

// sameMineKept compares the kept entries of this test's objects (the plan
// also lists every other object on the engine as kept, most "outside
// --filter", running containers "running", images "used by …").
func sameMineKept(t *testing.T, a, b pruneDoc) bool {
	mine := myObjects(t)
	pick := func(d pruneDoc) []string {
		var out []string
		for _, k := range d.Kept {
			if mine[objKey(k.Type, k.ID)] {
				out = append(out, fmt.Sprintf("%s %s %s %q", k.Type, k.ID, k.Name, k.Reason))
			}
		}
		return sorted(out)
	}
	return equalSlices(pick(a), pick(b))
}

// myObjects lists the objects t made that are on the engine now, by
// objKey.
func myObjects(t *testing.T) map[string]bool {
	t.Helper()
	c := requireEngine(t)
	ctx := testContext(t, fixtureTimeout)
	f := scopeArgs(t)
	out := map[string]bool{}
	cs, err := c.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatalf("ContainerList: %v", err)
	}
	for _, s := range cs {
		out[objKey("container", s.ID)] = true
	}
	imgs, err := c.ImageList(ctx, image.ListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatalf("ImageList: %v", err)
	}
	for _, s := range imgs {
		out[objKey("image", s.ID)] = true
	}
	vs, err := c.VolumeList(ctx, volume.ListOptions{Filters: f})
	if err != nil {
		t.Fatalf("VolumeList: %v", err)
	}
	for _, v := range vs.Volumes {
		out[objKey("volume", v.Name)] = true
	}
	ns, err := c.NetworkList(ctx, network.ListOptions{Filters: f})
	if err != nil {
		t.Fatalf("NetworkList: %v", err)
	}
	for _, n := range ns {
		out[objKey("network", n.ID)] = true
	}
	return out
}

func lineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var sb strings.Builder
	for i := 0; i < max(len(al), len(bl)); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			fmt.Fprintf(&sb, "line %d:\n  - %s\n  + %s\n", i+1, x, y)
		}
	}
	return sb.String()
}

func ptrString(p *int64) string {
	if p == nil {
		return "(none)"
	}
	return fmt.Sprint(*p)
}

func readPruneLog(t *testing.T, path string) []pruneOutcome {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("--log file: %v", err)
	}
	defer f.Close()
	var out []pruneOutcome
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var o pruneOutcome
		if err := json.Unmarshal(sc.Bytes(), &o); err != nil {
			t.Fatalf("--log line %q: %v", sc.Text(), err)
		}
		out = append(out, o)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("--log file: %v", err)
	}
	return out
}

// ---------------------------------------------------------------------------

func TestPruneRefusesWithoutYes(t *testing.T) {
	requireEngine(t)
	isolateLayerCache(t)
	img := importImage(t, imageRef("prune-refuse", "1"), nil, nil)
	ctr := createContainer(t, img, objName("prune-refuse"), containerOpts{State: stateExited})

	// runDockctl's stdin is not a terminal, and there is no --yes.
	args := pruneArgs(scopeFilters(t))
	out, errOut, code := runDockctl(t, args...)
	if code != 2 {
		t.Errorf("dockctl %s: exit %d, want 2 (stderr %q)", strings.Join(args, " "), code, errOut)
	}
	if out != "" {
		t.Errorf("stdout %q, want nothing", out)
	}
	checkOneLine(t, errOut, "--yes")
	if !exists(t, "container", ctr) {
		t.Errorf("the stopped container %s was removed", short(ctr))
	}
}

// ---------------------------------------------------------------------------

func TestPruneSavedPlanRechecks(t *testing.T) {
	c := requireEngine(t)
	isolateLayerCache(t)
	scope := scopeFilters(t)
	pRef, iRef := imageRef("prune-saved-p", "1"), imageRef("prune-saved-i", "1")
	p := importImage(t, pRef, map[string][]byte{"/opt/p.bin": randomBytes(t, 20<<10)}, nil)
	i := importImage(t, iRef, map[string][]byte{"/opt/i.bin": randomBytes(t, 20<<10)}, nil)
	cName, dName := objName("prune-saved-c"), objName("prune-saved-d")
	// C is created, never started: started later, its app keeps running.
	cID := createContainer(t, pRef, cName, containerOpts{})
	dID := createContainer(t, pRef, dName, containerOpts{State: stateExited, WriteBytes: 30 << 10})
	netName := objName("prune-saved-net")
	netID := createNetwork(t, netName, nil)

	planFile := filepath.Join(t.TempDir(), "prune-plan.json")
	dry, _ := prunePlan(t, scope, 0, "--all", "--dry-run", "--plan-out", planFile)
	want := sorted([]string{objKey("container", cID), objKey("container", dID), objKey("network", netID), objKey("image", p), objKey("image", i)})
	if got := dry.planKeys(); !equalSlices(got, want) {
		t.Fatalf("plan %v, want %v", got, want)
	}
	saved, err := os.ReadFile(planFile)
	if err != nil {
		t.Fatalf("--plan-out: %v", err)
	}
	var savedDoc pruneDoc
	if err := json.Unmarshal(saved, &savedDoc); err != nil {
		t.Fatalf("--plan-out file is not JSON: %v", err)
	}
	if !equalSlices(savedDoc.planKeys(), want) || savedDoc.ReclaimBytes != dry.ReclaimBytes {
		t.Errorf("--plan-out file plans %v (%d bytes), the dry run printed %v (%d bytes)", savedDoc.planKeys(), savedDoc.ReclaimBytes, dry.planKeys(), dry.ReclaimBytes)
	}

	// The world changes after the plan: C starts, and a new container
	// (not in the plan) uses I.
	ctx := testContext(t, fixtureTimeout)
	if err := c.ContainerStart(ctx, cID, container.StartOptions{}); err != nil {
		t.Fatalf("starting %s: %v", cName, err)
	}
	uName := objName("prune-saved-u")
	createContainer(t, iRef, uName, containerOpts{State: stateRunning})
	if st := containerState(t, cID); st != "running" {
		t.Fatalf("%s is %q after start, want running", cName, st)
	}

	before := readUsage(t)
	// A saved plan takes no --filter: it holds only what the scoped dry
	// run above planned, this test's own objects.
	applied, _ := prunePlan(t, nil, 0, "--apply", planFile, "--yes")
	after := readUsage(t)

	wantSkipped := map[string]string{
		objKey("container", cID): "now running",
		objKey("image", p):       "now used by container " + cName,
		objKey("image", i):       "now used by container " + uName,
	}
	wantRemoved := sorted([]string{objKey("container", dID), objKey("network", netID)})
	if got := outcomeKeys(applied.Removed); !equalSlices(got, wantRemoved) {
		t.Errorf("removed %v, want %v", got, wantRemoved)
	}
	if got := outcomeKeys(applied.Skipped); !equalSlices(got, sorted(sortedKeys(wantSkipped))) {
		t.Errorf("skipped %v, want %v", got, sortedKeys(wantSkipped))
	}
	for _, o := range applied.Skipped {
		k := objKey(o.Type, o.ID)
		if o.Result != "skipped" {
			t.Errorf("skipped %s: result %q", k, o.Result)
		}
		if w, ok := wantSkipped[k]; ok && !strings.Contains(o.Reason, w) {
			t.Errorf("skipped %s %s: reason %q, want it to say %q", o.Type, o.Name, o.Reason, w)
		}
	}
	if len(applied.Failed) > 0 {
		t.Errorf("failed %v, want none (nothing is forced)", applied.Failed)
	}
	for k := range wantSkipped {
		typ, id, _ := strings.Cut(k, ":")
		if !exists(t, typ, id) {
			t.Errorf("skipped %s was removed", k)
		}
	}
	if st := containerState(t, cID); st != "running" {
		t.Errorf("%s is %q after the apply, want still running", cName, st)
	}
	for _, k := range wantRemoved {
		typ, id, _ := strings.Cut(k, ":")
		if exists(t, typ, id) {
			t.Errorf("removed %s still exists", k)
		}
	}

	// Only D frees bytes (its writable layer); the network frees none.
	var removedBytes int64
	for _, o := range applied.Removed {
		removedBytes += o.Bytes
	}
	// The engine's figures leave out D's logs, which the items carry.
	removedBytes -= applied.removedLogBytes()
	dSize, _ := before.containerSize(dID)
	measured := before.total() - after.total()
	t.Logf("bytes: removed items predicted %d (D's SizeRw %d), dockctl measured %s, this test measured %d", removedBytes, dSize, ptrString(applied.ReclaimedBytes), measured)
	if e := engineUnderTest(t); e.Containerd {
		// There removing D also frees its init layer (snapshot
		// <id>-init), which SizeRw and the engine's usage leave out:
		// the item carries it, dockctl's measurement (the store's
		// graph before and after) sees it.
		if init := removedBytes - dSize; init <= 0 || init > 64<<10 {
			t.Errorf("on the %s removed items carry %d bytes, D's writable layer is %d: want it plus its init layer (a few dozen KiB)", e.store(), removedBytes, dSize)
		}
		if applied.ReclaimedBytes == nil || *applied.ReclaimedBytes != removedBytes {
			t.Errorf("dockctl measured reclaimed_bytes %s, the removed items carry %d", ptrString(applied.ReclaimedBytes), removedBytes)
		}
		return
	}
	if removedBytes != dSize {
		t.Errorf("removed items carry %d bytes, D's writable layer is %d", removedBytes, dSize)
	}
	if changed := foreignChanges(before, after); len(changed) > 0 {
		t.Logf("NOT COMPARING MEASURED BYTES: objects outside this test changed during the apply: %v", changed)
	} else {
		if measured != removedBytes {
			t.Errorf("the engine's docker usage dropped by %d bytes, the removed items carry %d", measured, removedBytes)
		}
		if applied.ReclaimedBytes == nil || *applied.ReclaimedBytes != removedBytes {
			t.Errorf("dockctl measured reclaimed_bytes %s, the removed items carry %d", ptrString(applied.ReclaimedBytes), removedBytes)
		}
	}
}

// ---------------------------------------------------------------------------

func TestPruneMaxRemove(t *testing.T) {
	requireEngine(t)
	isolateLayerCache(t)
	scope := scopeFilters(t)
	ref := imageRef("prune-max", "1")
	img := importImage(t, ref, nil, nil)
	a := createContainer(t, ref, objName("prune-max-a"), containerOpts{State: stateExited})
	b := createContainer(t, ref, objName("prune-max-b"), containerOpts{State: stateExited})
	n := createNetwork(t, objName("prune-max-net"), nil)
	want := sorted([]string{objKey("container", a), objKey("container", b), objKey("network", n)})

	// Without --all the tagged image is not in scope: 3 items.
	args := pruneArgs(scope, "--max-remove", "2", "--yes", "--format", "json")
	out, errOut, code := runDockctl(t, args...)
	if code != 4 {
		t.Errorf("dockctl %s: exit %d, want 4 (stderr %q)", strings.Join(args, " "), code, errOut)
	}
	checkOneLine(t, errOut, "--max-remove")
	var doc pruneDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Errorf("exit 4 still prints the plan: stdout is not JSON: %v\n%s", err, out)
	} else {
		if got := doc.planKeys(); !equalSlices(got, want) {
			t.Errorf("plan %v, want %v", got, want)
		}
		if len(doc.Removed) > 0 || doc.ReclaimedBytes != nil {
			t.Errorf("refused plan reports removals: %v, reclaimed %s", doc.Removed, ptrString(doc.ReclaimedBytes))
		}
	}
	for _, k := range append(want, objKey("image", img)) {
		typ, id, _ := strings.Cut(k, ":")
		if !exists(t, typ, id) {
			t.Errorf("%s was removed though the plan was refused", k)
		}
	}

	forced, _ := prunePlan(t, scope, 0, "--max-remove", "2", "--force", "--yes")
	if got := outcomeKeys(forced.Removed); !equalSlices(got, want) {
		t.Errorf("with --force removed %v, want %v", got, want)
	}
	checkRemoved(t, want, "the forced prune")
	if !exists(t, "image", img) {
		t.Errorf("image %s removed: it was not in the plan", short(img))
	}
}

// ---------------------------------------------------------------------------

// TestPruneEngineErrorsExplained makes the engine refuse and checks that
// dockctl prints the HTTP status with the catalogue's explanation of it.
func TestPruneEngineErrorsExplained(t *testing.T) {
	requireEngine(t)
	isolateLayerCache(t)

	// 409: the classic builder records B as the parent of an image built
	// FROM it, and the engine will not delete an image with dependent
	// child images. A saved plan removes both; before it is applied the
	// child gets a container, so the child is skipped and B must not go.
	// Apply sees B's child before touching B and reports the engine's
	// 409 without untagging B (the engine would untag first, then refuse).
	for _, lang := range []string{explain.LangEN, explain.LangZH} {
		t.Run("409-"+lang, func(t *testing.T) {
			scope := scopeFilters(t)
			baseRef := imageRef("prune-parent-"+lang, "1")
			childRef := imageRef("prune-child-"+lang, "1")
			base := importImage(t, baseRef, map[string][]byte{"/opt/b.bin": randomBytes(t, 20<<10)}, nil)
			child := buildImage(t, baseRef, childRef, map[string][]byte{"/opt/c.bin": randomBytes(t, 10<<10)}, nil)
			planFile := filepath.Join(t.TempDir(), "plan.json")

			dry, _ := prunePlan(t, scope, 0, "--dry-run", "--all", "--plan-out", planFile)
			keys := dry.planKeys()
			sort.Strings(keys)
			want := []string{objKey("image", base), objKey("image", child)}
			sort.Strings(want)
			if !equalSlices(keys, want) {
				t.Fatalf("plan %v, want the parent and the child %v", keys, want)
			}
			createContainer(t, child, objName("prune-child-user-"+lang), containerOpts{})

			args := []string{"prune", "--apply", planFile, "--yes", "--lang", lang}
			out, errOut, code := runDockctl(t, args...)
			if code != 3 {
				t.Errorf("dockctl %s: exit %d, want 3 (partial failure); stderr %q\n%s", strings.Join(args, " "), code, errOut, out)
			}
			checkOneLine(t, errOut, "1 of 2")
			e, ok := explain.HTTPStatus(409)
			if !ok {
				t.Fatalf("the catalogue has no HTTP 409")
			}
			var row string
			for _, l := range lines(out) {
				if strings.HasPrefix(l, "failed") {
					row = l
				}
			}
			if row == "" {
				t.Fatalf("no failed row in the output:\n%s", out)
			}
			t.Logf("failed row: %s", row)
			for _, s := range []string{"image", short(base), "HTTP 409", "dependent child images", e.Text(lang)} {
				if !strings.Contains(row, s) {
					t.Errorf("failed row does not say %q:\n%s", s, row)
				}
			}
			if lang == explain.LangEN && !strings.Contains(row, "conflict") {
				t.Errorf("English failed row does not say conflict: %s", row)
			}
			if lang == explain.LangZH && !strings.Contains(row, "冲突") {
				t.Errorf("Chinese failed row does not say 冲突: %s", row)
			}
			// The refusal leaves the parent as it was, tag included.
			if _, err := requireEngine(t).ImageInspect(testContext(t, fixtureTimeout), baseRef); err != nil {
				t.Errorf("the refused parent lost its tag %s: %v", baseRef, err)
			}
			if !exists(t, "image", base) || !exists(t, "image", child) {
				t.Errorf("after the refusal: parent exists %v, child exists %v; want both", exists(t, "image", base), exists(t, "image", child))
			}
		})
	}

	// 400: an API version the engine no longer serves.
	t.Run("400", func(t *testing.T) {
		args := pruneArgs(scopeFilters(t), "--dry-run")
		out, errOut, code := runDockctlEnv(t, map[string]string{"DOCKER_API_VERSION": "1.10"}, args...)
		if code != 1 {
			t.Errorf("DOCKER_API_VERSION=1.10 dockctl %s: exit %d, want 1 (stderr %q)", strings.Join(args, " "), code, errOut)
		}
		if out != "" {
			t.Errorf("stdout %q, want nothing", out)
		}
		e, ok := explain.HTTPStatus(400)
		if !ok {
			t.Fatalf("the catalogue has no HTTP 400")
		}
		t.Logf("stderr: %s", errOut)
		checkOneLine(t, errOut, "400")
		for _, s := range []string{"1.10", "too old", e.Text(explain.LangEN)} {
			if !strings.Contains(errOut, s) {
				t.Errorf("stderr does not say %q: %q", s, errOut)
			}
		}
	})
}
