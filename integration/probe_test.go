package integration

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/api/types/volume"

	"github.com/dockctl/dockctl/internal/probe"
	"github.com/dockctl/dockctl/internal/testutil"
)

// probeFixtureSource is the program a TestProbe container runs: in its
// writable layer (/data) and in a volume (/vol) it writes a file, hard
// links to it, a sparse file and a symbolic link; it deletes /etc/gone,
// which the image holds (a whiteout in the writable layer); and it prints
// PROBE_LOG_BYTES bytes of log lines to stdout. With PROBE_WAIT=1 it then
// writes /data/done and waits to be killed.
const probeFixtureSource = `package main

import (
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "probefix:", err)
		os.Exit(3)
	}
}

func fill(dir string, n int) {
	must(os.MkdirAll(filepath.Join(dir, "sub", "deeper"), 0o755))
	b := make([]byte, n)
	_, err := rand.Read(b)
	must(err)
	must(os.WriteFile(filepath.Join(dir, "file"), b, 0o644))
	must(os.Link(filepath.Join(dir, "file"), filepath.Join(dir, "hardlink")))
	must(os.Link(filepath.Join(dir, "file"), filepath.Join(dir, "sub", "deeper", "hardlink2")))
	f, err := os.Create(filepath.Join(dir, "sub", "sparse"))
	must(err)
	_, err = f.WriteAt([]byte("x"), 1<<20)
	must(err)
	must(f.Truncate(8 << 20))
	must(f.Close())
	must(os.Symlink("/bin/probefix", filepath.Join(dir, "symlink")))
	must(os.WriteFile(filepath.Join(dir, "empty"), nil, 0o644))
}

func main() {
	fill("/data", 300000)
	fill("/vol", 200000)
	must(os.Remove("/etc/gone"))
	n, _ := strconv.Atoi(os.Getenv("PROBE_LOG_BYTES"))
	line := strings.Repeat("x", 199) + "\n"
	for w := 0; w < n; w += len(line) {
		fmt.Print(line)
	}
	if os.Getenv("PROBE_WAIT") == "1" {
		must(os.WriteFile("/data/done", []byte("done"), 0o644))
		// Not select {}: with no other goroutine the runtime calls that a
		// deadlock and exits, and the container would not stay running.
		for {
			time.Sleep(time.Hour)
		}
	}
}
`

// requireProbe opens the local storage probe of the test engine, skipping
// the test where its root dir is not readable (failing under CI=true).
func requireProbe(t *testing.T, ctx context.Context) (system.Info, *probe.Probe) {
	t.Helper()
	info, err := requireEngine(t).Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p, err := probe.Open(info, probe.Options{})
	if err != nil {
		skipf(t, "the probe cannot read the engine's root dir here: %v", err)
	}
	return info, p
}

