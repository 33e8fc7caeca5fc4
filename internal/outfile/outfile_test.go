package outfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// charDevice makes a null device (major 1, minor 3, what /dev/null is) in
// dir: the tests write to their own node, never to the system's /dev/null,
// so a regression cannot damage the machine it runs on.
func charDevice(t *testing.T, dir string) string {
	t.Helper()
	p := filepath.Join(dir, "null")
	if err := syscall.Mknod(p, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Skipf("cannot make a device node here (needs root): %v", err)
	}
	return p
}

// fifo makes a FIFO in dir and opens its read end without blocking, so a
// writer can open it and a test that fails does not hang.
func fifo(t *testing.T, dir string) (string, *os.File) {
	t.Helper()
	p := filepath.Join(dir, "fifo")
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

// A pipe the test holds, named by a symlink to /proc/self/fd/N: what
// /dev/stdout is when stdout is a pipe.
func fdLink(t *testing.T, dir string) (string, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	p := filepath.Join(dir, "stdout")
	if err := os.Symlink(fmt.Sprintf("/proc/self/fd/%d", w.Fd()), p); err != nil {
		t.Fatal(err)
	}
	return p, r
}

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
				if st, err := os.Lstat(p); err != nil || st.Mode()&os.ModeSymlink == 0 {
					t.Fatalf("the link is gone: %v, %v", st, err)
				}
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
				if st, err := os.Lstat(p); err != nil || st.Mode()&os.ModeSymlink == 0 {
					t.Fatalf("the link is gone: %v, %v", st, err)
				}
				wantContent(t, filepath.Join(dir, "target"), data)
			}
		}},
		{"char device: stays a char device", func(t *testing.T, dir string) (string, func(t *testing.T)) {
			p := charDevice(t, dir)
			return p, func(t *testing.T) { wantCharDevice(t, p) }
		}},
		{"symlink to a char device: both stay", func(t *testing.T, dir string) (string, func(t *testing.T)) {
			dev := charDevice(t, dir)
			p := filepath.Join(dir, "devlink")
			if err := os.Symlink(dev, p); err != nil {
				t.Fatal(err)
			}
			return p, func(t *testing.T) {
				wantCharDevice(t, dev)
				if st, err := os.Lstat(p); err != nil || st.Mode()&os.ModeSymlink == 0 {
					t.Fatalf("the link is gone: %v, %v", st, err)
				}
			}
		}},
		{"FIFO: the reader gets the bytes", func(t *testing.T, dir string) (string, func(t *testing.T)) {
			p, r := fifo(t, dir)
			return p, func(t *testing.T) { wantRead(t, r, data) }
		}},
		{"/proc/self/fd/N (what /dev/stdout is): the pipe gets the bytes", func(t *testing.T, dir string) (string, func(t *testing.T)) {
			p, r := fdLink(t, dir)
			return p, func(t *testing.T) {
				if st, err := os.Lstat(p); err != nil || st.Mode()&os.ModeSymlink == 0 {
					t.Fatalf("the link is gone: %v, %v", st, err)
				}
				wantRead(t, r, data)
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
	fp, r := fifo(t, dir)
	f, err := Append(fp, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("line\n")
	f.Close()
	wantRead(t, r, []byte("line\n"))
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

func wantCharDevice(t *testing.T, p string) {
	t.Helper()
	st, err := os.Lstat(p)
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("%s is no longer a char device: %v, %v", p, st.Mode(), err)
	}
}

// wantRead reads what is in r now (the writer has closed its end).
func wantRead(t *testing.T, r *os.File, want []byte) {
	t.Helper()
	buf := make([]byte, 4096)
	n, err := r.Read(buf)
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatalf("read: %v", err)
	}
	if string(buf[:n]) != string(want) {
		t.Fatalf("read %q, want %q", buf[:n], want)
	}
}
