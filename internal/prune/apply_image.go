package prune

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
)

// imageLabels are an inspected image's labels.
func imageLabels(info image.InspectResponse) map[string]string {
	if info.Config == nil {
		return nil
	}
	return info.Config.Labels
}

// imageUsers are the containers created from image id itself.
func (r *run) imageUsers(id string) ([]string, error) {
	return r.users(id, filtersOf("ancestor", id), func(s container.Summary) bool { return s.ImageID == id })
}

func (r *run) untag(it Item) Outcome {
	if len(it.Refs) != 1 {
		return r.failed(it, fmt.Errorf("untag item for %s has %d refs, want 1", it.ID, len(it.Refs)))
	}
	ref := it.Refs[0]
	info, err := r.c.ImageInspect(r.call, ref)
	if notFound(err) {
		return r.gone(it, "tag "+ref+" already gone")
	}
	if err != nil {
		return r.failed(it, fmt.Errorf("inspecting image %s: %w", ref, err))
	}
	if info.ID != it.ID {
		return r.skipped(it, "tag %s now points to image %s", ref, shortID(info.ID))
	}
	if len(info.RepoTags) <= 1 {
		return r.skipped(it, "%s is now the image's only tag: untagging would remove the image the plan keeps", ref)
	}
	if o, stop := r.guarded(it, imageLabels(info), nil, []string{ref}); stop {
		return o
	}
	users, err := r.imageUsers(it.ID)
	if err != nil {
		return r.failed(it, err)
	}
	if len(users) > 0 {
		return r.skipped(it, "image now %s", usedBy(users))
	}
	if _, err := r.c.ImageRemove(r.call, ref, image.RemoveOptions{}); err != nil {
		if notFound(err) {
			return r.gone(it, "tag "+ref+" already gone")
		}
		return r.failed(it, fmt.Errorf("untagging %s: %w", ref, err))
	}
	return r.removed(it)
}

func (r *run) image(it Item) Outcome {
	unlock := r.lockChain(it.ID)
	defer unlock()
	if i, ok := r.imageItems[it.ID]; ok && r.isSettled(i) {
		// Removed along with another image while this one waited for its
		// chain: settle keeps that outcome and drops this one.
		return Outcome{}
	}
	info, err := r.c.ImageInspect(r.call, it.ID)
	if o, stop := r.inspected(it, "image", info.ID, err); stop {
		return o
	}
	tags := append([]string{}, info.RepoTags...)
	sort.Strings(tags)
	if o, stop := r.guarded(it, imageLabels(info), nil, append(append([]string{}, tags...), info.RepoDigests...)); stop {
		return o
	}
	for _, t := range tags {
		if !contains(it.Refs, t) {
			return r.skipped(it, "tagged %s since the plan", t)
		}
	}
	for _, ref := range it.Refs {
		if contains(tags, ref) {
			continue
		}
		other, err := r.c.ImageInspect(r.call, ref)
		switch {
		case notFound(err):
		case err != nil:
			return r.failed(it, fmt.Errorf("inspecting image %s: %w", ref, err))
		case other.ID != it.ID:
			return r.skipped(it, "tag %s now points to image %s", ref, shortID(other.ID))
		}
	}
	users, err := r.imageUsers(it.ID)
	if err != nil {
		return r.failed(it, err)
	}
	if len(users) > 0 {
		return r.skipped(it, "now %s", usedBy(users))
	}
	if r.hasChildren(it.ID) {
		// A 409 like the engine's, without touching the tags: retried
		// after the rest of the phase, when its children may be gone.
		return r.failed(it, fmt.Errorf("removing image %s: image has dependent child images: %w", it.Name, cerrdefs.ErrConflict))
	}
	// Untag each tag (the engine deletes the image with its last tag),
	// then remove what is left by id: no force needed. Only what the
	// engine says these calls did counts as dockctl's doing.
	opts := image.RemoveOptions{PruneChildren: true}
	var untagged []string
	deleted := false
	for n, t := range tags {
		if n > 0 {
			// The engine refuses to remove the last tag of an image a
			// container uses, but not the others: a container created
			// since the last check must stop the untagging here.
			users, err := r.imageUsers(it.ID)
			if err != nil {
				return r.partly(it, untagged, "before the removal failed", r.failed(it, err))
			}
			if len(users) > 0 {
				return r.partly(it, untagged, "before a container used the image", r.skipped(it, "now %s; its tags %s stay (%s was untagged before the container appeared)",
					usedBy(users), strings.Join(tags[n:], ", "), strings.Join(untagged, ", ")))
			}
		}
		resp, err := r.c.ImageRemove(r.call, t, opts)
		if notFound(err) {
			continue // the tag went meanwhile, not by dockctl
		}
		if err != nil {
			if o, ok := r.parentGone(it, err); ok {
				return r.partly(it, untagged, "before the image was gone", o)
			}
			return r.partly(it, untagged, "before the removal failed", r.failed(it, fmt.Errorf("removing image %s: untagging %s: %w", it.Name, t, err)))
		}
		untagged = append(untagged, t)
		deleted = r.deletedWith(it, resp) || deleted
	}
	if !deleted {
		resp, err := r.c.ImageRemove(r.call, it.ID, opts)
		switch {
		case notFound(err):
			return r.partly(it, untagged, "before the image was gone", r.gone(it, alreadyGone+": removed by another client"))
		case err != nil:
			if o, ok := r.parentGone(it, err); ok {
				return r.partly(it, untagged, "before the image was gone", o)
			}
			return r.partly(it, untagged, "before the removal failed", r.failed(it, fmt.Errorf("removing image %s: %w", it.Name, err)))
		}
		r.deletedWith(it, resp)
	}
	return r.removed(it)
}

