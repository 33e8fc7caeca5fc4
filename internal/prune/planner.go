package prune

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/parse"
)

// sortedContainers is a copy of cs in the given order, stable. It sorts
// indices, not the containers: swapping the large structs (write barriers
// and all) took a quarter of a 500-engine fleet report's CPU, which plans
// several prunes per engine.
func sortedContainers(cs []inspect.Container, order func(a, b *inspect.Container) int) []inspect.Container {
	idx := make([]int, len(cs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(i, j int) int { return order(&cs[i], &cs[j]) })
	out := make([]inspect.Container, len(cs))
	for k, i := range idx {
		out[k] = cs[i]
	}
	return out
}

// planner holds one BuildPlan run's state.
type planner struct {
	inv   *inspect.Inventory
	pol   Policy
	guard Guards
	now   time.Time
	kinds []inspect.Kind
	scope map[inspect.Kind]bool

	// containersKnown is set when the inventory lists containers, so
	// that users of images, volumes and networks can be worked out;
	// otherwise the engine's counts are trusted.
	containersKnown bool
	// removed and removedNames are the containers the plan removes.
	removed      map[string]bool
	removedNames map[string]bool
	// remaining are the containers that stay, sorted by name.
	remaining []inspect.Container
	// running are the compose projects with an active container.
	running map[string]bool

	// heldReleased holds, per shared build-cache record, the bytes of the
	// image layer it shares that the plan's image removals release: the
	// disk frees them only when the record is removed too.
	heldReleased map[string]int64
	// heldBy are the shared records holding each such layer (sorted).
	heldBy map[string][]string

	items       map[Type][]Item
	kept        []Kept
	approximate bool
	budget      *budgetState

	// createdFrom lists each image's containers by name, built on first
	// use: looking them up per image would make planning quadratic.
	createdFrom map[string][]inspect.Container

	// store follows the plan's removals through the containerd image
	// store's object graph (inspect.StoreBook), in the order Apply runs
	// them; nil on engines without one (see storeRelease).
	store *inspect.StoreBook
}

// storeRelease asks the containerd image store's graph what removing the
// objects match selects frees, after everything the plan removed before
// it. It reports false when the inventory has no graph or nothing in it
// belongs to the object; callers then size the item as before. On that
// store a removal frees nothing itself: it drops holders, and the
// collector frees what no other holder keeps (image layers the build
// cache still holds stay, and go with the last holder).
func (pl *planner) storeRelease(match func(inspect.StoreHolder) bool) (int64, bool) {
	if pl.inv.Store == nil {
		return 0, false
	}
	if pl.store == nil {
		pl.store = pl.inv.Store.NewBook()
	}
	return pl.store.Release(match)
}

// settleStore sizes the plan's build cache through the store's graph.
// It runs after the images, as Apply does: a record's bytes are what is
// left once the plan's images are gone, so a layer images and records
// both hold is counted on the record that lets it go.
func (pl *planner) settleStore() {
	if pl.inv.Store == nil {
		return
	}
	for i, it := range pl.items[TypeBuildCache] {
		// BuildKit's prune drops its temporary leases too: they go with
		// the first record.
		first := i == 0
		n, ok := pl.storeRelease(func(h inspect.StoreHolder) bool { return h.BuildRecordHolder(it.ID) || (first && h.Temporary) })
		if !ok {
			continue
		}
		if it.SizeUnknown {
			it.SizeUnknown = false
			it.Reason = strings.TrimSuffix(it.Reason, sizeUnknown)
		}
		if strings.HasPrefix(it.Reason, "unused shared build cache") {
			it.Reason = "unused shared build cache (frees what the images it shares with no longer hold)"
		}
		it.Bytes = n
		pl.items[TypeBuildCache][i] = it
	}
}

func newPlanner(inv *inspect.Inventory, pol Policy, now time.Time) *planner {
	if inv == nil {
		inv = &inspect.Inventory{}
	}
	pl := &planner{
		inv:          inv,
		pol:          pol,
		guard:        pol.guards(),
		now:          now,
		kinds:        pol.scope(),
		scope:        map[inspect.Kind]bool{},
		removed:      map[string]bool{},
		removedNames: map[string]bool{},
		running:      map[string]bool{},
		items:        map[Type][]Item{},
	}
	for _, k := range pl.kinds {
		pl.scope[k] = true
	}
	pl.containersKnown = inv.Has(inspect.KindContainers) || len(inv.Containers) > 0
	for _, c := range inv.Containers {
		if c.Active() && c.ComposeProject != "" {
			pl.running[c.ComposeProject] = true
		}
	}
	return pl
}

// settleHeld credits the shared build-cache records the plan removes with
// the image layers they hold that the plan's image removals release: the
// disk frees such a layer only when both the images and the record go.
// Images are planned after the build cache (budget mode counts the other
// kinds first), so this runs last.
func (pl *planner) settleHeld() {
	planned := map[string]int{}
	for i, it := range pl.items[TypeBuildCache] {
		planned[it.ID] = i
	}
	credit := map[string]int64{}
	for chain, n := range pl.heldReleased {
		recs := pl.heldBy[chain]
		all := len(recs) > 0
		for _, r := range recs {
			if _, ok := planned[r]; !ok {
				all = false
			}
		}
		// Freed only when every record holding it goes; counted on the
		// last of them by id, so the items still add up.
		if all {
			credit[recs[len(recs)-1]] += n
		}
	}
	for id, n := range credit {
		i := planned[id]
		it := pl.items[TypeBuildCache][i]
		it.Reason = "unused shared build cache (frees the layer of an image removed in this plan)"
		pl.sized(&it, n)
		pl.items[TypeBuildCache][i] = it
	}
}

// settleCacheHeldLayers credits the plan's build cache with the layers of
// removed images that BuildKit's "from local" records still hold
// (inspect.Inventory.CacheHeldLayers): the engine sizes those records 0 B,
// the disk frees the layers with them. Not under a build-cache filter,
// which picks records by what the engine says of them.
func (pl *planner) settleCacheHeldLayers() {
	if !pl.scope[inspect.KindBuildCache] {
		return
	}
	if _, ok := pl.filter(inspect.KindBuildCache); ok {
		return
	}
	planned := map[string]int{}
	for i, it := range pl.items[TypeBuildCache] {
		planned[it.ID] = i
	}
	id, n := pl.inv.CacheHeldLayers(func(id string) bool { _, ok := planned[id]; return ok })
	if id == "" || n == 0 {
		return
	}
	i := planned[id]
	it := pl.items[TypeBuildCache][i]
	it.Reason = "unused build cache (frees the layers of removed images that BuildKit's \"from local\" records hold)"
	it.Bytes += n
	pl.items[TypeBuildCache][i] = it
}

func (pl *planner) build() Plan {
	pl.budget = pl.budgetStart()
	pl.containers()
	pl.networks()
	pl.volumes()
	pl.buildCache()
	pl.images()
	if pl.inv.Store != nil {
		pl.settleStore()
	} else {
		pl.settleHeld()
		pl.settleCacheHeldLayers()
	}
	pl.logs()

	p := Plan{
		Guards: pl.savedGuards(),
		Schema: Schema,
		DryRun: pl.pol.DryRun,
		Time:   pl.now,
		Kinds:  append([]inspect.Kind{}, pl.kinds...),
		Items:  []Item{},
		Kept:   pl.kept,
	}
	if p.Kinds == nil {
		p.Kinds = []inspect.Kind{}
	}
	if pl.budget != nil && !pl.budget.Triggered {
		// Under the mark: nothing goes. What a guard keeps keeps its
		// guard's reason; the rest is kept for the budget.
		for _, t := range types {
			for _, it := range pl.items[t] {
				if it.Action != ActionUntag {
					p.Kept = append(p.Kept, Kept{Type: it.Type, ID: it.ID, Name: it.Name, Reason: pl.budget.under})
				}
			}
		}
		pl.items = nil
		pl.approximate = false
	}
	for _, t := range types {
		p.Items = append(p.Items, pl.items[t]...)
	}
	if p.Kept == nil {
		p.Kept = []Kept{}
	}
	for _, it := range p.Items {
		p.ReclaimBytes += it.Bytes
	}
	p.Approximate = pl.approximate
	if pl.budget != nil {
		b := pl.budget.Budget
		b.PredictedBytes = b.UsageBytes - p.ReclaimBytes
		b.Reached = !b.Triggered || b.PredictedBytes <= b.TargetBytes
		p.Budget = &b
	}
	sortPlan(&p)
	return p
}

// anonymousByName is the reason's word for a volume only its name says is
// anonymous.
const anonymousByName = "anonymous (by its name: engines before 23.0 do not record it)"

// savedGuards are the guards a plan carries for Apply, nil when there are
// none beyond the keep label (older plan files have none either).
func (pl *planner) savedGuards() *Guards {
	if pl.guard.empty() {
		return nil
	}
	return &Guards{Keep: append([]string(nil), pl.guard.Keep...), KeepLabels: append([]string(nil), pl.guard.KeepLabels...)}
}

func (pl *planner) add(it Item) { pl.items[it.Type] = append(pl.items[it.Type], it) }

func (pl *planner) keep(t Type, id, name, reason string) {
	pl.kept = append(pl.kept, Kept{Type: t, ID: id, Name: name, Reason: reason})
}

// sized sets an item's bytes, counting an unknown size as 0.
func (pl *planner) sized(it *Item, n int64) {
	if n < 0 {
		it.Bytes = 0
		it.SizeUnknown = true
		it.Reason += sizeUnknown
		pl.approximate = true
		return
	}
	it.Bytes = n
}

// sizeUnknown is what a reason says of an item whose bytes are not known.
const sizeUnknown = "; size unknown"

// filter returns kind k's filter when one is set.
func (pl *planner) filter(k inspect.Kind) (inspect.Filter, bool) {
	f, ok := pl.pol.Filters[k]
	return f, ok && !f.Empty()
}

const outsideFilter = "outside --filter"

func (pl *planner) younger(t time.Time) bool {
	return pl.pol.OlderThan > 0 && !t.IsZero() && pl.now.Sub(t) < pl.pol.OlderThan
}

// composeRunning returns the reason a compose project keeps its objects.
func (pl *planner) composeRunning(project string) string {
	if project != "" && pl.running[project] && !pl.pol.IncludeRunningProjects {
		return "compose project " + project + " is running"
	}
	return ""
}

// guards applies the guards common to every named kind: labels, --keep,
// compose projects and age.
func (pl *planner) guards(labels map[string]string, name, project string, created time.Time) string {
	if why := pl.guard.protects(labels, []string{name}, nil); why != "" {
		return why
	}
	if why := pl.composeRunning(project); why != "" {
		return why
	}
	if pl.younger(created) {
		return youngerReason(pl.pol.OlderThan)
	}
	return ""
}

func (pl *planner) containers() {
	cs := sortedContainers(pl.inv.Containers, func(a, b *inspect.Container) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID))
	})
	for _, c := range cs {
		if !pl.scope[inspect.KindContainers] {
			pl.remaining = append(pl.remaining, c)
			continue
		}
		if why := pl.keepContainer(c); why != "" {
			pl.keep(TypeContainer, c.ID, c.Name, why)
			pl.remaining = append(pl.remaining, c)
			continue
		}
		it := Item{Type: TypeContainer, ID: c.ID, Name: c.Name, Reason: "not running (" + c.State + ")"}
		// On the containerd store the writable layer and its init layer
		// are snapshots a lease named after the container holds.
		if n, ok := pl.storeRelease(func(h inspect.StoreHolder) bool { return h.ContainerHolder(c.ID) }); ok {
			it.Bytes = n
		} else {
			pl.sized(&it, c.SizeBytes)
		}
		// The container's dir, and its logs with it, goes with it.
		if c.LogBytes > 0 {
			it.LogBytes = c.LogBytes
			it.Bytes += c.LogBytes
		}
		pl.add(it)
		pl.removed[c.ID] = true
		pl.removedNames[c.Name] = true
	}
}

