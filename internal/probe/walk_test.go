package probe

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/dockctl/dockctl/internal/testutil"
)

// tree is a directory layout a test builds under a temp dir.
type tree struct {
	files    map[string]int   // path → size of a file of that many bytes
	sparse   map[string]int64 // path → apparent size; one byte written at the start
	links    map[string]string
	symlinks map[string]string // path → target (not followed)
	whiteout []string          // character devices 0/0, as overlayfs marks deletions
	dirs     []string
}

func (tr tree) build(t *testing.T, root string) {
	t.Helper()
	mk := func(p string) string {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		return full
	}
	for _, d := range tr.dirs {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for p, n := range tr.files {
		if err := os.WriteFile(mk(p), make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for p, n := range tr.sparse {
		f, err := os.Create(mk(p))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte{1}); err != nil {
			t.Fatal(err)
		}
		if err := f.Truncate(n); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	for p, target := range tr.links {
		if err := os.Link(filepath.Join(root, target), mk(p)); err != nil {
			t.Fatal(err)
		}
	}
	for p, target := range tr.symlinks {
		if err := os.Symlink(target, mk(p)); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range tr.whiteout {
		if err := unix.Mknod(mk(p), unix.S_IFCHR|0o000, 0); err != nil {
			t.Skipf("mknod (needs root): %v", err)
		}
	}
}

// duSbx is `du -sbx dir`, the figure the du rule must equal.
func duSbx(t *testing.T, dir string) int64 { return testutil.Du(t, "-bx", dir) }

// duB1 is `du -s -B1 dir`: allocated bytes, each inode once, directories
// included — what the block rule must equal.
func duB1(t *testing.T, dir string) int64 { return testutil.Du(t, "-B1", dir) }

// measureRules walks dir once per rule.
func measureRules(t *testing.T, dir string) (moby, du int64, warnings []Warning) {
	t.Helper()
	m := newMobySize()
	ws, err := walk(context.Background(), dir, walkOptions{}, m.add)
	if err != nil {
		t.Fatal(err)
	}
	d := &duSize{seen: newInodeSet()}
	ws2, err := walk(context.Background(), dir, walkOptions{xdev: true}, d.add)
	if err != nil {
		t.Fatal(err)
	}
	return m.bytes, d.bytes, append(ws, ws2...)
}

func TestRules(t *testing.T) {
	big := filepath.Join(t.TempDir(), "outside") // a symlink's target: never read
	if err := os.WriteFile(big, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		tree tree
		// moby is what moby's directory.Size gives: worked out by hand
		// from the rule (non-directories' st_size, each inode once).
		moby int64
	}{
		{"empty dir", tree{}, 0},
		{"files in nested dirs", tree{files: map[string]int{"a": 1000, "d/e/f/b": 2345, "d/c": 7}}, 1000 + 2345 + 7},
		{"hard links counted once", tree{files: map[string]int{"a": 5000}, links: map[string]string{"b": "a", "d/c": "a"}}, 5000},
		{"sparse file by apparent size", tree{sparse: map[string]int64{"s": 5 << 20}}, 5 << 20},
		{"whiteouts count nothing", tree{files: map[string]int{"a": 10}, whiteout: []string{"gone", "d/gone2"}}, 10},
		{"symlinks by their own size, not followed", tree{symlinks: map[string]string{"l": big}}, int64(len(big))},
		{"empty files and empty dirs", tree{files: map[string]int{"z": 0}, dirs: []string{"x/y"}}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			tc.tree.build(t, dir)
			moby, du, ws := measureRules(t, dir)
			if len(ws) != 0 {
				t.Errorf("warnings: %v", ws)
			}
			if moby != tc.moby {
				t.Errorf("moby rule = %d, want %d", moby, tc.moby)
			}
			if want := duSbx(t, dir); du != want {
				t.Errorf("du rule = %d, du -sbx says %d", du, want)
			}
			b := newBlockUsage()
			if _, err := walk(context.Background(), dir, walkOptions{}, b.add); err != nil {
				t.Fatal(err)
			}
			if want := duB1(t, dir); b.total() != want {
				t.Errorf("block rule = %d, du -s -B1 says %d", b.total(), want)
			}
		})
	}
}

// TestRuleDuStopsAtMounts mounts a tmpfs inside the tree: du -x leaves it
// out (mount point included), moby's walk does not look at devices.
func TestRuleDuStopsAtMounts(t *testing.T) {
	dir := t.TempDir()
	tree{files: map[string]int{"a": 3000}, dirs: []string{"m"}}.build(t, dir)
	mnt := filepath.Join(dir, "m")
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=4m"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mounting a tmpfs: %v", err)
		}
		t.Skipf("mounting a tmpfs (needs root): %v", err)
	}
	t.Cleanup(func() { unix.Unmount(mnt, 0) })
	if err := os.WriteFile(filepath.Join(mnt, "inside"), make([]byte, 100000), 0o644); err != nil {
		t.Fatal(err)
	}
	moby, du, _ := measureRules(t, dir)
	if want := duSbx(t, dir); du != want {
		t.Errorf("du rule = %d, du -sbx says %d", du, want)
	}
	if want := int64(3000 + 100000); moby != want {
		t.Errorf("moby rule = %d, want %d (moby's walk crosses mounts)", moby, want)
	}
	// The probe's root walk goes by top-level entry: the same figure.
	p := &Probe{engineRoot: dir, local: dir, verified: true}
	m, err := p.Measure(context.Background(), Targets{})
	if err != nil {
		t.Fatal(err)
	}
	if want := duSbx(t, dir); m.RootDirBytes != want {
		t.Errorf("Measure root = %d, du -sbx says %d", m.RootDirBytes, want)
	}
}

