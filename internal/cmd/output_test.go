package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dockctl/dockctl/internal/outfile/outfiletest"
)

// The files dockctl writes (report -o, prune --plan-out, --log): a device,
// a FIFO or /dev/stdout is written in place, never replaced by a renamed
// file; a directory is exit 2 naming the path as given, before the engine
// is asked anything. The system's /dev/null and /dev/stdout are stood in
// for by the test's own device node and a link to /proc/self/fd/N: a
// regression must not replace the machine's own.
func TestOutputFilesThatAreNotRegularFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()

	t.Run("a char device stays one", func(t *testing.T) {
		null := outfiletest.NullDevice(t, dir, "null")
		for _, args := range [][]string{
			{"report", "--no-cache", "-o", null},
			{"prune", "--dry-run", "--no-cache", "--all", "--plan-out", null},
		} {
			if code, _, errOut := runFake(t, fakeEngine(), args...); code != 0 {
				t.Fatalf("%q: exit %d (%s)", args, code, errOut)
			}
			outfiletest.WantCharDevice(t, null)
		}
	})
	t.Run("a FIFO gets the bytes", func(t *testing.T) {
		p, got := outfiletest.FIFO(t, dir, "report.fifo")
		code, out, errOut := runFake(t, fakeEngine(), "report", "--no-cache", "--format", "json", "-o", p)
		if got := got(); code != 0 || out != "" || !strings.Contains(got, `"summary"`) {
			t.Fatalf("exit %d (%s), stdout %q; the FIFO got %q", code, errOut, out, got)
		}
		p, got = outfiletest.FIFO(t, dir, "plan.fifo")
		code, _, errOut = runFake(t, fakeEngine(), "prune", "--dry-run", "--no-cache", "--all", "--plan-out", p)
		if got := got(); code != 0 || !strings.Contains(got, `"schema": "dockctl.prune/v1"`) {
			t.Fatalf("--plan-out: exit %d (%s); the FIFO got %q", code, errOut, got)
		}
	})
	t.Run("/dev/stdout gets the bytes", func(t *testing.T) {
		p, got := outfiletest.StdoutLink(t, dir, "stdout")
		code, _, errOut := runFake(t, fakeEngine(), "report", "--no-cache", "--format", "markdown", "-o", p)
		if got := got(); code != 0 || got == "" {
			t.Fatalf("exit %d (%s); stdout got %q", code, errOut, got)
		}
		outfiletest.WantSymlink(t, p)
	})
	t.Run("a directory is exit 2 naming it, before the engine", func(t *testing.T) {
		sub := filepath.Join(dir, "out")
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			flag string
			args []string
		}{
			{"--output", []string{"report", "--no-cache", "-o", sub}},
			{"--output", []string{"report", "--no-cache", "-o", sub + "/"}},
			{"--plan-out", []string{"prune", "--dry-run", "--no-cache", "--plan-out", sub}},
			{"--log", []string{"prune", "--yes", "--no-cache", "--log", sub}},
		} {
			e := fakeEngine()
			code, out, errOut := runFake(t, e, tt.args...)
			given := tt.args[len(tt.args)-1]
			if code != 2 || out != "" || !strings.Contains(errOut, tt.flag+` "`+given+`"`) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || e.Calls("DiskUsage") != 0 || e.Mutations() != 0 {
				t.Errorf("%q: exit %d, %d df calls, stdout %q, stderr %q; want exit 2 and one line naming %s %q", tt.args, code, e.Calls("DiskUsage"), out, errOut, tt.flag, given)
			}
		}
	})
}
