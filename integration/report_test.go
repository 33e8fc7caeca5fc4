package integration

// Acceptance tests of `dockctl report` (issue "dockctl report: exact
// disk-usage accounting"): TOTAL, ACTIVE and SIZE equal docker system df's,
// and each RECLAIMABLE equals what pruning that type alone really frees.
// The ground truth is docker's own prune of this test's labelled objects,
// measured by the engine's totals (layers, writable layers, volumes) and,
// where the engine is local, by the disk use of its root dir.

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/versions"
	"github.com/docker/docker/client"

	"github.com/dockctl/dockctl/internal/render"
)

// ---------------------------------------------------------------------------
// The report document

// reportRow is one summary row of `dockctl report --format json`.
type reportRow struct {
	Total                  int   `json:"total"`
	Active                 int   `json:"active"`
	SizeBytes              int64 `json:"size_bytes"`
	ReclaimableBytes       int64 `json:"reclaimable_bytes"`
	DockerReclaimableBytes int64 `json:"docker_reclaimable_bytes"`
}

type reportNote struct {
	Row          string `json:"row"`
	Text         string `json:"text"`
	DockerBytes  int64  `json:"docker_bytes"`
	DockctlBytes int64  `json:"dockctl_bytes"`
}

type reportDoc struct {
	Schema     string `json:"schema"`
	TotalBytes int64  `json:"total_bytes"`
	Engine     struct {
		Host          string `json:"host"`
		DockerRootDir string `json:"docker_root_dir"`
		StorageDriver string `json:"storage_driver"`
		FSSizeBytes   int64  `json:"fs_size_bytes"`
		FSUsedBytes   int64  `json:"fs_used_bytes"`
		FSFreeBytes   int64  `json:"fs_free_bytes"`
	} `json:"engine"`
	Summary struct {
		Images     reportRow `json:"images"`
		Containers reportRow `json:"containers"`
		Volumes    reportRow `json:"volumes"`
		BuildCache reportRow `json:"build_cache"`
		// Logs and Unaccounted are there when the storage probe
		// measured the disk.
		Logs        *reportRow `json:"logs"`
		Unaccounted *reportRow `json:"unaccounted"`
	} `json:"summary"`
	// Disk is there when the report ran the storage probe (or says why
	// it could not); Logs with -v.
	Disk *reportDisk `json:"disk"`
	Logs []struct {
		ID       string `json:"id"`
		LogBytes int64  `json:"log_bytes"`
	} `json:"logs"`
	FullCleanupBytes int64             `json:"full_cleanup_reclaimable_bytes"`
	Approximate      bool              `json:"approximate"`
	Notes            []reportNote      `json:"notes"`
	Projects         []json.RawMessage `json:"projects"`
}

// reportDisk is the report's disk section.
type reportDisk struct {
	RootDirBytes      int64   `json:"root_dir_bytes"`
	MetadataBytes     int64   `json:"metadata_bytes"`
	AccountedBytes    int64   `json:"accounted_bytes"`
	AccountedPercent  float64 `json:"accounted_percent"`
	UnavailableReason string  `json:"unavailable_reason"`
	Unaccounted       []struct {
		Name  string `json:"name"`
		Bytes int64  `json:"bytes"`
	} `json:"unaccounted"`
}

// rows gives the summary rows under docker system df's type names.
func (d reportDoc) rows() map[string]reportRow {
	return map[string]reportRow{
		"Images":        d.Summary.Images,
		"Containers":    d.Summary.Containers,
		"Local Volumes": d.Summary.Volumes,
		"Build Cache":   d.Summary.BuildCache,
	}
}

// dfTypes are docker system df's rows, in its order.
var dfTypes = []string{"Images", "Containers", "Local Volumes", "Build Cache"}

var (
	reportTopKeys    = []string{"schema", "engine", "summary", "full_cleanup_reclaimable_bytes", "notes", "projects"}
	reportEngineKeys = []string{"fs_size_bytes", "fs_used_bytes", "fs_free_bytes"}
	reportRowNames   = []string{"images", "containers", "volumes", "build_cache"}
	reportRowKeys    = []string{"total", "active", "size_bytes", "reclaimable_bytes", "docker_reclaimable_bytes"}
)

// reportJSON runs `dockctl report --format json` with the filters (docker
// syntax, each passed after --filter) and checks the document's keys, so a
// renamed key fails here rather than decoding as a silent zero. --no-cache
// keeps the test from writing the user's layer cache.
func reportJSON(t testing.TB, scope []string) reportDoc {
	t.Helper()
	args := append([]string{"report", "--format", "json", "--no-cache"}, filterFlags(scope)...)
	out, errOut, code := runDockctl(t, args...)
	if code != 0 {
		t.Fatalf("dockctl %s: exit %d, stderr %q", strings.Join(args, " "), code, errOut)
	}
	what := "dockctl " + strings.Join(args, " ")
	raw := requireKeys(t, what, []byte(out), reportTopKeys)
	requireKeys(t, what+": engine", raw["engine"], reportEngineKeys)
	var sum map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw["summary"], &sum); err != nil {
		t.Fatalf("dockctl %s: summary: %v", strings.Join(args, " "), err)
	}
	for _, r := range reportRowNames {
		for _, k := range reportRowKeys {
			if _, ok := sum[r][k]; !ok {
				t.Errorf("dockctl %s: summary.%s has no %q key", strings.Join(args, " "), r, k)
			}
		}
	}
	var doc reportDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("dockctl %s: decoding: %v", strings.Join(args, " "), err)
	}
	if doc.Schema != "dockctl.report/v1" {
		t.Errorf("dockctl %s: schema %q, want dockctl.report/v1", strings.Join(args, " "), doc.Schema)
	}
	return doc
}

