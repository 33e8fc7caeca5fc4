package prune

import (
	"fmt"
	"time"
)

func (r *run) volume(it Item) Outcome {
	v, err := r.c.VolumeInspect(r.call, it.ID)
	if notFound(err) {
		return r.gone(it, alreadyGone)
	} else if err != nil {
		return r.failed(it, fmt.Errorf("inspecting volume %s: %w", it.Name, err))
	}
	// A volume is known by its name only: one removed and created again
	// since the plan is another volume, with other data.
	if created, err := time.Parse(time.RFC3339, v.CreatedAt); err == nil && !r.plan.Time.IsZero() && created.After(r.plan.Time) {
		return r.skipped(it, "created again since the plan (%s)", created.UTC().Format(time.RFC3339))
	}
	if o, stop := r.guarded(it, v.Labels, []string{v.Name}, nil); stop {
		return o
	}
	users, err := r.users(it.ID, filtersOf("volume", it.ID), nil)
	if err != nil {
		return r.failed(it, err)
	}
	if len(users) > 0 {
		return r.skipped(it, "now %s", usedBy(users))
	}
	if err := r.c.VolumeRemove(r.call, it.ID, false); err != nil {
		if notFound(err) {
			return r.gone(it, alreadyGone)
		}
		return r.failed(it, fmt.Errorf("removing volume %s: %w", it.Name, err))
	}
	return r.removed(it)
}
