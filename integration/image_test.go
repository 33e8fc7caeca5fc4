package integration

// The container image: the repo's Dockerfile and .dockerignore, built as
// `make image` builds them, and dockctl run from that image against the
// engine through its mounted socket.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"

	"github.com/dockctl/dockctl/internal/parse"
	"github.com/dockctl/dockctl/internal/usage"
)

// buildTimeout bounds a go build or an image build.
const buildTimeout = 5 * time.Minute

// repoRoot is the module root, which holds the Dockerfile and
// docker-compose.yml (go test runs in the package's directory).
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := filepath.Abs("..")
	if err != nil {
		t.Fatalf("finding the repository root: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		t.Fatalf("finding the repository root: %v", err)
	}
	return dir
}

// goBuildLinux builds pkg (a package path of this module, "./cmd/dockctl")
// into out as make image and make demo do: a static linux executable
// (CGO_ENABLED=0) for the engine's architecture.
func goBuildLinux(t testing.TB, pkg, out, ldflags string) {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	arch := engineArch
	if arch == "" {
		arch = runtime.GOARCH
	}
	env := []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=" + arch, "GOFLAGS=", "GOTOOLCHAIN=local"}
	runTool(t, buildTimeout, repoRoot(t), env, goTool, "build", "-trimpath", "-ldflags", ldflags, "-o", out, pkg)
}

// runTool runs an external program in dir with env added to the process
// environment, and returns its stdout and stderr; a failure fails the test.
func runTool(t testing.TB, timeout time.Duration, dir string, env []string, name string, args ...string) (stdout, stderr string) {
	t.Helper()
	stdout, stderr, err := tryTool(timeout, dir, env, name, args...)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return stdout, stderr
}

// tryTool is runTool for cleanups, which report rather than stop.
func tryTool(timeout time.Duration, dir string, env []string, name string, args ...string) (stdout, stderr string, err error) {
	ctx, cancel := context.WithTimeout(baseCtx, timeout)
	defer cancel()
	var out, errOut bytes.Buffer
	c := exec.CommandContext(ctx, name, args...)
	c.Dir = dir
	c.Env = append(os.Environ(), env...)
	c.Stdout, c.Stderr = &out, &errOut
	if err := c.Run(); err != nil {
		return out.String(), errOut.String(), fmt.Errorf("%s %s: %v\nstdout:\n%s\nstderr:\n%s",
			name, strings.Join(args, " "), err, out.String(), errOut.String())
	}
	return out.String(), errOut.String(), nil
}

// requireDockerCLI returns the docker CLI, or skips (fails under CI=true)
// without one: these tests are about what users type.
func requireDockerCLI(t testing.TB) string {
	t.Helper()
	return requirePath(t, "docker CLI", dockerCLIPath())
}

// engineSocket is the path of the engine's unix socket, which containers
// mount to reach it; tests that need one skip on a remote engine.
func engineSocket(t testing.TB) string {
	t.Helper()
	p, ok := strings.CutPrefix(engineHost, "unix://")
	if !ok {
		skipf(t, "the engine at %s is not reached through a local unix socket, which the container would mount", engineHost)
	}
	return p
}

// engineRootDir is the engine's Docker root dir (docker info).
func engineRootDir(t testing.TB) (rootDir, serverVersion string) {
	t.Helper()
	info, err := requireEngine(t).Info(testContext(t, time.Minute))
	if err != nil {
		t.Fatalf("docker info: %v", err)
	}
	return info.DockerRootDir, info.ServerVersion
}

// copyFile copies src to dst with mode.
func copyFile(t testing.TB, src, dst string, mode os.FileMode) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatalf("copying %s: %v", src, err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatalf("copying %s: %v", src, err)
	}
	if err := os.WriteFile(dst, b, mode); err != nil {
		t.Fatalf("copying %s: %v", src, err)
	}
}

// parentChain lists id's parents, nearest first: the classic builder's
// intermediate images, which carry no labels and go with the image.
func parentChain(t testing.TB, id string) []string {
	t.Helper()
	c := requireEngine(t)
	ctx := testContext(t, time.Minute)
	var out []string
	for p := id; len(out) < 100; {
		ii, err := c.ImageInspect(ctx, p)
		if err != nil {
			t.Fatalf("inspecting image %s: %v", p, err)
		}
		if ii.Parent == "" {
			return out
		}
		out = append(out, ii.Parent)
		p = ii.Parent
	}
	t.Fatalf("image %s: more than 100 parents", id)
	return nil
}

