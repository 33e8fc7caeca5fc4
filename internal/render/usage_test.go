package render

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"gotest.tools/v3/golden"

	"github.com/dockctl/dockctl/internal/explain"
	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/probe"
	"github.com/dockctl/dockctl/internal/usage"
)

func sampleReport() usage.Report {
	inv := sampleInventory()
	inv.LayersSize = 11_420_000
	inv.Images[0].Layers = []inspect.Layer{{ChainID: "base", SizeBytes: 4_200_000}, {ChainID: "top", SizeBytes: 7_220_000}}
	eng := inspect.EngineInfo{Host: "unix:///var/run/docker.sock", ServerVersion: "20.10.24", APIVersion: "1.41", DockerRootDir: "/var/lib/docker", StorageDriver: "overlay2",
		FSSizeBytes: 100_000_000_000, FSUsedBytes: 60_000_000_000, FSFreeBytes: 40_000_000_000}
	return usage.Build(inv, eng, usage.Options{Verbose: true, Top: 5})
}

func reportExplain() map[string]Explained {
	return map[string]Explained{
		"summary": {Entries: explain.ForOperation("report"), Lang: "both"},
		"host":    {Entries: explain.ForOperation("report host"), Lang: "both"},
	}
}

func TestRenderReportGolden(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"table", "json", "markdown", "html"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderReport(&buf, sampleReport(), ReportOptions{Format: format, ByProject: true, Now: now, Explain: reportExplain()}); err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, buf.String(), "report."+format)
		})
	}
}

func TestRenderReportJSONSchema(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := RenderReport(&buf, sampleReport(), ReportOptions{Format: "json", Explain: reportExplain()}); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"schema", "engine", "summary", "full_cleanup_reclaimable_bytes", "projects", "images", "explain"} {
		if _, ok := doc[key]; !ok {
			t.Errorf("report JSON lacks %q", key)
		}
	}
	if doc["schema"] != "dockctl.report/v1" {
		t.Errorf("schema = %v", doc["schema"])
	}
	summary := doc["summary"].(map[string]any)
	for _, row := range []string{"images", "containers", "volumes", "build_cache"} {
		r, ok := summary[row].(map[string]any)
		if !ok {
			t.Fatalf("summary lacks %s", row)
		}
		for _, k := range []string{"total", "active", "size_bytes", "reclaimable_bytes", "docker_reclaimable_bytes"} {
			if _, ok := r[k]; !ok {
				t.Errorf("summary.%s lacks %s", row, k)
			}
		}
	}
}

func TestRenderReportColourOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	for _, colour := range []bool{false, true} {
		var buf bytes.Buffer
		if err := RenderReport(&buf, sampleReport(), ReportOptions{Format: "table", Color: colour}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(buf.String(), "\x1b["); got != colour {
			t.Errorf("colour %v: escape sequences present = %v", colour, got)
		}
	}
}

func TestRenderReportHTMLEscapesEngineText(t *testing.T) {
	t.Parallel()
	r := sampleReport()
	r.Projects = append(r.Projects, usage.Project{Name: "<script>alert(1)</script>"})
	var buf bytes.Buffer
	if err := RenderReport(&buf, r, ReportOptions{Format: "html"}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "<script>") || strings.Contains(buf.String(), "http") && strings.Contains(buf.String(), "src=") {
		t.Fatal("HTML report must escape names and load nothing external")
	}
}

func TestRenderReportMarkdownEscapesEngineText(t *testing.T) {
	t.Parallel()
	r := sampleReport()
	r.Projects = append(r.Projects, usage.Project{Name: "![p](https://evil.example/t.png) [click](https://evil.example) **x**"})
	var buf bytes.Buffer
	if err := RenderReport(&buf, r, ReportOptions{Format: "markdown", ByProject: true}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"![p](", "[click](", "**x**"} {
		if strings.Contains(buf.String(), bad) {
			t.Errorf("markdown passes %q through", bad)
		}
	}
}

var ansi = regexp.MustCompile("\x1b\\[[0-9;]*m")

