package integration

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestGoTestNeitherCachesNorHidesSkips runs README's `go test` on this
// package as a user would, without -v or -count: a second run against the
// engine runs again rather than printing "(cached)", and a run without an
// engine prints its skips on one line although the package passes (issue
// 14 item 2).
func TestGoTestNeitherCachesNorHidesSkips(t *testing.T) {
	requireEngine(t)
	goTool := requireTool(t, "go")
	// A cheap test that needs the engine; the filter keeps this test from
	// running itself.
	const one = "^TestInspectUnreachableHost$"
	env := environWithout("CI", "GOFLAGS")
	goTest := func(extra ...string) string {
		t.Helper()
		cmd := exec.CommandContext(testContext(t, commandTimeout), goTool, "test", ".", "-run", one)
		cmd.Env = append(env, extra...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go test . -run %s %v: %v\n%s", one, extra, err, out)
		}
		t.Logf("go test . -run %s %v:\n%s", one, extra, out)
		return string(out)
	}

	t.Run("not cached", func(t *testing.T) {
		goTest()
		if out := goTest(); strings.Contains(out, "(cached)") {
			t.Errorf("the second go test was answered from the cache:\n%s", out)
		}
	})
	t.Run("skips shown without -v", func(t *testing.T) {
		out := goTest("DOCKER_HOST=unix://" + t.TempDir() + "/no-engine.sock")
		if !strings.Contains(out, "dockctl integration: 1 test SKIPPED (CI=true makes them fail): no usable Docker engine") || !strings.Contains(out, "no-engine.sock") {
			t.Errorf("a run whose tests all skipped does not say so without -v:\n%s", out)
		}
		if strings.Contains(out, "(cached)") {
			t.Errorf("the run without an engine was answered from the cache:\n%s", out)
		}
	})
}

// environWithout is the process's environment without the variables named.
func environWithout(names ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, n := range names {
			drop = drop || k == n
		}
		if !drop {
			env = append(env, kv)
		}
	}
	return env
}