// deletedWith reads what one image removal deleted: it reports whether
// that includes it, and settles the planned images the engine deleted
// along with it (untagged parents it left unused) as removed.
func (r *run) deletedWith(it Item, resp []image.DeleteResponse) bool {
	deleted := false
	for _, d := range resp {
		switch j, planned := r.imageItems[d.Deleted]; {
		case d.Deleted == "":
		case d.Deleted == it.ID:
			deleted = true
		case planned:
			o := r.removed(r.plan.Items[j])
			o.Reason += "; removed by the engine along with " + it.Name
			r.settle(j, o)
		}
	}
	return deleted
}

var unrecognizedImage = regexp.MustCompile(`unrecognized image ID (sha256:[0-9a-f]{64})`)

// parentGone reads the engine's "unrecognized image ID" answer to an image
// removal: the image it names was gone by the time the engine came to
// delete it. When that is it, another client removed it; when it is a
// parent (removed meanwhile by another removal), the engine had already
// deleted it, so this removal did its job.
func (r *run) parentGone(it Item, err error) (Outcome, bool) {
	m := unrecognizedImage.FindStringSubmatch(err.Error())
	if m == nil {
		return Outcome{}, false
	}
	if _, ierr := r.c.ImageInspect(r.call, it.ID); !notFound(ierr) {
		return Outcome{}, false
	}
	if m[1] == it.ID {
		return r.gone(it, alreadyGone+": removed by another client"), true
	}
	o := r.removed(it)
	o.Reason += "; its parent image " + shortID(m[1]) + " was removed meanwhile by another removal"
	return o, true
}

// partly records the untags dockctl made on the way to an outcome other
// than the image's removal (each as an untagged outcome: they happened),
// then returns that outcome. A removal's outcome stands for its untags.
func (r *run) partly(it Item, untagged []string, when string, o Outcome) Outcome {
	i, ok := r.imageItems[it.ID]
	if !ok || len(untagged) == 0 || o.Result == ResultRemoved {
		return o
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range untagged {
		u := r.outcome(it, ResultUntagged, "untagged by dockctl "+when)
		u.Name = t
		r.record(i, u)
	}
	return o
}
