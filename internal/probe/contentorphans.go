package probe

import (
	"context"
	// go-digest validates a digest only with its hash registered.
	_ "crypto/sha256"
	_ "crypto/sha512"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/opencontainers/go-digest"
	"golang.org/x/sys/unix"

	"github.com/dockctl/dockctl/internal/inspect"
)

// containerdDir is where the engine's own containerd keeps its state
// here (<root>/containerd/daemon): moby runs containerd with its root
// there unless it is pointed at a containerd of the host's.
func (p *Probe) containerdDir() string { return filepath.Join(p.local, "containerd", "daemon") }

// ContainerdStore reports whether the engine keeps its images in
// containerd (the containerd image store) rather than a graph driver.
func (p *Probe) ContainerdStore() bool { return p.containerd }

// BlobsDir is the content store's blobs dir here
// (<root>/containerd/daemon/io.containerd.content.v1.content/blobs): one
// dir per digest algorithm, one file per blob, named by its digest's hex.
func (p *Probe) BlobsDir() string {
	return filepath.Join(p.containerdDir(), "io.containerd.content.v1.content", "blobs")
}

// SnapshotsDir is the snapshotter's dir of snapshots here
// (<root>/containerd/daemon/io.containerd.snapshotter.v1.<snapshotter>/snapshots),
// one numbered dir per snapshot.
func (p *Probe) SnapshotsDir() string {
	return filepath.Join(p.containerdDir(), "io.containerd.snapshotter.v1."+p.driver, "snapshots")
}

// BlobOrphans lists, on the containerd image store, the content store's
// blob files (BlobsDir) whose digest no containerd namespace knows, each
// sized as `du -sbx` sizes it (the file's size). Only the blobs are
// checked: the snapshot dirs are numbered by the snapshotter's own
// database, which containerd keeps locked while it runs, so which
// snapshot key a dir belongs to cannot be read here (see SnapshotsDir).
//
// Which digests containerd knows is the graph's (Store): every blob any
// namespace's metadata records. containerd's collector deletes a file no
// namespace records, though only when it next removes content
// (containerd's metadata contentStore.garbageCollect, run after a sweep
// that deleted a blob's record), so such a file lasts until then.
//
// containerd writes a blob in the ingest dir (left out here), renames it
// into the blobs dir and records it; it deletes the record first and the
// file later. So a file being committed or removed looks unknown for a
// moment: the graph is read before and after the files are listed and
// sized, and a file is an orphan only when neither reading knows its
// digest and it is still there. Callers that can should ask twice and
// keep what both answers list. It returns an error when the engine keeps
// images in a graph driver, when the graph cannot be read (a
// *StoreUnavailable) and when the blobs dir is not here (the engine uses
// a containerd of the host's, whose root the probe does not know).
func (p *Probe) BlobOrphans(ctx context.Context) ([]Orphan, error) {
	if !p.containerd {
		return nil, fmt.Errorf("listing the content store's blobs: driver %q keeps images in a graph driver, not containerd", p.driver)
	}
	return blobOrphans(ctx, p.BlobsDir(), func(ctx context.Context) (*inspect.StoreGraph, error) {
		g, err := p.Store(ctx)
		if err == nil && g == nil {
			err = errors.New("the engine keeps no containerd image store")
		}
		return g, err
	})
}

// blobOrphans is BlobOrphans over the blobs dir dir, reading the graph
// with read.
func blobOrphans(ctx context.Context, dir string, read func(context.Context) (*inspect.StoreGraph, error)) ([]Orphan, error) {
	before, err := read(ctx)
	if err != nil {
		return nil, err
	}
	files, err := blobFiles(dir)
	if err != nil {
		return nil, err
	}
	var out []Orphan
	for _, o := range files {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if _, ok := before.Objects[inspect.ContentKey(o.Name)]; ok {
			continue
		}
		var st unix.Stat_t
		if err := unix.Lstat(o.Path, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFREG {
			continue
		}
		o.Bytes = st.Size
		out = append(out, o)
	}
	if len(out) == 0 {
		return []Orphan{}, nil
	}
	after, err := read(ctx)
	if err != nil {
		return nil, err
	}
	kept := out[:0]
	for _, o := range out {
		if _, ok := after.Objects[inspect.ContentKey(o.Name)]; ok {
			continue
		}
		if _, err := os.Lstat(o.Path); err != nil {
			continue
		}
		kept = append(kept, o)
	}
	sort.Slice(kept, func(i, j int) bool {
		if kept[i].Bytes != kept[j].Bytes {
			return kept[i].Bytes > kept[j].Bytes
		}
		return kept[i].Name < kept[j].Name
	})
	return kept, nil
}

// blobFiles lists the blob files under dir (<alg>/<hex>), each named by
// its digest ("sha256:<hex>"). A name that is no valid digest is skipped,
// as containerd's content store skips it: it is no blob, and containerd
// never removes it.
func blobFiles(dir string) ([]Orphan, error) {
	algs, err := readNames(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("listing the content store's blobs: %s is not here (the engine runs a containerd of the host's, or its root dir is mounted without it): %w", dir, err)
		}
		return nil, fmt.Errorf("listing the content store's blobs: %w", err)
	}
	var out []Orphan
	for _, alg := range algs {
		names, err := readNames(filepath.Join(dir, alg))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, unix.ENOTDIR) {
				continue
			}
			return nil, fmt.Errorf("listing the content store's blobs: %w", err)
		}
		for _, n := range names {
			d := digest.NewDigestFromEncoded(digest.Algorithm(alg), n)
			if d.Validate() != nil || strings.ContainsRune(n, filepath.Separator) {
				continue
			}
			out = append(out, Orphan{Name: d.String(), Path: filepath.Join(dir, alg, n)})
		}
	}
	return out, nil
}