// requireImagesGone fails t unless every image in ids is gone.
func requireImagesGone(t testing.TB, what string, ids []string) {
	t.Helper()
	c := requireEngine(t)
	ctx := testContext(t, time.Minute)
	for _, id := range ids {
		_, err := c.ImageInspect(ctx, id)
		if err == nil {
			t.Errorf("%s: image %s is still there", what, id)
		} else if !errdefs.IsNotFound(err) {
			t.Errorf("%s: inspecting image %s: %v", what, id, err)
		}
	}
}

// sentContext is the size of the build context in the classic builder's
// "Sending build context to Docker daemon  2.019MB" line (its last update).
var sentContextLine = regexp.MustCompile(`Sending build context to Docker daemon\s+([0-9.]+\s*[kMG]?B)`)

func sentContext(t testing.TB, buildOutput string) int64 {
	t.Helper()
	m := sentContextLine.FindAllStringSubmatch(buildOutput, -1)
	if len(m) == 0 {
		t.Fatalf("the build output has no \"Sending build context\" line (is it the classic builder?):\n%s", buildOutput)
	}
	n, err := parse.Size(m[len(m)-1][1])
	if err != nil {
		t.Fatalf("the build context's size: %v", err)
	}
	return n
}

// TestImage builds the image from the repo's Dockerfile and .dockerignore,
// staged as `make image` stages it, and runs dockctl from it against the
// engine through the mounted socket, as README shows.
func TestImage(t *testing.T) {
	c := requireEngine(t)
	docker := requireDockerCLI(t)
	sock := engineSocket(t)
	rootDir, serverVersion := engineRootDir(t)
	root := repoRoot(t)
	ctx := testContext(t, buildTimeout)

	// The build context: what make image stages in .build/rootfs, plus two
	// files .dockerignore must keep out of the context.
	bctx := t.TempDir()
	copyFile(t, filepath.Join(root, "Dockerfile"), filepath.Join(bctx, "Dockerfile"), 0o644)
	copyFile(t, filepath.Join(root, ".dockerignore"), filepath.Join(bctx, ".dockerignore"), 0o644)
	tmp := filepath.Join(bctx, ".build", "rootfs", "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(tmp, 0o777|os.ModeSticky); err != nil {
		t.Fatal(err)
	}
	const decoyBytes = 8 << 20
	for _, p := range []string{"decoy", ".build/decoy"} {
		if err := os.WriteFile(filepath.Join(bctx, p), randomBytes(t, decoyBytes), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	version := "it-" + runID
	bin := filepath.Join(bctx, ".build", "rootfs", "dockctl")
	goBuildLinux(t, "./cmd/dockctl", bin, "-s -w -X github.com/dockctl/dockctl/internal/version.BuildVersion="+version)
	st, err := os.Stat(bin)
	if err != nil {
		t.Fatal(err)
	}
	binBytes := st.Size()

	// --no-cache: no intermediate image is shared with someone's own build,
	// so every one of them goes with this image.
	tag := imageRef("dockctl", "it")
	labels := fixtureLabels(t, nil)
	args := []string{"build", "--no-cache", "--force-rm", "--build-arg", "VERSION=" + version}
	for _, k := range sortedKeys(labels) {
		args = append(args, "--label", k+"="+labels[k])
	}
	args = append(args, "-t", tag, bctx)
	start := time.Now()
	buildOut, _ := runTool(t, buildTimeout, "", []string{"DOCKER_BUILDKIT=0"}, docker, args...)
	t.Logf("docker build: %v", time.Since(start).Round(time.Millisecond))
	ii, err := c.ImageInspect(ctx, tag)
	if err != nil {
		t.Fatalf("inspecting the image just built: %v", err)
	}
	if !ours(imageLabels(ii)) {
		t.Fatalf("%s does not carry %s=%s; left alone", tag, runLabel, runID)
	}
	t.Cleanup(func() { cleanupImage(t, ii.ID) })
	parents := parentChain(t, ii.ID)

	sent := sentContext(t, buildOut)
	t.Logf("build context: %d bytes sent for a %d-byte binary and %d bytes of decoys", sent, binBytes, 2*decoyBytes)
	if sent > binBytes+1<<20 {
		t.Errorf("the build context was %d bytes for a %d-byte binary: .dockerignore lets more than .build/rootfs through", sent, binBytes)
	}

	t.Run("metadata", func(t *testing.T) {
		if len(ii.RootFS.Layers) != 1 {
			t.Errorf("%d layers, want 1 (one COPY of .build/rootfs)", len(ii.RootFS.Layers))
		}
		// On a graph driver the image's size is its layer's files'. On the
		// containerd image store it is the layer's blob (the compressed
		// tar) plus its unpacked snapshot, and the manifest and config
		// (store_test.go): each of those must hold the binary and next to
		// nothing else.
		if e := engineUnderTest(t); e.Containerd {
			s := readStoredImage(t, ii.ID)
			checkStoredBase(t, s, map[string]int64{"/dockctl": binBytes})
			blob := s.Content - s.meta()
			if blob > binBytes+64<<10 || s.Unpacked < binBytes || s.Unpacked > binBytes+64<<10 {
				t.Errorf("on the %s: image size %d = content %d (a %d-byte layer blob) + snapshot %d, want the blob and the snapshot each the binary's %d and next to nothing else", e.store(), ii.Size, s.Content, blob, s.Unpacked, binBytes)
			}
			t.Logf("on the %s: image size %d = manifest and config %d + layer blob %d + snapshot %d; the binary is %d", e.store(), ii.Size, s.meta(), blob, s.Unpacked, binBytes)
		} else if ii.Size < binBytes || ii.Size > binBytes+64<<10 {
			t.Errorf("on the %s: image size %d bytes, want the binary's %d and next to nothing else", e.store(), ii.Size, binBytes)
		}
		if ii.Config == nil {
			t.Fatal("the image has no config")
		}
		if want := []string{"/dockctl"}; !slices.Equal(ii.Config.Entrypoint, want) {
			t.Errorf("ENTRYPOINT %q, want %q", ii.Config.Entrypoint, want)
		}
		if want := []string{"report"}; !slices.Equal(ii.Config.Cmd, want) {
			t.Errorf("CMD %q, want %q", ii.Config.Cmd, want)
		}
		for k, want := range map[string]string{
			"org.opencontainers.image.title":   "dockctl",
			"org.opencontainers.image.version": version,
			"org.opencontainers.image.source":  "https://github.com/dockctl/dockctl",
		} {
			if got := ii.Config.Labels[k]; got != want {
				t.Errorf("label %s=%q, want %q", k, got, want)
			}
		}
	})

	// The cache dir must be writable by whichever user runs dockctl (the
	// layer cache is there; the prune lock is in /tmp/dockctl-locks).
	var cacheDir string
	for _, e := range ii.Config.Env {
		if v, ok := strings.CutPrefix(e, "XDG_CACHE_HOME="); ok {
			cacheDir = v
		}
	}
	if !strings.HasPrefix(cacheDir, "/tmp/") {
		t.Errorf("XDG_CACHE_HOME=%q, want a directory under /tmp (scratch has no writable home)", cacheDir)
	}

	// The runs README and docker-compose.yml show: the socket, and a
	// directory of the Docker root dir's filesystem mounted at the root
	// dir, so that report and the watermarks know how full it is.
	runArgs := []string{"run", "--rm"}
	for _, k := range sortedKeys(labels) {
		runArgs = append(runArgs, "--label", k+"="+labels[k])
	}
	runArgs = append(runArgs,
		"-v", sock+":/var/run/docker.sock",
		"-v", path.Join(rootDir, "tmp")+":"+rootDir+":ro",
		tag)
	checkReport := func(t *testing.T, stdout string) {
		var doc struct {
			Schema string `json:"schema"`
			Engine struct {
				Host          string `json:"host"`
				ServerVersion string `json:"server_version"`
				DockerRootDir string `json:"docker_root_dir"`
				FSSizeBytes   int64  `json:"fs_size_bytes"`
			} `json:"engine"`
		}
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatalf("report --format json: %v\n%s", err, stdout)
		}
		if doc.Schema != usage.Schema {
			t.Errorf("schema %q, want %q", doc.Schema, usage.Schema)
		}
		if doc.Engine.Host != "unix:///var/run/docker.sock" || doc.Engine.ServerVersion != serverVersion {
			t.Errorf("engine %s %s, want unix:///var/run/docker.sock %s", doc.Engine.Host, doc.Engine.ServerVersion, serverVersion)
		}
		if doc.Engine.DockerRootDir != rootDir || doc.Engine.FSSizeBytes <= 0 {
			t.Errorf("root dir %s of %d bytes, want %s of a known size (the mount makes it measurable)",
				doc.Engine.DockerRootDir, doc.Engine.FSSizeBytes, rootDir)
		}
	}
	runs := []struct {
		name  string
		args  []string
		check func(t *testing.T, stdout string)
	}{
		{"report", []string{"report", "--format", "json"}, checkReport},
		{"version", []string{"version", "--format", "json"}, func(t *testing.T, stdout string) {
			var doc struct {
				Client struct {
					Version string `json:"version"`
				} `json:"client"`
			}
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
				t.Fatalf("version --format json: %v\n%s", err, stdout)
			}
			if doc.Client.Version != version {
				t.Errorf("dockctl version %q, want %q (the binary this test built)", doc.Client.Version, version)
			}
		}},
		// A deleting prune takes its lock in /tmp/dockctl-locks. Scoped to this
		// test's objects: the image, which the prune's own running container
		// uses and so keeps.
		{"prune", append([]string{"prune", "--yes"}, filterFlags(scopeFilters(t))...), func(t *testing.T, stdout string) {
			if !strings.Contains(stdout, "Done: removed 0,") {
				t.Errorf("prune: want nothing removed (the image is in use by the prune's container):\n%s", stdout)
			}
		}},
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			stdout, _ := runTool(t, commandTimeout, "", nil, docker, append(slices.Clone(runArgs), r.args...)...)
			r.check(t, stdout)
		})
	}

	// The storage probe in the image: with the root dir mounted read-only
	// at its own path, the report has the Logs and Unaccounted rows and
	// the root dir's du; with the socket alone, today's rows and the one
	// line saying what it could not see and how to give access.
	base := []string{"run", "--rm"}
	for _, k := range sortedKeys(labels) {
		base = append(base, "--label", k+"="+labels[k])
	}
	base = append(base, "-v", sock+":/var/run/docker.sock")
	probeRuns := []struct {
		name   string
		mount  []string
		notice bool
	}{
		{"report with the root dir mounted", []string{"-v", rootDir + ":" + rootDir + ":ro"}, false},
		{"report without the root dir", nil, true},
	}
	for _, r := range probeRuns {
		t.Run(r.name, func(t *testing.T) {
			args := append(append(append(slices.Clone(base), r.mount...), tag), "report", "--format", "json")
			stdout, _ := runTool(t, commandTimeout, "", nil, docker, args...)
			var doc reportDoc
			if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
				t.Fatalf("report --format json: %v\n%s", err, stdout)
			}
			d := doc.Disk
			if d == nil {
				t.Fatalf("report has no disk section:\n%s", stdout)
			}
			t.Logf("disk: root dir %d bytes, accounted %d; notice %q", d.RootDirBytes, d.AccountedBytes, d.UnavailableReason)
			if r.notice {
				want := "-v " + rootDir + ":" + rootDir + ":ro"
				if !strings.Contains(d.UnavailableReason, want) || strings.Contains(d.UnavailableReason, "\n") || doc.Summary.Logs != nil || d.RootDirBytes != -1 {
					t.Errorf("without the root dir: notice %q (want one line naming %s), logs row %v, root dir bytes %d", d.UnavailableReason, want, doc.Summary.Logs, d.RootDirBytes)
				}
				table, _ := runTool(t, commandTimeout, "", nil, docker, append(append(slices.Clone(base), tag), "report")...)
				if n := strings.Count(table, "cannot measure the disk"); n != 1 {
					t.Errorf("the table report has %d notice lines, want 1:\n%s", n, table)
				}
				return
			}
			if d.UnavailableReason != "" || doc.Summary.Logs == nil || doc.Summary.Unaccounted == nil || d.RootDirBytes <= 0 {
				t.Fatalf("with the root dir mounted: notice %q, logs %v, unaccounted %v, root dir %d bytes", d.UnavailableReason, doc.Summary.Logs, doc.Summary.Unaccounted, d.RootDirBytes)
			}
			duNow := duSbx(t, rootDir)
			if !withinDrift(d.AccountedBytes, duNow, max(duNow/100, 1<<20)) {
				t.Errorf("in the container: accounted %d bytes, du -sbx of %s here %d", d.AccountedBytes, rootDir, duNow)
			}
		})
	}

	// The housekeeping service of docker-compose.yml, with its mounts and
	// no network, run once with report in place of its policy: the
	// filesystem the watermarks need is known inside.
	// The override carries this test's labels, not the subtest's.
	override := composeOverride(t, t.TempDir())
	t.Run("compose housekeeping service", func(t *testing.T) {
		p := newComposeProject(t, "dockctl-it-"+runID+"-hk", []string{override}, "housekeeping")
		p.Env = []string{"DOCKCTL_IMAGE=" + tag, "DOCKER_SOCKET=" + sock, "DOCKER_ROOT_DIR=" + rootDir}
		// docker-compose v1 also creates the other services' volume and
		// network on run: the override labels them, and down removes them.
		down := func() {
			if _, _, err := p.try(2*time.Minute, "down", "-v", "--timeout", "10"); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		}
		t.Cleanup(down)
		args := []string{"run", "--rm", "-T", "--no-deps"}
		for _, k := range sortedKeys(labels) {
			args = append(args, "-l", k+"="+labels[k])
		}
		stdout := p.run(t, commandTimeout, append(args, "housekeeping", "report", "--format", "json")...)
		checkReport(t, stdout)
	})

	t.Run("tmp is world-writable", func(t *testing.T) {
		id := createContainer(t, ii.ID, "", containerOpts{})
		st, err := c.ContainerStatPath(ctx, id, "/tmp")
		if err != nil {
			t.Fatalf("stat /tmp: %v", err)
		}
		if want := os.ModeDir | os.ModeSticky | 0o777; st.Mode&(want|os.ModePerm) != want {
			t.Errorf("/tmp has mode %v, want %v", st.Mode, want)
		}
	})

	// The image and its intermediate images go, and nothing else of this
	// test stays.
	if err := removeImage(ctx, ii.ID); err != nil {
		t.Fatalf("removing %s: %v", tag, err)
	}
	requireImagesGone(t, "after removing the image", append([]string{ii.ID}, parents...))
	requireNothingLeft(t)
}

