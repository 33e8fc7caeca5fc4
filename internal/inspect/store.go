package inspect

import (
	"sort"
	"strings"
)

// StoreGraph is the containerd image store's object graph, as containerd's
// garbage collector walks it (core/metadata/gc.go): content blobs and
// snapshots, and the holders (GC roots) that keep them: image names,
// leases (a container's writable layer, a build-cache record, a build's
// history) and objects labelled containerd.io/gc.root. On this store no
// removal frees bytes directly: deleting an image name, a container or a
// build record drops a holder, and the collector then frees every object
// no remaining holder reaches. Predicting what a prune frees is therefore
// a reachability question over this graph, which StoreBook answers.
//
// Only engines with the containerd image store have one, and only where
// containerd's socket is readable here (the storage probe); nil otherwise.
type StoreGraph struct {
	// Snapshotter is the snapshotter the engine uses ("overlayfs").
	Snapshotter string `json:"snapshotter"`
	// Objects are the blobs and snapshots by key (ContentKey, SnapshotKey).
	Objects map[string]StoreObject `json:"objects"`
	// Holders are the roots, in a stable order (namespace, kind, id).
	Holders []StoreHolder `json:"holders"`
}

// StoreObject is one blob or snapshot.
type StoreObject struct {
	// Bytes is a blob's size (its file's size) or a snapshot's usage as
	// the snapshotter measures it (allocated bytes of its own dir, not
	// its parents'); -1 when unknown.
	Bytes int64 `json:"bytes"`
	// Refs are the objects this one's containerd.io/gc.ref.* labels name
	// (a manifest's config and layers, a config's snapshot), which a
	// holder reaches unless it holds the object flat.
	Refs []string `json:"refs,omitempty"`
	// Parent is a snapshot's parent snapshot, which is kept for as long as
	// the snapshot is, whoever holds it.
	Parent string `json:"parent,omitempty"`
}

// Holder kinds.
const (
	// HolderImage is an image name; ID is the name, Target the digest it
	// points at (the engine's image id on this store).
	HolderImage = "image"
	// HolderLease is a lease; ID is its id (a container's id, a build
	// record's id, "<record id>-…" for a record's helper leases).
	HolderLease = "lease"
	// HolderRoot is an object labelled containerd.io/gc.root.
	HolderRoot = "root"
)

// StoreHolder is one GC root.
type StoreHolder struct {
	Namespace string `json:"namespace"`
	Kind      string `json:"kind"`
	ID        string `json:"id"`
	// Target is the digest an image name points at ("" for others).
	Target string `json:"target,omitempty"`
	// Holds are the objects it holds directly.
	Holds []string `json:"holds"`
	// Flat holders (leases labelled containerd.io/gc.flat) hold only the
	// objects they name and those objects' snapshot parents, not what
	// their labels reference.
	Flat bool `json:"flat,omitempty"`
	// Parent is, for an image name the classic builder made, the id of
	// the image it was built on (ClassicBuilderParentLabel).
	Parent string `json:"parent,omitempty"`
	// Temporary marks a lease BuildKit made for the length of a build
	// (BuildKitTemporaryLabel): a build-cache prune drops them.
	Temporary bool `json:"temporary,omitempty"`
}

// BuildKitTemporaryLabel marks the leases BuildKit holds a build's inputs
// with for a while after it (a 5-minute containerd.io/gc.expire). A
// build-cache prune drops them with the records: on engine29, the lease
// holding a FROM image's manifest and config, and through them its layer
// and snapshot, went with the first record pruned, so the base's bytes
// came free with the records that pinned them.
const BuildKitTemporaryLabel = "buildkit/lease.temporary"

// ClassicBuilderParentLabel is the label the classic builder puts on the
// images it makes on the containerd store, naming the image each step
// started from; its intermediate steps are kept as hidden images named
// DanglingPrefix + digest.
const ClassicBuilderParentLabel = "org.mobyproject.image.parent"