func (pl *planner) keepContainer(c inspect.Container) string {
	if c.Active() {
		return c.State
	}
	switch c.State {
	case "created", "exited", "dead":
	default:
		return "state " + c.State
	}
	if f, ok := pl.filter(inspect.KindContainers); ok && !f.Container(c) {
		return outsideFilter
	}
	return pl.guards(c.Labels, c.Name, c.ComposeProject, c.Created)
}

// useIndex says, for one kind of object, which containers use each object
// (by the names or ids the containers give for it): those that stay, and
// whether one the plan removes did. Built once the containers are planned,
// so that finding an object's users does not scan every container.
type useIndex struct {
	staying map[string][]string // key → names of remaining containers
	removed map[string]bool     // key → a removed container used it
}

// index builds the use index of keysOf (a container's volume names, its
// networks, its image id).
func (pl *planner) index(keysOf func(c inspect.Container) []string) *useIndex {
	idx := &useIndex{staying: map[string][]string{}, removed: map[string]bool{}}
	for _, c := range pl.remaining {
		for _, k := range keysOf(c) {
			idx.staying[k] = append(idx.staying[k], c.Name)
		}
	}
	for _, c := range pl.inv.Containers {
		if pl.removed[c.ID] {
			for _, k := range keysOf(c) {
				idx.removed[k] = true
			}
		}
	}
	return idx
}

