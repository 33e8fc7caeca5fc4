package prune

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dockctl/dockctl/internal/inspect"
)

// budgetState is budget mode's running state.
type budgetState struct {
	Budget
	percent bool    // watermarks (else TargetUsage)
	size    int64   // filesystem size, for percentages
	high    float64 // watermarks
	low     float64
	under   string // the reason everything is kept when not triggered
}

// budgetStart works out the usage and the marks, or returns nil when
// budget mode is off.
func (pl *planner) budgetStart() *budgetState {
	p := pl.pol
	if !p.budget() {
		return nil
	}
	b := &budgetState{}
	if p.HighWatermark > 0 {
		b.percent = true
		b.Source = "filesystem"
		b.size = p.FS.SizeBytes
		b.high, b.low = p.HighWatermark, p.LowWatermark
		if b.low == 0 {
			b.low = b.high
		}
		b.UsageBytes = p.FS.SizeBytes - p.FS.FreeBytes
		b.TriggerBytes = int64(b.high / 100 * float64(b.size))
		b.TargetBytes = int64(b.low / 100 * float64(b.size))
		b.Triggered = b.size > 0 && float64(b.UsageBytes)*100 > b.high*float64(b.size)
		b.under = fmt.Sprintf("usage %s is under the high watermark %s", b.pct(b.UsageBytes), fmtPercent(b.high))
	} else {
		b.Source = "docker"
		b.UsageBytes = pl.inv.DockerBytes()
		b.TriggerBytes = p.TargetUsage
		b.TargetBytes = p.TargetUsage
		b.Triggered = b.UsageBytes > p.TargetUsage
		b.under = fmt.Sprintf("usage %s is under the target %s", fmtBytes(b.UsageBytes), fmtBytes(p.TargetUsage))
	}
	return b
}

func (b *budgetState) pct(n int64) string {
	if b.size <= 0 {
		return "?%"
	}
	return fmtPercent(float64(n) * 100 / float64(b.size))
}

// notNeeded is the reason an eligible image stays once the target is met.
func (b *budgetState) notNeeded(predicted int64) string {
	if b.percent {
		mark := "low watermark"
		if b.low == b.high {
			mark = "high watermark"
		}
		return fmt.Sprintf("not needed: usage is predicted at %s, under the %s %s", b.pct(predicted), mark, fmtPercent(b.low))
	}
	return fmt.Sprintf("not needed: usage is predicted at %s, under the target %s", fmtBytes(predicted), fmtBytes(b.TargetBytes))
}

// candidate is an image the guards let go.
type candidate struct {
	img      inspect.Image
	tags     []string
	name     string
	lastUse  time.Time
	signal   string
	cascaded bool
}

// tagKeep is why one tag of an image stays: reason stands alone ("matches
// --keep 'app:*'"), clause follows the tag ("app:1 matches --keep …").
type tagKeep struct{ reason, clause string }

// imageName names an image in the plan: by the tag its containers were
// created from (the name the user knows it by), else by its first tag,
// else by repository and short id.
func (pl *planner) imageName(img inspect.Image, tags []string) string {
	for _, c := range pl.containersOf(img.ID) {
		ref := inspect.FamiliarRef(c.Image)
		for _, t := range tags {
			if inspect.FamiliarRef(t) == ref {
				return t
			}
		}
	}
	return imageName(img, tags)
}

func imageName(img inspect.Image, tags []string) string {
	if len(tags) > 0 {
		return tags[0]
	}
	if len(img.Digests) > 0 {
		ds := append([]string{}, img.Digests...)
		sort.Strings(ds)
		return repoOfDigest(ds[0]) + "@" + shortID(img.ID)
	}
	return shortID(img.ID)
}

func repoOfDigest(d string) string {
	if i := strings.Index(d, "@"); i >= 0 {
		return d[:i]
	}
	return d
}

