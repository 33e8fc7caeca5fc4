package usage

import (
	"sort"
	"time"

	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/probe"
	"github.com/dockctl/dockctl/internal/prune"
)

// Schema names the JSON document of `dockctl report`.
const Schema = "dockctl.report/v1"

// Row is one line of the summary.
type Row struct {
	Total     int   `json:"total"`
	Active    int   `json:"active"`
	SizeBytes int64 `json:"size_bytes"`
	// ReclaimableBytes is what pruning this type alone frees on disk now.
	ReclaimableBytes int64 `json:"reclaimable_bytes"`
	// DockerReclaimableBytes is docker system df's figure, for comparison.
	DockerReclaimableBytes int64 `json:"docker_reclaimable_bytes"`
}

// Summary has docker system df's four rows.
type Summary struct {
	Images     Row `json:"images"`
	Containers Row `json:"containers"`
	Volumes    Row `json:"volumes"`
	BuildCache Row `json:"build_cache"`
	// Logs and Unaccounted are measured on disk by the storage probe;
	// nil when it could not (see Disk.UnavailableReason).
	Logs        *Row `json:"logs,omitempty"`
	Unaccounted *Row `json:"unaccounted,omitempty"`
}

// Note explains a figure: where dockctl and docker differ, or bytes only a
// combined cleanup frees.
type Note struct {
	Row  string `json:"row"`
	Text string `json:"text"`
	// Docker and Dockctl are the two figures when the note compares them.
	DockerBytes  int64 `json:"docker_bytes,omitempty"`
	DockctlBytes int64 `json:"dockctl_bytes,omitempty"`
}

// Project is one compose project's share of the engine.
type Project struct {
	// Name is the com.docker.compose.project label; "" for objects of no project.
	Name              string `json:"name"`
	ContainersRunning int    `json:"containers_running"`
	Containers        int    `json:"containers"`
	Images            int    `json:"images"`
	Volumes           int    `json:"volumes"`
	Networks          int    `json:"networks"`
	// Bytes counts the project's containers' writable layers, its volumes,
	// and the unique bytes of the images its containers use: an image
	// several projects use counts in each (SharedImages of them, of
	// SharedImageBytes), and once in the report's ProjectsTotalBytes.
	Bytes            int64 `json:"bytes"`
	SharedImages     int   `json:"shared_images"`
	SharedImageBytes int64 `json:"shared_image_bytes"`
	// ReclaimableBytes is the project's share of the full cleanup: its
	// stopped containers, its anonymous volumes and the images only its
	// containers use. Images used by several projects or none, and the
	// build cache, are the share of objects of no project, so the shares
	// add up to the full cleanup.
	ReclaimableBytes int64 `json:"reclaimable_bytes"`
}

// Accounting is the result of Compute.
type Accounting struct {
	Summary Summary `json:"summary"`
	// FullCleanupBytes is what `dockctl prune --all --volumes` would free:
	// stopped containers, then the images, anonymous volumes and build
	// cache that only they kept.
	FullCleanupBytes int64 `json:"full_cleanup_reclaimable_bytes"`
	// FullCleanupAllVolumesBytes adds the named volumes: what
	// `dockctl prune --all --volumes --all-volumes` would free. The
	// Volumes row counts named volumes, so this is the figure it adds up
	// with.
	FullCleanupAllVolumesBytes int64 `json:"full_cleanup_all_volumes_reclaimable_bytes"`
	// AnonymousVolumesReclaimableBytes is the Volumes row's RECLAIMABLE
	// without named volumes: what `dockctl prune volumes` frees now.
	AnonymousVolumesReclaimableBytes int64  `json:"anonymous_volumes_reclaimable_bytes"`
	Approximate                      bool   `json:"approximate"`
	Notes                            []Note `json:"notes"`
	// full is the full cleanup's plan, which the projects share out.
	full prune.Plan
	// storeBytes is, on the containerd image store with its graph read
	// and no scope, what images, writable layers and build cache take
	// on disk (storeOnDisk), 0 otherwise; storeOther what only build
	// history and other leases keep.
	storeBytes, storeOther int64
}