// DanglingPrefix starts the names moby gives images that have no other:
// a classic build's intermediate steps, and an image whose last tag went
// while a child still named it as parent.
const DanglingPrefix = "moby-dangling@"

// RemovedWith lists the images `docker rmi id` removes on this store:
// the image, then its dangling parents, nearest first, up to the first
// parent that has a name of its own (moby's deleteAll with prune, which
// the API's image delete sets by default). A classic build's final image
// shares its layers with its hidden intermediates, so they go together.
func (g *StoreGraph) RemovedWith(id string) []string {
	out := []string{id}
	seen := map[string]bool{id: true}
	for cur := id; ; {
		parent := ""
		for _, h := range g.Holders {
			if h.ImageHolder(cur) && h.Parent != "" {
				parent = h.Parent
				break
			}
		}
		if parent == "" || seen[parent] {
			return out
		}
		dangling, any := true, false
		for _, h := range g.Holders {
			if h.ImageHolder(parent) {
				any = true
				dangling = dangling && strings.HasPrefix(h.ID, DanglingPrefix)
			}
		}
		if !any || !dangling {
			return out
		}
		out = append(out, parent)
		seen[parent] = true
		cur = parent
	}
}

// ContentKey is the key of a blob. Blobs are keyed by digest alone: the
// content store keeps one file per digest, shared by every namespace, and
// deletes it only when no namespace holds it.
func ContentKey(digest string) string { return "content/" + digest }

// SnapshotKey is the key of a snapshot: snapshots are per namespace (each
// namespace's snapshot of a layer is its own dir).
func SnapshotKey(namespace, snapshotter, key string) string {
	return "snapshot/" + namespace + "/" + snapshotter + "/" + key
}

// ContainerHolder reports whether h is the lease that holds a container's
// writable layer (moby names it after the container).
func (h StoreHolder) ContainerHolder(id string) bool {
	return h.Kind == HolderLease && h.ID == id
}

// BuildRecordHolder reports whether h is a lease of build-cache record
// id: BuildKit names a record's lease after it and its helper leases
// "<id>-variants", "<id>-view" and so on, which go with the record.
func (h StoreHolder) BuildRecordHolder(id string) bool {
	return h.Kind == HolderLease && (h.ID == id || strings.HasPrefix(h.ID, id+"-"))
}

// ImageHolder reports whether h is a name of the image with id: on this
// store an image's id is the digest its names point at; `docker rmi`
// removes every name of it (moby-dangling@… included).
func (h StoreHolder) ImageHolder(id string) bool {
	return h.Kind == HolderImage && h.Target == id
}

