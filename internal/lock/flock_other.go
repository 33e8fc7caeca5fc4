//go:build !unix

package lock

import (
	"os"
	"path/filepath"
)

// SharedDir is the folder dockctl keeps its prune locks in.
func SharedDir() string { return filepath.Join(os.TempDir(), "dockctl-locks") }

// Elsewhere the lock is advisory only: every prune gets it.
type otherLock struct{}

func openLockFile(dir, name string) (lockFile, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return otherLock{}, nil
}

func (otherLock) tryLock() (bool, error) { return true, nil }
func (otherLock) unlock()                {}
func (otherLock) writePID()              {}
func (otherLock) read() string           { return "" }
func (otherLock) close() error           { return nil }