// Scope limits a report to some objects (report --filter). Objects out of
// scope are neither counted nor removed, but they still hold what they use:
// a layer an out-of-scope image shares is never reclaimable. The zero
// Scope takes everything.
type Scope struct {
	// Filters restrict each kind; a kind without one is whole.
	Filters map[inspect.Kind]inspect.Filter
}

func (sc Scope) filter(k inspect.Kind) (inspect.Filter, bool) {
	f, ok := sc.Filters[k]
	return f, ok
}

func (sc Scope) image(i inspect.Image) bool {
	f, ok := sc.filter(inspect.KindImages)
	return !ok || f.Image(i)
}

func (sc Scope) container(c inspect.Container) bool {
	f, ok := sc.filter(inspect.KindContainers)
	return !ok || f.Container(c)
}

func (sc Scope) volume(v inspect.Volume) bool {
	f, ok := sc.filter(inspect.KindVolumes)
	return !ok || f.Volume(v)
}

func (sc Scope) network(n inspect.Network) bool {
	f, ok := sc.filter(inspect.KindNetworks)
	return !ok || f.Network(n)
}

func (sc Scope) buildCache(r inspect.BuildCacheRecord) bool {
	f, ok := sc.filter(inspect.KindBuildCache)
	return !ok || f.BuildCache(r)
}

// reclaim asks the prune planner what removing kinds would free now, with
// dockctl prune's default guards: the report's RECLAIMABLE is exactly
// what `dockctl prune KIND --all` (its dry run lists it) removes.
func reclaim(inv *inspect.Inventory, sc Scope, all bool, kinds ...inspect.Kind) prune.Plan {
	pol := prune.Policy{Kinds: kinds, All: true, AllBuildCache: true, Volumes: true, AllVolumes: all, Filters: sc.Filters}
	return prune.BuildPlan(inv, pol, inv.Time)
}

