package prune

import (
	"fmt"
	"sort"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"

	"github.com/dockctl/dockctl/internal/inspect"
)

func (r *run) network(it Item) Outcome {
	info, err := r.c.NetworkInspect(r.call, it.ID, network.InspectOptions{})
	if o, stop := r.inspected(it, "network", info.ID, err); stop {
		return o
	}
	name := info.Name
	if name == "" {
		name = it.Name
	}
	if o, stop := r.guarded(it, info.Labels, []string{name}, nil); stop {
		return o
	}
	if len(info.Containers) > 0 {
		var names []string
		for id, ep := range info.Containers {
			n := ep.Name
			if n == "" {
				n = shortID(id)
			}
			names = append(names, n)
		}
		sort.Strings(names)
		return r.skipped(it, "now %s", usedBy(names))
	}
	// Every container, in any state, filtered by dockctl's own definition
	// of a network's users: the engine's network filter misses some.
	users, err := r.users("network "+name, filters.Args{}, func(s container.Summary) bool {
		return inspect.AttachedToNetwork(s, it.ID, name)
	})
	if err != nil {
		return r.failed(it, err)
	}
	if len(users) > 0 {
		return r.skipped(it, "now %s", usedBy(users))
	}
	if err := r.c.NetworkRemove(r.call, it.ID); err != nil {
		if notFound(err) {
			return r.gone(it, alreadyGone)
		}
		return r.failed(it, fmt.Errorf("removing network %s: %w", it.Name, err))
	}
	return r.removed(it)
}