// TestProbe measures fixtures with the local storage probe and compares
// with the engine: writable layers with SizeRw, volumes with
// UsageData.Size, exactly; logs with the files on disk; the root dir with
// du -sbx (exactly on a quiet subtree, within 1% on the whole root, which
// other tests change meanwhile).
func TestProbe(t *testing.T) {
	c := requireEngine(t)
	ctx := testContext(t, 5*time.Minute)
	info, p := requireProbe(t, ctx)
	img := probeFixtureImage(t, "probe")

	const logBytes = 3 << 20
	vol := createVolume(t, objName("probe-vol"), nil)
	id := createContainer(t, img, objName("probe"), containerOpts{
		State:     stateExited,
		Env:       []string{"PROBE_LOG_BYTES=" + strconv.Itoa(logBytes)},
		Mounts:    []mount.Mount{{Type: mount.TypeVolume, Source: vol, Target: "/vol"}},
		LogConfig: container.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "1m", "max-file": "3"}},
	})
	// A second container that never ran: an empty writable layer, no log.
	idle := createContainer(t, img, objName("probe-idle"), containerOpts{})
	// A third one running, its /vol in the writable layer: on the
	// containerd store only a running container's layer can be found.
	running := createContainer(t, img, objName("probe-running"), containerOpts{
		State: stateRunning,
		Env:   []string{"PROBE_LOG_BYTES=100000", "PROBE_WAIT=1"},
	})
	waitForFile(t, running, objName("probe-running"), "/data/done", 4)

	targets, err := probe.Collect(ctx, c, scopeArgs(t), scopeArgs(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(targets.Containers) != 3 || len(targets.Volumes) != 1 {
		t.Fatalf("Collect found %d containers, %d volumes; want 3, 1", len(targets.Containers), len(targets.Volumes))
	}
	// On the containerd store, the graph names the stopped containers'
	// layers (nil elsewhere).
	if targets.Store, err = p.Store(ctx); err != nil {
		t.Fatal(err)
	}
	duBefore := duSbx(t, p.RootDir())
	start := time.Now()
	m, err := p.Measure(ctx, targets)
	took := time.Since(start)
	duAfter := duSbx(t, p.RootDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("engine %s (%s, %s): probe took %v; root dir %d bytes (du before %d, after %d)",
		info.ServerVersion, info.Driver, info.DockerRootDir, took, m.RootDirBytes, duBefore, duAfter)
	for _, w := range m.Warnings {
		t.Logf("warning: %s: %s", w.Path, w.Err)
	}

	// The engine's figures.
	list, err := c.ContainerList(ctx, container.ListOptions{All: true, Size: true, Filters: scopeArgs(t)})
	if err != nil {
		t.Fatal(err)
	}
	sizeRw := map[string]int64{}
	for _, s := range list {
		sizeRw[s.ID] = s.SizeRw
	}
	du, err := c.DiskUsage(ctx, types.DiskUsageOptions{Types: []types.DiskUsageObject{types.VolumeObject}})
	if err != nil {
		t.Fatal(err)
	}
	volSize := int64(-2)
	for _, v := range du.Volumes {
		if v.Name == vol && v.UsageData != nil {
			volSize = v.UsageData.Size
		}
	}

	byID := map[string]probe.ContainerBytes{}
	for _, cb := range m.Containers {
		byID[cb.ID] = cb
	}
	containerdStore := false
	for _, kv := range info.DriverStatus {
		containerdStore = containerdStore || (len(kv) == 2 && kv[1] == "io.containerd.snapshotter.v1")
	}
	for _, cid := range []string{id, idle, running} {
		cb := byID[cid]
		// On the containerd store the graph gives every container's
		// layer, stopped ones included, and its init layer beside it.
		if cb.WritableBytes != sizeRw[cid] {
			t.Errorf("container %.12s: probe writable layer %d bytes, engine SizeRw %d (%s)", cid, cb.WritableBytes, sizeRw[cid], cb.WritableUnknown)
		}
		if containerdStore != (cb.InitBytes > 0) {
			t.Errorf("container %.12s: init layer %d bytes on the %s store", cid, cb.InitBytes, info.Driver)
		}
		t.Logf("container %.12s: writable probe %d, engine SizeRw %d, init %d; logs %d bytes in %d files", cid, cb.WritableBytes, sizeRw[cid], cb.InitBytes, cb.LogBytes, len(cb.LogFiles))
	}
	if sizeRw[running] < 300000+200000 {
		t.Errorf("SizeRw %d: the running fixture's files are not in its writable layer", sizeRw[running])
	}
	if !containerdStore && sizeRw[id] < 300000+8<<20 {
		t.Errorf("SizeRw %d: the fixture's files are not in the writable layer", sizeRw[id])
	}

	if len(m.Volumes) != 1 || m.Volumes[0].Bytes != volSize {
		t.Errorf("volume: probe %+v, engine UsageData.Size %d", m.Volumes, volSize)
	}
	t.Logf("volume: probe %d, engine %d", m.Volumes[0].Bytes, volSize)

	// report's path (issue 12 item 2): where the layer store names each
	// container's layer dir, the container list alone gives the targets
	// inspect gives, and their walk the engine's figures again.
	if p.SizesFromLists() {
		vl, err := c.VolumeList(ctx, volume.ListOptions{Filters: scopeArgs(t)})
		if err != nil {
			t.Fatal(err)
		}
		fromList, err := p.ListTargets(list, vl.Volumes)
		if err != nil {
			t.Fatal(err)
		}
		inspected := map[string]probe.Container{}
		for _, tc := range targets.Containers {
			inspected[tc.ID] = tc
		}
		for _, lc := range fromList.Containers {
			// A container never started has no LogPath yet (nor a log).
			if ic := inspected[lc.ID]; lc.UpperDir != ic.UpperDir || (ic.LogPath != "" && lc.LogPath != ic.LogPath) {
				t.Errorf("container %.12s: from the list UpperDir %q, LogPath %q; inspect says %q, %q", lc.ID, lc.UpperDir, lc.LogPath, ic.UpperDir, ic.LogPath)
			}
		}
		m2, err := p.Measure(ctx, fromList)
		if err != nil {
			t.Fatal(err)
		}
		sizes := m2.Sizes()
		for _, cid := range []string{id, idle, running} {
			if got, ok := sizes.Containers[cid]; !ok || got != sizeRw[cid] {
				t.Errorf("container %.12s from the list: %d bytes (sized %v: %s), engine SizeRw %d", cid, got, ok, sizes.Unsized[cid], sizeRw[cid])
			}
		}
		if got, ok := sizes.Volumes[vol]; !ok || got != volSize {
			t.Errorf("volume from the list: %d bytes (sized %v), engine %d", got, ok, volSize)
		}
	} else {
		t.Logf("%s: report sizes containers with the engine (no layer store names their dirs)", info.Driver)
	}

	// Logs: every <LogPath>* file on disk, rotated ones included.
	ci, err := c.ContainerInspect(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(ci.LogPath + "*")
	var onDisk int64
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		onDisk += st.Size()
	}
	if got := byID[id]; got.LogBytes != onDisk || len(got.LogFiles) != len(files) || len(files) < 2 || onDisk < 2<<20 {
		t.Errorf("logs: probe %d bytes in %d files, on disk %d in %v (want rotated files, 2 MiB or more)", got.LogBytes, len(got.LogFiles), onDisk, files)
	}
	if got := byID[idle]; got.LogBytes != 0 {
		t.Errorf("a container that never ran: log bytes %d, want 0", got.LogBytes)
	}

	// The whole root dir moves while other tests run: within 1% of a du
	// taken just before or after.
	lo, hi := min(duBefore, duAfter), max(duBefore, duAfter)
	if float64(m.RootDirBytes) < 0.99*float64(lo) || float64(m.RootDirBytes) > 1.01*float64(hi) {
		t.Errorf("root dir: probe %d, du -sbx %d before and %d after", m.RootDirBytes, duBefore, duAfter)
	}
	// A quiet subtree must match du exactly: the volume's dir (files, hard
	// links, a sparse file, a symlink) and, where the engine names it, the
	// writable layer's dir (the same plus a whiteout).
	quiet := []string{filepath.Dir(targets.Volumes[0].Mountpoint)}
	for _, tc := range targets.Containers {
		if tc.ID == id && tc.UpperDir != "" {
			quiet = append(quiet, filepath.Dir(tc.UpperDir))
		}
	}
	for _, q := range quiet {
		sub, err := probe.Open(infoAt(info, q), probe.Options{})
		if err != nil {
			t.Fatal(err)
		}
		sm, err := sub.Measure(ctx, probe.Targets{})
		if err != nil {
			t.Fatal(err)
		}
		if want := duSbx(t, q); sm.RootDirBytes != want {
			t.Errorf("%s: probe %d, du -sbx %d", q, sm.RootDirBytes, want)
		} else {
			t.Logf("%s: probe = du -sbx = %d", q, want)
		}
	}
}

// probeFixtureImage imports the probe fixture image (the program and a
// file it deletes) as repo:v1 of this run.
func probeFixtureImage(t *testing.T, repo string) string {
	t.Helper()
	bin, err := buildProgram(t.TempDir(), probeFixtureSource)
	if err != nil {
		t.Fatalf("building the probe fixture: %v", err)
	}
	archive := tarArchive(t, []tarEntry{
		{Path: "bin/probefix", Data: bin, Mode: 0o755},
		{Path: "etc/gone", Data: randomBytes(t, 5000)},
	})
	return importArchive(t, imageRef(repo, "v1"), archive, fixtureChanges(t, nil, "/bin/probefix"), "dockctl "+repo+" fixture")
}

// infoAt is info with its root dir moved to dir, to run the root-dir walk
// on one subtree.
func infoAt(info system.Info, dir string) system.Info {
	info.DockerRootDir = dir
	return info
}

// duSbx is `du -sbx dir`.
func duSbx(t testing.TB, dir string) int64 { return testutil.Du(t, "-bx", dir) }
