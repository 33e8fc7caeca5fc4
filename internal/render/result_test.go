package render

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/dockctl/dockctl/internal/inspect"
)

// A Result's Document is exactly what its Render writes under --format
// json: fleet runs embed Documents and --every writes them as JSON Lines,
// so neither needs to render bytes and parse them back.
func TestResultDocumentIsTheJSONRendered(t *testing.T) {
	t.Parallel()
	results := map[string]func(format string) Result{
		"inspect": func(f string) Result {
			return InspectResult{Kind: inspect.KindImages, Inv: sampleInventory(), Options: InspectOptions{Format: f}}
		},
		"prune plan": func(f string) Result {
			return PruneResult{Plan: samplePlan(), Options: PruneOptions{Format: f, Explain: pruneExplain()}}
		},
		"prune outcome": func(f string) Result {
			return PruneResult{Plan: samplePlan(), Outcome: sampleOutcome(), Options: PruneOptions{Format: f}}
		},
		"report": func(f string) Result { return ReportResult{Report: sampleReport(), Options: ReportOptions{Format: f}} },
		"fleet report": func(f string) Result {
			return FleetReportResult{Fleet: sampleFleet(), Options: ReportOptions{Format: f}}
		},
		"version": func(f string) Result {
			return VersionResult{Version: inspect.Version{Engine: inspect.EngineVersion{Host: "unix:///x", Error: "unreachable"}}, Format: f}
		},
		"fleet sections": func(f string) Result {
			return FleetSectionsResult{Command: "prune", Format: f, Sections: []FleetSection{
				{Name: "a", Result: PruneResult{Plan: samplePlan(), Options: PruneOptions{Format: f}}},
				{Name: "b", Error: "unreachable"},
			}}
		},
	}
	for name, result := range results {
		t.Run(name, func(t *testing.T) {
			var rendered bytes.Buffer
			if err := result("json").Render(&rendered); err != nil {
				t.Fatal(err)
			}
			var compact bytes.Buffer
			if err := json.Compact(&compact, rendered.Bytes()); err != nil {
				t.Fatal(err)
			}
			doc, err := json.Marshal(result("json").Document())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(bytes.TrimSpace(compact.Bytes()), doc) {
				t.Fatalf("Document:\n%s\nRender, compacted:\n%s", doc, compact.Bytes())
			}
		})
	}
}
