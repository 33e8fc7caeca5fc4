package probe

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/containerd/errdefs"
	"golang.org/x/sync/errgroup"

	"github.com/dockctl/dockctl/internal/inspect"
)

// storeAPI is the read-only containerd calls readStore makes. Each takes
// the namespace it reads; errors are errdefs errors (NotFound for an
// object or lease removed since it was listed).
type storeAPI interface {
	Namespaces(ctx context.Context) ([]string, error)
	Images(ctx context.Context, ns string) ([]storeImage, error)
	Leases(ctx context.Context, ns string) ([]storeLease, error)
	LeaseResources(ctx context.Context, ns, lease string) ([]storeResource, error)
	Content(ctx context.Context, ns string) ([]storeBlob, error)
	Snapshots(ctx context.Context, ns, snapshotter string) ([]storeSnapshot, error)
	// Usage is the bytes the snapshotter says the snapshot's own dir
	// takes (allocated blocks).
	Usage(ctx context.Context, ns, snapshotter, key string) (int64, error)
}

// storeImage is an image name and the digest it points at.
type storeImage struct {
	Name, Target string
	Labels       map[string]string
}

// storeLease is a lease.
type storeLease struct {
	ID     string
	Labels map[string]string
}

// storeResource is one resource a lease holds: Type "content",
// "snapshots/<snapshotter>", "ingests" or "images" (containerd 2), ID the
// digest, snapshot key or name.
type storeResource struct{ Type, ID string }

// storeBlob is a content blob's metadata in one namespace.
type storeBlob struct {
	Digest string
	Size   int64
	Labels map[string]string
}

// storeSnapshot is a snapshot's metadata.
type storeSnapshot struct {
	Key, Parent string
	Labels      map[string]string
}

// The labels containerd's garbage collector reads (core/metadata/gc.go).
const (
	labelGCRoot       = "containerd.io/gc.root"
	labelGCContentRef = "containerd.io/gc.ref.content"
	labelGCSnapRef    = "containerd.io/gc.ref.snapshot."
	labelGCExpire     = "containerd.io/gc.expire"
	labelGCFlat       = "containerd.io/gc.flat"
)

// labelRefs are the objects an object's (or image's) labels reference,
// by the collector's rules: "containerd.io/gc.ref.content", alone or
// followed by '.' or '/' and any name, references the blob its value
// names; "containerd.io/gc.ref.snapshot.<snapshotter>", optionally
// followed by '/' and any name, the snapshot its value names, in the
// same namespace. Sorted, each once.
//
// Left out, as moby and BuildKit set none of them: gc.ref.image (an
// image referencing another), back references (gc.bref.*) and
// conditional snapshot references (gc.cond.*).
func labelRefs(ns string, labels map[string]string) []string {
	var refs []string
	for k, v := range labels {
		if rest, ok := strings.CutPrefix(k, labelGCContentRef); ok {
			if rest == "" || rest[0] == '.' || rest[0] == '/' {
				refs = append(refs, inspect.ContentKey(v))
			}
			continue
		}
		if ss, ok := strings.CutPrefix(k, labelGCSnapRef); ok {
			ss, _, _ = strings.Cut(ss, "/")
			refs = append(refs, inspect.SnapshotKey(ns, ss, v))
		}
	}
	sort.Strings(refs)
	return compactStrings(refs)
}

// isGCRoot reports whether labels make their object a root: the collector
// matches the label key by prefix.
func isGCRoot(labels map[string]string) bool {
	for k := range labels {
		if strings.HasPrefix(k, labelGCRoot) {
			return true
		}
	}
	return false
}

// expired reports whether labels carry a gc.expire time before now: the
// collector then no longer counts the lease or image as a root. An
// unparsable time is ignored, as the collector ignores it.
func expired(labels map[string]string, now time.Time) bool {
	v, ok := labels[labelGCExpire]
	if !ok {
		return false
	}
	t, err := time.Parse(time.RFC3339, v)
	return err == nil && now.After(t)
}