// reach lists the objects holder h keeps, each once, sorted.
func (g *StoreGraph) reach(h StoreHolder) []string {
	seen := map[string]bool{}
	var walk func(key string, follow bool)
	walk = func(key string, follow bool) {
		if seen[key] {
			return
		}
		o, ok := g.Objects[key]
		if !ok {
			return // a dead edge: the object is gone already
		}
		seen[key] = true
		if o.Parent != "" {
			walk(o.Parent, follow)
		}
		if follow {
			for _, r := range o.Refs {
				walk(r, true)
			}
		}
	}
	for _, k := range h.Holds {
		walk(k, !h.Flat)
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// StoreBook follows removals of holders and says what each one frees.
// It is built once per plan; Release is called in the order the plan
// removes things, so each removal is credited with the objects it was
// the last to hold.
type StoreBook struct {
	g       *StoreGraph
	reached [][]string     // per holder, what it keeps
	count   map[string]int // per object, live holders keeping it
	gone    []bool
	// garbage is what no holder keeps now (a BuildKit lease that
	// expired, say): the collector frees it at its next run, which every
	// removal that drops a holder triggers.
	garbage int64
}

// NewBook starts a book with every holder live.
func (g *StoreGraph) NewBook() *StoreBook {
	b := &StoreBook{g: g, reached: make([][]string, len(g.Holders)), count: map[string]int{}, gone: make([]bool, len(g.Holders))}
	for i, h := range g.Holders {
		b.reached[i] = g.reach(h)
		for _, k := range b.reached[i] {
			b.count[k]++
		}
	}
	for k, o := range g.Objects {
		if b.count[k] == 0 {
			b.garbage += max(o.Bytes, 0)
		}
	}
	return b
}

// Garbage is the bytes no holder keeps now, which the next collection
// frees whatever is removed.
func (b *StoreBook) Garbage() int64 { return b.garbage }

// Release drops the live holders match selects and returns the bytes
// that frees: the objects they were the last to keep, plus, the first
// time anything is dropped, the garbage the collection that follows
// sweeps. It reports false when no live holder matched (nothing on this
// store belongs to the object: the removal frees nothing here).
func (b *StoreBook) Release(match func(StoreHolder) bool) (int64, bool) {
	var freed int64
	found := false
	for i, h := range b.g.Holders {
		if b.gone[i] || !match(h) {
			continue
		}
		found = true
		b.gone[i] = true
		for _, k := range b.reached[i] {
			b.count[k]--
			if b.count[k] == 0 {
				freed += max(b.g.Objects[k].Bytes, 0)
			}
		}
	}
	if found && b.garbage > 0 {
		freed += b.garbage
		b.garbage = 0
	}
	return freed, found
}

// Held reports the bytes live holders keep, each object once: the
// store's share of the disk.
func (b *StoreBook) Held() int64 {
	var n int64
	for k, c := range b.count {
		if c > 0 {
			n += max(b.g.Objects[k].Bytes, 0)
		}
	}
	return n
}

// Reach lists the objects holder h keeps, each once, sorted: what it
// holds, their snapshot parents and, unless h is flat, what their
// references reach.
func (g *StoreGraph) Reach(h StoreHolder) []string { return g.reach(h) }

// StoreShares splits the bytes on the store by the kind of docker object
// holding them, each object once, on the first of: an image, a container,
// a build-cache record. Other is what only other holders keep (BuildKit's
// build history, pull leases, gc.root objects); Garbage what no holder
// keeps (an expired lease's objects, swept at the next collection).
type StoreShares struct {
	Images, Containers, BuildCache, Other, Garbage int64
}

// Shares splits the store's bytes (StoreShares) for the containers and
// build-cache records the engine lists; images nil counts every image
// name, else only the names of those image ids (a scoped report: what
// other holders keep is then Other).
func (g *StoreGraph) Shares(images, containers, records []string) StoreShares {
	var isImage map[string]bool
	if images != nil {
		isImage = map[string]bool{}
		for _, id := range images {
			isImage[id] = true
		}
	}
	isContainer := map[string]bool{}
	for _, id := range containers {
		isContainer[id] = true
	}
	isRecord := func(h StoreHolder) bool {
		for _, id := range records {
			if h.BuildRecordHolder(id) {
				return true
			}
		}
		return false
	}
	const (
		image = iota
		container
		record
		other
		none
	)
	rank := map[string]int{}
	for _, h := range g.Holders {
		r := other
		switch {
		case h.Kind == HolderImage && (isImage == nil || isImage[h.Target]):
			r = image
		case h.Kind == HolderImage:
		case h.Kind == HolderLease && isContainer[h.ID]:
			r = container
		case h.Kind == HolderLease && isRecord(h):
			r = record
		}
		for _, k := range g.reach(h) {
			if cur, ok := rank[k]; !ok || r < cur {
				rank[k] = r
			}
		}
	}
	var s StoreShares
	for k, o := range g.Objects {
		n := max(o.Bytes, 0)
		r, ok := rank[k]
		if !ok {
			r = none
		}
		switch r {
		case image:
			s.Images += n
		case container:
			s.Containers += n
		case record:
			s.BuildCache += n
		case other:
			s.Other += n
		default:
			s.Garbage += n
		}
	}
	return s
}
