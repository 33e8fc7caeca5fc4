package prune

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/dockctl/dockctl/internal/inspect"
)

// LogFS is the file system as `prune logs` acts on it: the only writes
// dockctl makes under the engine's root dir. Apply checks every file
// through it (Lstat) before it changes any; OSLogFS is the real one.
type LogFS interface {
	// Local maps a path the engine reported (inspect's LogPath) to where
	// dockctl reads it; false when it is not visible here.
	Local(enginePath string) (string, bool)
	// ContainersDir is the engine's containers dir as seen here: every
	// file a log item names must be in <ContainersDir>/<container id>.
	ContainersDir() string
	// Lstat is os.Lstat: a symbolic link is reported as itself.
	Lstat(path string) (fs.FileInfo, error)
	// Remove removes the file at path (a link itself, never its target).
	Remove(path string) error
}

// OSLogFS is LogFS on this machine's file system.
type OSLogFS struct {
	// Containers is the engine's containers dir as seen here.
	Containers string
	// Map is Local (the local storage probe's mapping of engine paths).
	Map func(enginePath string) (string, bool)
}

var _ LogFS = OSLogFS{}

// Local implements LogFS.
func (o OSLogFS) Local(p string) (string, bool) { return o.Map(p) }

// ContainersDir implements LogFS.
func (o OSLogFS) ContainersDir() string { return o.Containers }

// Lstat implements LogFS.
func (OSLogFS) Lstat(path string) (fs.FileInfo, error) { return os.Lstat(path) }

// Remove implements LogFS.
func (OSLogFS) Remove(path string) error { return os.Remove(path) }

// dryLogFS reads through to the file system and changes nothing.
type dryLogFS struct{ LogFS }

func (dryLogFS) Remove(string) error { return nil }

// log removes the rotations of a container's json-file log, never its
// live file (see JSONFileDriver), after checking again that the plan
// still describes them: the container
// exists with the plan's id, is running, logs with json-file to the same
// LogPath, no guard protects it now, and each file is a regular file in
// the container's own dir under the engine's containers dir. Nothing is
// changed unless every check passes. A rotation already gone is passed
// over (the engine rotates and deletes them itself).
func (r *run) log(it Item) Outcome {
	lfs := r.opts.Logs
	if lfs == nil {
		return r.failed(it, errors.New("the engine's root dir is not readable here: cannot remove rotated logs"))
	}
	info, err := r.c.ContainerInspect(r.call, it.ID)
	if notFound(err) {
		return r.gone(it, alreadyGone)
	}
	if err != nil {
		return r.failed(it, fmt.Errorf("inspecting container %s: %w", it.Name, err))
	}
	if info.ContainerJSONBase == nil {
		return r.gone(it, alreadyGone)
	}
	if info.ID != "" && info.ID != it.ID {
		return r.skipped(it, "the plan's id %s does not name container %s exactly", it.ID, shortID(info.ID))
	}
	var labels map[string]string
	if info.Config != nil {
		labels = info.Config.Labels
	}
	name := it.Name
	if info.Name != "" {
		name = strings.TrimPrefix(info.Name, "/")
	}
	if o, stop := r.guarded(it, labels, []string{name}, nil); stop {
		return o
	}
	if info.State == nil || !info.State.Running {
		status := "stopped"
		if info.State != nil && info.State.Status != "" {
			status = info.State.Status
		}
		return r.skipped(it, "now %s: removing the container frees its log", status)
	}
	driver := ""
	if info.HostConfig != nil {
		driver = info.HostConfig.LogConfig.Type
	}
	if driver != JSONFileDriver {
		return r.skipped(it, "log driver now %q: only json-file logs are pruned", driver)
	}
	live, ok := lfs.Local(info.LogPath)
	if !ok || len(it.Files) == 0 || live != it.Files[0].Path {
		return r.skipped(it, "log path now %q, not the plan's", info.LogPath)
	}
	dir := filepath.Join(lfs.ContainersDir(), it.ID)
	var rotations []string
	for i, f := range it.Files {
		if filepath.Dir(f.Path) != dir || (i > 0 && !inspect.LogRotation(filepath.Base(live), filepath.Base(f.Path))) {
			return r.skipped(it, "%s is not a log file of container %s in %s", f.Path, shortID(it.ID), lfs.ContainersDir())
		}
		st, err := lfs.Lstat(f.Path)
		switch {
		case errors.Is(err, fs.ErrNotExist) && i > 0:
			continue
		case errors.Is(err, fs.ErrNotExist):
			return r.skipped(it, "log file %s is gone", f.Path)
		case err != nil:
			return r.failed(it, fmt.Errorf("checking log file: %w", err))
		case !st.Mode().IsRegular():
			return r.skipped(it, "%s is not a regular file (%s)", f.Path, st.Mode().Type())
		}
		if i > 0 {
			rotations = append(rotations, f.Path)
		}
	}
	for _, p := range rotations {
		if err := lfs.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return r.failed(it, fmt.Errorf("removing rotated log of container %s: %w", it.Name, err))
		}
	}
	return r.removed(it)
}
