package prune

import (
	"fmt"
	"regexp"
	"sort"

	"github.com/docker/docker/api/types/build"
)

// buildCache prunes records one call each, in plan order (children
// first), one at a time. Records the engine prunes along with one are
// recorded too: planned ones as removed, others as extra outcomes.
func (r *run) buildCache(idx []int) {
	planned := map[string]int{}
	for _, i := range idx {
		planned[r.plan.Items[i].ID] = i
	}
	for _, i := range idx {
		if r.ctx.Err() != nil {
			return
		}
		if r.isSettled(i) {
			continue
		}
		it := r.plan.Items[i]
		// The engine matches the id filter as a regular expression: anchor
		// and quote it so that one record, exactly, is meant.
		rep, err := r.c.BuildCachePrune(r.call, build.CachePruneOptions{All: true, Filters: filtersOf("id", "^"+regexp.QuoteMeta(it.ID)+"$")})
		if err != nil {
			r.settle(i, r.failed(it, fmt.Errorf("pruning build cache %s: %w", shortID(it.ID), err)))
			continue
		}
		var deleted []string
		if rep != nil {
			deleted = append(deleted, rep.CachesDeleted...)
		}
		sort.Strings(deleted)
		if contains(deleted, it.ID) {
			r.settle(i, r.removed(it))
		} else {
			r.settle(i, r.skipped(it, "not pruned by the engine (now in use, or already gone)"))
		}
		for _, d := range deleted {
			if d == it.ID {
				continue
			}
			if j, ok := planned[d]; ok {
				o := r.removed(r.plan.Items[j])
				o.Reason += "; pruned along with " + shortID(it.ID)
				r.settle(j, o)
				continue
			}
			r.mu.Lock()
			o := Outcome{Time: r.opts.Now(), Type: TypeBuildCache, ID: d, Result: ResultRemoved, Reason: "pruned by the engine along with " + shortID(it.ID)}
			r.record(i, o)
			r.mu.Unlock()
		}
	}
}