// Compute works out docker's figures and the true ones from inv, which
// must hold every kind, with image layers collected, for the objects in
// scope.
func Compute(inv *inspect.Inventory, sc Scope) Accounting {
	var a Accounting

	// Images.
	im := &a.Summary.Images
	im.SizeBytes = inv.LayersSize
	if _, ok := sc.filter(inspect.KindImages); ok {
		im.SizeBytes = scopedLayersSize(inv.Images, sc.image)
		if inv.Store != nil {
			// Layer lists there hold the snapshots only: each blob and
			// snapshot of the images in scope once, as docker's
			// LayersSize counts them engine-wide.
			im.SizeBytes = scopedStoreShares(inv, sc).Images
		}
	}
	var usedUnique int64
	for _, img := range inv.Images {
		if !sc.image(img) {
			continue
		}
		im.Total++
		if img.Containers > 0 {
			im.Active++
			if img.SizeBytes >= 0 && img.SharedBytes >= 0 {
				usedUnique += img.SizeBytes - img.SharedBytes
			}
		}
	}
	im.DockerReclaimableBytes = im.SizeBytes - usedUnique
	images := reclaim(inv, sc, true, inspect.KindImages)
	im.ReclaimableBytes = images.ReclaimBytes

	// Containers.
	c := &a.Summary.Containers
	for _, ct := range inv.Containers {
		if !sc.container(ct) {
			continue
		}
		c.Total++
		size := max(ct.SizeBytes, 0)
		c.SizeBytes += size
		if ct.Active() {
			c.Active++
			continue
		}
		c.DockerReclaimableBytes += size
	}
	c.ReclaimableBytes = reclaim(inv, sc, true, inspect.KindContainers).ReclaimBytes

	// Volumes.
	v := &a.Summary.Volumes
	for _, vol := range inv.Volumes {
		// docker system df's row is "Local Volumes": other drivers'
		// volumes are listed by inspect but not counted here.
		if !sc.volume(vol) || (vol.Driver != "" && vol.Driver != "local") {
			continue
		}
		v.Total++
		if vol.RefCount > 0 {
			v.Active++
		}
		if vol.SizeBytes < 0 {
			continue
		}
		v.SizeBytes += vol.SizeBytes
		if vol.RefCount == 0 {
			v.DockerReclaimableBytes += vol.SizeBytes
		}
	}
	v.ReclaimableBytes = reclaim(inv, sc, true, inspect.KindVolumes).ReclaimBytes
	a.AnonymousVolumesReclaimableBytes = reclaim(inv, sc, false, inspect.KindVolumes).ReclaimBytes

	// Build cache: shared records' bytes belong to image layers; docker
	// leaves them out of SIZE, and pruning the cache alone does not free
	// them while the images live.
	b := &a.Summary.BuildCache
	var sharedFree int64
	for _, r := range inv.BuildCache {
		if !sc.buildCache(r) {
			continue
		}
		b.Total++
		if r.InUse {
			b.Active++
		}
		if r.Shared {
			if !r.InUse {
				sharedFree += r.SizeBytes
			}
			continue
		}
		b.SizeBytes += r.SizeBytes
		if !r.InUse {
			b.DockerReclaimableBytes += r.SizeBytes
		}
	}
	cache := reclaim(inv, sc, true, inspect.KindBuildCache)
	b.ReclaimableBytes = cache.ReclaimBytes
	if _, filtered := sc.filter(inspect.KindBuildCache); !filtered {
		inPlan := map[string]bool{}
		for _, it := range cache.Items {
			inPlan[it.ID] = true
		}
		if _, n := inv.CacheHeldLayers(func(id string) bool { return inPlan[id] }); n > 0 {
			a.Notes = append(a.Notes, Note{
				Row:          "build_cache",
				Text:         "BuildKit's \"from local\" records hold layers of images removed since their builds; the engine sizes those records 0 B, pruning them frees the layers (counted in RECLAIMABLE, not in SIZE)",
				DockctlBytes: n,
			})
		}
	}

	// On the containerd image store, what the rows' objects take on
	// disk by the store's graph (see storeOnDisk).
	if inv.Store != nil && len(sc.Filters) == 0 {
		storeOnDisk(&a, inv)
	}

	// Full cleanup: everything `dockctl prune --all --volumes` removes.
	// Stopped containers go first, which frees the images and anonymous
	// volumes only they used, and the build cache goes with the images,
	// which frees the layers they shared.
	full := reclaim(inv, sc, false, inspect.Kinds...)
	a.FullCleanupBytes = full.ReclaimBytes
	a.full = full
	a.FullCleanupAllVolumesBytes = reclaim(inv, sc, true, inspect.Kinds...).ReclaimBytes
	a.Approximate = images.Approximate || full.Approximate
	// Bytes images and cache hold together: freed only when both go.
	// The cache is counted whole here even when the report leaves it out
	// (a label filter): its records hold the scoped images' layers anyway.
	withCache := Scope{Filters: map[inspect.Kind]inspect.Filter{}}
	for k, f := range sc.Filters {
		if k != inspect.KindBuildCache {
			withCache.Filters[k] = f
		}
	}
	together := reclaim(inv, withCache, true, inspect.KindImages, inspect.KindBuildCache).ReclaimBytes -
		images.ReclaimBytes - reclaim(inv, withCache, true, inspect.KindBuildCache).ReclaimBytes

	if im.DockerReclaimableBytes != im.ReclaimableBytes {
		a.Notes = append(a.Notes, Note{
			Row:          "images",
			Text:         "docker counts as reclaimable the layers unused images share with images in use or with BuildKit's cache; removing the unused images does not free them",
			DockerBytes:  im.DockerReclaimableBytes,
			DockctlBytes: im.ReclaimableBytes,
		})
	}
	if together > 0 {
		a.Notes = append(a.Notes, Note{
			Row:          "images",
			Text:         "layers of unused images that BuildKit's cache also holds stay on disk until both the images and the build cache are pruned; they are counted only in the full cleanup",
			DockctlBytes: together,
		})
	}
	for _, row := range []struct {
		name, kind string
		r          Row
	}{{"containers", "containers", a.Summary.Containers}, {"volumes", "volumes --all-volumes", a.Summary.Volumes}, {"build_cache", "buildcache --all", a.Summary.BuildCache}} {
		if d := row.r.DockerReclaimableBytes - row.r.ReclaimableBytes; d > 0 {
			a.Notes = append(a.Notes, Note{
				Row:          row.name,
				Text:         "dockctl's guards keep some of what docker counts (dockctl.keep=true, compose projects with a running container, parents of kept build cache); `dockctl prune " + row.kind + " --dry-run` lists each with its reason",
				DockerBytes:  row.r.DockerReclaimableBytes,
				DockctlBytes: row.r.ReclaimableBytes,
			})
		}
	}
	if sharedFree > 0 {
		a.Notes = append(a.Notes, Note{
			Row:          "build_cache",
			Text:         "shared build-cache records hold image layers: docker builder prune -a reports them as reclaimed, but the disk is freed only when the images go too",
			DockctlBytes: sharedFree,
		})
	}
	return a
}

