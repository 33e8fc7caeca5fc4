package lock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Lock is a held engine lock.
type Lock struct {
	f lockFile
}

// Path is the lock file for the engine known as key inside dir.
func Path(dir, key string) string {
	return filepath.Join(dir, fileName(key))
}

func fileName(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "prune-" + hex.EncodeToString(sum[:8]) + ".lock"
}

// Acquire takes the lock for the engine known as key in dir, creating dir
// (mode 1777) when it is missing. When another process holds it, waiting
// is called once with that process's pid (0 if unknown), and Acquire waits
// until the lock is free or ctx ends.
func Acquire(ctx context.Context, dir, key string, waiting func(pid int)) (*Lock, error) {
	f, err := openLockFile(dir, fileName(key))
	if err != nil {
		return nil, err
	}
	told := false
	for {
		ok, err := f.tryLock()
		if err != nil {
			f.close()
			return nil, fmt.Errorf("locking %s: %w", Path(dir, key), err)
		}
		if ok {
			f.writePID()
			return &Lock{f: f}, nil
		}
		if !told && waiting != nil {
			told = true
			pid, _ := strconv.Atoi(strings.TrimSpace(f.read()))
			waiting(pid)
		}
		select {
		case <-ctx.Done():
			f.close()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Release lets the next prune go.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	l.f.unlock()
	err := l.f.close()
	l.f = nil
	return err
}

// lockFile is an open lock file; the unix one is opened without following
// links.
type lockFile interface {
	tryLock() (bool, error)
	unlock()
	// writePID records the holder's pid for the next prune's message;
	// best effort.
	writePID()
	read() string
	close() error
}
