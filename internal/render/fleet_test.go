package render

import (
	"bytes"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"

	"gotest.tools/v3/golden"

	"github.com/dockctl/dockctl/internal/usage"
)

func sampleFleet() usage.Fleet {
	a := sampleReport()
	a.Engine.ID = "ENGINE-A"
	b := sampleReport()
	b.Engine.ID = "ENGINE-A"
	b.Engine.Host = "tcp://127.0.0.1:2375"
	b.Engine.FSSizeBytes, b.Engine.FSUsedBytes, b.Engine.FSFreeBytes = -1, -1, -1
	return usage.NewFleet([]usage.FleetEngine{
		{Name: "default", Host: "unix:///var/run/docker.sock", Report: &a},
		{Name: "tcp://127.0.0.1:2375", Host: "tcp://127.0.0.1:2375", Report: &b},
		{Name: "build-[x]", Host: "tcp://10.0.0.9:2376", Error: "cannot reach the Docker engine at tcp://10.0.0.9:2376: is the Docker daemon running?"},
	})
}

func TestRenderFleetReportGolden(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"table", "json", "markdown"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderFleetReport(&buf, sampleFleet(), ReportOptions{Format: format, Now: now, Explain: reportExplain()}); err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, buf.String(), "fleet-report."+format)
		})
	}
}

func TestRenderFleetReportJSON(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := RenderFleetReport(&buf, sampleFleet(), ReportOptions{Format: "json"}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema  string `json:"schema"`
		Engines []struct {
			Name   string          `json:"name"`
			Report json.RawMessage `json:"report"`
			Error  string          `json:"error"`
			Same   string          `json:"same_engine_as"`
		} `json:"engines"`
		Totals usage.FleetTotals `json:"totals"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != usage.FleetSchema || len(doc.Engines) != 3 {
		t.Fatalf("schema %q, %d engines", doc.Schema, len(doc.Engines))
	}
	for i, e := range doc.Engines {
		if (e.Report == nil) == (e.Error == "") {
			t.Errorf("engine %d (%s) must have a report or an error, not both or neither", i, e.Name)
		}
	}
	if doc.Engines[1].Same != "default" || doc.Totals.Answered != 2 || doc.Totals.Failed != 1 || doc.Totals.Duplicates != 1 {
		t.Errorf("same %q, totals %+v", doc.Engines[1].Same, doc.Totals)
	}
	one := sampleReport()
	if doc.Totals.TotalBytes != one.TotalBytes {
		t.Errorf("totals count the engine reached twice twice: %d, want %d", doc.Totals.TotalBytes, one.TotalBytes)
	}
}

// fixedResult is a Result of a given text and JSON document.
type fixedResult struct {
	text string
	doc  any
}

func (r fixedResult) Render(w io.Writer) error { _, err := io.WriteString(w, r.text); return err }
func (r fixedResult) Document() any            { return r.doc }

func TestRenderFleetSections(t *testing.T) {
	t.Parallel()
	sections := []FleetSection{
		{Name: "default", Host: "unix:///var/run/docker.sock", Result: fixedResult{"[{\"id\":\"a\"}]\n", []map[string]string{{"id": "a"}}}},
		{Name: "dead", Host: "tcp://127.0.0.1:1", Error: "cannot reach\x1b[31m the engine"},
	}
	t.Run("json", func(t *testing.T) {
		var buf bytes.Buffer
		if err := RenderFleetSections(&buf, "inspect images", "json", sections); err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Schema, Command string
			Engines         []map[string]any
		}
		if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Schema != FleetDocSchema || doc.Command != "inspect images" || len(doc.Engines) != 2 {
			t.Fatalf("%+v", doc)
		}
		if _, ok := doc.Engines[0]["report"].([]any); !ok {
			t.Errorf("engine 0's own document is not kept as JSON: %v", doc.Engines[0])
		}
		if doc.Engines[1]["error"] == nil || doc.Engines[1]["report"] != nil {
			t.Errorf("engine 1: %v", doc.Engines[1])
		}
	})
	t.Run("table", func(t *testing.T) {
		var buf bytes.Buffer
		if err := RenderFleetSections(&buf, "inspect images", "table", sections); err != nil {
			t.Fatal(err)
		}
		want := "=== default (unix:///var/run/docker.sock) ===\n[{\"id\":\"a\"}]\n\n=== dead (tcp://127.0.0.1:1) ===\nerror: cannot reach\\x1b[31m the engine\n"
		if got := buf.String(); got != want {
			t.Errorf("got\n%q\nwant\n%q", got, want)
		}
	})
	t.Run("markdown escapes names", func(t *testing.T) {
		var buf bytes.Buffer
		s := []FleetSection{{Name: "a|[b](c)", Result: fixedResult{text: "x\n"}}}
		if err := RenderFleetSections(&buf, "prune", "markdown", s); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(buf.String(), `## a\|\[b\]\(c\)`) {
			t.Errorf("heading not escaped: %q", buf.String())
		}
	})
}

func TestFleetReportFormats(t *testing.T) {
	t.Parallel()
	for format, ok := range map[string]bool{"table": true, "json": true, "markdown": true, "html": false, "yaml": false} {
		if slices.Contains(FleetReportFormats, format) != ok {
			t.Errorf("%s: listed %v", format, !ok)
		}
	}
}
