package probe

import (
	"path/filepath"
	"strings"

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

// SizesFromLists reports whether the probe can find every container's
// writable layer from the engine's container list alone (ListTargets):
// graph drivers whose layer store names each container's layer dir
// (overlay2, fuse-overlayfs). Elsewhere the dirs are named only by
// inspecting each container, or not at all.
func (p *Probe) SizesFromLists() bool { return p.layers == layerOverlay }

// ListTargets are the targets of the listed containers and volumes found
// without inspecting each container: the layer store's
// mounts/<id>/mount-id names the container's layer dir, whose diff/ is
// the UpperDir inspect would give, and json-file writes its log at
// <root>/containers/<id>/<id>-json.log, the LogPath inspect would give
// (moby sets it there and nowhere else); the other drivers' files are
// found under the container's dir all the same. A container whose mount-id
// cannot be read gets no UpperDir, and Measure says so. Only for
// SizesFromLists; log drivers and pids are not learned.
func (p *Probe) ListTargets(cs []container.Summary, vols []*volume.Volume) (Targets, error) {
	if !p.SizesFromLists() {
		return Targets{}, fmt.Errorf("the %s driver's writable layers are named only by inspecting each container", p.driver)
	}
	t := Targets{Containers: make([]Container, 0, len(cs)), Volumes: make([]Volume, 0, len(vols))}
	mounts := filepath.Join(p.layerDBDir(), "mounts")
	for _, s := range cs {
		c := Container{ID: s.ID, LogPath: filepath.Join(p.engineRoot, "containers", s.ID, s.ID+"-json.log")}
		if id, ok := readLine(filepath.Join(mounts, s.ID), "mount-id"); ok && id != "" && !strings.ContainsRune(id, filepath.Separator) {
			c.UpperDir = filepath.Join(p.engineRoot, p.driver, id, "diff")
		}
		t.Containers = append(t.Containers, c)
	}
	for _, v := range vols {
		if v != nil {
			t.Volumes = append(t.Volumes, Volume{Name: v.Name, Driver: v.Driver, Mountpoint: v.Mountpoint, Options: v.Options})
		}
	}
	return t, nil
}