// TestUnreadableIsAWarning: a dir the probe cannot read is one warning and
// the rest is still counted. Root reads everything, so as root the test
// runs itself again as nobody.
func TestUnreadableIsAWarning(t *testing.T) {
	dir := os.Getenv("PROBE_TEST_UNREADABLE_DIR")
	if dir == "" && os.Geteuid() == 0 {
		dir, err := os.MkdirTemp("", "probe-unreadable-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(dir) })
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		// The test binary's own dir is root's alone: run a copy.
		self, err := os.ReadFile(os.Args[0])
		if err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(dir, "probe.test")
		if err := os.WriteFile(bin, self, 0o755); err != nil {
			t.Fatal(err)
		}
		work := filepath.Join(dir, "tree")
		if err := os.Mkdir(work, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(work, 65534, 65534); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "-test.run=^TestUnreadableIsAWarning$", "-test.v")
		cmd.Env = append(os.Environ(), "PROBE_TEST_UNREADABLE_DIR="+work)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "--- PASS: TestUnreadableIsAWarning") {
			t.Fatalf("as nobody: %v\n%s", err, out)
		}
		return
	}
	if dir == "" {
		dir = t.TempDir()
	}
	tree{files: map[string]int{"ok/a": 1234, "locked/b": 999}}.build(t, dir)
	locked := filepath.Join(dir, "locked")
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(locked, 0o755) })
	moby, du, ws := measureRules(t, dir)
	if moby != 1234 {
		t.Errorf("moby rule = %d, want 1234 (the readable file)", moby)
	}
	if len(ws) != 2 || ws[0].Path != locked || !strings.Contains(ws[0].Err, "permission denied") {
		t.Errorf("warnings = %v, want %s: permission denied once per walk", ws, locked)
	}
	// du counts the unreadable dir's own entry too.
	var st, rst, okst unix.Stat_t
	unix.Lstat(locked, &st)
	unix.Lstat(dir, &rst)
	unix.Lstat(filepath.Join(dir, "ok"), &okst)
	if want := rst.Size + okst.Size + 1234 + st.Size; du != want {
		t.Errorf("du rule = %d, want %d", du, want)
	}
}

func TestIsLogFile(t *testing.T) {
	base := "abc-json.log"
	tests := []struct {
		name string
		want bool
	}{
		{"abc-json.log", true},
		{"abc-json.log.1", true},
		{"abc-json.log.12", true},
		{"abc-json.log.3.gz", true},
		{"abc-json.log.", false},
		{"abc-json.log.gz", false},
		{"abc-json.log.1x", false},
		{"abc-json.log.tmp", false},
		{"other-json.log", false},
		{"abc-json.logx", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := isLogFile(base, tc.name); got != tc.want {
				t.Errorf("isLogFile(%q, %q) = %v, want %v", base, tc.name, got, tc.want)
			}
		})
	}
}
