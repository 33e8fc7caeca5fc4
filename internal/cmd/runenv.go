package cmd

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/dockctl/dockctl/internal/engine"
	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/render"
)

// RunEnv is what a run takes from outside its flags, copied from the
// Factory into each command's options when the command runs (gh's
// XOptions{IO, HttpClient, …}): a run reads only its options, and a fleet
// run gives each engine its own copy, with that engine's Engine.
type RunEnv struct {
	IO IOStreams
	// Engine returns the engine client, creating it on first call;
	// creating it does not dial, the first request does.
	Engine func() (Engine, engine.Endpoint, error)
	Now    func() time.Time
	// Timeout is --timeout: it bounds each request but /system/df, a wait
	// for a busy /system/df (unless DFTimeout is given) and the measure
	// after a prune.
	Timeout time.Duration
	// DFTimeout is --df-timeout, 0 when not given: the bound of
	// /system/df, which the engine client applies, and of a wait for a
	// busy one.
	DFTimeout time.Duration
	// Sleep waits d or until ctx ends (the Factory's clock).
	Sleep func(ctx context.Context, d time.Duration) error
	// Explained returns the docker commands behind an operation (none
	// under --no-explain).
	Explained func(op string) (render.Explained, error)
	// CacheDir holds the layer cache; LockDir the prune locks.
	CacheDir, LockDir string
	// NoColor is NO_COLOR set in the environment.
	NoColor bool
}

// runEnv is the RunEnv of a run on f's engine.
func (f *Factory) runEnv() RunEnv {
	return RunEnv{
		IO: f.IO, Engine: f.Engine, Now: f.Now, Timeout: f.Conn.Timeout, DFTimeout: f.DFTimeout.D, Sleep: f.Sleep, Explained: f.explained,
		CacheDir: f.CacheDir(), LockDir: f.LockDir, NoColor: f.Env("NO_COLOR") != "",
	}
}

// collectOptions are the Collect options of every command: a busy
// /system/df (another client's running, on engines before Docker 23) is
// waited for at most --df-timeout, else one --timeout (a wait for someone
// else's call, not dockctl's own df), saying so once on stderr; a df that
// takes long says so on a terminal (sizingProgress).
func (e RunEnv) collectOptions() []inspect.CollectOption {
	bound, flag := e.Timeout, "--timeout"
	if e.DFTimeout > 0 {
		bound, flag = e.DFTimeout, "--df-timeout"
	}
	return []inspect.CollectOption{
		inspect.WaitBusy(bound, func(why string) {
			fmt.Fprintf(e.IO.ErrOut, "dockctl: the engine is sizing disks for another client (%s); waiting for it, at most %v (%s)\n", oneLine(why), bound, flag)
		}),
		inspect.Sizing(e.sizingProgress),
	}
}

// layerCache opens the layer cache, or an in-memory one under --no-cache.
func (e RunEnv) layerCache(noCache bool) *inspect.LayerCache {
	if noCache {
		return inspect.OpenLayerCache("")
	}
	return inspect.OpenLayerCache(filepath.Join(e.CacheDir, "layers"))
}

// tableWidth is the width a table is fitted to: the terminal's, when a
// table goes to it and --no-trunc is not given; else 0, no limit (a file
// or a pipe gets every cell whole).
func (e RunEnv) tableWidth(format, output string, noTrunc bool) int {
	if output != "" || !e.IO.OutIsTTY || format != "table" || noTrunc {
		return 0
	}
	return e.IO.OutWidth
}
