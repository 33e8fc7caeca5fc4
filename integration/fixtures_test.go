package integration

// Fixture builders. Every object made here carries runLabel=runID and
// caseLabel=<test name> (plus the caller's labels), has a name or tag
// holding the run id (objName, imageRef), and is removed by a t.Cleanup
// registered as soon as it exists. Cleanups run last-in first-out, so
// containers go before the images, volumes and networks they use, and
// images built FROM another go before it.
//
// Removal (cleanups and the sweep) first re-reads the object and refuses to
// touch it unless it carries this run's label.

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
)

// fixtureTimeout bounds each fixture's engine calls.
const fixtureTimeout = 2 * time.Minute

// ---------------------------------------------------------------------------
// Names and labels

// objName is a container, volume or network name unique to this run:
// "dockctl-it-<run>-<suffix>".
func objName(suffix string) string { return "dockctl-it-" + runID + "-" + suffix }

// imageRef is an image reference unique to this run:
// "dockctl-it-<run>/<repo>:<tag>".
func imageRef(repo, tag string) string { return "dockctl-it-" + runID + "/" + repo + ":" + tag }

// caseName is the caseLabel value of the objects t makes.
func caseName(t testing.TB) string { return t.Name() }

// fixtureLabels returns the labels an object made by t carries: runLabel,
// caseLabel and extra.
func fixtureLabels(t testing.TB, extra map[string]string) map[string]string {
	l := map[string]string{}
	for k, v := range extra {
		l[k] = v
	}
	l[runLabel] = runID
	l[caseLabel] = caseName(t)
	return l
}

// scopeFilters are the docker-syntax label filters that select exactly the
// objects t made: ["label=dockctl.test=<run>", "label=dockctl.test.case=<t>"].
// Pass each after --filter, to dockctl and to the docker CLI alike. A
// subtest has a name of its own: compute the scope in the test that made
// the fixtures.
func scopeFilters(t testing.TB) []string {
	return []string{"label=" + runLabel + "=" + runID, "label=" + caseLabel + "=" + caseName(t)}
}

// scopeArgs is scopeFilters as engine API filters.
func scopeArgs(t testing.TB) filters.Args {
	f := filters.NewArgs()
	for _, s := range scopeFilters(t) {
		f.Add("label", strings.TrimPrefix(s, "label="))
	}
	return f
}

// runArgs selects everything this run made, whichever test made it.
func runArgs() filters.Args {
	return filters.NewArgs(filters.Arg("label", runLabel+"="+runID))
}

// ours reports whether labels mark an object of this run.
func ours(labels map[string]string) bool { return runID != "" && labels[runLabel] == runID }

// randomBytes returns n bytes from crypto/rand: files with random content
// make layers that share nothing with anything else.
func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("random bytes: %v", err)
	}
	return b
}

// ---------------------------------------------------------------------------
// The fixture binary

// The program every fixture image runs as /bin/app (CMD ["/bin/app"]).
// It waits for SIGTERM or SIGINT and exits 0. Its environment:
//
//	DOCKCTL_APP_WRITE_BYTES=N  first write N random bytes to the path below
//	DOCKCTL_APP_WRITE_PATH=P   where to write (default appDefaultWritePath);
//	                           written to P.tmp then renamed, so P appears whole
//	DOCKCTL_APP_EXIT=1         exit 0 right after writing instead of waiting
//
// A failed write exits 3.
const appSource = `package main

import (
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
)

func main() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	if s := os.Getenv("DOCKCTL_APP_WRITE_BYTES"); s != "" {
		if err := write(s); err != nil {
			fmt.Fprintln(os.Stderr, "app:", err)
			os.Exit(3)
		}
	}
	fmt.Println("ready")
	if os.Getenv("DOCKCTL_APP_EXIT") == "1" {
		return
	}
	<-sig
}

func write(s string) error {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return err
	}
	p := os.Getenv("DOCKCTL_APP_WRITE_PATH")
	if p == "" {
		p = "` + appDefaultWritePath + `"
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.Create(p + ".tmp")
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, rand.Reader, n); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(p+".tmp", p)
}
`

// appDefaultWritePath is where the app (and createContainer) write bytes
// unless told otherwise; it is in the writable layer unless a mount covers it.
const appDefaultWritePath = "/scratch/blob"