func (pl *planner) images() {
	if !pl.scope[inspect.KindImages] {
		return
	}
	imgs := append([]inspect.Image{}, pl.inv.Images...)
	sort.SliceStable(imgs, func(i, j int) bool { return imgs[i].ID < imgs[j].ID })

	idx := pl.index(func(c inspect.Container) []string { return []string{c.ImageID} })
	users := idx.staying
	recent := pl.recentTags(imgs)

	var cands []candidate
	for _, img := range imgs {
		tags := append([]string{}, img.Tags...)
		sort.Strings(tags)
		name := pl.imageName(img, tags)
		if why := pl.keepImage(img, users[img.ID]); why != "" {
			pl.keep(TypeImage, img.ID, name, why)
			continue
		}
		// Tags: a tag a guard keeps keeps the image; the others go as
		// untags.
		var keptTag string
		var kept tagKeep
		var drop []string
		for _, t := range tags {
			k, ok := recent[img.ID][t]
			if r := pl.guard.protects(nil, nil, []string{t}); r != "" {
				k, ok = tagKeep{reason: r, clause: r}, true
			}
			if !ok {
				drop = append(drop, t)
				continue
			}
			if keptTag == "" {
				keptTag, kept = t, k
			}
		}
		if keptTag != "" {
			pl.keep(TypeImage, img.ID, keptTag, kept.reason)
			for _, t := range drop {
				pl.add(Item{
					Type: TypeImage, ID: img.ID, Name: t,
					Reason: fmt.Sprintf("untag %s (image kept: %s %s)", t, keptTag, kept.clause),
					Action: ActionUntag, Refs: []string{t},
				})
			}
			continue
		}
		c := candidate{img: img, tags: tags, name: name}
		c.lastUse, c.signal = pl.lastUse(img)
		c.cascaded = pl.wasUsed(idx, nil, img.ID)
		cands = append(cands, c)
	}
	// Untags first, by tag.
	untags := pl.items[TypeImage]
	sort.SliceStable(untags, func(i, j int) bool { return untags[i].Name < untags[j].Name })

	// Removals least recently used first.
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if !a.lastUse.Equal(b.lastUse) {
			return a.lastUse.Before(b.lastUse)
		}
		if a.name != b.name {
			return a.name < b.name
		}
		return a.img.ID < b.img.ID
	})
	layers := newLayerBook(imgs, inspect.HeldLayerRecords(pl.inv.Images, pl.inv.BuildCache))
	pl.heldReleased, pl.heldBy = layers.released, layers.held
	if layers.missing && pl.inv.Store == nil {
		pl.approximate = true
	}
	predicted := int64(0)
	b := pl.budget
	if b != nil {
		predicted = b.UsageBytes
		for _, t := range types {
			for _, it := range pl.items[t] {
				predicted -= it.Bytes
			}
		}
	}
	var notNeeded []candidate
	for _, c := range cands {
		if b != nil && b.Triggered && predicted <= b.TargetBytes {
			notNeeded = append(notNeeded, c)
			continue
		}
		it := Item{Type: TypeImage, ID: c.img.ID, Name: c.name, Action: ActionRemove, Refs: c.tags}
		switch {
		case b != nil:
			it.Reason = fmt.Sprintf("least recently used: last used %s (%s)", c.lastUse.UTC().Format("2006-01-02"), c.signal)
		case c.img.Dangling:
			it.Reason = "dangling image"
		default:
			it.Reason = "unused image"
		}
		if c.cascaded && b == nil {
			it.Reason += cascade
		}
		n, unknown := layers.remove(c.img)
		if pl.inv.Store != nil {
			var found bool
			gone := pl.inv.Store.RemovedWith(c.img.ID)
			n, found = pl.storeRelease(func(h inspect.StoreHolder) bool {
				return slices.ContainsFunc(gone, h.ImageHolder)
			})
			// Not in the graph: listed after containerd was read.
			unknown = !found
		}
		if unknown {
			it.Reason += sizeUnknown
			it.SizeUnknown = true
			pl.approximate = true
		}
		it.Bytes = n
		predicted -= n
		pl.add(it)
	}
	for _, c := range notNeeded {
		pl.keep(TypeImage, c.img.ID, c.name, b.notNeeded(predicted))
	}
	pl.keepBases(imgs)
}

// keepBases keeps a planned image whose layers all belong to a kept image.
// It is that image's base: with the classic builder its parent, which the
// engine refuses to delete while the child exists (409, and the tags would
// already be gone); in any case removing it frees nothing. Dropping it
// from the plan costs no space.
func (pl *planner) keepBases(imgs []inspect.Image) {
	byID := map[string]inspect.Image{}
	for _, img := range imgs {
		byID[img.ID] = img
	}
	holder := map[string]string{} // chain id -> a kept image holding it
	for _, k := range pl.kept {
		if k.Type != TypeImage {
			continue
		}
		for _, l := range byID[k.ID].Layers {
			if cur, ok := holder[l.ChainID]; !ok || k.Name < cur {
				holder[l.ChainID] = k.Name
			}
		}
	}
	items := pl.items[TypeImage]
	out := items[:0]
	for _, it := range items {
		img := byID[it.ID]
		if it.Action == ActionRemove && len(img.Layers) > 0 && it.Bytes == 0 {
			if name, ok := holder[img.Layers[len(img.Layers)-1].ChainID]; ok {
				pl.keep(TypeImage, it.ID, it.Name, fmt.Sprintf("base of kept image %s: its layers stay, removing it frees nothing", name))
				continue
			}
		}
		out = append(out, it)
	}
	pl.items[TypeImage] = out
}

