package fake

import (
	"context"
	"fmt"
	"net"
	"sync"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
)

// Engine is a fake engine.
type Engine struct {
	DiskUsageFn     func(ctx context.Context, opts types.DiskUsageOptions) (types.DiskUsage, error)
	ContainerListFn func(ctx context.Context, opts container.ListOptions) ([]container.Summary, error)
	VolumeListFn    func(ctx context.Context, opts volume.ListOptions) (volume.ListResponse, error)
	NetworkListFn   func(ctx context.Context, opts network.ListOptions) ([]network.Summary, error)
	ServerVersionFn func(ctx context.Context) (types.Version, error)
	InfoFn          func(ctx context.Context) (system.Info, error)
	ImageInspectFn  func(ctx context.Context, id string) (image.InspectResponse, error)
	ImageHistoryFn  func(ctx context.Context, id string) ([]image.HistoryResponseItem, error)
	ImageListFn     func(ctx context.Context, o image.ListOptions) ([]image.Summary, error)

	ContainerInspectFn func(ctx context.Context, id string) (container.InspectResponse, error)
	ContainerRemoveFn  func(ctx context.Context, id string, o container.RemoveOptions) error
	ImageRemoveFn      func(ctx context.Context, id string, o image.RemoveOptions) ([]image.DeleteResponse, error)
	VolumeInspectFn    func(ctx context.Context, id string) (volume.Volume, error)
	VolumeRemoveFn     func(ctx context.Context, id string, force bool) error
	NetworkInspectFn   func(ctx context.Context, id string, o network.InspectOptions) (network.Inspect, error)
	NetworkRemoveFn    func(ctx context.Context, id string) error
	BuildCachePruneFn  func(ctx context.Context, o build.CachePruneOptions) (*build.CachePruneReport, error)
	// DialHijackFn answers upgrades (the engine's /grpc, BuildKit's).
	DialHijackFn func(ctx context.Context, url string) (net.Conn, error)

	APIVersion string

	mu    sync.Mutex
	calls map[string]int
}

func (e *Engine) record(name string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.calls == nil {
		e.calls = map[string]int{}
	}
	e.calls[name]++
}

// Calls returns how often the named method was called.
func (e *Engine) Calls(name string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.calls[name]
}

func missing(name string) error { return fmt.Errorf("fake engine: %s not set up", name) }

// call records the call name and answers it with fn, or with an error
// when the test did not set fn up: the body of every one-argument call.
func call[A, R any](e *Engine, name string, fn func(context.Context, A) (R, error), ctx context.Context, a A) (R, error) {
	e.record(name)
	if fn == nil {
		var zero R
		return zero, missing(name)
	}
	return fn(ctx, a)
}

// DiskUsage implements the engine call.
func (e *Engine) DiskUsage(ctx context.Context, opts types.DiskUsageOptions) (types.DiskUsage, error) {
	return call(e, "DiskUsage", e.DiskUsageFn, ctx, opts)
}

// ContainerList implements the engine call.
func (e *Engine) ContainerList(ctx context.Context, opts container.ListOptions) ([]container.Summary, error) {
	return call(e, "ContainerList", e.ContainerListFn, ctx, opts)
}

// VolumeList implements the engine call.
func (e *Engine) VolumeList(ctx context.Context, opts volume.ListOptions) (volume.ListResponse, error) {
	return call(e, "VolumeList", e.VolumeListFn, ctx, opts)
}

// NetworkList implements the engine call.
func (e *Engine) NetworkList(ctx context.Context, opts network.ListOptions) ([]network.Summary, error) {
	return call(e, "NetworkList", e.NetworkListFn, ctx, opts)
}

// ServerVersion implements the engine call.
func (e *Engine) ServerVersion(ctx context.Context) (types.Version, error) {
	e.record("ServerVersion")
	if e.ServerVersionFn == nil {
		return types.Version{}, missing("ServerVersion")
	}
	return e.ServerVersionFn(ctx)
}