// users returns, sorted and without duplicates, the remaining containers
// that use an object known by keys, and those the object lists by name
// that the plan does not remove.
func (pl *planner) users(idx *useIndex, listed []string, keys ...string) []string {
	seen := map[string]bool{}
	var out []string
	for _, k := range keys {
		for _, n := range idx.staying[k] {
			if !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	for _, n := range listed {
		if !pl.removedNames[n] && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// wasUsed reports whether a removed container used an object known by keys
// (or listed by name).
func (pl *planner) wasUsed(idx *useIndex, listed []string, keys ...string) bool {
	for _, n := range listed {
		if pl.removedNames[n] {
			return true
		}
	}
	for _, k := range keys {
		if idx.removed[k] {
			return true
		}
	}
	return false
}

const cascade = " (its containers are removed in this plan)"

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func (pl *planner) networks() {
	if !pl.scope[inspect.KindNetworks] {
		return
	}
	ns := append([]inspect.Network{}, pl.inv.Networks...)
	sort.SliceStable(ns, func(i, j int) bool {
		if ns[i].Name != ns[j].Name {
			return ns[i].Name < ns[j].Name
		}
		return ns[i].ID < ns[j].ID
	})
	idx := pl.index(func(c inspect.Container) []string { return c.Networks })
	for _, n := range ns {
		why := ""
		if n.Builtin {
			why = "built-in network"
		} else if f, ok := pl.filter(inspect.KindNetworks); ok && !f.Network(n) {
			why = outsideFilter
		} else if u := pl.users(idx, n.Containers, n.Name, n.ID); len(u) > 0 {
			why = usedBy(u)
		} else {
			why = pl.guards(n.Labels, n.Name, n.ComposeProject, n.Created)
		}
		if why != "" {
			pl.keep(TypeNetwork, n.ID, n.Name, why)
			continue
		}
		reason := "unused custom network"
		if pl.wasUsed(idx, n.Containers, n.Name, n.ID) {
			reason += cascade
		}
		pl.add(Item{Type: TypeNetwork, ID: n.ID, Name: n.Name, Reason: reason})
	}
}

func (pl *planner) volumes() {
	if !pl.scope[inspect.KindVolumes] {
		return
	}
	vs := append([]inspect.Volume{}, pl.inv.Volumes...)
	sort.SliceStable(vs, func(i, j int) bool { return vs[i].Name < vs[j].Name })
	idx := pl.index(func(c inspect.Container) []string { return c.Volumes })
	for _, v := range vs {
		why := ""
		if f, ok := pl.filter(inspect.KindVolumes); ok && !f.Volume(v) {
			why = outsideFilter
		} else if u := pl.users(idx, v.Containers, v.Name); len(u) > 0 {
			why = usedBy(u)
		} else if !pl.containersKnown && len(v.Containers) == 0 && v.RefCount > 0 {
			why = usedByCount(v.RefCount)
		} else if !v.Anonymous && !pl.pol.AllVolumes {
			why = "named volume (use --all-volumes)"
		} else {
			why = pl.guards(v.Labels, v.Name, v.ComposeProject, v.Created)
		}
		if why != "" {
			pl.keep(TypeVolume, v.Name, v.Name, why)
			continue
		}
		reason := "unused named volume"
		switch {
		case v.AnonymousByName:
			reason = "unused volume, " + anonymousByName
		case v.Anonymous:
			reason = "unused anonymous volume"
		}
		if v.ComposeProject != "" {
			// --all-volumes takes a stopped project's data with it:
			// say whose data it is.
			state := "stopped"
			if pl.running[v.ComposeProject] {
				state = "running"
			}
			reason += fmt.Sprintf(" of compose project %s (%s)", v.ComposeProject, state)
		}
		if pl.wasUsed(idx, v.Containers, v.Name) {
			reason += cascade
		}
		it := Item{Type: TypeVolume, ID: v.Name, Name: v.Name, Reason: reason}
		pl.sized(&it, v.SizeBytes)
		pl.add(it)
	}
}

// buildCacheTypesKept are the record types `docker builder prune`
// without -a leaves alone (BuildKit's internal and frontend records).
var buildCacheTypesKept = map[string]bool{"internal": true, "frontend": true}

func (pl *planner) buildCache() {
	if !pl.scope[inspect.KindBuildCache] {
		return
	}
	rs := append([]inspect.BuildCacheRecord{}, pl.inv.BuildCache...)
	sort.SliceStable(rs, func(i, j int) bool { return rs[i].ID < rs[j].ID })
	byID := map[string]inspect.BuildCacheRecord{}
	why := map[string]string{}
	for _, r := range rs {
		byID[r.ID] = r
		why[r.ID] = pl.keepBuildCache(r)
	}
	// A parent stays while a child stays: BuildKit does not free it.
	var keepParents func(id string, depth int)
	keepParents = func(id string, depth int) {
		if depth > len(rs) {
			return
		}
		parents := append([]string(nil), byID[id].Parents...)
		sort.Strings(parents)
		for _, p := range parents {
			if _, ok := byID[p]; ok && why[p] == "" {
				why[p] = "parent of kept build cache " + shortID(id)
				keepParents(p, depth+1)
			}
		}
	}
	for _, r := range rs {
		if why[r.ID] != "" {
			keepParents(r.ID, 0)
		}
	}
	// Children go before their parents: order by depth, deepest first.
	depth := map[string]int{}
	var depthOf func(id string, guard int) int
	depthOf = func(id string, guard int) int {
		if d, ok := depth[id]; ok {
			return d
		}
		d := 0
		if guard <= len(rs) {
			for _, p := range byID[id].Parents {
				if _, ok := byID[p]; ok {
					d = max(d, depthOf(p, guard+1)+1)
				}
			}
		}
		depth[id] = d
		return d
	}
	var planned []inspect.BuildCacheRecord
	for _, r := range rs {
		if why[r.ID] != "" {
			pl.keep(TypeBuildCache, r.ID, cacheName(r), why[r.ID])
			continue
		}
		depthOf(r.ID, 0)
		planned = append(planned, r)
	}
	sort.SliceStable(planned, func(i, j int) bool { return depth[planned[i].ID] > depth[planned[j].ID] })
	for _, r := range planned {
		it := Item{Type: TypeBuildCache, ID: r.ID, Name: cacheName(r), Reason: "unused build cache"}
		if r.Shared {
			// Its bytes are an image layer's; settleHeld credits them here
			// if the plan's images release that layer.
			it.Reason = "unused shared build cache (its bytes are held by images)"
			pl.add(it)
			continue
		}
		pl.sized(&it, r.SizeBytes)
		pl.add(it)
	}
}

// cacheName names a record by its description, or its short id.
func cacheName(r inspect.BuildCacheRecord) string {
	if r.Description != "" {
		return r.Description
	}
	return shortID(r.ID)
}

func (pl *planner) keepBuildCache(r inspect.BuildCacheRecord) string {
	if r.InUse {
		return "in use"
	}
	if f, ok := pl.filter(inspect.KindBuildCache); ok && !f.BuildCache(r) {
		return outsideFilter
	}
	if !pl.pol.AllBuildCache {
		if r.Shared {
			return "shared with images (use --all)"
		}
		if buildCacheTypesKept[r.Type] {
			return r.Type + " record (use --all)"
		}
	}
	if !r.LastUsed.IsZero() {
		if pl.younger(r.LastUsed) {
			return "last used less than " + parse.FormatDuration(pl.pol.OlderThan) + " ago"
		}
	} else if pl.younger(r.Created) {
		return youngerReason(pl.pol.OlderThan)
	}
	return ""
}

// repoOf is a tag without its ":tag".
func repoOf(ref string) string {
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[:i]
	}
	return ref
}
