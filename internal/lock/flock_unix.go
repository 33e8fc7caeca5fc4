//go:build unix

package lock

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// SharedDir is the folder every dockctl on this host keeps its prune locks
// in. It is not os.TempDir: TMPDIR differs per user and per session, and
// the lock must be the same for all of them.
func SharedDir() string { return "/tmp/dockctl-locks" }

type unixLock struct {
	fd int
	// writable is false when the file could only be opened read-only
	// (another user's file, not writable for us): flock still works, the
	// pid is not recorded.
	writable bool
}

// openLockFile opens (creating it if needed) the lock file name in dir
// without following a symlink at either step.
func openLockFile(dir, name string) (lockFile, error) {
	dfd, err := openDir(dir)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dfd)
	path := filepath.Join(dir, name)
	const flags = unix.O_NOFOLLOW | unix.O_NONBLOCK | unix.O_CLOEXEC
	for range 10 {
		writable := true
		fd, err := unix.Openat(dfd, name, unix.O_RDWR|flags, 0)
		if errors.Is(err, unix.EACCES) {
			writable = false
			fd, err = unix.Openat(dfd, name, unix.O_RDONLY|flags, 0)
		}
		if errors.Is(err, unix.ENOENT) {
			// O_EXCL: a file another process creates between the two
			// calls is opened on the next turn, not taken over.
			fd, err = unix.Openat(dfd, name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|flags, 0o666)
			if errors.Is(err, unix.EEXIST) {
				continue
			}
			if err == nil {
				// Any user's prune must be able to write its pid in.
				_ = unix.Fchmod(fd, 0o666)
			}
		}
		if err != nil {
			if errors.Is(err, unix.ELOOP) {
				return nil, fmt.Errorf("opening lock %s: it is a symbolic link; remove it", path)
			}
			return nil, fmt.Errorf("opening lock %s: %w", path, err)
		}
		var st unix.Stat_t
		if err := unix.Fstat(fd, &st); err != nil {
			unix.Close(fd)
			return nil, fmt.Errorf("opening lock %s: %w", path, err)
		}
		if st.Mode&unix.S_IFMT != unix.S_IFREG {
			unix.Close(fd)
			return nil, fmt.Errorf("opening lock %s: not a regular file; remove it", path)
		}
		return &unixLock{fd: fd, writable: writable}, nil
	}
	return nil, fmt.Errorf("opening lock %s: it keeps being created and removed", path)
}

// openDir creates dir as a sticky world-writable folder when it is
// missing, and opens it without following a symlink. A folder that is
// neither ours nor sticky and world-writable (another user's) is refused:
// its owner could swap the lock files.
func openDir(dir string) (int, error) {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return -1, fmt.Errorf("creating lock folder: %w", err)
	}
	if err := unix.Mkdir(dir, 0o1777); err == nil {
		// The umask took bits off.
		if err := unix.Chmod(dir, 0o1777); err != nil {
			return -1, fmt.Errorf("creating lock folder %s: %w", dir, err)
		}
	} else if !errors.Is(err, unix.EEXIST) {
		return -1, fmt.Errorf("creating lock folder %s: %w", dir, err)
	}
	dfd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
			return -1, fmt.Errorf("opening lock folder %s: not a folder (a symbolic link?); remove it", dir)
		}
		return -1, fmt.Errorf("opening lock folder %s: %w", dir, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(dfd, &st); err != nil {
		unix.Close(dfd)
		return -1, fmt.Errorf("opening lock folder %s: %w", dir, err)
	}
	shared := st.Mode&0o1002 == 0o1002
	if int(st.Uid) != os.Geteuid() && st.Uid != 0 && !shared {
		unix.Close(dfd)
		return -1, fmt.Errorf("lock folder %s belongs to uid %d and is not world-writable with the sticky bit; remove it", dir, st.Uid)
	}
	return dfd, nil
}

func (l *unixLock) tryLock() (bool, error) {
	err := unix.Flock(l.fd, unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

func (l *unixLock) unlock() { _ = unix.Flock(l.fd, unix.LOCK_UN) }

func (l *unixLock) writePID() {
	if !l.writable {
		return
	}
	_ = unix.Ftruncate(l.fd, 0)
	_, _ = unix.Pwrite(l.fd, []byte(strconv.Itoa(os.Getpid())+"\n"), 0)
}

func (l *unixLock) read() string {
	b := make([]byte, 32)
	n, _ := unix.Pread(l.fd, b, 0)
	return string(b[:max(n, 0)])
}

func (l *unixLock) close() error { return unix.Close(l.fd) }
