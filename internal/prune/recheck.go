package prune

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/dockctl/dockctl/internal/engine"
	"github.com/dockctl/dockctl/internal/inspect"
)

// engineGone reports errors that mean the engine itself stopped answering
// (connection refused or dropped, request timed out), as opposed to an
// answer about one object.
func engineGone(err error) bool { return engine.Gone(err) }

// statusOf is the engine's HTTP status for err, or 0 when err is not an
// engine answer.
func statusOf(err error) int {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return 0
	}
	return engine.StatusOf(err)
}

func notFound(err error) bool { return err != nil && statusOf(err) == http.StatusNotFound }

const alreadyGone = "already gone"

// users lists the containers (any state) that the engine's filter f
// selects (every container when f is empty) and keep accepts, sorted by
// name.
func (r *run) users(what string, f filters.Args, keep func(container.Summary) bool) ([]string, error) {
	list, err := r.c.ContainerList(r.call, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return nil, fmt.Errorf("listing containers using %s: %w", what, err)
	}
	var names []string
	for _, s := range list {
		if keep != nil && !keep(s) {
			continue
		}
		name := inspect.ContainerName(s)
		if name == "" {
			name = shortID(s.ID)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

func filtersOf(key, value string) filters.Args {
	return filters.NewArgs(filters.Arg(key, value))
}

// guarded re-applies the plan's guards at removal time: a label put on an
// object, or a name given to it, after the plan still protects it.
func (r *run) guarded(it Item, labels map[string]string, names, refs []string) (Outcome, bool) {
	var g Guards
	if r.plan.Guards != nil {
		g = *r.plan.Guards
	}
	if why := g.protects(labels, names, refs); why != "" {
		return r.skipped(it, "now kept: %s", why), true
	}
	return Outcome{}, false
}

// inspected turns the re-check's inspect answer into the item's outcome
// when it cannot go on: gone (404), failed, or an object whose id is not
// exactly the plan's (a short or edited id in a saved plan).
func (r *run) inspected(it Item, what, gotID string, err error) (Outcome, bool) {
	switch {
	case notFound(err):
		return r.gone(it, alreadyGone), true
	case err != nil:
		return r.failed(it, fmt.Errorf("inspecting %s %s: %w", what, it.Name, err)), true
	case gotID != "" && gotID != it.ID:
		return r.skipped(it, "the plan's id %s does not name %s %s exactly", it.ID, what, shortID(gotID)), true
	}
	return Outcome{}, false
}
