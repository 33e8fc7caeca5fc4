package outfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/dockctl/dockctl/internal/outfile/outfiletest"
)

func inode(t *testing.T, p string) uint64 {
	t.Helper()
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return st.Sys().(*syscall.Stat_t).Ino
}

func TestWriteFile(t *testing.T) {
	data := []byte("the report\n")
	tests := []struct {
		name string
		// setup makes the path to write and returns a check of the result.
		setup func(t *testing.T, dir string) (string, func(t *testing.T))
	}{
		{"missing file: created", func(t *testing.T, dir string) (string, func(t *testing.T)) {
			p := filepath.Join(dir, "new.json")
			return p, func(t *testing.T) { wantContent(t, p, data) }
		}},
		{"regular file: replaced by a new file (atomic rename)", func(t *testing.T, dir string) (string, func(t *testing.T)) {
			p := filepath.Join(dir, "old.json")
			writeFile(t, p, "an old and longer report\n")
			before := inode(t, p)
			return p, func(t *testing.T) {
				wantContent(t, p, data)
				if inode(t, p) == before {
					t.Error("written in place, not replaced")
				}
			}
		}},
		{"symlink to a regular file: the link stays, its file is replaced", func(t *testing.T, dir string) (string, func(t *testing.T)) {
			real := filepath.Join(dir, "real.html")
			writeFile(t, real, "old\n")
			before := inode(t, real)
			p := filepath.Join(dir, "link.html")
			if err := os.Symlink("real.html", p); err != nil {
				t.Fatal(err)
			}
			return p, func(t *testing.T) {
				outfiletest.WantSymlink(t, p)
				wantContent(t, real, data)
				if inode(t, real) == before {
					t.Error("the file was written in place, not replaced")
				}
			}
		}},
		{"dangling symlink: what it points to is created", func(t *testing.T, dir string) (string, func(t *testing.T)) {
			p := filepath.Join(dir, "link")
			if err := os.Symlink("target", p); err != nil {
				t.Fatal(err)
			}
			return p, func(t *testing.T) {
				outfiletest.WantSymlink(t, p)
				wantContent(t, filepath.Join(dir, "target"), data)
			}
		}},
		{"char device: stays a char device", func(t *testing.T, dir string) (string, func(t *testing.T)) {
			p := outfiletest.NullDevice(t, dir, "null")
			return p, func(t *testing.T) { outfiletest.WantCharDevice(t, p) }
		}},
		{"symlink to a char device: both stay", func(t *testing.T, dir string) (string, func(t *testing.T)) {
			dev := outfiletest.NullDevice(t, dir, "null")
			p := filepath.Join(dir, "devlink")
			if err := os.Symlink(dev, p); err != nil {
				t.Fatal(err)
			}
			return p, func(t *testing.T) {
				outfiletest.WantCharDevice(t, dev)
				outfiletest.WantSymlink(t, p)
			}
		}},
		{"FIFO: the reader gets the bytes", func(t *testing.T, dir string) (string, func(t *testing.T)) {
			p, got := outfiletest.FIFO(t, dir, "fifo")
			return p, func(t *testing.T) { wantString(t, got(), data) }
		}},
		{"/proc/self/fd/N (what /dev/stdout is): the pipe gets the bytes", func(t *testing.T, dir string) (string, func(t *testing.T)) {
			p, got := outfiletest.StdoutLink(t, dir, "stdout")
			return p, func(t *testing.T) {
				outfiletest.WantSymlink(t, p)
				wantString(t, got(), data)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			p, check := tt.setup(t, dir)
			if err := WriteFile(p, data, 0o644); err != nil {
				t.Fatal(err)
			}
			check(t)
			// Nothing is left behind: no temporary file.
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if e.Name()[0] == '.' {
					t.Errorf("left behind: %s", e.Name())
				}
			}
		})
	}
}

func TestDirectoriesAreRefused(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{dir, dir + "/", link} {
		if err := Check(p); !errors.Is(err, ErrIsDirectory) {
			t.Errorf("Check(%q) = %v, want ErrIsDirectory", p, err)
		}
		if err := WriteFile(p, []byte("x"), 0o644); !errors.Is(err, ErrIsDirectory) {
			t.Errorf("WriteFile(%q) = %v, want ErrIsDirectory", p, err)
		}
		if _, err := Append(p, 0o644); !errors.Is(err, ErrIsDirectory) {
			t.Errorf("Append(%q) = %v, want ErrIsDirectory", p, err)
		}
	}
	if err := Check(filepath.Join(dir, "no", "file")); err == nil {
		t.Error("Check accepted a file in a missing folder")
	}
	if err := Check(filepath.Join(dir, "file")); err != nil {
		t.Errorf("Check refused a new file in an existing folder: %v", err)
	}
}

// The real /dev/null and /dev/stdout are only classified here, never
// written to: a regression would rename a file over the machine's own.
func TestSystemSpecialFilesAreWrittenInPlace(t *testing.T) {
	for _, p := range []string{"/dev/null", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/2"} {
		if _, err := os.Lstat(p); err != nil {
			continue
		}
		if _, inPlace, err := resolve(p); err != nil || !inPlace {
			t.Errorf("resolve(%q) = in place %v, %v; want in place", p, inPlace, err)
		}
	}
	dir := t.TempDir()
	if target, inPlace, err := resolve(filepath.Join(dir, "report.html")); err != nil || inPlace || target != filepath.Join(dir, "report.html") {
		t.Errorf("a new file: %q, in place %v, %v", target, inPlace, err)
	}
}

func TestAppend(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "log.jsonl")
	for _, line := range []string{"one\n", "two\n"} {
		f, err := Append(p, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(line)
		f.Close()
	}
	wantContent(t, p, []byte("one\ntwo\n"))
	fp, got := outfiletest.FIFO(t, dir, "fifo")
	f, err := Append(fp, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("line\n")
	f.Close()
	wantString(t, got(), []byte("line\n"))
}

func writeFile(t *testing.T, p, s string) {
	t.Helper()
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func wantContent(t *testing.T, p string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(p)
	if err != nil || string(got) != string(want) {
		t.Fatalf("%s holds %q, %v; want %q", p, got, err, want)
	}
}

func wantString(t *testing.T, got string, want []byte) {
	t.Helper()
	if got != string(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}
