package probe

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dockctl/dockctl/internal/inspect"
)

// LayerDB is what the classic layer store's files say (20.10's image
// store: <root>/image/<driver>/layerdb): which driver dir each layer and
// each container's layers live in. The files are written once by the
// engine and renamed into place, so reading them while it runs is safe,
// unlike BuildKit's bolt databases, which it keeps locked.
type LayerDB struct {
	// Layers by chain id ("sha256:…").
	Layers map[string]LayerFiles `json:"layers"`
	// Mounts are the containers' layers: the writable one (mount-id) and
	// the init layer (init-id).
	Mounts []MountFiles `json:"mounts"`
}

// LayerFiles is one layer: its dir under the driver's dir (cache-id),
// its size as the engine counts it (size) and its parent's chain id.
type LayerFiles struct {
	CacheID string `json:"cache_id"`
	Size    int64  `json:"size"`
	Parent  string `json:"parent,omitempty"`
	// Written is when the layer's files were written (its layerdb dir's
	// mtime: the engine writes them in a temporary dir and renames it).
	Written time.Time `json:"written,omitzero"`
}

// MountFiles is one container's layers.
type MountFiles struct {
	Container string `json:"container"`
	MountID   string `json:"mount_id"`
	InitID    string `json:"init_id,omitempty"`
	// Parent is the chain id of the image layer the container starts
	// from.
	Parent string `json:"parent,omitempty"`
}

// layerDBDir is where the layer store keeps its files here.
func (p *Probe) layerDBDir() string {
	return filepath.Join(p.local, "image", p.driver, "layerdb")
}

// DriverDir is the storage driver's dir here (<root>/<driver>), which
// holds one dir per layer.
func (p *Probe) DriverDir() string { return filepath.Join(p.local, p.driver) }

// ReadLayerDB reads the layer store's files. A layer or mount dir that
// vanishes while it reads (removed by the engine) is left out. The
// containerd image store has no layerdb: an error says so.
func (p *Probe) ReadLayerDB() (LayerDB, error) {
	if p.layers != layerOverlay {
		return LayerDB{}, fmt.Errorf("reading the layer store: driver %q keeps no layerdb the probe knows", p.driver)
	}
	db := LayerDB{Layers: map[string]LayerFiles{}}
	dir := p.layerDBDir()
	layers, err := layerDBEntries(dir, "sha256")
	if err != nil {
		return LayerDB{}, err
	}
	mounts, err := layerDBEntries(dir, "mounts")
	if err != nil {
		return LayerDB{}, err
	}
	for _, n := range layers {
		d := filepath.Join(dir, "sha256", n)
		cid, ok := readLine(d, "cache-id")
		if !ok {
			continue
		}
		lf := LayerFiles{CacheID: cid, Size: -1}
		if s, ok := readLine(d, "size"); ok {
			if v, err := strconv.ParseInt(s, 10, 64); err == nil {
				lf.Size = v
			}
		}
		lf.Parent, _ = readLine(d, "parent")
		if st, err := os.Lstat(d); err == nil {
			lf.Written = st.ModTime()
		}
		db.Layers["sha256:"+n] = lf
	}
	for _, n := range mounts {
		d := filepath.Join(dir, "mounts", n)
		mid, ok := readLine(d, "mount-id")
		if !ok {
			continue
		}
		m := MountFiles{Container: n, MountID: mid}
		m.InitID, _ = readLine(d, "init-id")
		m.Parent, _ = readLine(d, "parent")
		db.Mounts = append(db.Mounts, m)
	}
	return db, nil
}