// requireNothingLeft fails t if anything carrying t's labels is left.
func requireNothingLeft(t testing.TB) {
	t.Helper()
	left, err := listScope(testContext(t, time.Minute), t)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("left behind, labelled %s=%s: %s", caseLabel, caseName(t), strings.Join(left, ", "))
	}
}

// listScope lists the containers, networks, volumes and images (with
// intermediate ones) carrying t's labels, as "kind id".
func listScope(ctx context.Context, t testing.TB) ([]string, error) {
	c := engineClient
	var out []string
	var errs []error
	f := scopeArgs(t)
	if cs, err := c.ContainerList(ctx, container.ListOptions{All: true, Filters: f}); err != nil {
		errs = append(errs, err)
	} else {
		for _, x := range cs {
			out = append(out, "container "+x.ID)
		}
	}
	if ns, err := c.NetworkList(ctx, network.ListOptions{Filters: f}); err != nil {
		errs = append(errs, err)
	} else {
		for _, x := range ns {
			out = append(out, "network "+x.Name)
		}
	}
	if vs, err := c.VolumeList(ctx, volume.ListOptions{Filters: f}); err != nil {
		errs = append(errs, err)
	} else {
		for _, x := range vs.Volumes {
			out = append(out, "volume "+x.Name)
		}
	}
	if is, err := c.ImageList(ctx, image.ListOptions{All: true, Filters: f}); err != nil {
		errs = append(errs, err)
	} else {
		for _, x := range is {
			out = append(out, "image "+x.ID)
		}
	}
	return out, errors.Join(errs...)
}
