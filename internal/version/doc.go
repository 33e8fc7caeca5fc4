// Package version owns dockctl's own version: the one set at link time by
// the release build, or the module version go install recorded, or "dev".
// It asks no engine, so `dockctl --version` never needs one.
package version