// storeShares splits the containerd store's bytes by the kind holding
// them, for the containers and records inv lists.
func storeShares(inv *inspect.Inventory) inspect.StoreShares {
	return scopedStoreShares(inv, Scope{})
}

// scopedStoreShares is storeShares for the objects in scope: an image in
// scope brings the dangling parents docker rmi removes with it.
func scopedStoreShares(inv *inspect.Inventory, sc Scope) inspect.StoreShares {
	var images []string
	if _, ok := sc.filter(inspect.KindImages); ok {
		images = []string{}
		for _, img := range inv.Images {
			if sc.image(img) {
				images = append(images, inv.Store.RemovedWith(img.ID)...)
			}
		}
	}
	containers := make([]string, 0, len(inv.Containers))
	for _, c := range inv.Containers {
		if sc.container(c) {
			containers = append(containers, c.ID)
		}
	}
	records := make([]string, 0, len(inv.BuildCache))
	for _, r := range inv.BuildCache {
		if sc.buildCache(r) {
			records = append(records, r.ID)
		}
	}
	return inv.Store.Shares(images, containers, records)
}

// storeOnDisk notes, on the containerd image store, what images,
// writable layers and build cache take on disk by the store's graph:
// each blob and snapshot once, on the first of an image, a container and
// a build-cache record holding it. The rows keep docker's SIZE, which
// there counts a blob the build cache shares with images twice, leaves
// out containers' init layers and the base snapshots build records pin;
// the report's total and its disk accounting take the graph's figure
// (Accounting.storeBytes). What only BuildKit's build history and other
// leases keep is left to Unaccounted (the containerd dir), with a note;
// what no holder keeps (an expired lease's, swept at the next
// collection) is counted with the rest.
func storeOnDisk(a *Accounting, inv *inspect.Inventory) {
	sh := storeShares(inv)
	s := &a.Summary
	docker := s.Images.SizeBytes + s.Containers.SizeBytes + s.BuildCache.SizeBytes
	a.storeBytes = sh.Images + sh.Containers + sh.BuildCache + sh.Garbage
	a.storeOther = sh.Other
	if a.storeBytes != docker {
		a.Notes = append(a.Notes, Note{
			Row:          "images",
			Text:         "containerd image store: images, writable layers and build cache take this on disk, each blob and snapshot once (docker's SIZE counts blobs the build cache shares with images twice, and leaves out containers' init layers and the base snapshots build records pin)",
			DockerBytes:  docker,
			DockctlBytes: a.storeBytes,
		})
	}
	if sh.Other > 0 {
		a.Notes = append(a.Notes, Note{
			Row:          "images",
			Text:         "containerd image store: BuildKit's build history (48 h or 50 builds by default) and other leases keep blobs no prune removes; they are in Unaccounted",
			DockctlBytes: sh.Other,
		})
	}
}

// scopedLayersSize is LayersSize for some images: each distinct layer once.
func scopedLayersSize(imgs []inspect.Image, keep func(inspect.Image) bool) int64 {
	seen := map[string]bool{}
	var n int64
	for _, img := range imgs {
		if !keep(img) {
			continue
		}
		if img.Layers == nil {
			n += max(img.UniqueBytes, 0)
			continue
		}
		for _, l := range img.Layers {
			if !seen[l.ChainID] {
				seen[l.ChainID] = true
				n += l.SizeBytes
			}
		}
	}
	return n
}

