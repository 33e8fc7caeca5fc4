package prune

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
)

// dryRun is the engine as Apply's removals so far would have left it,
// without changing it: reads go to the engine and their answers are
// edited to leave out what this run "removed"; removals only record.
// That is how a dry run of a saved plan runs every re-check Apply runs,
// in the same order, and sees what a real run would see: a network whose
// only user is a container the plan removes first is free.
//
// Every Client method is written out (none is embedded) so that a
// method added to Client cannot reach the engine from a dry run unseen.
//
// Build cache records are the limit: the engine alone decides, as it
// prunes, whether a record is in use, so a dry run counts each planned
// record as pruned.
type dryRun struct {
	c Client

	mu                            sync.Mutex
	containers, networks, volumes map[string]bool // removed, by id (volumes by name)
	images, tags                  map[string]bool // removed image ids and untagged references
}

var _ Client = (*dryRun)(nil)

func newDryRun(c Client) *dryRun {
	return &dryRun{c: c, containers: map[string]bool{}, networks: map[string]bool{}, volumes: map[string]bool{},
		images: map[string]bool{}, tags: map[string]bool{}}
}

func removedByDryRun(what string) error {
	return fmt.Errorf("no such %s (removed earlier in this dry run): %w", what, cerrdefs.ErrNotFound)
}

func (d *dryRun) is(set map[string]bool, key string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return set[key]
}

func (d *dryRun) add(set map[string]bool, keys ...string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, k := range keys {
		set[k] = true
	}
}

func (d *dryRun) ContainerList(ctx context.Context, options container.ListOptions) ([]container.Summary, error) {
	list, err := d.c.ContainerList(ctx, options)
	return slices.DeleteFunc(list, func(s container.Summary) bool { return d.is(d.containers, s.ID) }), err
}

func (d *dryRun) ContainerInspect(ctx context.Context, containerID string) (container.InspectResponse, error) {
	info, err := d.c.ContainerInspect(ctx, containerID)
	if err == nil && info.ContainerJSONBase != nil && d.is(d.containers, info.ID) {
		return container.InspectResponse{}, removedByDryRun("container: " + containerID)
	}
	return info, err
}

func (d *dryRun) ContainerRemove(ctx context.Context, containerID string, _ container.RemoveOptions) error {
	info, err := d.ContainerInspect(ctx, containerID)
	if err != nil {
		return err
	}
	id := containerID
	if info.ContainerJSONBase != nil && info.ID != "" {
		id = info.ID
	}
	d.add(d.containers, id)
	return nil
}

// visibleTags are tags less those this run removed.
func (d *dryRun) visibleTags(tags []string) []string {
	return slices.DeleteFunc(slices.Clone(tags), func(t string) bool { return d.is(d.tags, t) })
}

func (d *dryRun) ImageInspect(ctx context.Context, imageID string, opts ...client.ImageInspectOption) (image.InspectResponse, error) {
	if d.is(d.tags, imageID) {
		return image.InspectResponse{}, removedByDryRun("image: " + imageID)
	}
	info, err := d.c.ImageInspect(ctx, imageID, opts...)
	if err != nil {
		return info, err
	}
	if d.is(d.images, info.ID) {
		return image.InspectResponse{}, removedByDryRun("image: " + imageID)
	}
	info.RepoTags = d.visibleTags(info.RepoTags)
	return info, nil
}

func (d *dryRun) ImageList(ctx context.Context, options image.ListOptions) ([]image.Summary, error) {
	list, err := d.c.ImageList(ctx, options)
	list = slices.DeleteFunc(list, func(s image.Summary) bool { return d.is(d.images, s.ID) })
	for i := range list {
		list[i].RepoTags = d.visibleTags(list[i].RepoTags)
	}
	return list, err
}

// ImageRemove untags a reference, the engine's way: the image goes with
// its last tag; by id, the image goes with its tags.
func (d *dryRun) ImageRemove(ctx context.Context, imageID string, _ image.RemoveOptions) ([]image.DeleteResponse, error) {
	info, err := d.ImageInspect(ctx, imageID)
	if err != nil {
		return nil, err
	}
	var resp []image.DeleteResponse
	if slices.Contains(info.RepoTags, imageID) {
		d.add(d.tags, imageID)
		resp = append(resp, image.DeleteResponse{Untagged: imageID})
		if len(info.RepoTags) > 1 {
			return resp, nil
		}
	} else {
		d.add(d.tags, info.RepoTags...)
		for _, t := range info.RepoTags {
			resp = append(resp, image.DeleteResponse{Untagged: t})
		}
	}
	d.add(d.images, info.ID)
	return append(resp, image.DeleteResponse{Deleted: info.ID}), nil
}

func (d *dryRun) VolumeInspect(ctx context.Context, volumeID string) (volume.Volume, error) {
	if d.is(d.volumes, volumeID) {
		return volume.Volume{}, removedByDryRun("volume: " + volumeID)
	}
	return d.c.VolumeInspect(ctx, volumeID)
}

func (d *dryRun) VolumeRemove(ctx context.Context, volumeID string, _ bool) error {
	if _, err := d.VolumeInspect(ctx, volumeID); err != nil {
		return err
	}
	d.add(d.volumes, volumeID)
	return nil
}

func (d *dryRun) NetworkInspect(ctx context.Context, networkID string, options network.InspectOptions) (network.Inspect, error) {
	info, err := d.c.NetworkInspect(ctx, networkID, options)
	if err != nil {
		return info, err
	}
	if d.is(d.networks, info.ID) {
		return network.Inspect{}, removedByDryRun("network: " + networkID)
	}
	for id := range info.Containers {
		if d.is(d.containers, id) {
			delete(info.Containers, id)
		}
	}
	return info, nil
}

func (d *dryRun) NetworkRemove(ctx context.Context, networkID string) error {
	info, err := d.NetworkInspect(ctx, networkID, network.InspectOptions{})
	if err != nil {
		return err
	}
	id := networkID
	if info.ID != "" {
		id = info.ID
	}
	d.add(d.networks, id)
	return nil
}

// BuildCachePrune answers that the record Apply names (the filter
// id=^<id>$) was pruned, and nothing along with it.
func (d *dryRun) BuildCachePrune(_ context.Context, opts build.CachePruneOptions) (*build.CachePruneReport, error) {
	var deleted []string
	for _, f := range opts.Filters.Get("id") {
		id := strings.TrimSuffix(strings.TrimPrefix(f, "^"), "$")
		deleted = append(deleted, strings.ReplaceAll(id, `\`, ""))
	}
	return &build.CachePruneReport{CachesDeleted: deleted}, nil
}
