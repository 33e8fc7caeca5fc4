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
	inv.Time = now
	inv.LayersSize = 11_420_000
	inv.Images[0].Layers = []inspect.Layer{{ChainID: "base", SizeBytes: 4_200_000}, {ChainID: "top", SizeBytes: 7_220_000}}
	eng := inspect.EngineInfo{Name: "build-1", Host: "unix:///var/run/docker.sock", ServerVersion: "20.10.24", APIVersion: "1.41", DockerRootDir: "/var/lib/docker", StorageDriver: "overlay2",
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
	// Item 4 of issue 14: a report (an --every JSON line above all) says
	// when it was made and of which engine.
	if got, _ := doc["generated_at"].(string); got != "2026-11-25T12:00:00Z" {
		t.Errorf("generated_at = %v, want the run's time in RFC 3339", doc["generated_at"])
	}
	if got := doc["engine"].(map[string]any)["name"]; got != "build-1" {
		t.Errorf("engine.name = %v, want build-1", got)
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

// TestRenderReportHTMLTitle checks item 4 and 10 of issue 14: the HTML
// report's title and heading name the engine and the time it was made.
func TestRenderReportHTMLTitle(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := RenderReport(&buf, sampleReport(), ReportOptions{Format: "html"}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<title>dockctl report: build-1, 2026-11-25T12:00:00Z</title>", `<time datetime="2026-11-25T12:00:00Z">`} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
}

// TestRenderReportVolumeFiguresSayWhatTheyInclude checks item 6 of issue
// 14: the Volumes row counts named volumes and the full cleanup does not,
// so each says which volumes it includes, in every text format.
func TestRenderReportVolumeFiguresSayWhatTheyInclude(t *testing.T) {
	t.Parallel()
	r := sampleReport()
	r.Summary.Volumes.ReclaimableBytes = 4_194_000
	r.AnonymousVolumesReclaimableBytes = 0
	r.FullCleanupBytes = 0
	r.FullCleanupAllVolumesBytes = 4_194_000
	for _, format := range []string{"table", "markdown", "html"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderReport(&buf, r, ReportOptions{Format: format}); err != nil {
				t.Fatal(err)
			}
			out := strings.Join(strings.Fields(buf.String()), " ")
			for _, want := range []string{"anonymous volumes only", "with --all-volumes (named volumes too): 4.194MB", "Local Volumes counts named and anonymous volumes", "(anonymous only: 0B)"} {
				if !strings.Contains(out, want) {
					t.Errorf("%s report lacks %q", format, want)
				}
			}
		})
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
		{"within", &usage.Disk{RootDir: "/r", RootDirBytes: 93_700_000, AccountedBytes: 93_400_000, AccountedPercent: 99.68}, "accounted 99.6% of 93.7MB in /r (du): the rows and Unaccounted add up to du within", "unexplained"},
		{"past the tolerance", &usage.Disk{RootDir: "/r", RootDirBytes: 40_550_000, AccountedBytes: 21_290_000, AccountedPercent: 52.5}, "accounted 52.5% of 40.55MB in /r (du): the rows and Unaccounted leave 19.26MB of du unexplained", "add up"},
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

// TestRenderReportVerboseListsEveryFormat checks item 5 of issue 14: -v
// shows the same per-object lists, with the same columns, in every
// format, and each list says how many objects --top left out.
func TestRenderReportVerboseListsEveryFormat(t *testing.T) {
	t.Parallel()
	inv := sampleInventory()
	inv.Time = now
	r := usage.Build(inv, inspect.EngineInfo{}, usage.Options{Verbose: true, Top: 1})
	for _, format := range []string{"table", "markdown", "html"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderReport(&buf, r, ReportOptions{Format: format, Now: now}); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			for _, want := range []string{
				"Images space usage", "Containers space usage", "Local Volumes space usage", "Build cache usage",
				// a column of each list
				"IMAGE ID", "ROOT FS", "VOLUME NAME", "CACHE ID", "LAST USED",
				// an object of each list
				"aaaaaaaaaaaa", "web-1", "data", "k3x9v2",
				// sampleInventory has 2 images, containers and volumes
				"… 1 more image (--top 1)", "… 1 more container (--top 1)", "… 1 more volume (--top 1)",
			} {
				if !strings.Contains(out, want) {
					t.Errorf("%s -v lacks %q", format, want)
				}
			}
			if strings.Contains(out, "more build cache") {
				t.Errorf("%s -v says build cache records were left out: there is one", format)
			}
		})
	}
}

// TestRenderReportByProjectSharedAndReclaimable checks item 7 of issue
// 14: --by project shows each project's RECLAIMABLE, marks a SIZE that
// holds an image another project uses too, and gives the total with each
// image once, in every format.
func TestRenderReportByProjectSharedAndReclaimable(t *testing.T) {
	t.Parallel()
	r := sampleReport()
	r.Projects = []usage.Project{
		{Name: "shop", Containers: 1, ContainersRunning: 1, Images: 1, Bytes: 5_000_100, SharedImages: 1, SharedImageBytes: 5_000_000},
		{Name: "blog", Containers: 2, Images: 2, Bytes: 7_000_120, SharedImages: 1, SharedImageBytes: 5_000_000, ReclaimableBytes: 2_000_120},
	}
	r.ProjectsTotalBytes = 7_000_220
	for _, format := range []string{"table", "markdown", "html"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderReport(&buf, r, ReportOptions{Format: format, ByProject: true}); err != nil {
				t.Fatal(err)
			}
			// markdown escapes the mark
			out := strings.ReplaceAll(strings.Join(strings.Fields(buf.String()), " "), `\*`, "*")
			for _, want := range []string{"RECLAIMABLE", "5MB*", "7MB*", "2MB", "Total", "7MB",
				"* holds images another project uses too; each counts once in the total"} {
				if !strings.Contains(out, want) {
					t.Errorf("%s --by project lacks %q", format, want)
				}
			}
		})
	}
}