var (
	appOnce   sync.Once
	appDir    string
	appBinary []byte
	appErr    error
)

// appExecutable returns the fixture binary, built once per process for
// linux/<engine arch> with CGO_ENABLED=0 (a static executable).
func appExecutable(t testing.TB) []byte {
	t.Helper()
	appOnce.Do(func() { appBinary, appErr = buildApp() })
	if appErr != nil {
		t.Fatalf("building the fixture binary: %v", appErr)
	}
	return appBinary
}

func buildApp() ([]byte, error) {
	var err error
	appDir, err = os.MkdirTemp("", "dockctl-it-app-")
	if err != nil {
		return nil, err
	}
	return buildProgram(appDir, appSource)
}

// buildProgram builds the one-file Go program source in dir (a fresh,
// empty dir the caller removes) as a static linux/<engine arch>
// executable and returns it.
func buildProgram(dir, source string) ([]byte, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, serr := os.Stat(goTool); serr != nil {
			return nil, fmt.Errorf("no go tool in PATH (%v) nor in GOROOT", err)
		}
	}
	files := map[string]string{
		"main.go": source,
		"go.mod":  "module dockctlitapp\n\ngo 1.21\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			return nil, err
		}
	}
	arch := engineArch
	if arch == "" {
		arch = runtime.GOARCH
	}
	out := filepath.Join(dir, "app")
	ctx, cancel := context.WithTimeout(baseCtx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goTool, "build", "-trimpath", "-ldflags=-s -w", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch,
		"GOWORK=off", "GOFLAGS=", "GO111MODULE=on", "GOTOOLCHAIN=local")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %v\n%s", err, msg)
	}
	return os.ReadFile(out)
}

func removeAppBinary() {
	if appDir != "" {
		os.RemoveAll(appDir)
	}
}

// ---------------------------------------------------------------------------
// Tar archives

// tarEntry is one regular file of an archive. Parent directories are added
// by tarArchive.
type tarEntry struct {
	Path string // relative or absolute; stored relative ("bin/app")
	Data []byte
	Mode int64 // 0 means 0644
}

// tarArchive builds an in-memory tar of entries (and their parent
// directories), in a stable order.
func tarArchive(t testing.TB, entries []tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	sorted := append([]tarEntry(nil), entries...)
	for i := range sorted {
		sorted[i].Path = strings.TrimPrefix(path.Clean("/"+sorted[i].Path), "/")
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Path < sorted[j].Path })
	mtime := time.Unix(1700000000, 0)
	for _, e := range sorted {
		var parents []string
		for d := path.Dir(e.Path); d != "." && d != "/"; d = path.Dir(d) {
			parents = append([]string{d}, parents...)
		}
		for _, d := range parents {
			if dirs[d] {
				continue
			}
			dirs[d] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: 0o755, ModTime: mtime}); err != nil {
				t.Fatalf("tar: %v", err)
			}
		}
		mode := e.Mode
		if mode == 0 {
			mode = 0o644
		}
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: e.Path, Mode: mode, Size: int64(len(e.Data)), ModTime: mtime}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("tar: %v", err)
		}
		if _, err := tw.Write(e.Data); err != nil {
			t.Fatalf("tar: %v", err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatalf("tar: %v", err)
	}
	return buf.Bytes()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ---------------------------------------------------------------------------
// Engine JSON message streams (import, build)

type streamMessage struct {
	Stream      string `json:"stream"`
	Status      string `json:"status"`
	Error       string `json:"error"`
	ErrorDetail *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
	Aux json.RawMessage `json:"aux"`
}

// drainStream reads an engine JSON message stream to its end. It returns
// the last status, the image id of an aux {"ID": …} message, the text of
// the stream messages (for error reports), and the first error message.
func drainStream(r io.Reader) (status, auxID, text string, err error) {
	dec := json.NewDecoder(r)
	var sb strings.Builder
	for {
		var m streamMessage
		if derr := dec.Decode(&m); derr == io.EOF {
			break
		} else if derr != nil {
			return status, auxID, sb.String(), fmt.Errorf("reading the engine's message stream: %w", derr)
		}
		sb.WriteString(m.Stream)
		if m.Status != "" {
			status = m.Status
		}
		if len(m.Aux) > 0 {
			var aux struct {
				ID string `json:"ID"`
			}
			if json.Unmarshal(m.Aux, &aux) == nil && aux.ID != "" {
				auxID = aux.ID
			}
		}
		if m.Error != "" || m.ErrorDetail != nil {
			msg := m.Error
			if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
				msg = m.ErrorDetail.Message
			}
			if err == nil {
				err = errors.New(msg)
			}
		}
	}
	return status, auxID, sb.String(), err
}

