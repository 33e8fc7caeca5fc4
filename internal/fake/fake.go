// Package fake provides a hand-written fake Docker engine for unit tests:
// one func field per engine method, so each test states exactly the
// answers it needs. A method whose field is nil fails the call loudly, and
// every call is counted so tests can assert what was (not) requested.
package fake

import (
	"context"
	"fmt"
	"sync"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/api/types/volume"
)

// Engine is a fake engine.
type Engine struct {
	DiskUsageFn     func(ctx context.Context, opts types.DiskUsageOptions) (types.DiskUsage, error)
	ContainerListFn func(ctx context.Context, opts container.ListOptions) ([]container.Summary, error)
	VolumeListFn    func(ctx context.Context, opts volume.ListOptions) (volume.ListResponse, error)
	NetworkListFn   func(ctx context.Context, opts network.ListOptions) ([]network.Summary, error)
	ServerVersionFn func(ctx context.Context) (types.Version, error)
	InfoFn          func(ctx context.Context) (system.Info, error)
	APIVersion      string

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

// DiskUsage implements the engine call.
func (e *Engine) DiskUsage(ctx context.Context, opts types.DiskUsageOptions) (types.DiskUsage, error) {
	e.record("DiskUsage")
	if e.DiskUsageFn == nil {
		return types.DiskUsage{}, missing("DiskUsage")
	}
	return e.DiskUsageFn(ctx, opts)
}

// ContainerList implements the engine call.
func (e *Engine) ContainerList(ctx context.Context, opts container.ListOptions) ([]container.Summary, error) {
	e.record("ContainerList")
	if e.ContainerListFn == nil {
		return nil, missing("ContainerList")
	}
	return e.ContainerListFn(ctx, opts)
}

// VolumeList implements the engine call.
func (e *Engine) VolumeList(ctx context.Context, opts volume.ListOptions) (volume.ListResponse, error) {
	e.record("VolumeList")
	if e.VolumeListFn == nil {
		return volume.ListResponse{}, missing("VolumeList")
	}
	return e.VolumeListFn(ctx, opts)
}

// NetworkList implements the engine call.
func (e *Engine) NetworkList(ctx context.Context, opts network.ListOptions) ([]network.Summary, error) {
	e.record("NetworkList")
	if e.NetworkListFn == nil {
		return nil, missing("NetworkList")
	}
	return e.NetworkListFn(ctx, opts)
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

// ClientVersion is the negotiated API version.
func (e *Engine) ClientVersion() string { return e.APIVersion }

// Close does nothing.
func (e *Engine) Close() error { return nil }
