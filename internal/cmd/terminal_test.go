package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dockctl/dockctl/internal/engine"
)

// openPTY opens a pseudo-terminal pair and returns its terminal end.
func openPTY(t *testing.T) *os.File {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { ptmx.Close() })
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Skipf("cannot unlock a pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Skipf("cannot number a pseudo-terminal: %v", err)
	}
	pts, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("cannot open the pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { pts.Close() })
	return pts
}

// A terminal is a terminal, not any character device: /dev/null is one
// too, and took for a terminal, prune asked into nothing and read EOF.
func TestIsTerminal(t *testing.T) {
	t.Parallel()
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	regular, err := os.Create(filepath.Join(t.TempDir(), "file"))
	if err != nil {
		t.Fatal(err)
	}
	defer regular.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	tests := []struct {
		name string
		v    any
		want bool
	}{
		{"/dev/null", devNull, false},
		{"a regular file", regular, false},
		{"a pipe", r, false},
		{"a buffer", strings.NewReader(""), false},
		{"a pseudo-terminal", openPTY(t), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isTerminal(tt.v); got != tt.want {
				t.Errorf("isTerminal(%s) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

// `dockctl prune </dev/null 2>/dev/null` without --yes: stdin is no
// terminal, so prune refuses (exit 2) and removes nothing.
func TestPruneWithStdinFromDevNullRefuses(t *testing.T) {
	t.Parallel()
	devNull, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	var out strings.Builder
	home := t.TempDir()
	f := NewFactory(devNull, &out, devNull, func(k string) string {
		if k == "HOME" {
			return home
		}
		return ""
	})
	e := fakeEngine()
	f.Dial = func(engine.Endpoint, engine.Env, time.Duration) (Engine, error) { return e, nil }
	if code := Run(t.Context(), f, []string{"prune", "--no-cache", "--all"}); code != 2 || e.Mutations() != 0 || e.Calls("DiskUsage") != 0 || out.String() != "" {
		t.Fatalf("exit %d (want 2), %d mutations, %d df calls, stdout %q", code, e.Mutations(), e.Calls("DiskUsage"), out.String())
	}
}