// UnusedLayers are the layers no image in imgs and no container uses
// (directly or below a layer they use) whose dir the layer store made
// (not inspect.MadeByBuildKit), written before listed: the images were
// listed then, so a layer written later may be a new image's. Sizes are
// the layer store's (its size file, the diff's bytes, as docker sizes
// every layer). ok is false when some image's layers are unknown
// (Layers nil): which layers it uses cannot be told.
func (db LayerDB) UnusedLayers(imgs []inspect.Image, listed time.Time) (layers []inspect.Layer, ok bool) {
	used := map[string]bool{}
	for _, img := range imgs {
		if img.Layers == nil {
			return nil, false
		}
		for _, l := range img.Layers {
			used[l.ChainID] = true
		}
	}
	// A layer below a used one is used: the layer store keeps a layer's
	// parents for it. Containers start from the layer in their parent
	// file.
	var below func(chain string, depth int)
	below = func(chain string, depth int) {
		for chain != "" && depth <= len(db.Layers) {
			used[chain] = true
			chain = db.Layers[chain].Parent
			depth++
		}
	}
	for chain := range used {
		below(db.Layers[chain].Parent, 0)
	}
	for _, m := range db.Mounts {
		below(m.Parent, 0)
	}
	chains := make([]string, 0, len(db.Layers))
	for chain := range db.Layers {
		chains = append(chains, chain)
	}
	sort.Strings(chains)
	for _, chain := range chains {
		lf := db.Layers[chain]
		if used[chain] || inspect.MadeByBuildKit(lf.CacheID) || lf.Size < 0 || !lf.Written.Before(listed) {
			continue
		}
		layers = append(layers, inspect.Layer{ChainID: chain, SizeBytes: lf.Size, CacheID: lf.CacheID})
	}
	return layers, true
}

// layerDBEntries lists one of the layer store's dirs; none when the
// engine has not made it yet.
func layerDBEntries(dir, sub string) ([]string, error) {
	names, err := readNames(filepath.Join(dir, sub))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading the layer store: %w", err)
	}
	return names, nil
}

// readLine reads a one-line file of the layer store, trimmed; false when
// it is missing or unreadable.
func readLine(dir, name string) (string, bool) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return "", false
	}
	return strings.TrimSpace(string(b)), true
}

// Orphan is a dir under the storage driver's dir that nothing the engine
// knows of references.
type Orphan struct {
	Name  string `json:"name"`
	Path  string `json:"path"`
	Bytes int64  `json:"bytes"`
}

// referenced are the driver dirs the layer store and the build cache
// name.
func (db LayerDB) referenced(records []string) map[string]bool {
	ref := map[string]bool{}
	for _, l := range db.Layers {
		ref[l.CacheID] = true
	}
	for _, m := range db.Mounts {
		ref[m.MountID] = true
		if m.InitID != "" {
			ref[m.InitID] = true
		}
	}
	// A build-cache record that was never committed (a local source,
	// the build context) has its snapshot's dir named by its id.
	for _, r := range records {
		ref[r] = true
	}
	return ref
}

// Orphans lists the dirs under the storage driver's dir that no image
// layer, no container and no build-cache record references, each sized
// as `du -sbx` sizes it. records are the ids of the engine's build-cache
// records.
//
// A BuildKit snapshot's dir (inspect.MadeByBuildKit) that the layer
// store does not name belongs to a committed record, which the engine
// lists under another id (the map is in BuildKit's locked database): it
// counts as the build cache's while the engine lists any record, and as
// an orphan only when it lists none.
//
// The engine creates a layer's dir before it records it, so a dir being
// written at this moment would look unreferenced: the layer store is
// read before and after the dirs are listed and sized, and a dir is an
// orphan only when neither reading names it and it is still there.
// Callers that can should ask twice and keep what both answers list.
func (p *Probe) Orphans(ctx context.Context, records []string) ([]Orphan, error) {
	before, err := p.ReadLayerDB()
	if err != nil {
		return nil, err
	}
	refBefore := before.referenced(records)
	names, err := readNames(p.DriverDir())
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", p.DriverDir(), err)
	}
	var cands []Orphan
	for _, n := range names {
		if n == "l" && p.layers == layerOverlay {
			continue // overlay's short links to the layers' diff dirs
		}
		if refBefore[n] || (len(records) > 0 && inspect.MadeByBuildKit(n)) {
			continue
		}
		cands = append(cands, Orphan{Name: n, Path: filepath.Join(p.DriverDir(), n)})
	}
	var out []Orphan
	for _, o := range cands {
		var st unix.Stat_t
		if err := unix.Lstat(o.Path, &st); err != nil {
			continue
		}
		d := &duSize{seen: newInodeSet()}
		if _, err := walk(ctx, o.Path, walkOptions{xdev: true}, d.add); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			continue
		}
		o.Bytes = d.bytes
		out = append(out, o)
	}
	if len(out) == 0 {
		return []Orphan{}, nil
	}
	after, err := p.ReadLayerDB()
	if err != nil {
		return nil, err
	}
	refAfter := after.referenced(records)
	kept := out[:0]
	for _, o := range out {
		if refAfter[o.Name] {
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