// ---------------------------------------------------------------------------
// docker system df, as the CLI prints it and as the harness models it

// dfRow is a docker system df summary row, as the CLI prints it.
type dfRow struct{ TotalCount, Active, Size, Reclaimable string }

// cliDFSummary runs `docker system df --format json`; ok is false without a
// CLI.
func cliDFSummary(t testing.TB) (map[string]dfRow, bool) {
	t.Helper()
	out, ok := dockerCLI(t, "system", "df", "--format", "json")
	if !ok {
		return nil, false
	}
	rows := map[string]dfRow{}
	for _, r := range jsonLines[struct {
		Type string
		dfRow
	}](t, out) {
		rows[r.Type] = r.dfRow
	}
	for _, typ := range dfTypes {
		if _, ok := rows[typ]; !ok {
			t.Fatalf("docker system df --format json has no %q row:\n%s", typ, out)
		}
	}
	return rows, true
}

// dfRaw is a docker system df row in bytes, worked out from /system/df the
// way the docker CLI (28) does.
type dfRaw struct {
	Total, Active     int
	Size, Reclaimable int64
	// percent: the CLI prints RECLAIMABLE with "(N%)" of SIZE.
	percent bool
}

func (r dfRaw) strings() dfRow {
	rec := render.Size(r.Reclaimable)
	if r.percent {
		rec = render.SizePercent(r.Reclaimable, r.Size)
	}
	return dfRow{strconv.Itoa(r.Total), strconv.Itoa(r.Active), render.Size(r.Size), rec}
}

func dockerRows(du types.DiskUsage) map[string]dfRaw {
	im := dfRaw{Size: du.LayersSize, percent: true}
	var used int64
	for _, i := range du.Images {
		if i == nil {
			continue
		}
		im.Total++
		if i.Containers > 0 {
			im.Active++
			if i.Size != -1 && i.SharedSize != -1 {
				used += i.Size - i.SharedSize
			}
		}
	}
	im.Reclaimable = du.LayersSize - used

	ct := dfRaw{percent: true}
	for _, c := range du.Containers {
		if c == nil {
			continue
		}
		ct.Total++
		ct.Size += c.SizeRw
		switch c.State {
		case "running", "paused", "restarting":
			ct.Active++
		default:
			ct.Reclaimable += c.SizeRw
		}
	}

	vo := dfRaw{percent: true}
	for _, v := range du.Volumes {
		if v == nil {
			continue
		}
		vo.Total++
		if v.UsageData == nil {
			continue
		}
		if v.UsageData.RefCount > 0 {
			vo.Active++
		}
		if v.UsageData.Size != -1 {
			vo.Size += v.UsageData.Size
			if v.UsageData.RefCount == 0 {
				vo.Reclaimable += v.UsageData.Size
			}
		}
	}

	bc := dfRaw{}
	for _, r := range du.BuildCache {
		if r == nil {
			continue
		}
		bc.Total++
		if r.InUse {
			bc.Active++
		}
		if !r.Shared {
			bc.Size += r.Size
			if !r.InUse {
				bc.Reclaimable += r.Size
			}
		}
	}
	return map[string]dfRaw{"Images": im, "Containers": ct, "Local Volumes": vo, "Build Cache": bc}
}

