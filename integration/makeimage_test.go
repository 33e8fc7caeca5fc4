package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// requireTool returns the path of name, or skips (fails under CI=true).
func requireTool(t testing.TB, name string) string {
	t.Helper()
	p, _ := exec.LookPath(name)
	return requirePath(t, name, p)
}

// requirePath returns p, or skips when it is "" (fails under CI=true): a
// missing tool is a broken CI machine, but only a gap on a laptop.
func requirePath(t testing.TB, what, p string) string {
	t.Helper()
	if p == "" {
		skipf(t, "no %s in PATH", what)
	}
	return p
}

// TestMakeImage runs `make image` itself, as a newcomer would, on a copy of
// the files git tracks (a fresh clone, without touching this checkout's
// .build), then runs the image it made.
func TestMakeImage(t *testing.T) {
	c := requireEngine(t)
	docker := requireDockerCLI(t)
	sock := engineSocket(t)
	makeTool := requireTool(t, "make")
	gitTool := requireTool(t, "git")
	root := repoRoot(t)

	files, _ := runTool(t, time.Minute, root, nil, gitTool, "ls-files", "-z")
	clone := t.TempDir()
	for _, f := range strings.Split(strings.TrimRight(files, "\x00"), "\x00") {
		src := filepath.Join(root, f)
		st, err := os.Lstat(src)
		if err != nil || !st.Mode().IsRegular() {
			continue // deleted in the work tree, or a symlink: not needed to build
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(clone, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		copyFile(t, src, filepath.Join(clone, f), st.Mode().Perm())
	}

	tag := imageRef("dockctl", "make")
	labels := fixtureLabels(t, nil)
	flags := []string{"--no-cache", "--force-rm"}
	for _, k := range sortedKeys(labels) {
		flags = append(flags, "--label", k+"="+labels[k])
	}
	// The docker CLI the other tests use, first in PATH for make.
	env := []string{"PATH=" + filepath.Dir(docker) + string(os.PathListSeparator) + os.Getenv("PATH"), "DOCKER_BUILDKIT=0", "GOFLAGS=", "GOTOOLCHAIN=local"}
	start := time.Now()
	_, _, err := tryTool(buildTimeout, clone, env, makeTool, "image", "IMAGE="+tag, "DOCKER_BUILD_FLAGS="+strings.Join(flags, " "))
	// Whatever make managed to build goes, even when it failed half way.
	if ii, ierr := c.ImageInspect(testContext(t, time.Minute), tag); ierr == nil {
		if !ours(imageLabels(ii)) {
			t.Fatalf("%s does not carry %s=%s; left alone", tag, runLabel, runID)
		}
		parents := parentChain(t, ii.ID)
		t.Cleanup(func() {
			cleanupImage(t, ii.ID)
			requireImagesGone(t, "make image's intermediate images", parents)
		})
	}
	if err != nil {
		t.Fatalf("make image on a fresh copy of the repository: %v", err)
	}
	t.Logf("make image: %v", time.Since(start).Round(time.Millisecond))

	// make demo stages the binary demo/Dockerfile copies (the compose
	// demo's build context, which TestComposeDemo builds and runs).
	if _, _, err := tryTool(buildTimeout, clone, env, makeTool, "demo"); err != nil {
		t.Errorf("make demo on a fresh copy of the repository: %v", err)
	} else if b, err := os.ReadFile(filepath.Join(clone, "demo", ".build", "app")); err != nil || len(b) < 4 || string(b[:4]) != "\x7fELF" {
		t.Errorf("make demo did not leave an executable at demo/.build/app (%v)", err)
	}

	name := objName("make-image")
	args := []string{"run", "--rm", "--name", name}
	for _, k := range sortedKeys(labels) {
		args = append(args, "--label", k+"="+labels[k])
	}
	args = append(args, "-v", sock+":/var/run/docker.sock", tag, "version", "--format", "json")
	out, _ := runTool(t, time.Minute, "", nil, docker, args...)
	if !strings.Contains(out, `"api_version"`) {
		t.Errorf("dockctl version from the image printed %q", out)
	}
}