// projects groups inv by compose project, largest first (objects of no
// project last, under the empty name), sharing out full, the full
// cleanup's plan; it also returns the projects' total size, each image
// once.
func projects(inv *inspect.Inventory, sc Scope, full prune.Plan) ([]Project, int64) {
	by := map[string]*Project{}
	get := func(name string) *Project {
		p, ok := by[name]
		if !ok {
			p = &Project{Name: name}
			by[name] = p
		}
		return p
	}
	// owner is the project whose share a planned removal is, by object id.
	owner := map[string]string{}
	imageProjects := map[string]map[string]bool{}
	var total int64
	for _, ct := range inv.Containers {
		if !sc.container(ct) {
			continue
		}
		owner[ct.ID] = ct.ComposeProject
		p := get(ct.ComposeProject)
		p.Containers++
		if ct.Active() {
			p.ContainersRunning++
		}
		p.Bytes += max(ct.SizeBytes, 0)
		total += max(ct.SizeBytes, 0)
		if imageProjects[ct.ImageID] == nil {
			imageProjects[ct.ImageID] = map[string]bool{}
		}
		imageProjects[ct.ImageID][ct.ComposeProject] = true
	}
	for _, img := range inv.Images {
		if !sc.image(img) {
			continue
		}
		projects := imageProjects[img.ID]
		if len(projects) == 0 {
			projects = map[string]bool{"": true}
		}
		unique := max(img.UniqueBytes, 0)
		total += unique
		for name := range projects {
			p := get(name)
			p.Images++
			p.Bytes += unique
			if len(projects) > 1 {
				p.SharedImages++
				p.SharedImageBytes += unique
			}
		}
		if len(projects) == 1 {
			for name := range projects {
				owner[img.ID] = name
			}
		}
	}
	for _, vol := range inv.Volumes {
		if !sc.volume(vol) {
			continue
		}
		owner[vol.Name] = vol.ComposeProject
		p := get(vol.ComposeProject)
		p.Volumes++
		p.Bytes += max(vol.SizeBytes, 0)
		total += max(vol.SizeBytes, 0)
	}
	for _, n := range inv.Networks {
		if n.Builtin || !sc.network(n) {
			continue
		}
		get(n.ComposeProject).Networks++
	}
	for _, it := range full.Items {
		if it.Bytes != 0 {
			get(owner[it.ID]).ReclaimableBytes += it.Bytes
		}
	}
	out := make([]Project, 0, len(by))
	for _, p := range by {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool {
		if (out[i].Name == "") != (out[j].Name == "") {
			return out[j].Name == ""
		}
		if out[i].Bytes != out[j].Bytes {
			return out[i].Bytes > out[j].Bytes
		}
		return out[i].Name < out[j].Name
	})
	return out, total
}

// Report is the whole `dockctl report` document.
type Report struct {
	Schema string `json:"schema"`
	// GeneratedAt is when the engine was read (RFC 3339 in JSON): what
	// tells one --every line from the next.
	GeneratedAt time.Time          `json:"generated_at"`
	Engine      inspect.EngineInfo `json:"engine"`
	Accounting
	// TotalBytes is everything docker holds: the four rows' SIZE added up
	// (on the containerd image store with its graph read, the store's
	// objects each once and the volumes), and the logs when the storage
	// probe measured them.
	TotalBytes int64     `json:"total_bytes"`
	Projects   []Project `json:"projects"`
	// Disk is the root dir as the storage probe measured it; nil when
	// the probe was not asked (a report built from the engine alone).
	Disk *Disk `json:"disk,omitempty"`
	// Logs lists containers' logs, largest first, with Verbose and a
	// measurement.
	Logs []ContainerLog `json:"logs,omitempty"`
	// ProjectsTotalBytes is the projects' SIZE added up with each image
	// once; layers images share are in no project's SIZE.
	ProjectsTotalBytes int64 `json:"projects_total_bytes"`
	// Verbose lists, largest first, when asked for.
	Images     []inspect.Image            `json:"images,omitempty"`
	Containers []inspect.Container        `json:"containers,omitempty"`
	Volumes    []inspect.Volume           `json:"volumes,omitempty"`
	BuildCache []inspect.BuildCacheRecord `json:"build_cache,omitempty"`
	// Top is the cut of the verbose lists (0: whole); Omitted counts the
	// objects each list left out.
	Top     int     `json:"top,omitempty"`
	Omitted Omitted `json:"omitted"`
	// UnlimitedLogs are the containers (in scope, by name) whose json-file
	// log has no max-size: it grows until the container is removed
	// (`prune logs` never empties a live log). Verbose only, and only when the log options were collected.
	UnlimitedLogs []string `json:"unlimited_logs,omitempty"`
	// Orphans are the dirs under the storage driver's dir that nothing
	// the engine knows references (largest first): verbose only, where
	// the probe reads the root dir.
	Orphans []probe.Orphan `json:"orphans,omitempty"`
	// CacheHeldLayers are the layers no image or container uses that
	// BuildKit's "from local" records hold (inventory's
	// UnreferencedLayers): verbose only, where the probe reads the layer
	// store.
	CacheHeldLayers []inspect.Layer `json:"cache_held_layers,omitempty"`
}