func equalRaw(a, b map[string]dfRaw) bool {
	for _, k := range dfTypes {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}

func equalCLI(a, b map[string]dfRow) bool {
	for _, k := range dfTypes {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------------------
// The fixture

// Sizes of the random files the fixture writes; each distinct, so a layer
// is recognisable by its size.
const (
	rwBaseBytes   = 2<<20 + 3<<10 // B: base image, imported
	rwXBytes      = 1<<20 + 5<<10 // X: FROM B, used by containers
	rwYBytes      = 1<<20 + 9<<10 // Y: FROM B, unused
	rwZBytes      = 512<<10 + 7   // Z: imported alone, unused
	rwWriterBytes = 300 << 10     // written into a stopped container's writable layer
	rwSpareBytes  = 200 << 10     // written into an unreferenced volume
)

// reclaimWorld is what the report tests build: images sharing a base, with
// one of the sharers in use; stopped and running containers; a used and an
// unused volume.
type reclaimWorld struct {
	baseRef, xRef, yRef, zRef string
	base, x, y, z             string // image ids

	xUser, writer, runner string // containers: exited on X; exited on X with bytes written; running on X

	spare, used string // volumes: spare holds data, nothing references it; used is mounted by runner
}

func buildReclaimWorld(t *testing.T) *reclaimWorld {
	t.Helper()
	w := &reclaimWorld{
		baseRef: imageRef("rep-base", "1"),
		xRef:    imageRef("rep-x", "1"),
		yRef:    imageRef("rep-y", "1"),
		zRef:    imageRef("rep-z", "1"),
	}
	w.base = importImage(t, w.baseRef, map[string][]byte{"/opt/base.bin": randomBytes(t, rwBaseBytes)}, map[string]string{"role": "base"})
	w.x = buildImage(t, w.baseRef, w.xRef, map[string][]byte{"/opt/x.bin": randomBytes(t, rwXBytes)}, map[string]string{"role": "x"})
	w.y = buildImage(t, w.baseRef, w.yRef, map[string][]byte{"/opt/y.bin": randomBytes(t, rwYBytes)}, map[string]string{"role": "y"})
	w.z = importImage(t, w.zRef, map[string][]byte{"/opt/z.bin": randomBytes(t, rwZBytes)}, map[string]string{"role": "z"})

	w.spare = createVolume(t, objName("rep-spare"), nil)
	w.used = createVolume(t, objName("rep-used"), nil)
	// Fill the spare volume through a container, then remove that container
	// so that nothing references the volume.
	filler := createContainer(t, w.xRef, objName("rep-filler"), containerOpts{
		State:      stateExited,
		WriteBytes: rwSpareBytes,
		WritePath:  "/vol/blob",
		Mounts:     []mount.Mount{{Type: mount.TypeVolume, Source: w.spare, Target: "/vol"}},
	})
	ctx := testContext(t, fixtureTimeout)
	if err := removeContainer(ctx, filler); err != nil {
		t.Fatalf("removing the container that filled %s: %v", w.spare, err)
	}

	w.xUser = createContainer(t, w.xRef, objName("rep-xuser"), containerOpts{State: stateExited})
	w.writer = createContainer(t, w.xRef, objName("rep-writer"), containerOpts{State: stateExited, WriteBytes: rwWriterBytes})
	w.runner = createContainer(t, w.xRef, objName("rep-runner"), containerOpts{
		State:  stateRunning,
		Mounts: []mount.Mount{{Type: mount.TypeVolume, Source: w.used, Target: "/data"}},
	})
	return w
}

// importOutOfScope imports a one-layer image of n random bytes labelled
// with this run's label but another test-case label than t's, so that t's
// scope leaves it out (the sweep still removes it by the run label).
func importOutOfScope(t *testing.T, ref string, n int) string {
	t.Helper()
	archive := tarArchive(t, []tarEntry{{Path: "opt/outside.bin", Data: randomBytes(t, n)}})
	changes := []string{
		"LABEL " + strconv.Quote(runLabel) + "=" + strconv.Quote(runID),
		"LABEL " + strconv.Quote(caseLabel) + "=" + strconv.Quote(caseName(t)+"/out-of-scope"),
	}
	return importArchive(t, ref, archive, changes, "dockctl integration fixture (out of scope)")
}

// inCase reports whether labels mark an object t made.
func inCase(t testing.TB, labels map[string]string) bool {
	return ours(labels) && labels[caseLabel] == caseName(t)
}

// scopedDF is the engine's /system/df for the objects t made, with a
// fingerprint of everything else on the engine.
type scopedDF struct {
	layersSize int64 // the engine's LayersSize (all images)
	images     map[string]*image.Summary
	sizeRw     map[string]int64 // container id → writable layer
	states     map[string]string
	volumes    map[string]int64 // volume name → size
	refs       map[string]int64
	// foreign lists the objects t did not make (images; containers and
	// volumes with their sizes; build-cache records but those in mine):
	// when it changes across a measurement, another client was changing
	// the engine, and engine-wide figures (LayersSize, the root dir's disk
	// use) say nothing about what t did.
	foreign string
}

// scopedDiskUsage reads /system/df; mine are build-cache records t made.
func scopedDiskUsage(t testing.TB, mine map[string]bool) scopedDF {
	t.Helper()
	du := diskUsage(t)
	s := scopedDF{layersSize: du.LayersSize, images: map[string]*image.Summary{}, sizeRw: map[string]int64{},
		states: map[string]string{}, volumes: map[string]int64{}, refs: map[string]int64{}}
	var foreign []string
	for _, i := range du.Images {
		if i != nil && inCase(t, i.Labels) {
			s.images[i.ID] = i
		} else if i != nil {
			foreign = append(foreign, "image "+i.ID)
		}
	}
	for _, c := range du.Containers {
		if c != nil && inCase(t, c.Labels) {
			s.sizeRw[c.ID] = c.SizeRw
			s.states[c.ID] = string(c.State)
		} else if c != nil {
			foreign = append(foreign, fmt.Sprintf("container %s %d", c.ID, c.SizeRw))
		}
	}
	for _, v := range du.Volumes {
		if v == nil || v.UsageData == nil {
			continue
		}
		if inCase(t, v.Labels) {
			s.volumes[v.Name] = v.UsageData.Size
			s.refs[v.Name] = v.UsageData.RefCount
		} else {
			foreign = append(foreign, fmt.Sprintf("volume %s %d", v.Name, v.UsageData.Size))
		}
	}
	for _, r := range du.BuildCache {
		if r != nil && !mine[r.ID] {
			foreign = append(foreign, fmt.Sprintf("cache %s %d", r.ID, r.Size))
		}
	}
	sort.Strings(foreign)
	s.foreign = strings.Join(foreign, "\n")
	return s
}

// quiet reports whether nothing but t's objects changed from s to after
// (as far as /system/df shows), and logs it when something else did.
func (s scopedDF) quiet(t testing.TB, after scopedDF, what string) bool {
	t.Helper()
	if s.foreign == after.foreign {
		return true
	}
	t.Logf("%s: other objects on the engine changed meanwhile (another client is using it): engine-wide figures are inconclusive", what)
	return false
}

func sum[K comparable](m map[K]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// ---------------------------------------------------------------------------
// Test 1: TOTAL, ACTIVE, SIZE and docker's RECLAIMABLE equal docker system df's

func TestReportMatchesDockerSystemDF(t *testing.T) {
	requireEngine(t)
	buildReclaimWorld(t)
	compareWithSystemDF(t)
}

// compareWithSystemDF checks an unscoped `dockctl report` against docker
// system df: TOTAL, ACTIVE and SIZE, and docker_reclaimable_bytes against
// docker's RECLAIMABLE, both as raw bytes (/system/df summed the way the
// CLI sums) and as the CLI prints them.
func compareWithSystemDF(t *testing.T) {
	t.Helper()
	// Other tests (or other clients of the engine) may change it while the
	// reads run: compare only when the engine held still across them.
	const attempts = 5
	for attempt := 1; attempt <= attempts; attempt++ {
		du1 := diskUsage(t)
		cli1, haveCLI := cliDFSummary(t)
		doc := reportJSON(t, nil)
		cli2, _ := cliDFSummary(t)
		du2 := diskUsage(t)
		raw1, raw2 := dockerRows(du1), dockerRows(du2)
		if !equalRaw(raw1, raw2) || (haveCLI && !equalCLI(cli1, cli2)) {
			t.Logf("attempt %d: the engine changed between reads (%v / %v); retrying", attempt, raw1, raw2)
			time.Sleep(time.Duration(attempt) * time.Second)
			continue
		}
		if !haveCLI {
			t.Log("no docker CLI found: comparing with the Go client's DiskUsage, summed the way docker system df does")
		}
		got := doc.rows()
		for _, typ := range dfTypes {
			g, want := got[typ], raw2[typ]
			// Raw bytes against /system/df, summed the way the CLI sums.
			if g.Total != want.Total || g.Active != want.Active {
				t.Errorf("%s: TOTAL/ACTIVE dockctl %d/%d, docker %d/%d", typ, g.Total, g.Active, want.Total, want.Active)
			}
			if g.SizeBytes != want.Size {
				t.Errorf("%s: SIZE dockctl %d bytes, /system/df %d bytes", typ, g.SizeBytes, want.Size)
			}
			if g.DockerReclaimableBytes != want.Reclaimable {
				t.Errorf("%s: docker_reclaimable_bytes dockctl %d, docker system df's RECLAIMABLE from /system/df %d", typ, g.DockerReclaimableBytes, want.Reclaimable)
			}
			if !haveCLI {
				continue
			}
			// The CLI's strings.
			cli := cli2[typ]
			if model := want.strings(); model != cli {
				t.Errorf("%s: HARNESS MODEL, not dockctl: docker system df prints %+v, the harness's sum of /system/df gives %+v", typ, cli, model)
			}
			gs := dfRaw{Total: g.Total, Active: g.Active, Size: g.SizeBytes, Reclaimable: g.DockerReclaimableBytes, percent: want.percent}.strings()
			if gs != cli {
				t.Errorf("%s: docker system df prints TOTAL %s ACTIVE %s SIZE %s RECLAIMABLE %s; dockctl's figures print as %s %s %s %s (raw %+v)",
					typ, cli.TotalCount, cli.Active, cli.Size, cli.Reclaimable, gs.TotalCount, gs.Active, gs.Size, gs.Reclaimable, g)
			}
		}
		t.Logf("compared on attempt %d: dockctl %+v; docker system df %+v", attempt, got, cli2)
		return
	}
	t.Fatalf("the engine never held still across %d attempts of docker system df / dockctl report / docker system df", attempts)
}

// ---------------------------------------------------------------------------
// Test 2: each RECLAIMABLE is what docker's own prune of that type frees

// pruned is what docker's prune of one kind said.
type pruned struct {
	output string
	// reclaimed is the engine's own count of what this prune freed: raw
	// bytes through the Go client (rawOK), or the CLI's humanized line.
	reclaimed      string
	reclaimedBytes int64
	rawOK          bool
}

var reclaimedLine = regexp.MustCompile(`Total reclaimed space:\s*(\S+)`)

// pruneScoped runs docker's own prune of one kind ("image", "container",
// "volume") limited to t's labels: the CLI when there is one, else the
// same engine call through the Go client.
func pruneScoped(t *testing.T, kind string) pruned {
	t.Helper()
	c := requireEngine(t)
	ctx := testContext(t, fixtureTimeout)
	sv, err := c.ServerVersion(ctx)
	if err != nil {
		t.Fatalf("ServerVersion: %v", err)
	}
	// Engines from API 1.42 prune only anonymous volumes unless told "all";
	// 1.41 prunes every unreferenced volume the filters match.
	allVolumes := versions.GreaterThanOrEqualTo(sv.APIVersion, "1.42")
	args := []string{kind, "prune", "-f"}
	switch kind {
	case "image":
		args = append(args, "-a")
	case "volume":
		if allVolumes {
			args = append(args, "-a")
		}
	}
	args = append(args, filterFlags(scopeFilters(t))...)
	if out, ok := dockerCLI(t, args...); ok {
		t.Logf("docker %s:\n%s", strings.Join(args, " "), strings.TrimSpace(out))
		p := pruned{output: out}
		if m := reclaimedLine.FindStringSubmatch(out); m != nil {
			p.reclaimed = m[1]
		}
		return p
	}
	f := scopeArgs(t)
	var p pruned
	switch kind {
	case "image":
		f.Add("dangling", "false")
		r, err := c.ImagesPrune(ctx, f)
		if err != nil {
			t.Fatalf("ImagesPrune(%v): %v", f, err)
		}
		p.output = fmt.Sprintf("%+v", r.ImagesDeleted)
		p.reclaimedBytes = int64(r.SpaceReclaimed)
	case "container":
		r, err := c.ContainersPrune(ctx, f)
		if err != nil {
			t.Fatalf("ContainersPrune(%v): %v", f, err)
		}
		p.output = fmt.Sprint(r.ContainersDeleted)
		p.reclaimedBytes = int64(r.SpaceReclaimed)
	case "volume":
		if allVolumes {
			f.Add("all", "true")
		}
		r, err := c.VolumesPrune(ctx, f)
		if err != nil {
			t.Fatalf("VolumesPrune(%v): %v", f, err)
		}
		p.output = fmt.Sprint(r.VolumesDeleted)
		p.reclaimedBytes = int64(r.SpaceReclaimed)
	default:
		t.Fatalf("pruneScoped: unknown kind %q", kind)
	}
	p.rawOK = true
	p.reclaimed = render.Size(p.reclaimedBytes)
	t.Logf("engine prune of %ss (no docker CLI; %v): deleted %s, reclaimed %d", kind, f, p.output, p.reclaimedBytes)
	return p
}

// checkReclaimed compares the prediction with what the engine says the
// prune reclaimed: its count of the layers, writable layers or volumes it
// really deleted (a layer something else still holds is not counted),
// whatever else changes on the engine meanwhile. Through the CLI only the
// humanized figure is known. On the containerd image store only a volume
// prune's figure is compared (see enginesClaimsAreTruth).
func checkReclaimed(t testing.TB, what string, p pruned, predicted int64) {
	t.Helper()
	if !enginesClaimsAreTruth(t) && !strings.HasPrefix(what, "volume") {
		t.Logf("%s: dockctl predicted %d bytes, the engine says the prune reclaimed %s: not compared on the %s, whose SpaceReclaimed is no measure of the disk", what, predicted, p.reclaimed, engineUnderTest(t).store())
		return
	}
	switch {
	case p.rawOK && p.reclaimedBytes != predicted:
		t.Errorf("%s: dockctl predicted %d bytes, the engine says the prune reclaimed %d", what, predicted, p.reclaimedBytes)
	case !p.rawOK && p.reclaimed != "" && p.reclaimed != render.Size(predicted):
		t.Errorf("%s: dockctl predicted %d bytes (%s), docker's prune says it reclaimed %s", what, predicted, render.Size(predicted), p.reclaimed)
	case !p.rawOK && p.reclaimed == "":
		t.Logf("%s: docker's prune printed no reclaimed space", what)
	}
}

// duTolerance is how far a root-dir measurement may be from the predicted
// bytes: the engine's metadata files (image configs, layer records) come
// and go with the layers.
func duTolerance(predicted int64) int64 { return 64<<10 + predicted/100 }

// storeTolerance is issue 13's tolerance on the containerd image store
// (see checkDU): the larger of 256 KiB and 1%.
func storeTolerance(n int64) int64 { return max(256<<10, n/100) }

func abs64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// checkDU compares the drop of the root dir's disk use from b to a with
// predicted bytes. Sizes are apparent (file sizes), the unit of every
// engine figure; allocated blocks are logged beside them.
//
// On the containerd image store a snapshot's bytes are containerd's usage
// of it (allocated blocks of its files, as the engine counts SizeRw and
// Unpacked), while du -sb counts file sizes and the dirs around them: a
// few KiB apart per snapshot, either way. There the tolerance is issue
// 13's for metadata: the larger of 1% and 256 KiB.
func checkDU(t testing.TB, what string, b, a diskMeasure, predicted int64) int64 {
	t.Helper()
	drop := b.apparent - a.apparent
	t.Logf("%s: root dir disk use dropped %d bytes (file sizes; %d allocated); per dir %s", what, drop, b.allocated-a.allocated, b.delta(a))
	tol := duTolerance(predicted)
	if engineUnderTest(t).Containerd {
		tol = storeTolerance(predicted)
	}
	if abs64(drop-predicted) > tol {
		t.Errorf("%s: dockctl predicted %d bytes, the Docker root dir's disk use dropped %d (tolerance %d; per dir %s)", what, predicted, drop, tol, b.delta(a))
	}
	return drop
}

func TestReportReclaimableIsWhatPruneFrees(t *testing.T) {
	c := requireEngine(t)
	w := buildReclaimWorld(t)
	// An image of this run outside the test's scope: a scoped report must
	// neither count it nor let engine-wide figures leak into its rows.
	outside := importOutOfScope(t, imageRef("rep-outside", "1"), 100<<10+11)
	scope := scopeFilters(t)

	before := scopedDiskUsage(t, nil)
	doc := reportJSON(t, scope)
	again := scopedDiskUsage(t, nil)
	if fmt.Sprint(before.sizeRw, before.volumes, before.refs, sortedKeys(before.images)) != fmt.Sprint(again.sizeRw, again.volumes, again.refs, sortedKeys(again.images)) {
		t.Fatalf("the test's own objects changed while dockctl read them")
	}

	// The fixture must be what this test thinks it is (engine figures).
	B, X, Y, Z := before.images[w.base], before.images[w.x], before.images[w.y], before.images[w.z]
	if B == nil || X == nil || Y == nil || Z == nil || len(before.images) != 4 {
		t.Fatalf("fixture: /system/df lists %d images of this test, want B, X, Y, Z", len(before.images))
	}
	e := engineUnderTest(t)
	var xOwn, yOwn, bMeta int64
	if e.Containerd {
		// Each image's own bytes are its manifest, config, own layer blob
		// and own snapshot; B's manifest and config are B's alone
		// (store_test.go).
		sb, sz := readStoredImage(t, w.base), readStoredImage(t, w.z)
		checkStoredBase(t, sb, map[string]int64{"/opt/base.bin": rwBaseBytes})
		checkStoredBase(t, sz, map[string]int64{"/opt/z.bin": rwZBytes})
		xOwn = checkStoredDerived(t, sb, readStoredImage(t, w.x), X, B, map[string]int64{"/opt/x.bin": rwXBytes})
		yOwn = checkStoredDerived(t, sb, readStoredImage(t, w.y), Y, B, map[string]int64{"/opt/y.bin": rwYBytes})
		bMeta = sb.meta()
		if B.SharedSize != B.Size-bMeta || Z.SharedSize != 0 || Z.Size != sz.Content+sz.Unpacked {
			t.Fatalf("fixture (engine problem, not dockctl) on the %s: B size %d shared %d, Z size %d shared %d; want B's shared = its size less its manifest and config (%d), Z sharing nothing", e.store(), B.Size, B.SharedSize, Z.Size, Z.SharedSize, bMeta)
		}
	} else {
		xOwn, yOwn = X.Size-B.Size, Y.Size-B.Size
		if xOwn != rwXBytes || yOwn != rwYBytes || X.SharedSize != B.Size || Y.SharedSize != B.Size || B.SharedSize != B.Size || Z.SharedSize != 0 {
			t.Fatalf("fixture (engine problem, not dockctl) on the %s: X size %d shared %d, Y size %d shared %d, B size %d shared %d, Z shared %d; want X and Y = B + their own %d and %d bytes, sharing B",
				e.store(), X.Size, X.SharedSize, Y.Size, Y.SharedSize, B.Size, B.SharedSize, Z.SharedSize, rwXBytes, rwYBytes)
		}
	}
	t.Logf("%s: B %d (the base, shared), X's own %d, Y's own %d, Z %d; the engine's LayersSize %d", e, B.Size, xOwn, yOwn, Z.Size, before.layersSize)

	im, ct, vo := doc.Summary.Images, doc.Summary.Containers, doc.Summary.Volumes
	t.Logf("dockctl predicts: images %+v; containers %+v; volumes %+v; build cache %+v; full cleanup %d; notes %+v",
		im, ct, vo, doc.Summary.BuildCache, doc.FullCleanupBytes, doc.Notes)

	// The scope's own figures (from the engine's per-image sizes).
	scopedLayers := B.Size + xOwn + yOwn + Z.Size
	xUnique := X.Size - X.SharedSize
	// On the containerd store dockctl's SIZE is the store's graph: each
	// blob and snapshot once, with what the engine's per-image sizes
	// leave out: the classic builder's hidden intermediate images
	// (their manifest and config) and its container-config blobs, about
	// 1.5 KB per build step. X and Y are classic builds of two steps.
	sizeOK := im.SizeBytes == scopedLayers
	if e.Containerd {
		sizeOK = im.SizeBytes >= scopedLayers && im.SizeBytes-scopedLayers <= 2*2*4096
		t.Logf("images on the %s: dockctl's SIZE %d, the engine's sizes add up to %d: %d bytes of intermediates and container configs", e.store(), im.SizeBytes, scopedLayers, im.SizeBytes-scopedLayers)
	}
	if im.Total != 4 || im.Active != 1 || !sizeOK {
		t.Errorf("images: total %d active %d size %d; want 4, 1 (X) and %d (B+X+Y+Z, each layer once)", im.Total, im.Active, im.SizeBytes, scopedLayers)
	}
	// docker's way over the scope: every layer but the unique ones of
	// images in use.
	// (On the containerd store over dockctl's SIZE, which holds the
	// intermediates' bytes too: see above.)
	want := scopedLayers - xUnique
	if e.Containerd {
		want += im.SizeBytes - scopedLayers
	}
	if im.DockerReclaimableBytes != want {
		t.Errorf("images: docker_reclaimable_bytes %d; docker's sum over the scope is %d (its size %d − X's unique %d); the engine-wide LayersSize, which holds out-of-scope image %s, is %d",
			im.DockerReclaimableBytes, want, scopedLayers, xUnique, short(outside), before.layersSize)
	}
	// By construction docker counts B's layer (image B is unused, but its
	// layer is X's too) as reclaimable; pruning does not free it.
	if !(im.DockerReclaimableBytes > im.ReclaimableBytes) {
		t.Errorf("images: docker_reclaimable_bytes %d not above reclaimable_bytes %d, yet docker counts B's %d-byte layer that X (in use) keeps", im.DockerReclaimableBytes, im.ReclaimableBytes, B.Size)
	}
	if doc.Approximate {
		t.Errorf("the report says approximate: some image layers could not be read")
	}
	if ct.Total != 3 || ct.Active != 1 || ct.SizeBytes != sum(before.sizeRw) {
		t.Errorf("containers: total %d active %d size %d; want 3, 1 and %d", ct.Total, ct.Active, ct.SizeBytes, sum(before.sizeRw))
	}
	if vo.Total != 2 || vo.Active != 1 || vo.SizeBytes != sum(before.volumes) {
		t.Errorf("volumes: total %d active %d size %d; want 2, 1 and %d", vo.Total, vo.Active, vo.SizeBytes, sum(before.volumes))
	}
	if bc := doc.Summary.BuildCache; bc != (reportRow{}) {
		t.Errorf("build cache under a label filter: %+v, want all zero (build cache has no labels)", bc)
	}

	root := localRootDir(t, c, w.z)

	// Images alone: docker image prune -a of this test's images.
	duB, haveDU := root.measure(t)
	p := pruneScoped(t, "image")
	duA, _ := root.measure(t)
	afterImages := scopedDiskUsage(t, nil)
	quiet := before.quiet(t, afterImages, "images")
	imagesQuiet := quiet
	freed := before.layersSize - afterImages.layersSize
	left := sortedKeys(afterImages.images)
	t.Logf("images: predicted %d; LayersSize dropped %d (%d → %d); the prune says it reclaimed %s; images left in scope %v",
		im.ReclaimableBytes, freed, before.layersSize, afterImages.layersSize, p.reclaimed, shortAll(left...))
	if quiet && freed != im.ReclaimableBytes && enginesClaimsAreTruth(t) {
		t.Errorf("images: dockctl predicted reclaimable_bytes %d, docker image prune freed %d bytes of layers (B %d, shared with X in use; X's own %d; Y's own %d; Z %d; images left %v)",
			im.ReclaimableBytes, freed, B.Size, xOwn, yOwn, Z.Size, shortAll(left...))
	}
	checkReclaimed(t, "images", p, im.ReclaimableBytes)
	// On the containerd store B's manifest and config go with B's name
	// (X holds B's layer blob and snapshot, not B's manifest); so do the
	// manifests and configs of the classic builder's hidden intermediate
	// images and its container-config blobs, which no engine figure
	// holds (model §3.2): the disk says how much.
	if want := yOwn + Z.Size + bMeta; im.ReclaimableBytes != want && enginesClaimsAreTruth(t) {
		t.Errorf("images: reclaimable_bytes %d, want Y's own layer + Z = %d", im.ReclaimableBytes, want)
	} else if !enginesClaimsAreTruth(t) {
		t.Logf("images on the %s: reclaimable_bytes %d; Y's own %d + Z %d + B's manifest and config %d = %d, plus what the classic builder's hidden images add", e.store(), im.ReclaimableBytes, yOwn, Z.Size, bMeta, want)
	}
	if _, ok := afterImages.images[w.x]; !ok {
		t.Errorf("images: docker image prune removed X, which containers use (fixture problem)")
	}
	var imagesDrop, containersDrop int64
	imagesMeasured := haveDU && quiet && duA.ok
	if imagesMeasured {
		imagesDrop = checkDU(t, "images", duB, duA, im.ReclaimableBytes)
	} else {
		measuredOnlyByEngine(t, "images")
	}

	// Containers alone: the writable layers of the stopped ones.
	duB, haveDU = root.measure(t)
	p = pruneScoped(t, "container")
	duA, _ = root.measure(t)
	// With the storage probe, RECLAIMABLE includes the containers' logs,
	// which the engine's figures leave out.
	var logs int64
	if doc.Summary.Logs != nil {
		logs = doc.Summary.Logs.ReclaimableBytes
	}
	checkReclaimed(t, "containers", p, ct.ReclaimableBytes-logs)
	afterContainers := scopedDiskUsage(t, nil)
	quiet = afterImages.quiet(t, afterContainers, "containers")
	rwFreed := sum(afterImages.sizeRw) - sum(afterContainers.sizeRw)
	t.Logf("containers: predicted %d (logs %d), the test's writable layers dropped %d", ct.ReclaimableBytes, logs, rwFreed)
	// On the containerd store SizeRw leaves out the -init snapshot and the
	// container's dir (model §2.5): the disk says how much.
	if rwFreed != ct.ReclaimableBytes-logs && enginesClaimsAreTruth(t) {
		t.Errorf("containers: dockctl predicted reclaimable_bytes %d less logs %d, docker container prune freed %d bytes of writable layers", ct.ReclaimableBytes, logs, rwFreed)
	}
	if ct.ReclaimableBytes < rwWriterBytes {
		t.Errorf("containers: reclaimable_bytes %d, but %d bytes were written into a stopped container", ct.ReclaimableBytes, rwWriterBytes)
	}
	if _, ok := afterContainers.sizeRw[w.runner]; !ok || len(afterContainers.sizeRw) != 1 {
		t.Errorf("containers: after docker container prune, %d left; want only the running one", len(afterContainers.sizeRw))
	}
	containersMeasured := haveDU && quiet && duA.ok
	if containersMeasured {
		containersDrop = checkDU(t, "containers", duB, duA, ct.ReclaimableBytes)
	} else {
		measuredOnlyByEngine(t, "containers")
	}
	// A full cleanup of the scope (dockctl prune --all --volumes with the
	// label filter) removes the stopped containers and every image nothing
	// running uses: here that is what the two prunes freed (X stays, the
	// running container uses it), the volumes being named.
	switch {
	case enginesClaimsAreTruth(t):
		if imagesQuiet && doc.FullCleanupBytes-logs != freed+rwFreed {
			t.Errorf("full_cleanup_reclaimable_bytes %d less %d of logs; pruning the scope's images and stopped containers freed %d + %d = %d", doc.FullCleanupBytes, logs, freed, rwFreed, freed+rwFreed)
		}
	case imagesMeasured && containersMeasured:
		if drop := imagesDrop + containersDrop; abs64(drop-doc.FullCleanupBytes) > duTolerance(doc.FullCleanupBytes) {
			t.Errorf("full_cleanup_reclaimable_bytes %d; pruning the scope's images and stopped containers freed %d + %d = %d on disk (tolerance %d)", doc.FullCleanupBytes, imagesDrop, containersDrop, drop, duTolerance(doc.FullCleanupBytes))
		}
	default:
		measuredOnlyByEngine(t, "full cleanup")
	}

	// Volumes alone: the unreferenced ones.
	duB, haveDU = root.measure(t)
	p = pruneScoped(t, "volume")
	duA, _ = root.measure(t)
	checkReclaimed(t, "volumes", p, vo.ReclaimableBytes)
	afterVolumes := scopedDiskUsage(t, nil)
	quiet = afterContainers.quiet(t, afterVolumes, "volumes")
	volFreed := sum(afterContainers.volumes) - sum(afterVolumes.volumes)
	t.Logf("volumes: predicted %d, the test's volumes dropped %d", vo.ReclaimableBytes, volFreed)
	if volFreed != vo.ReclaimableBytes {
		t.Errorf("volumes: dockctl predicted reclaimable_bytes %d, docker volume prune freed %d bytes of volumes", vo.ReclaimableBytes, volFreed)
	}
	if vo.ReclaimableBytes != rwSpareBytes {
		t.Errorf("volumes: reclaimable_bytes %d, want the %d bytes in the unreferenced volume", vo.ReclaimableBytes, rwSpareBytes)
	}
	if _, ok := afterVolumes.volumes[w.used]; !ok || len(afterVolumes.volumes) != 1 {
		t.Errorf("volumes: after docker volume prune, %v left; want only %s", sortedKeys(afterVolumes.volumes), w.used)
	}
	if haveDU && quiet && duA.ok {
		checkDU(t, "volumes", duB, duA, vo.ReclaimableBytes)
	}
}

// ---------------------------------------------------------------------------
// The Docker root dir's disk use

// duLimit bounds one walk of the root dir: on a machine with much data the
// walk is skipped rather than slow.
const duLimit = 20 * time.Second

// diskMeasure is the disk use of the root dir.
type diskMeasure struct {
	ok        bool
	allocated int64            // blocks × 512, each inode once
	apparent  int64            // sizes of regular files, each inode once
	byDir     map[string]int64 // apparent, per top-level entry of the root
}

// delta lists, per top-level dir, how much use dropped from m to after.
func (m diskMeasure) delta(after diskMeasure) string {
	keys := map[string]bool{}
	for k := range m.byDir {
		keys[k] = true
	}
	for k := range after.byDir {
		keys[k] = true
	}
	var parts []string
	for _, k := range sortedKeys(keys) {
		switch d := m.byDir[k] - after.byDir[k]; {
		case d > 0:
			parts = append(parts, fmt.Sprintf("%s −%d", k, d))
		case d < 0:
			parts = append(parts, fmt.Sprintf("%s +%d", k, -d))
		}
	}
	if len(parts) == 0 {
		return "(no change)"
	}
	return strings.Join(parts, ", ")
}

// rootDir is a Docker root dir this process can read.
type rootDir struct {
	dir  string
	walk func(root string, limit time.Duration) (diskMeasure, error)
	off  bool // a walk was too slow or failed: measure no more
}

// measure walks the root dir until two walks in a row agree (something
// else writing there makes the figure meaningless), within duLimit in all.
// ok is false, with the reason logged, when it cannot: a walk failed, the
// walks took longer than duLimit (then no more are tried), or the use
// never held still.
func (r *rootDir) measure(t testing.TB) (diskMeasure, bool) {
	t.Helper()
	if r == nil || r.off {
		return diskMeasure{}, false
	}
	start := time.Now()
	deadline := start.Add(duLimit)
	var prev diskMeasure
	for i := 0; i < 4; i++ {
		m, err := r.walk(r.dir, time.Until(deadline))
		if err != nil {
			r.off = true
			t.Logf("root dir disk use: not measured, and skipped from now on: %v", err)
			return diskMeasure{}, false
		}
		if i > 0 && m.apparent == prev.apparent && m.allocated == prev.allocated {
			t.Logf("root dir %s: %d bytes in files, %d allocated (%d walks took %v)", r.dir, m.apparent, m.allocated, i+1, time.Since(start).Round(time.Millisecond))
			m.ok = true
			return m, true
		}
		prev = m
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("root dir disk use: not measured: it keeps changing (another client is using the engine)")
	return diskMeasure{}, false
}

// walkRootDir is set where the platform can count allocated blocks.
var walkRootDir func(root string, limit time.Duration) (diskMeasure, error)

// localRootDir returns the engine's root dir when it is on this machine and
// readable, proven by holding the layer record of image img (one of the
// test's); nil (with the reason logged) otherwise.
func localRootDir(t testing.TB, c *client.Client, img string) *rootDir {
	t.Helper()
	if walkRootDir == nil {
		t.Log("root dir disk use: not measured on this platform")
		return nil
	}
	if !strings.HasPrefix(engineHost, "unix://") {
		t.Logf("root dir disk use: not measured: the engine at %s is not reached over a local socket", engineHost)
		return nil
	}
	ctx := testContext(t, fixtureTimeout)
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatalf("Info: %v", err)
	}
	ii, err := c.ImageInspect(ctx, img)
	if err != nil {
		t.Fatalf("inspecting %s: %v", img, err)
	}
	if info.DockerRootDir == "" || len(ii.RootFS.Layers) == 0 {
		t.Log("root dir disk use: not measured: the engine names no root dir")
		return nil
	}
	// A one-layer image's chain id is its diff id: a graph driver keeps
	// its record in the layer store. The containerd image store keeps the
	// image's manifest, whose digest is the image id, in its content store.
	chain := ii.RootFS.Layers[0]
	rec := filepath.Join(info.DockerRootDir, "image", info.Driver, "layerdb", strings.Replace(chain, ":", string(filepath.Separator), 1))
	if engineUnderTest(t).Containerd {
		rec = filepath.Join(info.DockerRootDir, "containerd", "daemon", "io.containerd.content.v1.content", "blobs", strings.Replace(ii.ID, ":", string(filepath.Separator), 1))
	}
	if _, err := os.Stat(rec); err != nil {
		t.Logf("root dir disk use: not measured: %s is not this engine's root dir as seen from here (%v)", info.DockerRootDir, err)
		return nil
	}
	return &rootDir{dir: info.DockerRootDir, walk: walkRootDir}
}

// sortedIDs is for messages.
func sortedIDs(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
