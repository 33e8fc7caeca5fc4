package integration

// Acceptance test of issue 11's report rows and freed bytes on disk: with
// the storage probe, `dockctl report`'s rows plus Unaccounted add up to
// `du -sbx` of the engine's root dir, and each type's RECLAIMABLE (logs
// included) is what pruning that type alone gives back on disk.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"

	"github.com/dockctl/dockctl/internal/usage"
)

// diskReport runs `dockctl report --format json` with the probe's rows,
// which it requires.
func diskReport(t *testing.T, scope []string, extra ...string) reportDoc {
	t.Helper()
	args := append(append([]string{"report", "--format", "json", "--no-cache"}, extra...), filterFlags(scope)...)
	out, errOut, code := runDockctl(t, args...)
	if code != 0 {
		t.Fatalf("dockctl %s: exit %d, stderr %q", strings.Join(args, " "), code, errOut)
	}
	var d reportDoc
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("decoding the report: %v", err)
	}
	if d.Disk == nil || d.Disk.UnavailableReason != "" || d.Summary.Logs == nil || d.Summary.Unaccounted == nil {
		t.Fatalf("report without the probe's rows: disk %+v, logs %v, unaccounted %v", d.Disk, d.Summary.Logs, d.Summary.Unaccounted)
	}
	return d
}

// logsOnDisk is the apparent size of a container's json-file log and its
// rotations, read here independently of the probe.
func logsOnDisk(t *testing.T, id string) int64 {
	t.Helper()
	ci, err := requireEngine(t).ContainerInspect(testContext(t, time.Minute), id)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(ci.LogPath + "*")
	var n int64
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		n += st.Size()
	}
	return n
}

// withinDrift: got is within the stated tolerance (usage.Within) widened by what
// the root dir changed by meanwhile: other tests write to the same engine.
func withinDrift(got, want, drift int64) bool {
	d := got - want
	if d < 0 {
		d = -d
	}
	return d <= max(usage.ToleranceBytes, int64(float64(want)*usage.TolerancePercent/100))+drift
}

