package prune

import (
	"fmt"
	"strings"

	"github.com/docker/docker/api/types/container"
)

func (r *run) container(it Item) Outcome {
	info, err := r.c.ContainerInspect(r.call, it.ID)
	if notFound(err) {
		reason := alreadyGone
		if it.Name != "" {
			if other, err := r.c.ContainerInspect(r.call, it.Name); err == nil && other.ContainerJSONBase != nil && other.ID != it.ID {
				reason += "; name " + it.Name + " now belongs to container " + shortID(other.ID)
			}
		}
		return r.gone(it, reason)
	}
	if err != nil {
		return r.failed(it, fmt.Errorf("inspecting container %s: %w", it.Name, err))
	}
	if info.ContainerJSONBase != nil && info.ID != "" && info.ID != it.ID {
		return r.skipped(it, "the plan's id %s does not name container %s exactly", it.ID, shortID(info.ID))
	}
	var labels map[string]string
	if info.Config != nil {
		labels = info.Config.Labels
	}
	name := it.Name
	if info.ContainerJSONBase != nil && info.Name != "" {
		name = strings.TrimPrefix(info.Name, "/")
	}
	if o, stop := r.guarded(it, labels, []string{name}, nil); stop {
		return o
	}
	if info.ContainerJSONBase != nil && info.State != nil {
		st := info.State
		switch {
		case st.Status == "running" || st.Status == "paused" || st.Status == "restarting":
			return r.skipped(it, "now %s", st.Status)
		case st.Running || st.Paused || st.Restarting:
			return r.skipped(it, "now running")
		}
	}
	if err := r.c.ContainerRemove(r.call, it.ID, container.RemoveOptions{}); err != nil {
		if notFound(err) {
			return r.gone(it, alreadyGone)
		}
		return r.failed(it, fmt.Errorf("removing container %s: %w", it.Name, err))
	}
	return r.removed(it)
}
