package cmd

import (
	"runtime/debug"
	"sync/atomic"
)

// gcPercent is the collector's target for dockctl: the heap grows by a
// quarter of its live size between collections instead of Go's default
// doubling.
// A report's live heap is mostly the engine's answers being decoded (the
// /system/df of 10,000 containers is some 9 MB of JSON, 25 MB decoded), so
// the default lets the peak RSS reach twice that. 50 kept `report -v
// --format json` there under 64 MiB until the containerd gRPC client
// grew the binary, and with it the resident pages before any heap, by
// 5 MiB (12.8 → 18.1 MiB for --help); with /system/df decoded as it
// streams in (engine.Client.DiskUsage) and 25 here the peak is 58–61 MiB
// again, for some 20% more wall time at that size (BENCHMARKS.md, issue
// 12 item 4), nothing measurable on a report of a few hundred objects.
const gcPercent = 25

// fleetGCPercent is the target of a fleet run. Its peak grows with
// --parallel (engines in flight), not with one engine's answer, and its
// wall time is CPU-bound on small machines: at 25 the 500-engine
// benchmark took 20–35% longer than at 50 (BENCHMARKS.md, "A fleet of
// hundreds"), for a peak far under its own goal either way.
const fleetGCPercent = 50

// gcTuned is set when tuneGC chose the target, so that a fleet run may
// choose again; never when the user did.
var gcTuned atomic.Bool

// tuneGC sets gcPercent unless the user chose with GOGC or GOMEMLIMIT,
// and says whether it did.
func tuneGC(getenv func(string) string) bool {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return false
	}
	debug.SetGCPercent(gcPercent)
	gcTuned.Store(true)
	return true
}

// tuneGCForFleet sets fleetGCPercent where tuneGC chose the target.
func tuneGCForFleet() {
	if gcTuned.Load() {
		debug.SetGCPercent(fleetGCPercent)
	}
}
