// Package lock keeps two dockctl prunes from deleting on the same engine at
// once: a lock file per engine in the user's cache dir, held with flock for
// the length of the removals.
package lock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Lock is a held engine lock.
type Lock struct {
	f *os.File
}

// Path is the lock file for the engine at host inside dir.
func Path(dir, host string) string {
	sum := sha256.Sum256([]byte(host))
	return filepath.Join(dir, "prune-"+hex.EncodeToString(sum[:8])+".lock")
}

// Acquire takes the lock for host. When another process holds it, waiting
// is called once with that process's pid (0 if unknown), and Acquire waits
// until the lock is free or ctx ends.
func Acquire(ctx context.Context, dir, host string, waiting func(pid int)) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating lock folder: %w", err)
	}
	path := Path(dir, host)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("opening lock %s: %w", path, err)
	}
	told := false
	for {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		if ok {
			f.Truncate(0)
			f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
			return &Lock{f: f}, nil
		}
		if !told && waiting != nil {
			told = true
			b, _ := os.ReadFile(path)
			pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
			waiting(pid)
		}
		select {
		case <-ctx.Done():
			f.Close()
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
	unlock(l.f)
	return l.f.Close()
}
