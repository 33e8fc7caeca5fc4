package cmd

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/probe"
	"github.com/dockctl/dockctl/internal/prune"
)

// openProbe opens the local storage probe of the engine, for `prune
// logs`: the logs are files under the engine's root dir, which the API
// neither lists nor removes. Without the root dir the error is the
// probe's one-line notice (exit 1: the command line is right, this
// machine cannot do it).
func openProbe(ctx context.Context, eng Engine) (*probe.Probe, error) {
	info, err := eng.Info(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading engine info: %w", err)
	}
	p, err := probe.Open(info, probe.Options{})
	if err != nil {
		return nil, fmt.Errorf("prune logs: %w", err)
	}
	return p, nil
}

// collectLogConfig adds to the inventory's containers their log driver
// and its max-size, from one inspect each (the list does not carry
// them), and returns what the probe needs to find their files. The
// containers inspected are the inventory's: listing them again would
// decode a second /containers/json (some 8 MB at 10,000 containers)
// beside the inventory.
func collectLogConfig(ctx context.Context, eng Engine, inv *inspect.Inventory) (map[string]probe.Container, error) {
	t, err := probe.Collect(ctx, inventoryContainers{Engine: eng, inv: inv}, filters.Args{}, filters.Args{})
	if err != nil {
		return nil, err
	}
	return fillLogConfig(inv, t.Containers), nil
}

// fillLogConfig gives the inventory's containers the log driver and
// max-size the probe learned by inspecting them, and returns what it
// learned by container id.
func fillLogConfig(inv *inspect.Inventory, learned []probe.Container) map[string]probe.Container {
	byID := make(map[string]probe.Container, len(learned))
	for _, c := range learned {
		byID[c.ID] = c
	}
	for i := range inv.Containers {
		if c, ok := byID[inv.Containers[i].ID]; ok {
			inv.Containers[i].LogDriver, inv.Containers[i].LogMaxSize = c.LogDriver, c.LogMaxSize
		}
	}
	return byID
}

// inventoryContainers is the engine with its container list answered
// from an inventory already collected: every container of it, ids only
// (all probe.Collect reads of a list entry).
type inventoryContainers struct {
	Engine
	inv *inspect.Inventory
}

func (e inventoryContainers) ContainerList(context.Context, container.ListOptions) ([]container.Summary, error) {
	cs := make([]container.Summary, len(e.inv.Containers))
	for i, c := range e.inv.Containers {
		cs[i].ID = c.ID
	}
	return cs, nil
}

// collectLogs adds to the inventory's containers their log options and
// their json-file log files with sizes, read by the probe.
func collectLogs(ctx context.Context, eng Engine, inv *inspect.Inventory) error {
	p, err := openProbe(ctx, eng)
	if err != nil {
		return err
	}
	byID, err := collectLogConfig(ctx, eng, inv)
	if err != nil {
		return err
	}
	for i := range inv.Containers {
		c, ok := byID[inv.Containers[i].ID]
		if !ok {
			continue
		}
		files, _ := p.JSONLogFiles(c)
		for _, f := range files {
			inv.Containers[i].LogFiles = append(inv.Containers[i].LogFiles, inspect.LogFile{Path: f.Path, Bytes: f.Bytes})
		}
	}
	return nil
}

// logFS is the file system a plan's log items act on: nil when the plan
// has none, an error when it has some and the root dir is not readable
// here (then nothing is applied).
func logFS(ctx context.Context, eng Engine, plan prune.Plan) (prune.LogFS, error) {
	if plan.Count(prune.TypeLog) == 0 {
		return nil, nil
	}
	p, err := openProbe(ctx, eng)
	if err != nil {
		return nil, err
	}
	return prune.OSLogFS{Containers: p.ContainersDir(), Map: p.LocalPath}, nil
}
