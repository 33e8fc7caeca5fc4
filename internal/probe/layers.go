package probe

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/dockctl/dockctl/internal/inspect"
)

// Owner says what keeps one dir of the storage driver's dir on disk.
type Owner string

// Owners of a layer dir, as the engine's layer store records them.
const (
	// OwnerImage: an image layer (<root>/image/<driver>/layerdb/sha256/
	// <chain id>/cache-id names it). BuildKit's records that share an
	// image's layer hold the same dir.
	OwnerImage Owner = "image"
	// OwnerContainer: a container's writable layer or its init layer
	// (layerdb/mounts/<container id>/mount-id and init-id).
	OwnerContainer Owner = "container"
	// OwnerNone: nothing in the layer store names the dir: BuildKit
	// snapshots not committed as image layers, the driver's own links dir
	// ("l"), and orphans a crashed removal left behind.
	OwnerNone Owner = ""
)

// DriverDir is the `du -sbx` split of the storage driver's dir
// (<root>/<driver>) by what keeps each of its entries, measured in the
// same walk as the root dir (the same inode set), so these bytes are part
// of RootDirBytes and never counted twice.
type DriverDir struct {
	// Name is the driver dir's name under the root dir (the driver's).
	Name string `json:"name"`
	// ImageBytes, ContainerBytes and OtherBytes add up, with the dir's
	// own entry, to its TopLevel figure.
	ImageBytes     int64 `json:"image_bytes"`
	ContainerBytes int64 `json:"container_bytes"`
	OtherBytes     int64 `json:"other_bytes"`
	// Other lists the entries no layer references, by name.
	Other []DirBytes `json:"other"`
}

// layerOwners reads the layer store's references to the driver's dirs
// (graph drivers only: overlay2, fuse-overlayfs): each image layer's
// cache-id and each container's mount-id and init-id. It only reads
// small files the engine writes once per layer; a layer store it cannot
// read gives nil, and the driver dir is then not split.
func (p *Probe) layerOwners() map[string]Owner {
	if p.layers != layerOverlay {
		return nil
	}
	db := filepath.Join(p.local, "image", p.driver, "layerdb")
	owners := map[string]Owner{}
	read := func(dir string, owner Owner, files ...string) bool {
		names, err := readNames(dir)
		if err != nil {
			return errors.Is(err, fs.ErrNotExist)
		}
		for _, n := range names {
			for _, f := range files {
				id, err := os.ReadFile(filepath.Join(dir, n, f))
				if err != nil {
					continue // a layer being written or removed right now
				}
				if s := strings.TrimSpace(string(id)); s != "" && !strings.ContainsRune(s, filepath.Separator) {
					owners[s] = owner
				}
			}
		}
		return true
	}
	if !read(filepath.Join(db, "sha256"), OwnerImage, "cache-id") || !read(filepath.Join(db, "mounts"), OwnerContainer, "mount-id", "init-id") {
		return nil
	}
	return owners
}

// objectPath is one path that belongs wholly to one object, under the
// root dir's top-level entry top.
type objectPath struct {
	top   string
	path  string
	owner Owner
}

// objectPaths are the paths whose names say which object they belong to,
// outside the driver dir and volumes/ (split by entry in Measure):
//   - containers/<id>/, for each container of t: its config, hostname,
//     hosts, resolv.conf and logs (moby daemon/container: the container's
//     root);
//   - image/<driver>/layerdb/mounts/<id>/: its layers' records;
//   - image/<driver>/layerdb/sha256/<chain>/: an image layer's records
//     (diff, size, cache-id, tar-split);
//   - image/<driver>/imagedb/content/sha256/<id> and
//     imagedb/metadata/sha256/<id>/: an image's config and its parent
//     and last-updated records.
//
// Engines before 23 keep no layermetadata dir. On the containerd image
// store, the blob files an image or a container holds (blobPaths).
func (p *Probe) objectPaths(t Targets) []objectPath {
	var out []objectPath
	known := map[string]bool{}
	for _, c := range t.Containers {
		known[c.ID] = true
		if c.ID != "" && !strings.ContainsRune(c.ID, filepath.Separator) && c.ID != ".." {
			out = append(out, objectPath{"containers", filepath.Join(p.local, "containers", c.ID), OwnerContainer})
		}
	}
	if p.layers != layerOverlay {
		return append(out, p.blobPaths(t)...)
	}
	img := filepath.Join(p.local, "image", p.driver)
	for _, d := range []struct {
		dir   string
		owner Owner
	}{
		{filepath.Join(img, "layerdb", "mounts"), OwnerContainer},
		{filepath.Join(img, "layerdb", "sha256"), OwnerImage},
		{filepath.Join(img, "imagedb", "content", "sha256"), OwnerImage},
		{filepath.Join(img, "imagedb", "metadata", "sha256"), OwnerImage},
	} {
		names, err := readNames(d.dir)
		if err != nil {
			continue
		}
		for _, n := range names {
			// A removed container's records left behind are no object's.
			if d.owner == OwnerContainer && !known[n] {
				continue
			}
			out = append(out, objectPath{"image", filepath.Join(d.dir, n), d.owner})
		}
	}
	return out
}

// blobPaths are, on the containerd image store with its graph read, the
// blob files of the content store under the root dir
// (containerd/daemon/io.containerd.content.v1.content/blobs/sha256/<hex>,
// where the engine runs its own containerd) that an image name or a
// container's lease keeps, by digest: the image's when any image keeps
// it. Blobs only build-cache records, build history or pull leases keep
// are no object's here and stay in the containerd dir's figure; so do
// snapshots, whose dirs (numbered) are named only in the snapshotter's
// database.
func (p *Probe) blobPaths(t Targets) []objectPath {
	g := t.Store
	if g == nil {
		return nil
	}
	containers := map[string]bool{}
	for _, c := range t.Containers {
		containers[c.ID] = true
	}
	owner := map[string]Owner{}
	for _, h := range g.Holders {
		var o Owner
		switch {
		case h.Kind == inspect.HolderImage:
			o = OwnerImage
		case h.Kind == inspect.HolderLease && h.Namespace == p.namespace && containers[h.ID]:
			o = OwnerContainer
		default:
			continue
		}
		for _, k := range g.Reach(h) {
			if owner[k] != OwnerImage {
				owner[k] = o
			}
		}
	}
	dir := filepath.Join(p.local, "containerd", "daemon", "io.containerd.content.v1.content", "blobs", "sha256")
	var out []objectPath
	for k, o := range owner {
		hex, ok := strings.CutPrefix(k, inspect.ContentKey("sha256:"))
		if !ok || hex == "" || strings.ContainsAny(hex, "/.") {
			continue
		}
		out = append(out, objectPath{"containerd", filepath.Join(dir, hex), o})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}
