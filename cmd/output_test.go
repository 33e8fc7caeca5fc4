package cmd

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The files dockctl writes (report -o, prune --plan-out, --log): a device,
// a FIFO or /dev/stdout is written in place, never replaced by a renamed
// file; a directory is exit 2 naming the path as given, before the engine
// is asked anything. The system's /dev/null and /dev/stdout are stood in
// for by the test's own device node and a link to /proc/self/fd/N: a
// regression must not replace the machine's own.
func TestOutputFilesThatAreNotRegularFiles(t *testing.T) {
	dir := t.TempDir()
	null := filepath.Join(dir, "null")
	haveDevice := syscall.Mknod(null, syscall.S_IFCHR|0o666, 1<<8|3) == nil
	mkfifo := func(name string) (string, *os.File) {
		p := filepath.Join(dir, name)
		if err := syscall.Mkfifo(p, 0o644); err != nil {
			t.Fatal(err)
		}
		fd, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_NONBLOCK, 0)
		if err != nil {
			t.Fatal(err)
		}
		r := os.NewFile(uintptr(fd), p)
		t.Cleanup(func() { r.Close() })
		return p, r
	}
	// stdoutLink returns the link and a read of what the pipe got, which
	// closes the write end first so that it cannot wait for more.
	stdoutLink := func(name string) (string, func() string) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close(); w.Close() })
		p := filepath.Join(dir, name)
		if err := os.Symlink(fmt.Sprintf("/proc/self/fd/%d", w.Fd()), p); err != nil {
			t.Fatal(err)
		}
		return p, func() string {
			w.Close()
			b, _ := io.ReadAll(r)
			return string(b)
		}
	}
	read := func(r *os.File) string {
		buf := make([]byte, 1<<16)
		n, _ := r.Read(buf)
		return string(buf[:max(n, 0)])
	}

	t.Run("a char device stays one", func(t *testing.T) {
		if !haveDevice {
			t.Skip("cannot make a device node here (needs root)")
		}
		for _, args := range [][]string{
			{"report", "--no-cache", "-o", null},
			{"prune", "--dry-run", "--no-cache", "--all", "--plan-out", null},
		} {
			code, _, errOut := runFake(t, fakeEngine(), args...)
			st, err := os.Lstat(null)
			if code != 0 || err != nil || st.Mode()&os.ModeCharDevice == 0 {
				t.Fatalf("%q: exit %d (%s); %s is now %v, %v", args, code, errOut, null, st.Mode(), err)
			}
		}
	})
	t.Run("a FIFO gets the bytes", func(t *testing.T) {
		p, r := mkfifo("report.fifo")
		code, out, errOut := runFake(t, fakeEngine(), "report", "--no-cache", "--format", "json", "-o", p)
		if got := read(r); code != 0 || out != "" || !strings.Contains(got, `"summary"`) {
			t.Fatalf("exit %d (%s), stdout %q; the FIFO got %q", code, errOut, out, got)
		}
		p, r = mkfifo("plan.fifo")
		code, _, errOut = runFake(t, fakeEngine(), "prune", "--dry-run", "--no-cache", "--all", "--plan-out", p)
		if got := read(r); code != 0 || !strings.Contains(got, `"schema": "dockctl.prune/v1"`) {
			t.Fatalf("--plan-out: exit %d (%s); the FIFO got %q", code, errOut, got)
		}
	})
	t.Run("/dev/stdout gets the bytes", func(t *testing.T) {
		p, got := stdoutLink("stdout")
		code, _, errOut := runFake(t, fakeEngine(), "report", "--no-cache", "--format", "markdown", "-o", p)
		if got := got(); code != 0 || got == "" {
			t.Fatalf("exit %d (%s); stdout got %q", code, errOut, got)
		}
		if st, err := os.Lstat(p); err != nil || st.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("%s was replaced: %v, %v", p, st.Mode(), err)
		}
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
