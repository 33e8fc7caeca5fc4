package probe

import (
	"context"
	"fmt"

	"github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
	"golang.org/x/sync/errgroup"
)

// Engine is the read-only engine calls the probe makes to learn where the
// engine keeps each object.
type Engine interface {
	ContainerList(ctx context.Context, opts container.ListOptions) ([]container.Summary, error)
	ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error)
	VolumeList(ctx context.Context, opts volume.ListOptions) (volume.ListResponse, error)
}

var _ Engine = (*client.Client)(nil)

// Collect asks the engine for the containers and volumes matching
// containerFilters and volumeFilters (docker's filter syntax; empty for
// all) and where each keeps its files: one list call per kind, then one
// inspect per container (the list does not carry LogPath or GraphDriver),
// Workers() at a time. A container removed between list and inspect is
// left out.
func Collect(ctx context.Context, e Engine, containerFilters, volumeFilters filters.Args) (Targets, error) {
	cs, err := e.ContainerList(ctx, container.ListOptions{All: true, Filters: containerFilters})
	if err != nil {
		return Targets{}, fmt.Errorf("listing containers: %w", err)
	}
	found := make([]*Container, len(cs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(Workers())
	for i, c := range cs {
		g.Go(func() error {
			ci, err := e.ContainerInspect(gctx, c.ID)
			if errdefs.IsNotFound(err) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("inspecting container %s: %w", c.ID, err)
			}
			found[i] = fromInspect(ci)
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return Targets{}, err
	}
	t := Targets{Containers: []Container{}, Volumes: []Volume{}}
	for _, c := range found {
		if c != nil {
			t.Containers = append(t.Containers, *c)
		}
	}

	vl, err := e.VolumeList(ctx, volume.ListOptions{Filters: volumeFilters})
	if err != nil {
		return Targets{}, fmt.Errorf("listing volumes: %w", err)
	}
	for _, v := range vl.Volumes {
		if v == nil {
			continue
		}
		t.Volumes = append(t.Volumes, Volume{Name: v.Name, Driver: v.Driver, Mountpoint: v.Mountpoint, Options: v.Options})
	}
	return t, nil
}

func fromInspect(ci container.InspectResponse) *Container {
	if ci.ContainerJSONBase == nil {
		return nil
	}
	c := &Container{ID: ci.ID, LogPath: ci.LogPath, UpperDir: ci.GraphDriver.Data["UpperDir"]}
	if ci.State != nil && ci.State.Running {
		c.Pid = ci.State.Pid
	}
	if ci.HostConfig != nil {
		c.LogDriver = ci.HostConfig.LogConfig.Type
		c.LogMaxSize = ci.HostConfig.LogConfig.Config["max-size"]
	}
	return c
}