// TestRenderReportFitsWidth checks item 8 of issue 14: on a terminal of
// Width columns the table report's lines fit (long cells such as
// anonymous volume names end in …, notes and prose wrap), and NoTrunc
// shows every cell and id whole.
func TestRenderReportFitsWidth(t *testing.T) {
	t.Parallel()
	// The containers list's ten columns need 106 even when cut; the
	// anonymous volume's name needs 110 whole.
	const width = 108
	for _, tt := range []struct {
		name    string
		o       ReportOptions
		fits    bool
		present []string
	}{
		{"width", ReportOptions{Width: width}, true, []string{"3f1c0a9f2b4d", "…", "aaaaaaaaaaaa "}},
		{"width in colour", ReportOptions{Width: width, Color: true}, true, []string{"3f1c0a9f2b4d", "…"}},
		{"no-trunc", ReportOptions{Width: width, NoTrunc: true}, false, []string{"3f1c0a9f2b4d6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071", "aaaaaaaaaaaabbbbbbbbbbbbccccccccccccddddddddddddeeeeeeeeeeeeffff"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			o.Format, o.ByProject, o.Now, o.Explain = "table", true, now, reportExplain()
			var buf bytes.Buffer
			if err := RenderReport(&buf, sampleReport(), o); err != nil {
				t.Fatal(err)
			}
			long := 0
			for _, line := range strings.Split(buf.String(), "\n") {
				if n := len([]rune(ansi.ReplaceAllString(line, ""))); n > width {
					long++
					if tt.fits {
						t.Errorf("line of %d columns on a terminal of %d: %q", n, width, line)
					}
				}
			}
			if !tt.fits && long == 0 {
				t.Errorf("no line is wider than %d: the sample cannot show truncation", width)
			}
			for _, want := range tt.present {
				if !strings.Contains(buf.String(), want) {
					t.Errorf("lacks %q:\n%s", want, buf.String())
				}
			}
		})
	}
}

// TestRenderReportHTMLLayout checks item 10 of issue 14: charts take the
// page's width, each bar (reclaimable too) has its value next to it, the
// filesystem has a bar, text columns are left-aligned and figures right,
// and commands in notes are code, not raw backticks.
func TestRenderReportHTMLLayout(t *testing.T) {
	t.Parallel()
	r := sampleReport()
	r.Notes = append(r.Notes, usage.Note{Row: "containers", Text: "kept by guards; `dockctl prune containers --dry-run` lists each"})
	var buf bytes.Buffer
	if err := RenderReport(&buf, r, ReportOptions{Format: "html", Now: now}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Contains(out, "`") {
		t.Error("raw backticks in the HTML report")
	}
	for _, want := range []string{
		"<code>dockctl prune containers --dry-run</code>",
		`<svg id="types-chart" width="100%"`, `<svg id="projects-chart" width="100%"`, `<svg id="fs-chart" width="100%"`,
		// value labels: Images' size and reclaimable, the filesystem's use
		`<text class="value" x="80.50%" y="10" dy="10">11.42MB</text>`,
		`<text class="value" x="16.50%" y="24" dy="10">reclaimable 0B</text>`,
		`60GB used of 100GB`,
		`td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}`, `.num{text-align:right}`,
		`<tr><td>Images</td><td class="num">2</td>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}
}