// ---------------------------------------------------------------------------
// Images

// importImage imports a one-layer image holding the fixture binary at
// /bin/app plus files (path in the image → content), tagged ref ("" leaves
// it untagged, i.e. dangling), with CMD ["/bin/app"] and the fixture labels
// plus labels. Use randomBytes content to make the layer (and its size)
// distinct. It returns the full "sha256:…" id.
func importImage(t testing.TB, ref string, files map[string][]byte, labels map[string]string) string {
	t.Helper()
	entries := []tarEntry{{Path: "bin/app", Data: appExecutable(t), Mode: 0o755}}
	for _, p := range sortedKeys(files) {
		entries = append(entries, tarEntry{Path: p, Data: files[p]})
	}
	archive := tarArchive(t, entries)
	return importArchive(t, ref, archive, fixtureChanges(t, labels, "/bin/app"), "dockctl integration fixture")
}

// fixtureChanges are the Dockerfile changes of an imported fixture image:
// one LABEL per fixture label plus labels, and CMD [cmd].
func fixtureChanges(t testing.TB, labels map[string]string, cmd string) []string {
	l := fixtureLabels(t, labels)
	changes := []string{}
	for _, k := range sortedKeys(l) {
		changes = append(changes, "LABEL "+strconv.Quote(k)+"="+strconv.Quote(l[k]))
	}
	return append(changes, `CMD ["`+cmd+`"]`)
}

// importArchive imports archive as a one-layer image tagged ref with the
// given Dockerfile changes (which must carry the run label), registers its
// cleanup and returns its full id.
func importArchive(t testing.TB, ref string, archive []byte, changes []string, message string) string {
	t.Helper()
	c := requireEngine(t)
	ctx := testContext(t, fixtureTimeout)
	rc, err := c.ImageImport(ctx, image.ImportSource{Source: bytes.NewReader(archive), SourceName: "-"}, ref,
		image.ImportOptions{Changes: changes, Message: message})
	if err != nil {
		t.Fatalf("importing image %q: %v", ref, err)
	}
	status, _, _, err := drainStream(rc)
	rc.Close()
	if err != nil {
		t.Fatalf("importing image %q: %v", ref, err)
	}
	id := strings.TrimSpace(status)
	if !strings.HasPrefix(id, "sha256:") {
		t.Fatalf("importing image %q: engine answered %q, not an image id", ref, status)
	}
	t.Cleanup(func() { cleanupImage(t, id) })
	return id
}

