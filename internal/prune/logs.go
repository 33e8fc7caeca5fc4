package prune

import (
	"cmp"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/dockctl/dockctl/internal/inspect"
)

// JSONFileDriver is the only logging driver whose files `prune logs`
// touches; the local driver's files are a framed binary format read back
// by offset, and other drivers' files are none of dockctl's business.
//
// When the live file may be truncated (moby daemon/logger/loggerutils,
// logfile.go): NewLogFile opens it O_WRONLY|O_APPEND, so every write
// lands at the file's current end and, after a truncation to 0, the next
// line is written at offset 0. But rotate() reopens it
// O_WRONLY|O_TRUNC|O_CREATE, without O_APPEND: from the first rotation
// on, the writer keeps its own offset, and a truncation only punches a
// hole (the file keeps its apparent size, readers meet NUL bytes). Seen
// on Docker 20.10: /proc/<dockerd>/fdinfo shows flags 02100001 after a
// rotation. A log rotates only with max-size set, so the live file is
// truncated only when the container has no max-size; with one, only the
// rotated files are removed (the live file is bounded by max-size).
const JSONFileDriver = "json-file"

// logs plans the json-file logs of running containers whose files
// together are larger than LogsLargerThan: with no max-size, the live
// file is truncated and any rotation removed; with max-size, the
// rotations are removed. A stopped container is kept: removing it (prune
// containers) frees its log, and nothing writes to it.
func (pl *planner) logs() {
	if !pl.scope[inspect.KindLogs] {
		return
	}
	cs := sortedContainers(pl.inv.Containers, func(a, b *inspect.Container) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID))
	})
	for _, c := range cs {
		total, known := logBytes(c.LogFiles)
		if why := pl.keepLog(c, total, known); why != "" {
			pl.keep(TypeLog, c.ID, c.Name, why)
			continue
		}
		reason := fmt.Sprintf("json-file log %s larger than %s; ", fmtBytes(total), fmtBytes(pl.pol.LogsLargerThan))
		it := Item{Type: TypeLog, ID: c.ID, Name: c.Name, Files: append([]inspect.LogFile(nil), c.LogFiles...)}
		freed := total
		if c.LogMaxSize == "" {
			it.TruncateLive = true
			reason += "no max-size set"
		} else {
			freed, _ = logBytes(c.LogFiles[1:])
			reason += fmt.Sprintf("max-size %s: %d rotated files removed, the live file kept (written without O_APPEND after a rotation)", c.LogMaxSize, len(c.LogFiles)-1)
		}
		it.Reason = reason
		pl.sized(&it, freed)
		pl.add(it)
	}
}

// logBytes sums a container's log files; known is false when a size is
// unknown.
func logBytes(files []inspect.LogFile) (total int64, known bool) {
	known = true
	for _, f := range files {
		if f.Bytes < 0 {
			known = false
			continue
		}
		total += f.Bytes
	}
	return total, known
}

func (pl *planner) keepLog(c inspect.Container, total int64, known bool) string {
	switch {
	case c.LogDriver != JSONFileDriver:
		if c.LogDriver == "" {
			return "log driver unknown"
		}
		return "log driver " + c.LogDriver + " (only json-file logs are truncated)"
	case len(c.LogFiles) == 0:
		return "no json-file log found"
	case !c.Active():
		return "not running (" + c.State + "): removing the container frees its log"
	}
	if f, ok := pl.filter(inspect.KindContainers); ok && !f.Container(c) {
		return outsideFilter
	}
	if why := pl.guard.protects(c.Labels, []string{c.Name}, nil); why != "" {
		return why
	}
	if !known {
		return "log size unknown"
	}
	if total <= pl.pol.LogsLargerThan {
		return fmt.Sprintf("log %s not larger than %s", fmtBytes(total), fmtBytes(pl.pol.LogsLargerThan))
	}
	if c.LogMaxSize != "" && len(c.LogFiles) == 1 {
		return fmt.Sprintf("max-size %s and no rotated file: the live file is not truncated (written without O_APPEND after a rotation)", c.LogMaxSize)
	}
	return ""
}

// checkLogItem checks a saved plan's log item: the live file and its
// rotations, all beside each other by absolute path.
func checkLogItem(it Item) error {
	if len(it.Files) == 0 {
		return fmt.Errorf("a log item needs its files")
	}
	live := it.Files[0].Path
	if !filepath.IsAbs(live) || filepath.Clean(live) != live {
		return fmt.Errorf("log file %q is not a clean absolute path", live)
	}
	for _, f := range it.Files[1:] {
		if filepath.Dir(f.Path) != filepath.Dir(live) || !inspect.LogRotation(filepath.Base(live), filepath.Base(f.Path)) {
			return fmt.Errorf("%q is not a rotation of %q", f.Path, live)
		}
	}
	return nil
}
