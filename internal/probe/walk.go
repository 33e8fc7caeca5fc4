package probe

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// Warning is a path the probe could not read. The walk goes on without it:
// one unreadable file must not cost the whole measurement (moby's
// directory.Size gives up the whole size instead; du goes on and says so).
type Warning struct {
	Path string `json:"path"`
	Err  string `json:"error"`
}

// visitFunc sees one entry of a walk with its lstat result.
type visitFunc func(path string, st *unix.Stat_t)

// walkOptions say how walk descends.
type walkOptions struct {
	// xdev keeps the walk on the root's filesystem: an entry on another
	// device is neither visited nor descended into, mount point included,
	// as `du -x` does (GNU du with -x does not count the mount point
	// directory itself: checked against `du -sbx` by TestRuleDu).
	xdev bool
	// dev is the device -x compares with; 0 means the root's own.
	dev uint64
}

// walk visits root and everything under it, depth first, never following
// symbolic links (lstat everywhere: du, moby's filepath.Walk and
// containerd's continuity all do the same). Entries that vanish mid-walk
// are skipped silently, as both du and moby do; anything else unreadable
// becomes a warning and the walk goes on. The error is the root's own
// lstat failure or the context's.
func walk(ctx context.Context, root string, opt walkOptions, visit visitFunc) ([]Warning, error) {
	var st unix.Stat_t
	if err := unix.Lstat(root, &st); err != nil {
		return nil, &fs.PathError{Op: "lstat", Path: root, Err: err}
	}
	if opt.dev == 0 {
		opt.dev = st.Dev
	}
	if opt.xdev && st.Dev != opt.dev {
		return nil, nil
	}
	w := walker{ctx: ctx, opt: opt, visit: visit}
	w.descend(root, &st)
	return w.warnings, ctx.Err()
}

type walker struct {
	ctx      context.Context
	opt      walkOptions
	visit    visitFunc
	warnings []Warning
}

func (w *walker) warn(path string, err error) {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	w.warnings = append(w.warnings, Warning{Path: path, Err: err.Error()})
}

func (w *walker) descend(path string, st *unix.Stat_t) {
	if w.ctx.Err() != nil {
		return
	}
	w.visit(path, st)
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return
	}
	f, err := os.Open(path)
	if err != nil {
		w.warn(path, err)
		return
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		// Readdirnames returns what it read before the error: walk those.
		w.warn(path, err)
	}
	for _, name := range names {
		child := filepath.Join(path, name)
		var cst unix.Stat_t
		if err := unix.Lstat(child, &cst); err != nil {
			if !errors.Is(err, unix.ENOENT) {
				w.warn(child, err)
			}
			continue
		}
		if w.opt.xdev && cst.Dev != w.opt.dev {
			continue
		}
		w.descend(child, &cst)
	}
}

// A rule is one way of turning a walk into bytes. Each mirrors a program
// whose figure the probe must match exactly; none copies its code.
type rule interface {
	add(path string, st *unix.Stat_t)
	total() int64
}

// mobySize counts as moby's directory.Size (pkg/directory in 20.10,
// daemon/internal/directory in current moby) and archive.ChangesSize do:
// the apparent size (st_size) of every entry that is not a directory,
// symbolic links by their own size, zero-size entries skipped (so
// whiteouts, character devices 0/0 or empty .wh. files, add nothing), and
// an inode seen before skipped — keyed by inode number alone, as moby
// keys it. This is how the engine sizes a local volume (UsageData.Size)
// and, for overlay2 and fuse-overlayfs, a container's writable layer
// (SizeRw: overlay2's DiffSize walks the upper dir with directory.Size;
// fuse-overlayfs's naive DiffSize sums archive.ChangesSize over the
// added and modified paths, which in an upper dir are its non-directory
// entries; deletions count nothing in either).
type mobySize struct {
	seen  map[uint64]struct{}
	bytes int64
}

func newMobySize() *mobySize { return &mobySize{seen: map[uint64]struct{}{}} }

func (m *mobySize) total() int64 { return m.bytes }

func (m *mobySize) add(_ string, st *unix.Stat_t) {
	if st.Mode&unix.S_IFMT == unix.S_IFDIR || st.Size == 0 {
		return
	}
	if _, ok := m.seen[st.Ino]; ok {
		return
	}
	m.seen[st.Ino] = struct{}{}
	m.bytes += st.Size
}

// blockUsage counts as containerd's continuity fs.DiskUsage, which the
// containerd snapshotters' Usage returns for an active snapshot — so
// SizeRw on an engine with the containerd image store: every entry, the
// root and directories included, by allocated blocks (st_blocks × 512),
// each (device, inode) once. A sparse file counts only what is allocated.
type blockUsage struct {
	seen  map[devIno]struct{}
	bytes int64
}

func newBlockUsage() *blockUsage { return &blockUsage{seen: map[devIno]struct{}{}} }

func (b *blockUsage) total() int64 { return b.bytes }

func (b *blockUsage) add(_ string, st *unix.Stat_t) {
	k := devIno{st.Dev, st.Ino}
	if _, ok := b.seen[k]; ok {
		return
	}
	b.seen[k] = struct{}{}
	b.bytes += st.Blocks * 512
}

// devIno identifies an inode across filesystems.
type devIno struct{ dev, ino uint64 }

// inodeSet is a set of (device, inode) pairs shared by concurrent walks.
type inodeSet struct {
	mu   sync.Mutex
	seen map[devIno]struct{}
}

func newInodeSet() *inodeSet { return &inodeSet{seen: map[devIno]struct{}{}} }

// first reports whether st's inode was not in the set, and adds it.
func (s *inodeSet) first(st *unix.Stat_t) bool {
	k := devIno{st.Dev, st.Ino}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[k]; ok {
		return false
	}
	s.seen[k] = struct{}{}
	return true
}

// duSize counts as `du -sbx` (GNU coreutils du, -b = --apparent-size
// --block-size=1): every entry, directories and the root included, by
// st_size, each (device, inode) once however many hard links reach it (du
// without -l), entries on other filesystems left out by walk's xdev.
// seen may be shared by walks of sibling subtrees so that a file
// hard-linked into two of them counts once in their sum, as in one du.
type duSize struct {
	seen  *inodeSet
	bytes int64
}

func (d *duSize) add(_ string, st *unix.Stat_t) {
	if d.seen.first(st) {
		d.bytes += st.Size
	}
}