// buildImage builds an image FROM from (an image of this run: there is no
// registry) with the classic builder (BuilderV1, Remove, ForceRemove),
// adding one COPY layer per file (path in the image → content), tagged ref
// ("" for none) and labelled with the fixture labels plus labels (one LABEL
// instruction). The image shares from's layers and adds its
// own on top. It returns the full "sha256:…" id.
//
// Building the same ref twice leaves the first image untagged (dangling).
// The classic builder also leaves untagged intermediate images (hidden
// from `docker image ls` without -a); they carry from's labels and go with
// the image (removal prunes untagged parents).
func buildImage(t testing.TB, from, ref string, files map[string][]byte, labels map[string]string) string {
	t.Helper()
	c := requireEngine(t)
	var df strings.Builder
	fmt.Fprintf(&df, "FROM %s\n", from)
	entries := []tarEntry{}
	for i, p := range sortedKeys(files) {
		src := fmt.Sprintf("ctx/%d", i)
		entries = append(entries, tarEntry{Path: src, Data: files[p]})
		dst, _ := json.Marshal([]string{src, "/" + strings.TrimPrefix(p, "/")})
		fmt.Fprintf(&df, "COPY %s\n", dst)
	}
	// The labels go in one LABEL instruction rather than ImageBuildOptions.Labels:
	// the classic builder turns each of those into a step of its own (an
	// intermediate container and image apiece), which makes builds slow.
	df.WriteString("LABEL")
	l := fixtureLabels(t, labels)
	for _, k := range sortedKeys(l) {
		fmt.Fprintf(&df, " %s=%s", strconv.Quote(k), strconv.Quote(l[k]))
	}
	df.WriteString("\n")
	entries = append(entries, tarEntry{Path: "Dockerfile", Data: []byte(df.String())})
	archive := tarArchive(t, entries)

	opts := build.ImageBuildOptions{
		Version:     build.BuilderV1,
		Dockerfile:  "Dockerfile",
		Remove:      true,
		ForceRemove: true,
	}
	if ref != "" {
		opts.Tags = []string{ref}
	}
	ctx := testContext(t, fixtureTimeout)
	resp, err := c.ImageBuild(ctx, bytes.NewReader(archive), opts)
	if err != nil {
		t.Fatalf("building image %q FROM %s: %v", ref, from, err)
	}
	_, id, text, err := drainStream(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("building image %q FROM %s: %v\nbuild output:\n%s", ref, from, err, text)
	}
	if id == "" && ref != "" {
		ii, ierr := c.ImageInspect(ctx, ref)
		if ierr != nil {
			t.Fatalf("building image %q: no image id in the output and inspect failed: %v\n%s", ref, ierr, text)
		}
		id = ii.ID
	}
	if !strings.HasPrefix(id, "sha256:") {
		t.Fatalf("building image %q: no image id in the build output:\n%s", ref, text)
	}
	t.Cleanup(func() { cleanupImage(t, id) })
	return id
}

// tagImage adds tag ref to image id (an image of this run) and untags it at
// cleanup.
func tagImage(t testing.TB, id, ref string) {
	t.Helper()
	c := requireEngine(t)
	ctx := testContext(t, fixtureTimeout)
	ii, err := c.ImageInspect(ctx, id)
	if err != nil {
		t.Fatalf("tagging %s as %s: %v", id, ref, err)
	}
	if !ours(imageLabels(ii)) {
		t.Fatalf("tagging %s as %s: refusing, the image is not labelled %s=%s", id, ref, runLabel, runID)
	}
	if err := c.ImageTag(ctx, id, ref); err != nil {
		t.Fatalf("tagging %s as %s: %v", id, ref, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), fixtureTimeout)
		defer cancel()
		ii, err := c.ImageInspect(ctx, ref)
		if errdefs.IsNotFound(err) {
			return
		}
		if err != nil {
			t.Errorf("cleanup: inspecting %s: %v", ref, err)
			return
		}
		if !ours(imageLabels(ii)) {
			t.Errorf("cleanup: %s now names an image not labelled %s=%s; left alone", ref, runLabel, runID)
			return
		}
		if _, err := c.ImageRemove(ctx, ref, image.RemoveOptions{PruneChildren: true}); err != nil && !errdefs.IsNotFound(err) {
			t.Errorf("cleanup: untagging %s: %v", ref, err)
		}
	})
}

func imageLabels(ii image.InspectResponse) map[string]string {
	if ii.Config == nil {
		return nil
	}
	return ii.Config.Labels
}

// ---------------------------------------------------------------------------
// Containers

// Container states createContainer can leave a container in.
const (
	stateCreated = "created" // created, never started (the default)
	stateRunning = "running" // started and left running (the app waits)
	stateExited  = "exited"  // started; the app exits 0 on its own
)

// containerOpts says how createContainer makes a container. The zero value
// makes a created (never started) container on the default network.
type containerOpts struct {
	// State is stateCreated (""), stateRunning or stateExited.
	State string
	// WriteBytes random bytes are written to WritePath (default
	// appDefaultWritePath) in the writable layer: by the app itself when the
	// container is started (createContainer waits for the file), or with
	// CopyToContainer when it stays created.
	WriteBytes int
	WritePath  string
	// Mounts are HostConfig.Mounts: {Type: mount.TypeVolume, Source: name,
	// Target: path} mounts a named volume; Source "" an anonymous one.
	Mounts []mount.Mount
	// Binds are HostConfig.Binds in -v syntax ("name:/path").
	Binds []string
	// AnonymousVolumes are container paths given engine-created anonymous
	// volumes (Config.Volumes, as VOLUME or -v /path do). Such volumes carry
	// no label; they are removed with the container (RemoveVolumes).
	AnonymousVolumes []string
	// Network is the network to attach to (HostConfig.NetworkMode); ""
	// means the engine's default bridge.
	Network string
	// Labels are added to the fixture labels.
	Labels map[string]string
	// Env and Cmd are passed through (Cmd replaces the image's CMD).
	Env []string
	Cmd []string
	// LogConfig is HostConfig.LogConfig (zero: the engine's default).
	LogConfig container.LogConfig
}