func TestDiskReport(t *testing.T) {
	ctx := testContext(t, 10*time.Minute)
	_, p := requireProbe(t, ctx)
	root := p.RootDir()
	scope := scopeFilters(t)
	img := probeFixtureImage(t, "disk")

	// big: stopped, a 21 MiB json-file log, data in its writable layer and
	// in a named volume; rotated: stopped, a 2 MiB log rotated at 1 MB;
	// running: a 1 MiB log, kept.
	vol := createVolume(t, objName("disk-vol"), nil)
	big := createContainer(t, img, objName("disk-big"), containerOpts{
		State:     stateExited,
		Env:       []string{"PROBE_LOG_BYTES=" + strconv.Itoa(21<<20)},
		Mounts:    []mount.Mount{{Type: mount.TypeVolume, Source: vol, Target: "/vol"}},
		LogConfig: container.LogConfig{Type: "json-file"},
	})
	rotated := createContainer(t, img, objName("disk-rotated"), containerOpts{
		State:     stateExited,
		Env:       []string{"PROBE_LOG_BYTES=" + strconv.Itoa(2<<20)},
		LogConfig: container.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "1m", "max-file": "3"}},
	})
	running := createContainer(t, img, objName("disk-running"), containerOpts{
		State:     stateRunning,
		Env:       []string{"PROBE_LOG_BYTES=" + strconv.Itoa(1<<20), "PROBE_WAIT=1"},
		LogConfig: container.LogConfig{Type: "json-file"},
	})
	waitForFile(t, running, objName("disk-running"), "/data/done", 4)

	// The whole root dir: rows + Logs + Unaccounted = du -sbx, within the
	// tolerance and what the dir moved by meanwhile.
	duBefore := duSbx(t, root)
	whole := diskReport(t, nil)
	duAfter := duSbx(t, root)
	drift := max(duAfter-duBefore, duBefore-duAfter)
	d := whole.Disk
	t.Logf("root dir %s: du -sbx %d before, %d after; report: du %d, accounted %d (%.2f%%), unaccounted %d in %d dirs",
		root, duBefore, duAfter, d.RootDirBytes, d.AccountedBytes, d.AccountedPercent, whole.Summary.Unaccounted.SizeBytes, len(d.Unaccounted))
	for _, u := range d.Unaccounted {
		t.Logf("  unaccounted %s: %d", u.Name, u.Bytes)
	}
	if engineUnderTest(t).Containerd {
		// The containerd dir's share is its du less the graph's bytes,
		// whose snapshots are allocated blocks: the two units differ by
		// sparse files' holes (and small files' block rounding).
		cd := filepath.Join(root, "containerd")
		apparent, alloc := duSbx(t, cd), duAllocated(t, cd)[cd]
		t.Logf("  containerd dir: du -sbx %d, allocated %d (difference %d)", apparent, alloc, apparent-alloc)
	}
	if !withinDrift(d.RootDirBytes, duBefore, drift) {
		t.Errorf("disk.root_dir_bytes %d, du -sbx %d before and %d after", d.RootDirBytes, duBefore, duAfter)
	}
	s := whole.Summary
	rows := s.Images.SizeBytes + s.Containers.SizeBytes + s.Volumes.SizeBytes + s.BuildCache.SizeBytes + s.Logs.SizeBytes + s.Unaccounted.SizeBytes
	if engineUnderTest(t).Containerd {
		// There the rows keep docker's SIZE, which counts a blob the
		// build cache shares with images twice and leaves out init
		// layers; the report's total counts the store's objects once
		// each (its graph), with the volumes and logs.
		rows = whole.TotalBytes + s.Unaccounted.SizeBytes
	}
	// The objects' metadata (their dirs and records, attributed by path)
	// is accounted beside the rows, whose SIZE stay docker's.
	if rows+d.MetadataBytes != d.AccountedBytes || d.MetadataBytes <= 0 {
		t.Errorf("rows add up to %d and the objects' metadata is %d, the report says %d accounted", rows, d.MetadataBytes, d.AccountedBytes)
	}
	if !withinDrift(rows, duBefore, drift) {
		t.Errorf("rows + Unaccounted = %d, du -sbx %d (after %d): off by more than max(1%%, 256 KiB)", rows, duBefore, duAfter)
	}
	if !withinDrift(d.AccountedBytes, duBefore, drift) {
		t.Errorf("accounted %d, du -sbx %d (after %d): off by more than max(1%%, 256 KiB)", d.AccountedBytes, duBefore, duAfter)
	}

	// The scoped rows: this test's logs, exactly as on disk.
	logs := map[string]int64{big: logsOnDisk(t, big), rotated: logsOnDisk(t, rotated), running: logsOnDisk(t, running)}
	t.Logf("logs on disk: big %d, rotated %d, running %d", logs[big], logs[rotated], logs[running])
	if logs[big] < 20<<20 {
		t.Fatalf("the big container's log is %d bytes, want 20 MiB or more", logs[big])
	}
	scoped := diskReport(t, scope, "-v")
	lr := *scoped.Summary.Logs
	if lr.Total != 3 || lr.Active != 1 || lr.SizeBytes != logs[big]+logs[rotated]+logs[running] || lr.ReclaimableBytes != logs[big]+logs[rotated] {
		t.Errorf("Logs row %+v; want 3 containers, 1 running, %d bytes, %d reclaimable", lr, logs[big]+logs[rotated]+logs[running], logs[big]+logs[rotated])
	}
	if len(scoped.Logs) != 3 || scoped.Logs[0].ID != big {
		t.Errorf("report -v logs %+v, want 3, the big one first", scoped.Logs)
	}

	// Each type alone: RECLAIMABLE = the du delta of pruning it, in
	// docker's order (the volume is freed once its container is gone; the
	// image once the running container is gone too).
	//
	// The delta is taken in the unit the row's figures are made in. On a
	// graph driver docker counts apparent sizes (a writable layer's
	// SizeRw is its files' sizes), so du -sbx. On the containerd store a
	// container's writable layer and an image's snapshots are containerd's
	// snapshot usage, the blocks allocated to their files (docker's SizeRw
	// and Unpacked, and dockctl's figures, are that), and the disk a prune
	// gives back is those blocks: the fixture's 8 MiB sparse files hold
	// one 4 KiB block each, and du -sb counts their holes, which free
	// nothing. There containers and images are compared with the
	// allocated delta (du -sx -B1); their other files, logs and blobs,
	// are dense, so blocks and sizes differ by under a block per file.
	// Volumes are plain dirs on both stores, sized by docker as du -sb
	// sizes them: apparent sizes, on both.
	store := engineUnderTest(t)
	pruneAlone := func(kind string, predicted int64, flags ...string) {
		t.Helper()
		dry := pruneArgs(scope, append([]string{kind, "--dry-run", "--format", "json"}, flags...)...)
		out, errOut, code := runDockctl(t, dry...)
		if code != 0 {
			t.Fatalf("dockctl %s: exit %d, %s", strings.Join(dry, " "), code, errOut)
		}
		var plan struct {
			ReclaimBytes int64 `json:"reclaim_bytes"`
		}
		if err := json.Unmarshal([]byte(out), &plan); err != nil {
			t.Fatal(err)
		}
		if plan.ReclaimBytes != predicted {
			t.Errorf("%s: dry run predicts %d, the report's RECLAIMABLE is %d", kind, plan.ReclaimBytes, predicted)
		}
		allocated := store.Containerd && kind != "volumes"
		apply := pruneArgs(scope, append([]string{kind, "--yes", "--format", "json"}, flags...)...)
		var allocBefore, allocAfter map[string]int64
		if allocated {
			allocBefore = duAllocated(t, root)
		}
		before := duSbx(t, root)
		out, errOut, code = runDockctl(t, apply...)
		after := duSbx(t, root)
		if allocated {
			allocAfter = duAllocated(t, root)
		}
		if code != 0 {
			t.Fatalf("dockctl %s: exit %d, %s", strings.Join(apply, " "), code, errOut)
		}
		var done struct {
			Disk *struct {
				FreedBytes int64 `json:"freed_bytes"`
			} `json:"disk"`
		}
		if err := json.Unmarshal([]byte(out), &done); err != nil {
			t.Fatal(err)
		}
		freed := before - after
		t.Logf("prune %s: RECLAIMABLE %d; du -sbx delta %d; dockctl's own on-disk figure %+v", kind, predicted, freed, done.Disk)
		if allocated {
			blocks := allocBefore[root] - allocAfter[root]
			t.Logf("prune %s (%s): allocated delta %d (du -sx -B1), per dir %s", kind, store.store(), blocks, allocDelta(root, allocBefore, allocAfter))
			if !withinDrift(predicted, blocks, 0) {
				t.Errorf("prune %s (%s): RECLAIMABLE %d, allocated blocks freed %d (du -sx -B1; off by %d; per dir %s; rerun once: other tests write to this engine)",
					kind, store.store(), predicted, blocks, predicted-blocks, allocDelta(root, allocBefore, allocAfter))
			}
		} else if !withinDrift(predicted, freed, 0) {
			t.Errorf("prune %s: RECLAIMABLE %d, du -sbx freed %d (off by %d; rerun once: other tests write to this engine)", kind, predicted, freed, predicted-freed)
		}
		// dockctl's own on-disk figure is du -sb's on both stores.
		if done.Disk == nil || !withinDrift(done.Disk.FreedBytes, freed, 0) {
			t.Errorf("prune %s: dockctl's measured on-disk figure %+v, du -sbx freed %d", kind, done.Disk, freed)
		}
	}
	cr := scoped.Summary.Containers.ReclaimableBytes
	if cr < logs[big]+logs[rotated] {
		t.Errorf("containers RECLAIMABLE %d leaves out the logs (%d)", cr, logs[big]+logs[rotated])
	}
	pruneAlone("containers", cr)
	pruneAlone("volumes", diskReport(t, scope).Summary.Volumes.ReclaimableBytes, "--all-volumes")
	if err := removeContainer(ctx, running); err != nil {
		t.Fatal(err)
	}
	ir := diskReport(t, scope).Summary.Images.ReclaimableBytes
	if ir <= 0 {
		t.Errorf("images RECLAIMABLE %d once no container uses the image", ir)
	}
	pruneAlone("images", ir, "--all")
}

