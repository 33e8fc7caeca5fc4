package cmd

import "runtime/debug"

// gcPercent is the collector's target for dockctl: the heap grows by half
// its live size between collections instead of Go's default doubling. A
// report's live heap is mostly the engine's answers being decoded (the
// /system/df of 10,000 containers is some 9 MB of JSON, 25 MB decoded), so
// the default lets the peak RSS reach twice that; at 50 `report -v
// --format json` stays under 64 MiB there (BENCHMARKS.md, issue 12 item
// 4) for a few more collections, each a few milliseconds.
const gcPercent = 50

// tuneGC sets gcPercent unless the user chose with GOGC or GOMEMLIMIT,
// and says whether it did.
func tuneGC(getenv func(string) string) bool {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return false
	}
	debug.SetGCPercent(gcPercent)
	return true
}