// createContainer creates a container named name ("" lets the engine pick)
// from image, labelled with the fixture labels, and leaves it in
// opts.State. It returns the full id.
func createContainer(t testing.TB, img, name string, opts containerOpts) string {
	t.Helper()
	c := requireEngine(t)
	ctx := testContext(t, fixtureTimeout)

	state := opts.State
	if state == "" {
		state = stateCreated
	}
	if state != stateCreated && state != stateRunning && state != stateExited {
		t.Fatalf("createContainer: unknown state %q", state)
	}
	writePath := opts.WritePath
	if writePath == "" {
		writePath = appDefaultWritePath
	}
	env := append([]string(nil), opts.Env...)
	if opts.WriteBytes > 0 && state != stateCreated {
		env = append(env, "DOCKCTL_APP_WRITE_BYTES="+strconv.Itoa(opts.WriteBytes), "DOCKCTL_APP_WRITE_PATH="+writePath)
	}
	if state == stateExited {
		env = append(env, "DOCKCTL_APP_EXIT=1")
	}
	cfg := &container.Config{Image: img, Labels: fixtureLabels(t, opts.Labels), Env: env, Cmd: opts.Cmd}
	if len(opts.AnonymousVolumes) > 0 {
		cfg.Volumes = map[string]struct{}{}
		for _, p := range opts.AnonymousVolumes {
			cfg.Volumes[p] = struct{}{}
		}
	}
	hc := &container.HostConfig{Mounts: opts.Mounts, Binds: opts.Binds, NetworkMode: container.NetworkMode(opts.Network), LogConfig: opts.LogConfig}
	created, err := c.ContainerCreate(ctx, cfg, hc, nil, nil, name)
	if err != nil {
		t.Fatalf("creating container %q from %s: %v", name, img, err)
	}
	id := created.ID
	t.Cleanup(func() { cleanupContainer(t, id) })

	switch state {
	case stateCreated:
		if opts.WriteBytes > 0 {
			dir, file := path.Split(path.Clean("/" + writePath))
			archive := tarArchive(t, []tarEntry{{Path: path.Join(dir, file), Data: randomBytes(t, opts.WriteBytes)}})
			if err := c.CopyToContainer(ctx, id, "/", bytes.NewReader(archive), container.CopyToContainerOptions{}); err != nil {
				t.Fatalf("writing %d bytes into container %q: %v", opts.WriteBytes, name, err)
			}
		}
	case stateRunning:
		if err := c.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
			t.Fatalf("starting container %q: %v", name, err)
		}
		if opts.WriteBytes > 0 {
			waitForFile(t, id, name, writePath, int64(opts.WriteBytes))
		}
	case stateExited:
		waitC, errC := c.ContainerWait(ctx, id, container.WaitConditionNextExit)
		if err := c.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
			t.Fatalf("starting container %q: %v", name, err)
		}
		select {
		case w := <-waitC:
			if w.StatusCode != 0 {
				t.Fatalf("container %q exited %d, want 0", name, w.StatusCode)
			}
		case err := <-errC:
			t.Fatalf("waiting for container %q to exit: %v", name, err)
		}
		waitListedExited(t, id, name)
	}
	return id
}

