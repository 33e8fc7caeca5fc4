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
// Only rotated files (<id>-json.log.1, .2.gz…) are ever removed, never
// the live file. moby's json-file writer (daemon/logger/loggerutils,
// logfile.go) keeps the live file's size in memory (LogFile.pos.size) and
// `docker logs`, with or without -f, reads the file up to that size and
// follows from it: a live file emptied behind the engine's back shows no
// new line until it grows past its old size or rotates (seen on Docker
// 29). Without max-size it never rotates, so emptying it would blind
// `docker logs` for good; with max-size, rotate() reopens it without
// O_APPEND (seen on 20.10: fdinfo flags 02100001), where emptying it
// leaves a hole of NUL bytes. A log without max-size is kept, with the
// way to bound it; with max-size, its rotations are removed.
const JSONFileDriver = "json-file"

// logs plans the rotated json-file logs of running containers whose log
// files together are larger than LogsLargerThan. A container without
// max-size is kept (its live file cannot be emptied safely, and it has no
// rotation). A stopped container is kept: removing it (prune containers)
// frees its log, and nothing writes to it.
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
		it := Item{Type: TypeLog, ID: c.ID, Name: c.Name, Files: append([]inspect.LogFile(nil), c.LogFiles...),
			Reason: fmt.Sprintf("json-file log %s larger than %s; max-size %s: %d rotated files removed, the live file kept",
				fmtBytes(total), fmtBytes(pl.pol.LogsLargerThan), c.LogMaxSize, len(c.LogFiles)-1)}
		freed, _ := logBytes(c.LogFiles[1:])
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
		return "log driver " + c.LogDriver + " (only json-file logs are pruned)"
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
	if c.LogMaxSize == "" {
		return fmt.Sprintf("json-file log %s without max-size: emptying the live file would stop docker logs showing new lines "+
			"(moby reads up to the size it last wrote); recreate the container with --log-opt max-size=10m --log-opt max-file=3", fmtBytes(total))
	}
	if len(c.LogFiles) == 1 {
		return fmt.Sprintf("json-file log %s with max-size %s and no rotated file: only rotated files are removed, never the live one", fmtBytes(total), c.LogMaxSize)
	}
	return ""
}

// checkLogItem checks a saved plan's log item: the live file and its
// rotations, all beside each other by absolute path. A plan saved by a
// dockctl that emptied live logs (truncate_live) is refused, not applied
// in part: what it was approved for is no longer done.
func checkLogItem(it Item) error {
	if it.legacyTruncateLive {
		return fmt.Errorf("log item of container %s asks to empty the live log file (truncate_live), which dockctl no longer does: "+
			"docker logs would stop showing new lines; plan again", it.Name)
	}
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