// compactStrings drops repeats from sorted s, in place.
func compactStrings(s []string) []string {
	if len(s) == 0 {
		return s
	}
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// readStore builds the containerd image store's object graph from api:
// every namespace's images, leases, blobs and snapshots of snapshotter,
// each snapshot sized by Usage. Leases and images whose gc.expire is
// before now are no holders (the collector skips them).
//
// Objects are listed before holders, and the engine changes meanwhile:
// a lease or snapshot removed between its listing and the next call is
// left out (NotFound is never an error), and a holder's edge to an object
// made after the objects were listed is a dead edge, which StoreGraph
// ignores.
//
// Blobs are keyed by digest alone (inspect.ContentKey): the file is one,
// whichever namespaces hold it. Its labels, and so its references, are
// per namespace, and the collector follows a namespace's record of a
// blob with that record's labels only. See blobRecords for how a blob
// whose namespaces disagree is represented.
//
// Usage and ListResources run Workers() at a time: an engine with many
// containers has as many active snapshots (Usage walks each) and leases.
func readStore(ctx context.Context, api storeAPI, snapshotter string, now time.Time) (*inspect.StoreGraph, error) {
	nss, err := api.Namespaces(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing containerd namespaces: %w", err)
	}
	sort.Strings(nss)
	g := &inspect.StoreGraph{Snapshotter: snapshotter, Objects: map[string]inspect.StoreObject{}, Holders: []inspect.StoreHolder{}}
	records := map[string][]blobRecord{} // by ContentKey
	type snapOf struct {
		ns, key string
		refs    []string
	}
	var snaps []snapOf
	type rootOf struct{ ns, key string }
	var roots []rootOf
	for _, ns := range nss {
		blobs, err := api.Content(ctx, ns)
		if err != nil && !errdefs.IsNotFound(err) {
			return nil, fmt.Errorf("listing content in namespace %s: %w", ns, err)
		}
		for _, b := range blobs {
			key := inspect.ContentKey(b.Digest)
			g.Objects[key] = inspect.StoreObject{Bytes: b.Size}
			records[key] = append(records[key], blobRecord{ns: ns, refs: labelRefs(ns, b.Labels)})
			if isGCRoot(b.Labels) {
				roots = append(roots, rootOf{ns, key})
			}
		}
		ss, err := api.Snapshots(ctx, ns, snapshotter)
		if err != nil && !errdefs.IsNotFound(err) {
			return nil, fmt.Errorf("listing %s snapshots in namespace %s: %w", snapshotter, ns, err)
		}
		for _, s := range ss {
			key := inspect.SnapshotKey(ns, snapshotter, s.Key)
			o := inspect.StoreObject{Bytes: -1}
			if s.Parent != "" {
				o.Parent = inspect.SnapshotKey(ns, snapshotter, s.Parent)
			}
			g.Objects[key] = o
			snaps = append(snaps, snapOf{ns, s.Key, labelRefs(ns, s.Labels)})
			if isGCRoot(s.Labels) {
				roots = append(roots, rootOf{ns, key})
			}
		}
	}
	// at is the key a reference from namespace ns to object k reaches.
	at := blobRecords(g, records)
	for _, s := range snaps {
		key := inspect.SnapshotKey(s.ns, snapshotter, s.key)
		o := g.Objects[key]
		o.Refs = at.all(s.ns, s.refs, false)
		g.Objects[key] = o
	}
	for _, r := range roots {
		g.Holders = append(g.Holders, inspect.StoreHolder{Namespace: r.ns, Kind: inspect.HolderRoot, ID: r.key, Holds: []string{at.key(r.ns, r.key, false)}})
	}

	for _, ns := range nss {
		targets := map[string]string{} // image name -> target, for leases holding images
		ims, err := api.Images(ctx, ns)
		if err != nil && !errdefs.IsNotFound(err) {
			return nil, fmt.Errorf("listing images in namespace %s: %w", ns, err)
		}
		for _, im := range ims {
			targets[im.Name] = im.Target
			if expired(im.Labels, now) {
				continue
			}
			holds := at.all(ns, append([]string{inspect.ContentKey(im.Target)}, labelRefs(ns, im.Labels)...), false)
			g.Holders = append(g.Holders, inspect.StoreHolder{Namespace: ns, Kind: inspect.HolderImage, ID: im.Name, Target: im.Target, Holds: holds,
				Parent: im.Labels[inspect.ClassicBuilderParentLabel]})
		}
		ls, err := api.Leases(ctx, ns)
		if err != nil && !errdefs.IsNotFound(err) {
			return nil, fmt.Errorf("listing leases in namespace %s: %w", ns, err)
		}
		held := make([]*inspect.StoreHolder, len(ls))
		eg, ectx := errgroup.WithContext(ctx)
		eg.SetLimit(Workers())
		for i, l := range ls {
			if expired(l.Labels, now) {
				continue
			}
			eg.Go(func() error {
				rs, err := api.LeaseResources(ectx, ns, l.ID)
				if errdefs.IsNotFound(err) {
					return nil // released since it was listed
				}
				if err != nil {
					return fmt.Errorf("listing the resources of lease %s in namespace %s: %w", l.ID, ns, err)
				}
				_, flat := l.Labels[labelGCFlat]
				_, temporary := l.Labels[inspect.BuildKitTemporaryLabel]
				h := &inspect.StoreHolder{Namespace: ns, Kind: inspect.HolderLease, ID: l.ID, Flat: flat, Temporary: temporary}
				var holds []string
				for _, r := range rs {
					switch {
					case r.Type == "content":
						holds = append(holds, inspect.ContentKey(r.ID))
					case strings.HasPrefix(r.Type, "snapshots/"):
						holds = append(holds, inspect.SnapshotKey(ns, strings.TrimPrefix(r.Type, "snapshots/"), r.ID))
					case r.Type == "images":
						// A leased image keeps its target (only the
						// target when the lease is flat).
						if t, ok := targets[r.ID]; ok {
							holds = append(holds, inspect.ContentKey(t))
						}
					}
					// "ingests": blobs still being written, not yet
					// content.
				}
				// A flat lease keeps the files it names, not what any
				// namespace's labels of them reference.
				if h.Holds = at.all(ns, holds, flat); h.Holds == nil {
					h.Holds = []string{}
				}
				held[i] = h
				return nil
			})
		}
		if err := eg.Wait(); err != nil {
			return nil, err
		}
		for _, h := range held {
			if h != nil {
				g.Holders = append(g.Holders, *h)
			}
		}
	}

	sizes := make([]int64, len(snaps))
	var mu sync.Mutex
	var gone []string
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(Workers())
	for i, s := range snaps {
		eg.Go(func() error {
			n, err := api.Usage(ectx, s.ns, snapshotter, s.key)
			if errdefs.IsNotFound(err) {
				mu.Lock()
				gone = append(gone, inspect.SnapshotKey(s.ns, snapshotter, s.key))
				mu.Unlock()
				return nil
			}
			if err != nil {
				return fmt.Errorf("sizing snapshot %s in namespace %s: %w", s.key, s.ns, err)
			}
			sizes[i] = n
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return nil, err
	}
	for i, s := range snaps {
		key := inspect.SnapshotKey(s.ns, snapshotter, s.key)
		o := g.Objects[key]
		o.Bytes = sizes[i]
		g.Objects[key] = o
	}
	for _, key := range gone {
		delete(g.Objects, key)
	}
	sort.SliceStable(g.Holders, func(i, j int) bool {
		a, b := g.Holders[i], g.Holders[j]
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		return a.ID < b.ID
	})
	return g, nil
}

// blobRecord is one namespace's record of a blob: the references its
// labels make there.
type blobRecord struct {
	ns   string
	refs []string
}

// refKeys says which object a reference made in a namespace reaches
// (see blobRecords).
type refKeys struct {
	split map[string]bool            // blobs with one record object per namespace
	in    map[string]map[string]bool // per blob, the namespaces with a record of it
}

// key is the object a reference from namespace ns to k reaches; flat for
// a flat lease's, which keeps the file and follows no reference. A
// namespace without a record of the blob reaches a key no object has (a
// dead edge): the collector marks that namespace's record, and there is
// none to keep the file.
func (r refKeys) key(ns, k string, flat bool) string {
	nss, blob := r.in[k]
	switch {
	case !blob:
		return k // a snapshot, or a blob no namespace has: a dead edge
	case !nss[ns]:
		return recordKey(ns, k)
	case flat || !r.split[k]:
		return k
	default:
		return recordKey(ns, k)
	}
}

// all maps refs made in namespace ns, sorted, each once; nil for none.
func (r refKeys) all(ns string, refs []string, flat bool) []string {
	var out []string
	for _, k := range refs {
		out = append(out, r.key(ns, k, flat))
	}
	sort.Strings(out)
	return compactStrings(out)
}

// recordKey is the key of namespace ns's record of the blob keyed k
// (inspect.ContentKey): a 0-byte object whose Refs are the blob's file
// and what the record's labels reference.
func recordKey(ns, k string) string {
	return "record/" + ns + "/" + strings.TrimPrefix(k, "content/")
}

// blobRecords sets each blob's Refs in g and says where references to
// each blob lead.
//
// Mostly a blob's namespaces agree (or it is in one): its object carries
// the references, and every reference leads to it. Where they disagree,
// a union would be wrong: BuildKit's build history (moby_history) keeps
// its own record of a built image's manifest, whose labels there name the
// config only, while moby's name the layers as well; with a union, the
// history's lease would keep the image's layers and snapshots, which the
// collector frees when the image goes. Such a blob gets one record object
// per namespace (recordKey: 0 bytes, Refs the file and that namespace's
// references), references from a namespace lead to its record, and the
// file's object, carrying the bytes, references nothing itself: it stays
// while any namespace's record is reached, as the collector keeps a file
// while any namespace's record of it is marked. A blob whose namespaces
// agree but which references such a blob is split the same way, since
// the references then lead to different records.
func blobRecords(g *inspect.StoreGraph, records map[string][]blobRecord) refKeys {
	r := refKeys{split: map[string]bool{}, in: map[string]map[string]bool{}}
	for k, rs := range records {
		r.in[k] = map[string]bool{}
		for _, rec := range rs {
			r.in[k][rec.ns] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for k, rs := range records {
			if r.split[k] || len(rs) < 2 {
				continue
			}
			for _, rec := range rs {
				if !slices.Equal(rec.refs, rs[0].refs) || slices.ContainsFunc(rec.refs, func(ref string) bool { return r.split[ref] }) {
					r.split[k] = true
					changed = true
					break
				}
			}
		}
	}
	for k, rs := range records {
		o := g.Objects[k]
		if !r.split[k] {
			o.Refs = r.all(rs[0].ns, rs[0].refs, false)
			g.Objects[k] = o
			continue
		}
		for _, rec := range rs {
			refs := append([]string{k}, r.all(rec.ns, rec.refs, false)...)
			sort.Strings(refs)
			g.Objects[recordKey(rec.ns, k)] = inspect.StoreObject{Refs: refs}
		}
	}
	return r
}
