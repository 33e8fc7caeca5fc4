package usage

// FleetSchema names the JSON document of a report over several engines.
const FleetSchema = "dockctl.fleet-report/v1"

// FleetEngine is one engine of a fleet report: its report, or why there is
// none.
type FleetEngine struct {
	// Name is the engine as the user named it: a context or an address.
	Name   string  `json:"name"`
	Host   string  `json:"host,omitempty"`
	Report *Report `json:"report,omitempty"`
	Error  string  `json:"error,omitempty"`
	// SameEngineAs names an earlier engine of the fleet that this one is
	// (same engine ID and name, reached at another address); it is counted
	// once.
	SameEngineAs string `json:"same_engine_as,omitempty"`
}

// FleetTotals add up the engines that answered. Bytes of different
// engines never overlap (each has its own disk), so plain sums are true.
type FleetTotals struct {
	Engines  int `json:"engines"`
	Answered int `json:"answered"`
	Failed   int `json:"failed"`
	// Duplicates answered but are an engine already counted.
	Duplicates int     `json:"duplicates"`
	Summary    Summary `json:"summary"`
	// TotalBytes and FullCleanupBytes are the engines' own figures added up.
	TotalBytes                 int64 `json:"total_bytes"`
	FullCleanupBytes           int64 `json:"full_cleanup_reclaimable_bytes"`
	FullCleanupAllVolumesBytes int64 `json:"full_cleanup_all_volumes_reclaimable_bytes"`
	Approximate                bool  `json:"approximate"`
}

// Fleet is the whole report over several engines, in the order given.
type Fleet struct {
	Schema  string        `json:"schema"`
	Engines []FleetEngine `json:"engines"`
	Totals  FleetTotals   `json:"totals"`
}

// NewFleet adds up the engines' reports, each engine once: an engine
// reached at two addresses (its socket and a TCP port, two contexts naming
// it) is marked SameEngineAs the first and left out of the totals.
func NewFleet(engines []FleetEngine) Fleet {
	f := Fleet{Schema: FleetSchema, Engines: append([]FleetEngine{}, engines...)}
	t := &f.Totals
	t.Engines = len(engines)
	firstByID := map[string]string{}
	for i := range f.Engines {
		e := &f.Engines[i]
		if e.Report == nil {
			t.Failed++
			continue
		}
		t.Answered++
		// The name (the engine host's) goes with the ID: machines cloned
		// from one disk image share the engine ID but not their hostname.
		if id := e.Report.Engine.ID; id != "" {
			id += "\x00" + e.Report.Engine.Name
			if first, ok := firstByID[id]; ok {
				e.SameEngineAs = first
				t.Duplicates++
				continue
			}
			firstByID[id] = e.Name
		}
		r := e.Report
		addRow(&t.Summary.Images, r.Summary.Images)
		addRow(&t.Summary.Containers, r.Summary.Containers)
		addRow(&t.Summary.Volumes, r.Summary.Volumes)
		addRow(&t.Summary.BuildCache, r.Summary.BuildCache)
		t.TotalBytes += r.TotalBytes
		t.FullCleanupBytes += r.FullCleanupBytes
		t.FullCleanupAllVolumesBytes += r.FullCleanupAllVolumesBytes
		t.Approximate = t.Approximate || r.Approximate
	}
	return f
}

func addRow(sum *Row, r Row) {
	sum.Total += r.Total
	sum.Active += r.Active
	sum.SizeBytes += r.SizeBytes
	sum.ReclaimableBytes += r.ReclaimableBytes
	sum.DockerReclaimableBytes += r.DockerReclaimableBytes
}