// Info implements the engine call.
func (e *Engine) Info(ctx context.Context) (system.Info, error) {
	e.record("Info")
	if e.InfoFn == nil {
		return system.Info{}, missing("Info")
	}
	return e.InfoFn(ctx)
}

// ImageInspect implements the engine call.
func (e *Engine) ImageInspect(ctx context.Context, id string, _ ...client.ImageInspectOption) (image.InspectResponse, error) {
	return call(e, "ImageInspect", e.ImageInspectFn, ctx, id)
}

// ImageList implements the engine call.
func (e *Engine) ImageList(ctx context.Context, o image.ListOptions) ([]image.Summary, error) {
	return call(e, "ImageList", e.ImageListFn, ctx, o)
}

// ImageHistory implements the engine call.
func (e *Engine) ImageHistory(ctx context.Context, id string, _ ...client.ImageHistoryOption) ([]image.HistoryResponseItem, error) {
	return call(e, "ImageHistory", e.ImageHistoryFn, ctx, id)
}

// ContainerInspect implements the engine call.
func (e *Engine) ContainerInspect(ctx context.Context, id string) (container.InspectResponse, error) {
	return call(e, "ContainerInspect", e.ContainerInspectFn, ctx, id)
}

// ContainerRemove implements the engine call.
func (e *Engine) ContainerRemove(ctx context.Context, id string, o container.RemoveOptions) error {
	e.record("ContainerRemove")
	if e.ContainerRemoveFn == nil {
		return missing("ContainerRemove")
	}
	return e.ContainerRemoveFn(ctx, id, o)
}

// ImageRemove implements the engine call.
func (e *Engine) ImageRemove(ctx context.Context, id string, o image.RemoveOptions) ([]image.DeleteResponse, error) {
	e.record("ImageRemove")
	if e.ImageRemoveFn == nil {
		return nil, missing("ImageRemove")
	}
	return e.ImageRemoveFn(ctx, id, o)
}

// VolumeInspect implements the engine call.
func (e *Engine) VolumeInspect(ctx context.Context, id string) (volume.Volume, error) {
	return call(e, "VolumeInspect", e.VolumeInspectFn, ctx, id)
}

// VolumeRemove implements the engine call.
func (e *Engine) VolumeRemove(ctx context.Context, id string, force bool) error {
	e.record("VolumeRemove")
	if e.VolumeRemoveFn == nil {
		return missing("VolumeRemove")
	}
	return e.VolumeRemoveFn(ctx, id, force)
}

// NetworkInspect implements the engine call.
func (e *Engine) NetworkInspect(ctx context.Context, id string, o network.InspectOptions) (network.Inspect, error) {
	e.record("NetworkInspect")
	if e.NetworkInspectFn == nil {
		return network.Inspect{}, missing("NetworkInspect")
	}
	return e.NetworkInspectFn(ctx, id, o)
}

// NetworkRemove implements the engine call.
func (e *Engine) NetworkRemove(ctx context.Context, id string) error {
	e.record("NetworkRemove")
	if e.NetworkRemoveFn == nil {
		return missing("NetworkRemove")
	}
	return e.NetworkRemoveFn(ctx, id)
}

// BuildCachePrune implements the engine call.
func (e *Engine) BuildCachePrune(ctx context.Context, o build.CachePruneOptions) (*build.CachePruneReport, error) {
	return call(e, "BuildCachePrune", e.BuildCachePruneFn, ctx, o)
}

// DialHijack implements the engine call.
func (e *Engine) DialHijack(ctx context.Context, url, _ string, _ map[string][]string) (net.Conn, error) {
	return call(e, "DialHijack", e.DialHijackFn, ctx, url)
}

// Mutations returns how many calls changed (or would change) the engine.
func (e *Engine) Mutations() int {
	n := 0
	for _, m := range []string{"ContainerRemove", "ImageRemove", "VolumeRemove", "NetworkRemove", "BuildCachePrune"} {
		n += e.Calls(m)
	}
	return n
}

// ClientVersion is the negotiated API version.
func (e *Engine) ClientVersion() string { return e.APIVersion }

// Close does nothing.
func (e *Engine) Close() error { return nil }