// keepImage applies the guards that keep a whole image.
func (pl *planner) keepImage(img inspect.Image, users []string) string {
	if len(users) > 0 {
		sort.Strings(users)
		return usedBy(users)
	}
	if !pl.containersKnown && img.Containers > 0 {
		return usedByCount(img.Containers)
	}
	if !pl.containersKnown && img.Containers < 0 {
		return "container use unknown"
	}
	if f, ok := pl.filter(inspect.KindImages); ok && !f.Image(img) {
		return outsideFilter
	}
	if !pl.pol.All && !img.Dangling {
		return "unused image: only dangling images without --all"
	}
	if why := pl.guard.protects(img.Labels, nil, nil); why != "" {
		return why
	}
	if why := pl.composeRunning(img.Labels[inspect.ComposeProjectLabel]); why != "" {
		return why
	}
	newest := img.Created
	if img.LastTagged.After(newest) {
		newest = img.LastTagged
	}
	if pl.younger(newest) {
		return youngerReason(pl.pol.OlderThan)
	}
	digests := append([]string(nil), img.Digests...)
	sort.Strings(digests)
	return pl.guard.protects(nil, nil, digests)
}

// recentTags finds the tags KeepRecent protects: each repository's N
// newest images (by creation, then last tag, then id) keep their tags of
// that repository. Every image counts, whatever the guards say of it.
func (pl *planner) recentTags(imgs []inspect.Image) map[string]map[string]tagKeep {
	out := map[string]map[string]tagKeep{}
	n := pl.pol.KeepRecent
	if n <= 0 {
		return out
	}
	byRepo := map[string][]inspect.Image{}
	for _, img := range imgs {
		seen := map[string]bool{}
		for _, t := range img.Tags {
			r := repoOf(t)
			if !seen[r] {
				seen[r] = true
				byRepo[r] = append(byRepo[r], img)
			}
		}
	}
	for repo, list := range byRepo {
		sort.SliceStable(list, func(i, j int) bool {
			a, b := list[i], list[j]
			if !a.Created.Equal(b.Created) {
				return a.Created.After(b.Created)
			}
			if !a.LastTagged.Equal(b.LastTagged) {
				return a.LastTagged.After(b.LastTagged)
			}
			return a.ID < b.ID
		})
		why := fmt.Sprintf("one of the %d newest of repo %s", n, repo)
		for _, img := range list[:min(n, len(list))] {
			for _, t := range img.Tags {
				if repoOf(t) == repo {
					if out[img.ID] == nil {
						out[img.ID] = map[string]tagKeep{}
					}
					out[img.ID][t] = tagKeep{reason: why, clause: "is " + why}
				}
			}
		}
	}
	return out
}

// lastUse is the newest of an image's use signals: the creation of the
// containers created from it, its last tag, its own creation.
func (pl *planner) lastUse(img inspect.Image) (time.Time, string) {
	t, sig := img.Created, "image created"
	if img.LastTagged.After(t) {
		t, sig = img.LastTagged, "tagged"
	}
	for _, c := range pl.containersOf(img.ID) {
		if c.Created.After(t) {
			t, sig = c.Created, "container "+c.Name+" created"
		}
	}
	return t, sig
}

// containersOf lists the containers created from an image, by name.
func (pl *planner) containersOf(imageID string) []inspect.Container {
	if pl.createdFrom == nil {
		cs := sortedContainers(pl.inv.Containers, func(a, b *inspect.Container) int { return strings.Compare(a.Name, b.Name) })
		pl.createdFrom = map[string][]inspect.Container{}
		for _, c := range cs {
			pl.createdFrom[c.ImageID] = append(pl.createdFrom[c.ImageID], c)
		}
	}
	return pl.createdFrom[imageID]
}

// layerBook counts, for each layer, the images not yet removed that
// reference it; a layer is freed when its count reaches 0.
type layerBook struct {
	refs    map[string]int
	size    map[string]int64
	missing bool // some image has no layer data
	// held maps layers a shared build-cache record also holds to that
	// record: freeing the image does not free them on disk; released
	// collects, per record, the bytes its layer would free once the
	// record goes too.
	held     map[string][]string
	released map[string]int64
}

func newLayerBook(imgs []inspect.Image, held map[string][]string) *layerBook {
	b := &layerBook{refs: map[string]int{}, size: map[string]int64{}, held: held, released: map[string]int64{}}
	for _, img := range imgs {
		if img.Layers == nil {
			b.missing = true
			continue
		}
		for _, id := range uniqueChains(img.Layers) {
			b.refs[id]++
		}
		for _, l := range img.Layers {
			b.size[l.ChainID] = max(l.SizeBytes, 0)
		}
	}
	return b
}

func uniqueChains(ls []inspect.Layer) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range ls {
		if !seen[l.ChainID] {
			seen[l.ChainID] = true
			out = append(out, l.ChainID)
		}
	}
	return out
}

// remove takes img off the book and returns the bytes that frees: the
// layers it held last, or, without layer data, its UniqueBytes (unknown
// counts 0).
func (b *layerBook) remove(img inspect.Image) (int64, bool) {
	if img.Layers == nil {
		if img.UniqueBytes < 0 {
			return 0, true
		}
		return img.UniqueBytes, false
	}
	var n int64
	for _, id := range uniqueChains(img.Layers) {
		b.refs[id]--
		if b.refs[id] != 0 {
			continue
		}
		if _, ok := b.held[id]; ok {
			b.released[id] += b.size[id]
			continue
		}
		n += b.size[id]
	}
	return n, false
}
