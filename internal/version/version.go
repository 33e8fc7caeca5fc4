package version

import (
	"runtime"
	"runtime/debug"

	"github.com/docker/docker/api"
)

// BuildVersion is dockctl's version, set at link time by the release build
// (-ldflags "-X github.com/dockctl/dockctl/internal/version.BuildVersion=v1.2.3").
var BuildVersion = ""

// Client describes this dockctl binary.
type Client struct {
	Version       string `json:"version"`
	MaxAPIVersion string `json:"max_api_version"`
	GoVersion     string `json:"go_version"`
	OS            string `json:"os"`
	Arch          string `json:"arch"`
}

// Self describes this binary without talking to an engine.
func Self() Client {
	v := BuildVersion
	if v == "" {
		v = "dev"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			v = bi.Main.Version
		}
	}
	return Client{Version: v, MaxAPIVersion: api.DefaultVersion, GoVersion: runtime.Version(), OS: runtime.GOOS, Arch: runtime.GOARCH}
}