// waitListedExited waits until the container list shows the container
// exited. On engine29 (API 1.56) the wait was answered while the list (a
// separate view of the containers, updated after) still said "running":
// a plan made then kept the container, and its image, as in use
// (TestPruneLockIsTheEngines, TestFaultEngineVanishes). On 20.10 the list
// is already "exited" here, and this returns at once.
func waitListedExited(t testing.TB, id, name string) {
	t.Helper()
	c := requireEngine(t)
	ctx := testContext(t, time.Minute)
	last := "not listed"
	for {
		list, err := c.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("id", id))})
		if err == nil && len(list) == 1 && list[0].State == stateExited {
			return
		}
		if err != nil {
			last = err.Error()
		} else if len(list) == 1 {
			last = list[0].State
		}
		select {
		case <-ctx.Done():
			t.Fatalf("container %q exited, but the container list still says %s", name, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitForFile waits until the container's file p exists with size n.
func waitForFile(t testing.TB, id, name, p string, n int64) {
	t.Helper()
	c := requireEngine(t)
	ctx := testContext(t, time.Minute)
	var last error
	for {
		st, err := c.ContainerStatPath(ctx, id, p)
		if err == nil && st.Size == n {
			return
		}
		if err == nil {
			err = fmt.Errorf("size %d, want %d", st.Size, n)
		}
		last = err
		select {
		case <-ctx.Done():
			t.Fatalf("container %q never wrote %s: %v", name, p, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// ---------------------------------------------------------------------------
// Volumes and networks

// createVolume creates a local volume named name ("" lets the engine pick a
// 64-hex name, as for an anonymous volume) with the fixture labels plus
// labels, and returns its name.
func createVolume(t testing.TB, name string, labels map[string]string) string {
	t.Helper()
	c := requireEngine(t)
	ctx := testContext(t, fixtureTimeout)
	v, err := c.VolumeCreate(ctx, volume.CreateOptions{Name: name, Driver: "local", Labels: fixtureLabels(t, labels)})
	if err != nil {
		t.Fatalf("creating volume %q: %v", name, err)
	}
	t.Cleanup(func() { cleanupVolume(t, v.Name) })
	return v.Name
}

// createNetwork creates a bridge network named name with the fixture labels
// plus labels, and returns its full id.
func createNetwork(t testing.TB, name string, labels map[string]string) string {
	t.Helper()
	c := requireEngine(t)
	ctx := testContext(t, fixtureTimeout)
	n, err := c.NetworkCreate(ctx, name, network.CreateOptions{Driver: "bridge", Labels: fixtureLabels(t, labels)})
	if err != nil {
		t.Fatalf("creating network %q: %v", name, err)
	}
	t.Cleanup(func() { cleanupNetwork(t, n.ID) })
	return n.ID
}

// ---------------------------------------------------------------------------
// Removal. Each remove* re-reads the object, refuses to touch it unless it
// carries this run's label, and treats "not found" as done.

var errNotOurs = errors.New("refusing to remove: not labelled " + runLabel + " with this run's id")

func removeContainer(ctx context.Context, id string) error {
	c := engineClient
	ci, err := c.ContainerInspect(ctx, id)
	if errdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if ci.Config == nil || !ours(ci.Config.Labels) {
		return fmt.Errorf("container %s: %w", id, errNotOurs)
	}
	err = c.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: true})
	if errdefs.IsNotFound(err) {
		return nil
	}
	if err != nil && strings.Contains(err.Error(), "is already in progress") {
		// Someone (a cleanup racing the sweep) is removing it: wait for that.
		for i := 0; i < 300; i++ {
			if _, ierr := c.ContainerInspect(ctx, id); errdefs.IsNotFound(ierr) {
				return nil
			}
			select {
			case <-ctx.Done():
				return err
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return err
}

func removeImage(ctx context.Context, id string) error {
	c := engineClient
	ii, err := c.ImageInspect(ctx, id)
	if errdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !ours(imageLabels(ii)) {
		return fmt.Errorf("image %s: %w", id, errNotOurs)
	}
	_, err = c.ImageRemove(ctx, ii.ID, image.RemoveOptions{Force: true, PruneChildren: true})
	if errdefs.IsNotFound(err) {
		return nil
	}
	return err
}

func removeVolume(ctx context.Context, name string) error {
	c := engineClient
	v, err := c.VolumeInspect(ctx, name)
	if errdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !ours(v.Labels) {
		return fmt.Errorf("volume %s: %w", name, errNotOurs)
	}
	err = c.VolumeRemove(ctx, name, false)
	if errdefs.IsNotFound(err) {
		return nil
	}
	return err
}

func removeNetwork(ctx context.Context, id string) error {
	c := engineClient
	n, err := c.NetworkInspect(ctx, id, network.InspectOptions{})
	if errdefs.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if !ours(n.Labels) {
		return fmt.Errorf("network %s: %w", id, errNotOurs)
	}
	err = c.NetworkRemove(ctx, n.ID)
	if errdefs.IsNotFound(err) {
		return nil
	}
	return err
}

func cleanupWith(t testing.TB, what string, remove func(context.Context) error) {
	ctx, cancel := context.WithTimeout(context.Background(), fixtureTimeout)
	defer cancel()
	if err := remove(ctx); err != nil {
		t.Errorf("cleanup: removing %s: %v", what, err)
	}
}

func cleanupContainer(t testing.TB, id string) {
	cleanupWith(t, "container "+id, func(ctx context.Context) error { return removeContainer(ctx, id) })
}

func cleanupImage(t testing.TB, id string) {
	cleanupWith(t, "image "+id, func(ctx context.Context) error { return removeImage(ctx, id) })
}

func cleanupVolume(t testing.TB, name string) {
	cleanupWith(t, "volume "+name, func(ctx context.Context) error { return removeVolume(ctx, name) })
}

func cleanupNetwork(t testing.TB, id string) {
	cleanupWith(t, "network "+id, func(ctx context.Context) error { return removeNetwork(ctx, id) })
}

// sweep removes everything labelled runLabel=runID, whichever test made it:
// containers (forced, with their anonymous volumes), then networks,
// volumes and images (children before parents). It reports what it had to
// remove (tests normally leave nothing) and what it could not.
func sweep() error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// Interrupted runs sweep while tests' cleanups still run, so a pass can
	// trip over them (a network whose container is being removed): repeat.
	var err error
	total := 0
	for pass := 1; pass <= 5; pass++ {
		var n int
		n, err = sweepPass(ctx)
		total += n
		if err == nil || ctx.Err() != nil {
			break
		}
		time.Sleep(time.Second)
	}
	if total > 0 {
		fmt.Fprintf(os.Stderr, "dockctl integration: the final sweep found %d object(s) tests had left behind, and removed them (%s=%s)\n", total, runLabel, runID)
	}
	return err
}

// sweepPass makes one pass of sweep; it returns how many objects it removed.
func sweepPass(ctx context.Context) (int, error) {
	c := engineClient
	var errs []error
	removed := 0
	note := func(err error) {
		if err != nil {
			errs = append(errs, err)
		} else {
			removed++
		}
	}

	if cs, err := c.ContainerList(ctx, container.ListOptions{All: true, Filters: runArgs()}); err != nil {
		errs = append(errs, fmt.Errorf("listing containers: %w", err))
	} else {
		for _, s := range cs {
			note(removeContainer(ctx, s.ID))
		}
	}
	if ns, err := c.NetworkList(ctx, network.ListOptions{Filters: runArgs()}); err != nil {
		errs = append(errs, fmt.Errorf("listing networks: %w", err))
	} else {
		for _, n := range ns {
			note(removeNetwork(ctx, n.ID))
		}
	}
	if vs, err := c.VolumeList(ctx, volume.ListOptions{Filters: runArgs()}); err != nil {
		errs = append(errs, fmt.Errorf("listing volumes: %w", err))
	} else {
		for _, v := range vs.Volumes {
			note(removeVolume(ctx, v.Name))
		}
	}
	// Images: a parent cannot go before its children, so repeat until
	// nothing is left or a pass makes no progress.
	for pass := 0; ; pass++ {
		imgs, err := c.ImageList(ctx, image.ListOptions{All: true, Filters: runArgs()})
		if err != nil {
			errs = append(errs, fmt.Errorf("listing images: %w", err))
			break
		}
		if len(imgs) == 0 {
			break
		}
		var passErrs []error
		progress := false
		for _, img := range imgs {
			if err := removeImage(ctx, img.ID); err != nil {
				passErrs = append(passErrs, err)
			} else {
				progress = true
				removed++
			}
		}
		if !progress || pass > 20 {
			errs = append(errs, passErrs...)
			errs = append(errs, fmt.Errorf("%d image(s) left", len(imgs)))
			break
		}
	}
	return removed, errors.Join(errs...)
}