// duAllocated is `du -x -B1 -d1 dir`: the bytes of the blocks allocated
// under dir (key dir) and under each of its top-level entries (key the
// entry's path), each inode once.
func duAllocated(t testing.TB, dir string) map[string]int64 {
	t.Helper()
	var out []byte
	var err error
	// du exits 1 when a file vanishes under it: another client removed
	// something meanwhile; a later walk is the figure.
	for range 3 {
		if out, err = exec.Command("du", "-x", "-B1", "-d1", dir).Output(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("du -x -B1 -d1 %s: %v", dir, err)
	}
	m := map[string]int64{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		n, path, ok := strings.Cut(line, "\t")
		v, err := strconv.ParseInt(n, 10, 64)
		if !ok || err != nil {
			t.Fatalf("du -x -B1 -d1 %s: line %q", dir, line)
		}
		m[path] = v
	}
	if _, ok := m[dir]; !ok {
		t.Fatalf("du -x -B1 -d1 %s: no total", dir)
	}
	return m
}

// allocDelta lists, per top-level dir of root, how many allocated bytes
// dropped from before to after.
func allocDelta(root string, before, after map[string]int64) string {
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	var parts []string
	for _, k := range sortedKeys(keys) {
		if k == root {
			continue
		}
		switch d := before[k] - after[k]; {
		case d > 0:
			parts = append(parts, fmt.Sprintf("%s −%d", filepath.Base(k), d))
		case d < 0:
			parts = append(parts, fmt.Sprintf("%s +%d", filepath.Base(k), -d))
		}
	}
	if len(parts) == 0 {
		return "(no change)"
	}
	return strings.Join(parts, ", ")
}