// Omitted counts, per verbose list, the objects a Top left out.
type Omitted struct {
	Images     int `json:"images"`
	Containers int `json:"containers"`
	Volumes    int `json:"volumes"`
	BuildCache int `json:"build_cache"`
}

// Options shape a Report.
type Options struct {
	Verbose bool
	// Top keeps the N largest objects of each verbose list (0: all).
	Top int
	// Scope limits the report to some objects.
	Scope Scope
	// Disk is the storage probe's measurement of the root dir, nil when
	// it could not measure: then DiskUnavailable says why, in one line
	// (and the report is built from the engine's figures alone).
	Disk            *probe.Measurement
	DiskUnavailable string
}

// Build assembles the report from an inventory holding every kind.
func Build(inv *inspect.Inventory, eng inspect.EngineInfo, o Options) Report {
	FillLogs(inv, o.Disk)
	// Whole seconds: sub-second digits only make the JSON harder to read.
	r := Report{Schema: Schema, GeneratedAt: inv.Time.Truncate(time.Second), Engine: eng, Accounting: Compute(inv, o.Scope)}
	r.Projects, r.ProjectsTotalBytes = projects(inv, o.Scope, r.full)
	if o.Disk != nil || o.DiskUnavailable != "" {
		r.Disk = diskRows(&r.Accounting, inv, o.Scope, eng, o.Disk, o.DiskUnavailable)
	}
	s := r.Summary
	r.TotalBytes = s.Images.SizeBytes + s.Containers.SizeBytes + s.Volumes.SizeBytes + s.BuildCache.SizeBytes
	if r.storeBytes > 0 {
		// The containerd store's objects each once, as they are on
		// disk, not docker's rows (see storeOnDisk).
		r.TotalBytes = r.storeBytes + s.Volumes.SizeBytes
	}
	if s.Logs != nil {
		r.TotalBytes += s.Logs.SizeBytes
	}
	if o.Verbose {
		r.Top = o.Top
		r.Images, r.Omitted.Images = largest(inv.Images, o.Scope.image, func(i inspect.Image) int64 { return i.SizeBytes }, o.Top)
		r.Containers, r.Omitted.Containers = largest(inv.Containers, o.Scope.container, func(c inspect.Container) int64 { return c.SizeBytes }, o.Top)
		r.Volumes, r.Omitted.Volumes = largest(inv.Volumes, o.Scope.volume, func(v inspect.Volume) int64 { return v.SizeBytes }, o.Top)
		r.BuildCache, r.Omitted.BuildCache = largest(inv.BuildCache, o.Scope.buildCache, func(b inspect.BuildCacheRecord) int64 { return b.SizeBytes }, o.Top)
		for _, c := range inv.Containers {
			if c.LogDriver == "json-file" && c.LogMaxSize == "" && o.Scope.container(c) {
				r.UnlimitedLogs = append(r.UnlimitedLogs, c.Name)
			}
		}
		sort.Strings(r.UnlimitedLogs)
		r.CacheHeldLayers = inv.UnreferencedLayers
		if o.Disk != nil {
			r.Logs = largestLogs(inv, o.Scope, o.Top)
		}
	}
	return r
}

// largest keeps the top objects of all in scope, largest first, and
// counts those it left out.
func largest[T any](all []T, keep func(T) bool, size func(T) int64, top int) ([]T, int) {
	out := []T{}
	for _, v := range all {
		if keep(v) {
			out = append(out, v)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return size(out[i]) > size(out[j]) })
	if top > 0 && len(out) > top {
		return out[:top], len(out) - top
	}
	return out, 0
}