func TestRenderReportColourKeepsColumnsAligned(t *testing.T) {
	t.Parallel()
	r := sampleReport()
	r.Summary.Containers.ReclaimableBytes = 1000
	var plain, coloured bytes.Buffer
	if err := RenderReport(&plain, r, ReportOptions{Format: "table"}); err != nil {
		t.Fatal(err)
	}
	if err := RenderReport(&coloured, r, ReportOptions{Format: "table", Color: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(coloured.String(), ansiGreen) {
		t.Fatal("no colour on a reclaimable row")
	}
	if got := ansi.ReplaceAllString(coloured.String(), ""); got != plain.String() {
		t.Fatalf("colour changed the layout:\n%s\n---\n%s", got, plain.String())
	}
}

// sampleDiskReport is sampleReport with the storage probe's measurement:
// web-1 (running) logs 2 MB, the exited one 31.5 MB; an orphan layer dir
// and tmp leftovers are unaccounted.
func sampleDiskReport(verbose bool) usage.Report {
	inv := sampleInventory()
	inv.LayersSize = 11_420_000
	inv.Images[0].Layers = []inspect.Layer{{ChainID: "base", SizeBytes: 4_200_000}, {ChainID: "top", SizeBytes: 7_220_000}}
	eng := inspect.EngineInfo{Host: "unix:///var/run/docker.sock", ServerVersion: "20.10.24", APIVersion: "1.41", DockerRootDir: "/var/lib/docker", StorageDriver: "overlay2",
		FSSizeBytes: 100_000_000_000, FSUsedBytes: 60_000_000_000, FSFreeBytes: 40_000_000_000}
	m := &probe.Measurement{
		RootDir:      "/var/lib/docker",
		RootDirBytes: 4096 + 33_540_000 + 11_900_000 + 2_050_000 + 130_000 + 1_000_000,
		TopLevel: []probe.DirBytes{
			{Name: "containers", Bytes: 33_540_000},
			{Name: "image", Bytes: 130_000},
			{Name: "overlay2", Bytes: 11_900_000},
			{Name: "tmp", Bytes: 1_000_000},
			{Name: "volumes", Bytes: 2_050_000, Entries: []probe.DirBytes{{Name: "data", Bytes: 2_012_288}, {Name: "metadata.db", Bytes: 33_616}}},
		},
		Driver: &probe.DriverDir{Name: "overlay2", ImageBytes: 11_460_000, ContainerBytes: 40_000, OtherBytes: 400_000},
		Containers: []probe.ContainerBytes{
			{ID: "c0ffee0000000000000000000000000000000000000000000000000000000000", LogBytes: 2_000_000},
			{ID: "deadbeef00000000000000000000000000000000000000000000000000000000", LogBytes: 31_500_000},
		},
	}
	return usage.Build(inv, eng, usage.Options{Verbose: verbose, Top: 5, Disk: m})
}

// TestRenderReportDiskGolden: the Logs and Unaccounted rows, the accounted
// line and, with -v, the logs and unaccounted tables, in every format;
// without access, the one-line notice instead.
func TestRenderReportDiskGolden(t *testing.T) {
	noDisk := sampleReport()
	noDisk.Disk = &usage.Disk{RootDirBytes: -1, AccountedBytes: -1, AccountedPercent: -1,
		UnavailableReason: "cannot measure the disk: the engine's root dir /var/lib/docker is not visible here; run dockctl on the engine's host as root or as a user who can read /var/lib/docker, or mount it read-only into dockctl's container (-v /var/lib/docker:/var/lib/docker:ro)"}
	for _, tc := range []struct {
		name string
		r    usage.Report
	}{{"disk", sampleDiskReport(true)}, {"disk-summary", sampleDiskReport(false)}, {"nodisk", noDisk}} {
		for _, format := range []string{"table", "json", "markdown", "html"} {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				var buf bytes.Buffer
				if err := RenderReport(&buf, tc.r, ReportOptions{Format: format, Now: now}); err != nil {
					t.Fatal(err)
				}
				golden.Assert(t, buf.String(), "report-"+tc.name+"."+format)
			})
		}
	}
}

// TestDiskLine: the accounted line claims the tolerance only when the rows
// meet it; past it (many small objects, whose directories outweigh their
// files) it names what the rest is.
func TestDiskLine(t *testing.T) {
	tests := []struct {
		name      string
		d         *usage.Disk
		want, not string
	}{
		{"within", &usage.Disk{RootDir: "/r", RootDirBytes: 93_700_000, AccountedBytes: 93_400_000, AccountedPercent: 99.68}, "accounted 99.6% of 93.7MB in /r (du); the rows fall short", "the other"},
		{"past the tolerance", &usage.Disk{RootDir: "/r", RootDirBytes: 40_550_000, AccountedBytes: 21_290_000, AccountedPercent: 52.5}, "accounted 52.5% of 40.55MB in /r (du); the other 19.26MB are the directories", "fall short"},
		{"filtered", &usage.Disk{RootDir: "/r", RootDirBytes: 1000, AccountedBytes: -1}, "the rows cover only the objects --filter selects", "accounted"},
		{"no access", &usage.Disk{RootDirBytes: -1, UnavailableReason: "cannot measure the disk: x"}, "cannot measure the disk: x", "On disk"},
		{"not asked", nil, "", "On disk"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := diskLine(tc.d)
			if !strings.Contains(got, tc.want) || (tc.not != "" && strings.Contains(got, tc.not)) {
				t.Errorf("diskLine = %q; want %q, not %q", got, tc.want, tc.not)
			}
		})
	}
}
