package prune

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"

	"github.com/dockctl/dockctl/internal/inspect"
)

// fakeEngine is a stateful in-memory engine built from an Inventory: its
// removals really remove objects and count the bytes they free, as the
// engine does (an image's layers are freed when no image holds them), so
// tests can compare what applying a plan frees with the plan's
// prediction. Hook, if set, is called first by every method with the
// method name and its main argument; an error it returns is the method's
// answer. Hooks may change the state (start a container, re-tag an
// image) through the fake's helpers.
type fakeEngine struct {
	Hook func(method, arg string) error
	// AlsoPrunes lists, per build cache id, records the engine prunes
	// along with it.
	AlsoPrunes map[string][]string
	// PruneParents makes image removals with PruneChildren delete the
	// untagged parents they leave unused, as the engine does. Off by
	// default: generated inventories list untagged parents with children,
	// which the engine's image list (and so the plan) never shows: there
	// the engine would prune images the plan saw and kept.
	PruneParents bool

	mu         sync.Mutex
	containers map[string]*fContainer
	images     map[string]*fImage
	tags       map[string]string // tag -> image id
	volumes    map[string]int64  // name -> size
	volLabels  map[string]map[string]string
	networks   map[string]*fNetwork
	cache      map[string]inspect.BuildCacheRecord
	freed      int64
	calls      []string
	cancelled  int // calls made with a done context
}

type fContainer struct {
	id, name, imageID, state string
	size                     int64
	volumes, networks        []string
	// joinedStopped are networks (of networks) joined with `docker network
	// connect` while the container was stopped: as for a container never
	// started, the engine records no network id for them until it starts.
	joinedStopped []string
	// labels are the container's labels.
	labels map[string]string
}

type fImage struct {
	id     string
	parent string
	layers []inspect.Layer
	labels map[string]string
}

type fNetwork struct {
	id, name string
	labels   map[string]string
}

var _ Client = (*fakeEngine)(nil)

func newFake(inv *inspect.Inventory) *fakeEngine {
	e := &fakeEngine{
		containers: map[string]*fContainer{},
		images:     map[string]*fImage{},
		tags:       map[string]string{},
		volumes:    map[string]int64{},
		volLabels:  map[string]map[string]string{},
		networks:   map[string]*fNetwork{},
		cache:      map[string]inspect.BuildCacheRecord{},
	}
	for _, c := range inv.Containers {
		e.containers[c.ID] = &fContainer{id: c.ID, name: c.Name, imageID: c.ImageID, state: c.State, size: c.SizeBytes,
			volumes: append([]string{}, c.Volumes...), networks: append([]string{}, c.Networks...), labels: copyLabels(c.Labels)}
	}
	for _, img := range inv.Images {
		e.images[img.ID] = &fImage{id: img.ID, layers: img.Layers, labels: copyLabels(img.Labels)}
		for _, t := range img.Tags {
			e.tags[t] = img.ID
		}
	}
	for _, v := range inv.Volumes {
		e.volumes[v.Name] = v.SizeBytes
		e.volLabels[v.Name] = copyLabels(v.Labels)
	}
	for _, n := range inv.Networks {
		e.networks[n.ID] = &fNetwork{id: n.ID, name: n.Name, labels: copyLabels(n.Labels)}
	}
	for _, r := range inv.BuildCache {
		e.cache[r.ID] = r
	}
	return e
}

func copyLabels(l map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range l {
		out[k] = v
	}
	return out
}

// Label puts a label on the object id names: a container or image id, a
// volume name or a network id.
func (e *fakeEngine) Label(id, key, value string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch {
	case e.containers[id] != nil:
		e.containers[id].labels[key] = value
	case e.images[id] != nil:
		e.images[id].labels[key] = value
	case e.networks[id] != nil:
		e.networks[id].labels[key] = value
	default:
		if _, ok := e.volumes[id]; !ok {
			panic("fake engine: no object " + id + " to label")
		}
		e.volLabels[id][key] = value
	}
}

// Rename renames a container.
func (e *fakeEngine) Rename(id, name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.containers[id].name = name
}

func notFoundErr(what string) error {
	return fmt.Errorf("Error response from daemon: no such %s: %w", what, cerrdefs.ErrNotFound)
}

func conflictErr(msg string) error {
	return fmt.Errorf("Error response from daemon: conflict: %s: %w", msg, cerrdefs.ErrConflict)
}

func (e *fakeEngine) enter(ctx context.Context, method, arg string) error {
	e.mu.Lock()
	e.calls = append(e.calls, method+" "+arg)
	if ctx.Err() != nil {
		e.cancelled++
	}
	e.mu.Unlock()
	if e.Hook != nil {
		return e.Hook(method, arg)
	}
	return nil
}

// Calls returns the calls made so far, "Method arg".
func (e *fakeEngine) Calls() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string{}, e.calls...)
}

