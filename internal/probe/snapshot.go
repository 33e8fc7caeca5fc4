package probe

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dockctl/dockctl/internal/inspect"
)

// storeLayers takes a container's writable layer and init layer from the
// containerd store's graph: the usage of snapshots <id> and <id>-init in
// the engine's containers namespace, as the engine computes SizeRw from
// the first (daemon/containerd GetContainerLayerSize). ok is false when
// the graph has no snapshot <id>.
func (p *Probe) storeLayers(g *inspect.StoreGraph, id string) (rw, init int64, ok bool) {
	if g == nil || id == "" {
		return 0, 0, false
	}
	o, ok := g.Objects[inspect.SnapshotKey(p.namespace, g.Snapshotter, id)]
	if !ok || o.Bytes < 0 {
		return 0, 0, false
	}
	if i, ok := g.Objects[inspect.SnapshotKey(p.namespace, g.Snapshotter, id+"-init")]; ok {
		init = max(i.Bytes, 0)
	}
	return o.Bytes, init, true
}

// snapshotUpperDir finds the upper dir of a running container's rootfs on
// the containerd image store, from the overlay mount its process sees as
// "/" (/proc/<pid>/mountinfo), where the containerd store's graph was not
// read. A stopped container's snapshot is named only in containerd's
// metadata, which the probe reads through containerd (Store) but never
// from its database: without the graph it says why instead (the second
// result), and callers take SizeRw from the engine.
func (p *Probe) snapshotUpperDir(pid int) (string, string) {
	if pid == 0 {
		return "", "not running: the containerd image store names a stopped container's writable layer only in containerd's database"
	}
	mi := filepath.Join(p.proc, strconv.Itoa(pid), "mountinfo")
	f, err := os.Open(mi)
	if err != nil {
		return "", fmt.Sprintf("cannot read the container's mounts (%v): run dockctl in the engine host's PID namespace", unwrapPath(err))
	}
	defer f.Close()
	upper, ok := rootUpperDir(bufio.NewScanner(f))
	if !ok {
		return "", fmt.Sprintf("%s shows no overlay mount at / with an upperdir", mi)
	}
	return upper, ""
}

// rootUpperDir reads mountinfo lines (proc(5): "id parent major:minor root
// mountpoint options [optional…] - fstype source superoptions") and
// returns the upperdir of the overlay mounted at "/".
func rootUpperDir(sc *bufio.Scanner) (string, bool) {
	for sc.Scan() {
		before, after, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		pre, post := strings.Fields(before), strings.Fields(after)
		if len(pre) < 5 || len(post) < 3 || pre[4] != "/" || post[0] != "overlay" {
			continue
		}
		for _, opt := range strings.Split(post[2], ",") {
			if v, ok := strings.CutPrefix(opt, "upperdir="); ok {
				return unescapeMountinfo(v), true
			}
		}
	}
	return "", false
}

// unescapeMountinfo undoes the kernel's octal escapes (\040 for a space,
// \011, \012, \134) in mountinfo paths.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
