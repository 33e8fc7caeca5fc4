package inspect

import (
	"context"
	"fmt"
	"strings"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/client"

	"github.com/dockctl/dockctl/internal/version"
)

// EngineClient is what inspect needs to describe the engine itself.
type EngineClient interface {
	ServerVersion(ctx context.Context) (types.Version, error)
	Info(ctx context.Context) (system.Info, error)
	ClientVersion() string
}

var _ EngineClient = (*client.Client)(nil)

// Version is what `dockctl version` reports.
type Version struct {
	Client version.Client `json:"client"`
	Engine EngineVersion  `json:"engine"`
	// NegotiatedAPIVersion is the API version requests actually use: the
	// lower of the client's and the engine's.
	NegotiatedAPIVersion string `json:"negotiated_api_version"`
}

// EngineVersion describes the engine as it reports itself.
type EngineVersion struct {
	Host          string `json:"host"`
	Version       string `json:"version"`
	APIVersion    string `json:"api_version"`
	MinAPIVersion string `json:"min_api_version"`
	OS            string `json:"os"`
	Arch          string `json:"arch"`
	GoVersion     string `json:"go_version"`
	GitCommit     string `json:"git_commit"`
	// Error says why the engine could not be asked (unreachable, an
	// error answer); the other fields but Host are then empty.
	Error string `json:"error,omitempty"`
}

// ReadVersion asks the engine for its version; the first request also
// settles the negotiated API version.
func ReadVersion(ctx context.Context, c EngineClient, host string) (Version, error) {
	sv, err := c.ServerVersion(ctx)
	if err != nil {
		return Version{}, fmt.Errorf("reading engine version: %w", err)
	}
	return Version{
		Client: version.Self(),
		Engine: EngineVersion{
			Host: host, Version: sv.Version, APIVersion: sv.APIVersion, MinAPIVersion: sv.MinAPIVersion,
			OS: sv.Os, Arch: sv.Arch, GoVersion: sv.GoVersion, GitCommit: sv.GitCommit,
		},
		NegotiatedAPIVersion: c.ClientVersion(),
	}, nil
}

// EngineInfo is the host context of a report: which engine, where it keeps
// its data, and how full that filesystem is.
type EngineInfo struct {
	// ID is the engine's own identity: two addresses that reach the same
	// engine report the same ID.
	ID            string `json:"id,omitempty"`
	Name          string `json:"name,omitempty"`
	Host          string `json:"host"`
	ServerVersion string `json:"server_version"`
	APIVersion    string `json:"api_version"`
	DockerRootDir string `json:"docker_root_dir"`
	StorageDriver string `json:"storage_driver"`
	// ContainerdStore is set when the engine keeps images in the
	// containerd image store (/info DriverStatus driver-type
	// io.containerd.snapshotter.v1): images are content blobs and
	// snapshots under <root>/containerd, not layers of a graph driver.
	ContainerdStore bool `json:"containerd_store,omitempty"`
	// FSSizeBytes and FSFreeBytes describe the filesystem holding the
	// Docker root dir, as df shows it; -1 when the engine is not local.
	FSSizeBytes int64 `json:"fs_size_bytes"`
	FSUsedBytes int64 `json:"fs_used_bytes"`
	FSFreeBytes int64 `json:"fs_free_bytes"`
}

// FSUsePercent is df's Use%: used / (used + available).
func (e EngineInfo) FSUsePercent() float64 {
	if e.FSUsedBytes < 0 || e.FSUsedBytes+e.FSFreeBytes <= 0 {
		return -1
	}
	return float64(e.FSUsedBytes) * 100 / float64(e.FSUsedBytes+e.FSFreeBytes)
}

// ReadEngineInfo asks the engine where it keeps its data and, when the
// engine runs on this machine (a unix socket) and its root dir is visible
// here, measures that filesystem.
func ReadEngineInfo(ctx context.Context, c EngineClient, host string) (EngineInfo, error) {
	info, err := c.Info(ctx)
	if err != nil {
		return EngineInfo{}, fmt.Errorf("reading engine info: %w", err)
	}
	return EngineInfoFrom(info, c.ClientVersion(), host), nil
}

// EngineInfoFrom is ReadEngineInfo with /info already read; apiVersion is
// the negotiated API version.
func EngineInfoFrom(info system.Info, apiVersion, host string) EngineInfo {
	ei := EngineInfo{
		ID: info.ID, Name: info.Name, Host: host, ServerVersion: info.ServerVersion, APIVersion: apiVersion,
		DockerRootDir: info.DockerRootDir, StorageDriver: info.Driver,
		FSSizeBytes: SizeUnknown, FSUsedBytes: SizeUnknown, FSFreeBytes: SizeUnknown,
	}
	for _, kv := range info.DriverStatus {
		if len(kv) == 2 && kv[0] == "driver-type" && kv[1] == "io.containerd.snapshotter.v1" {
			ei.ContainerdStore = true
		}
	}
	if strings.HasPrefix(host, "unix://") && info.DockerRootDir != "" {
		if size, used, free, ok := statFS(info.DockerRootDir); ok {
			ei.FSSizeBytes, ei.FSUsedBytes, ei.FSFreeBytes = size, used, free
		}
	}
	return ei
}