// Count counts the calls to method.
func (e *fakeEngine) Count(method string) int {
	n := 0
	for _, c := range e.Calls() {
		if strings.HasPrefix(c, method+" ") {
			n++
		}
	}
	return n
}

// Cancelled counts the calls made with a context already done.
func (e *fakeEngine) Cancelled() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cancelled
}

// Freed is what removals freed so far.
func (e *fakeEngine) Freed() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.freed
}

// SetState changes a container's state (e.g. starts it).
func (e *fakeEngine) SetState(id, state string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.containers[id].state = state
}

// Tag points tag at image id.
func (e *fakeEngine) Tag(tag, id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.tags[tag] = id
}

// DeleteImage deletes an image and its tags as another client would:
// nothing is counted as freed by the prune.
func (e *fakeEngine) DeleteImage(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, t := range e.refsOf(id) {
		delete(e.tags, t)
	}
	delete(e.images, id)
}

// AddContainer creates a container.
func (e *fakeEngine) AddContainer(c fContainer) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.containers[c.id] = &c
}

// Has reports whether an object still exists: a container or image id, a
// volume name, a network or build cache id.
func (e *fakeEngine) Has(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, c := e.containers[id]
	_, i := e.images[id]
	_, v := e.volumes[id]
	_, n := e.networks[id]
	_, b := e.cache[id]
	return c || i || v || n || b
}

// summary lists a container as Docker 20.10 does: its networks by name,
// each endpoint with the network's id only once the container has run
// attached to it (never for a created container, nor for a network joined
// while stopped).
func (e *fakeEngine) summary(c *fContainer) container.Summary {
	s := container.Summary{ID: c.id, Names: []string{"/" + c.name}, ImageID: c.imageID, State: container.ContainerState(c.state),
		Labels: c.labels, NetworkSettings: &container.NetworkSettingsSummary{Networks: map[string]*network.EndpointSettings{}}}
	for _, name := range c.networks {
		ep := &network.EndpointSettings{}
		if c.state != "created" && !contains(c.joinedStopped, name) {
			for _, n := range e.networks {
				if n.name == name {
					ep.NetworkID = n.id
				}
			}
		}
		s.NetworkSettings.Networks[name] = ep
	}
	return s
}

