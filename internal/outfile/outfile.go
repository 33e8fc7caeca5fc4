package outfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/moby/sys/atomicwriter"
)

// ErrIsDirectory is Check's and WriteFile's answer for a directory.
var ErrIsDirectory = errors.New("is a directory, not a file")

// Check refuses, before any work is done, a path no file can be written
// to: a directory, or a file in a folder that does not exist. Its errors
// do not repeat the path: the caller names it as the user gave it.
func Check(path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return ErrIsDirectory
	}
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("no such folder %s", dir)
	}
	return nil
}

// WriteFile writes data to path, atomically where path is (or names, by a
// symlink) a regular file or nothing yet, in place where it is anything
// else. perm is the mode of a file it creates.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	target, inPlace, err := resolve(path)
	if err != nil {
		return err
	}
	if !inPlace {
		return atomicwriter.WriteFile(target, data, perm)
	}
	f, err := openInPlace(path, perm)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Append opens path to append to it (--log: one line per removal as it
// happens), creating it with perm if needed; a directory is an error.
func Append(path string, perm os.FileMode) (*os.File, error) {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, ErrIsDirectory
	}
	return openInPlace(path, perm)
}

// openInPlace opens path for writing without replacing it. It appends
// rather than truncates: /dev/stdout of a process whose stdout is a file
// (> or >>) must get its bytes after what the file holds, as the shell's
// own writes would, and devices and FIFOs have no length to truncate.
func openInPlace(path string, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, perm)
}

// maxHops bounds the symlinks followed, as the kernel's ELOOP does.
const maxHops = 40

// resolve decides how path is written: the path to replace atomically, or
// inPlace for anything that is not a regular file reached by name.
func resolve(path string) (target string, inPlace bool, err error) {
	cur := path
	for hop := 0; ; hop++ {
		if special(cur) {
			return path, true, nil
		}
		st, err := os.Lstat(cur)
		switch {
		case errors.Is(err, os.ErrNotExist):
			if cur != path {
				// A dangling symlink: create what it points to, as a
				// shell's > does.
				return path, true, nil
			}
			return path, false, nil
		case err != nil:
			return "", false, err
		case st.Mode().IsRegular():
			if cur == path {
				return path, false, nil
			}
			real, err := filepath.EvalSymlinks(path)
			if err != nil {
				return "", false, err
			}
			return real, false, nil
		case st.IsDir():
			return "", false, ErrIsDirectory
		case st.Mode()&os.ModeSymlink == 0:
			return path, true, nil // a device, a FIFO, a socket
		case hop == maxHops:
			return "", false, fmt.Errorf("%s: too many levels of symbolic links", path)
		}
		link, err := os.Readlink(cur)
		if err != nil {
			return "", false, err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(cur), link)
		}
		cur = link
	}
}

// special reports whether p lies in /dev or /proc, whose entries stand for
// devices and open files (/dev/stdout is /proc/self/fd/1): renaming a file
// over one would replace the name, not write to the file.
func special(p string) bool {
	abs, err := filepath.Abs(p)
	if err != nil {
		return false
	}
	for _, dir := range []string{"/dev/", "/proc/"} {
		if strings.HasPrefix(abs+"/", dir) {
			return true
		}
	}
	return false
}
