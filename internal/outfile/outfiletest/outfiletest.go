// Package outfiletest makes the files that are not regular files which
// output tests write to: a null device node, a FIFO, a pipe named the way
// /dev/stdout names one. Tests use their own, in their own folder, never
// the system's /dev/null or /dev/stdout: a regression must not replace
// the machine's own.
package outfiletest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// NullDevice makes a null device (major 1, minor 3, what /dev/null is)
// named name in dir; the test is skipped where device nodes cannot be made
// (not root).
func NullDevice(t testing.TB, dir, name string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := syscall.Mknod(p, syscall.S_IFCHR|0o666, 1<<8|3); err != nil {
		t.Skipf("cannot make a device node here (needs root): %v", err)
	}
	return p
}

// FIFO makes a FIFO named name in dir with its read end open, so that a
// writer can open it without waiting, and returns a read of what it holds
// now, which does not wait for more (a test that fails does not hang).
func FIFO(t testing.TB, dir, name string) (string, func() string) {
	t.Helper()
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
	return p, func() string {
		buf := make([]byte, 1<<16)
		n, _ := r.Read(buf)
		return string(buf[:max(n, 0)])
	}
}

// StdoutLink makes a pipe named by a symlink name in dir to
// /proc/self/fd/N (what /dev/stdout is when stdout is a pipe), and returns
// a read of what the pipe got, which closes the write end first so that it
// does not wait for more.
func StdoutLink(t testing.TB, dir, name string) (string, func() string) {
	t.Helper()
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

// WantSymlink fails the test unless p is (still) a symlink.
func WantSymlink(t testing.TB, p string) {
	t.Helper()
	if st, err := os.Lstat(p); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("%s is no longer a symlink: %v, %v", p, st, err)
	}
}

// WantCharDevice fails the test unless p is (still) a character device.
func WantCharDevice(t testing.TB, p string) {
	t.Helper()
	st, err := os.Lstat(p)
	if err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("%s is no longer a char device: %v, %v", p, st, err)
	}
}