func (e *fakeEngine) ContainerList(ctx context.Context, options container.ListOptions) ([]container.Summary, error) {
	if err := e.enter(ctx, "ContainerList", strings.Join(filterPairs(options), ",")); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []container.Summary
	for _, c := range e.containers {
		ok := true
		for _, a := range options.Filters.Get("ancestor") {
			ok = ok && (c.imageID == a || e.tags[a] == c.imageID)
		}
		for _, v := range options.Filters.Get("volume") {
			ok = ok && contains(c.volumes, v)
		}
		s := e.summary(c)
		for _, n := range options.Filters.Get("network") {
			// The engine's filter: the network's name, or a prefix of the
			// id an endpoint records.
			match := false
			for name, ep := range s.NetworkSettings.Networks {
				match = match || name == n || (ep.NetworkID != "" && strings.HasPrefix(ep.NetworkID, n))
			}
			ok = ok && match
		}
		if ok {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func filterPairs(o container.ListOptions) []string {
	var out []string
	for _, k := range o.Filters.Keys() {
		for _, v := range o.Filters.Get(k) {
			out = append(out, k+"="+v)
		}
	}
	sort.Strings(out)
	return out
}

func (e *fakeEngine) findContainer(idOrName string) *fContainer {
	if c, ok := e.containers[idOrName]; ok {
		return c
	}
	for _, c := range e.containers {
		if c.name == idOrName {
			return c
		}
	}
	return nil
}

func (e *fakeEngine) ContainerInspect(ctx context.Context, containerID string) (container.InspectResponse, error) {
	if err := e.enter(ctx, "ContainerInspect", containerID); err != nil {
		return container.InspectResponse{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.findContainer(containerID)
	if c == nil {
		return container.InspectResponse{}, notFoundErr("container: " + containerID)
	}
	st := container.ContainerState(c.state)
	return container.InspectResponse{ContainerJSONBase: &container.ContainerJSONBase{
		ID: c.id, Name: "/" + c.name, Image: c.imageID,
		State: &container.State{Status: st, Running: st == "running", Paused: st == "paused", Restarting: st == "restarting"},
	}, Config: &container.Config{Labels: copyLabels(c.labels)}}, nil
}

func (e *fakeEngine) ContainerRemove(ctx context.Context, containerID string, options container.RemoveOptions) error {
	if err := e.enter(ctx, "ContainerRemove", containerID); err != nil {
		return err
	}
	if options.Force || options.RemoveVolumes {
		return fmt.Errorf("fake engine: prune must not force or remove volumes with containers")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.findContainer(containerID)
	if c == nil {
		return notFoundErr("container: " + containerID)
	}
	switch c.state {
	case "running", "paused", "restarting":
		return conflictErr("cannot remove container " + c.name + ": container is " + c.state)
	}
	delete(e.containers, c.id)
	e.freed += max(c.size, 0)
	return nil
}

func (e *fakeEngine) refsOf(id string) []string {
	var out []string
	for t, i := range e.tags {
		if i == id {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

func (e *fakeEngine) findImage(ref string) *fImage {
	if img, ok := e.images[ref]; ok {
		return img
	}
	if id, ok := e.tags[ref]; ok {
		return e.images[id]
	}
	return nil
}

func (e *fakeEngine) ImageInspect(ctx context.Context, imageID string, _ ...client.ImageInspectOption) (image.InspectResponse, error) {
	if err := e.enter(ctx, "ImageInspect", imageID); err != nil {
		return image.InspectResponse{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	img := e.findImage(imageID)
	if img == nil {
		return image.InspectResponse{}, notFoundErr("image: " + imageID)
	}
	resp := image.InspectResponse{ID: img.id, RepoTags: e.refsOf(img.id)}
	// The config's type lives in a module dockctl does not require
	// directly: filled from JSON, as the client fills it.
	cfg, _ := json.Marshal(map[string]any{"Config": map[string]any{"Labels": img.labels}})
	if err := json.Unmarshal(cfg, &resp); err != nil {
		return image.InspectResponse{}, err
	}
	return resp, nil
}

func (e *fakeEngine) ImageList(ctx context.Context, _ image.ListOptions) ([]image.Summary, error) {
	if err := e.enter(ctx, "ImageList", ""); err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []image.Summary
	for _, img := range e.images {
		out = append(out, image.Summary{ID: img.id, ParentID: img.parent, RepoTags: e.refsOf(img.id)})
	}
	return out, nil
}

// deleteImage deletes an image and frees the layers no other image holds;
// e.mu is held.
func (e *fakeEngine) deleteImage(img *fImage) error {
	for _, c := range e.containers {
		if c.imageID == img.id {
			return conflictErr("image " + shortID(img.id) + " is being used by container " + c.name)
		}
	}
	for _, o := range e.images {
		if o.parent == img.id {
			return conflictErr("unable to delete " + shortID(img.id) + " (cannot be forced) - image has dependent child images")
		}
	}
	delete(e.images, img.id)
	for _, t := range e.refsOf(img.id) {
		delete(e.tags, t)
	}
	for _, l := range img.layers {
		held := false
		for _, o := range e.images {
			for _, ol := range o.layers {
				held = held || ol.ChainID == l.ChainID
			}
		}
		if !held {
			e.freed += l.SizeBytes
		}
	}
	return nil
}

func (e *fakeEngine) ImageRemove(ctx context.Context, imageID string, options image.RemoveOptions) ([]image.DeleteResponse, error) {
	if err := e.enter(ctx, "ImageRemove", imageID); err != nil {
		return nil, err
	}
	if options.Force {
		return nil, fmt.Errorf("fake engine: prune must not force image removal")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if id, ok := e.tags[imageID]; ok {
		// By tag: untag; the last tag goes with the image unless
		// something holds it (then it is left dangling, as the engine
		// does).
		refs := e.refsOf(id)
		if len(refs) == 1 {
			for _, c := range e.containers {
				if c.imageID == id {
					return nil, conflictErr("unable to remove repository reference " + imageID + " - container " + c.name + " is using its referenced image")
				}
			}
		}
		delete(e.tags, imageID)
		out := []image.DeleteResponse{{Untagged: imageID}}
		if len(refs) == 1 {
			img := e.images[id]
			if err := e.deleteImage(img); err == nil {
				out = append(out, image.DeleteResponse{Deleted: id})
				out = e.pruneParents(img, options, out)
			}
		}
		return out, nil
	}
	img, ok := e.images[imageID]
	if !ok {
		return nil, notFoundErr("image: " + imageID)
	}
	if len(e.refsOf(img.id)) > 1 {
		return nil, conflictErr("unable to delete " + shortID(img.id) + " (must be forced) - image is referenced in multiple repositories")
	}
	if err := e.deleteImage(img); err != nil {
		return nil, err
	}
	return e.pruneParents(img, options, []image.DeleteResponse{{Deleted: img.id}}), nil
}

// pruneParents deletes img's parent chain as the engine does when asked to
// prune (PruneChildren, i.e. no --no-prune): each untagged parent that no
// container and no other image needs goes too, and is listed as Deleted;
// the first one that stays ends it quietly. e.mu is held.
func (e *fakeEngine) pruneParents(img *fImage, options image.RemoveOptions, out []image.DeleteResponse) []image.DeleteResponse {
	for e.PruneParents && options.PruneChildren && img.parent != "" {
		parent, ok := e.images[img.parent]
		if !ok || len(e.refsOf(parent.id)) > 0 {
			break
		}
		if err := e.deleteImage(parent); err != nil {
			break
		}
		out = append(out, image.DeleteResponse{Deleted: parent.id})
		img = parent
	}
	return out
}

func (e *fakeEngine) VolumeInspect(ctx context.Context, volumeID string) (volume.Volume, error) {
	if err := e.enter(ctx, "VolumeInspect", volumeID); err != nil {
		return volume.Volume{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.volumes[volumeID]; !ok {
		return volume.Volume{}, notFoundErr("volume: " + volumeID)
	}
	return volume.Volume{Name: volumeID, Driver: "local", Labels: copyLabels(e.volLabels[volumeID])}, nil
}

func (e *fakeEngine) VolumeRemove(ctx context.Context, volumeID string, force bool) error {
	if err := e.enter(ctx, "VolumeRemove", volumeID); err != nil {
		return err
	}
	if force {
		return fmt.Errorf("fake engine: prune must not force volume removal")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	size, ok := e.volumes[volumeID]
	if !ok {
		return notFoundErr("volume: " + volumeID)
	}
	for _, c := range e.containers {
		if contains(c.volumes, volumeID) {
			return conflictErr("remove " + volumeID + ": volume is in use - [" + c.id + "]")
		}
	}
	delete(e.volumes, volumeID)
	e.freed += max(size, 0)
	return nil
}

func (e *fakeEngine) NetworkInspect(ctx context.Context, networkID string, options network.InspectOptions) (network.Inspect, error) {
	if err := e.enter(ctx, "NetworkInspect", networkID); err != nil {
		return network.Inspect{}, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	n, ok := e.networks[networkID]
	if !ok {
		return network.Inspect{}, notFoundErr("network: " + networkID)
	}
	eps := map[string]network.EndpointResource{}
	for _, c := range e.containers {
		if c.state == "running" && contains(c.networks, n.name) {
			eps[c.id] = network.EndpointResource{Name: c.name}
		}
	}
	return network.Inspect{ID: n.id, Name: n.name, Labels: copyLabels(n.labels), Containers: eps}, nil
}

func (e *fakeEngine) NetworkRemove(ctx context.Context, networkID string) error {
	if err := e.enter(ctx, "NetworkRemove", networkID); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	n, ok := e.networks[networkID]
	if !ok {
		return notFoundErr("network: " + networkID)
	}
	for _, c := range e.containers {
		if c.state == "running" && contains(c.networks, n.name) {
			return conflictErr("network " + n.name + " has active endpoints")
		}
	}
	delete(e.networks, networkID)
	return nil
}

// BuildCachePrune prunes the record the id filter names (BuildKit's
// "id~=" match, by substring here) when it is not in use and no record
// has it as a parent, plus what AlsoPrunes lists for it.
func (e *fakeEngine) BuildCachePrune(ctx context.Context, opts build.CachePruneOptions) (*build.CachePruneReport, error) {
	ids := opts.Filters.Get("id")
	if err := e.enter(ctx, "BuildCachePrune", strings.Join(ids, ",")); err != nil {
		return nil, err
	}
	if len(ids) > 1 {
		return nil, fmt.Errorf("Error response from daemon: filters expect only one value: %w", cerrdefs.ErrInvalidArgument)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	rep := &build.CachePruneReport{}
	prune := func(match func(id string) bool) {
		keys := make([]string, 0, len(e.cache))
		for id := range e.cache {
			keys = append(keys, id)
		}
		sort.Strings(keys)
		for _, id := range keys {
			r, ok := e.cache[id]
			if !ok || !match(id) || r.InUse || (!opts.All && r.Shared) {
				continue
			}
			child := false
			for _, o := range e.cache {
				child = child || contains(o.Parents, id)
			}
			if child {
				continue
			}
			delete(e.cache, id)
			rep.CachesDeleted = append(rep.CachesDeleted, id)
			if !r.Shared {
				e.freed += r.SizeBytes
				rep.SpaceReclaimed += uint64(r.SizeBytes)
			}
			for _, extra := range e.AlsoPrunes[id] {
				if x, ok := e.cache[extra]; ok {
					delete(e.cache, extra)
					rep.CachesDeleted = append(rep.CachesDeleted, extra)
					if !x.Shared {
						e.freed += x.SizeBytes
					}
				}
			}
		}
	}
	// The engine hands the id filter to BuildKit as a regular expression
	// (id~=value).
	prune(func(id string) bool {
		if len(ids) == 0 {
			return true
		}
		ok, err := regexp.MatchString(ids[0], id)
		return err == nil && ok
	})
	return rep, nil
}
