package render

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"gotest.tools/v3/golden"
	"time"

	"github.com/dockctl/dockctl/internal/explain"
	"github.com/dockctl/dockctl/internal/inspect"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func sampleInventory() *inspect.Inventory {
	return &inspect.Inventory{
		Collected: inspect.Kinds,
		Images: []inspect.Image{
			{ID: "sha256:aaaaaaaaaaaabbbbbbbbbbbbccccccccccccddddddddddddeeeeeeeeeeeeffff", Tags: []string{"app:1", "app:latest"}, Created: now.Add(-48 * time.Hour), SizeBytes: 11_420_000, SharedBytes: 4_200_000, UniqueBytes: 7_220_000, Containers: 2, Labels: map[string]string{}},
			{ID: "sha256:1111111111112222222222223333333333334444444444445555555555556666", Tags: []string{}, Dangling: true, Created: now.Add(-3 * time.Hour), SizeBytes: -1, SharedBytes: -1, UniqueBytes: -1, Containers: -1, Labels: map[string]string{}},
		},
		Containers: []inspect.Container{
			{ID: "c0ffee0000000000000000000000000000000000000000000000000000000000", Name: "web-1", Image: "app:1", ImageID: "sha256:aaaaaaaaaaaabbbbbbbbbbbbccccccccccccddddddddddddeeeeeeeeeeeeffff", State: "running", Status: "Up 2 hours", Created: now.Add(-2 * time.Hour), SizeBytes: 1234, RootFSBytes: 11_421_234, Volumes: []string{"data"}, ComposeProject: "shop"},
			{ID: "deadbeef00000000000000000000000000000000000000000000000000000000", Name: "evil\x1b]0;pwned\x07", Image: "sha256:1111111111112222222222223333333333334444444444445555555555556666", ImageID: "sha256:1111111111112222222222223333333333334444444444445555555555556666", State: "exited", Status: "Exited (0) 3 days ago", Created: now.Add(-72 * time.Hour), SizeBytes: 0, RootFSBytes: 0},
		},
		Volumes: []inspect.Volume{
			{Name: "data", Driver: "local", SizeBytes: 2_000_000, RefCount: 1, ComposeProject: "shop"},
			{Name: "3f1c0a9f2b4d6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071", Driver: "local", SizeBytes: 0, Anonymous: true},
		},
		Networks: []inspect.Network{
			{ID: "e8028fe53654aaaa", Name: "bridge", Driver: "bridge", Scope: "local", Builtin: true},
			{ID: "9bdc18fd6be2bbbb", Name: "shop_default", Driver: "bridge", Scope: "local", Containers: []string{"web-1"}, ComposeProject: "shop"},
		},
		BuildCache: []inspect.BuildCacheRecord{
			{ID: "k3x9v2", Type: "regular", SizeBytes: 6_000_000, Shared: true, Created: now.Add(-24 * time.Hour), LastUsed: now.Add(-time.Hour), UsageCount: 3},
		},
	}
}

func TestRenderInspectGolden(t *testing.T) {
	t.Parallel()
	ex := Explained{Entries: explain.ForOperation("inspect images"), Lang: "both"}
	for _, kind := range inspect.Kinds {
		for _, format := range []string{"table", "json"} {
			t.Run(string(kind)+"-"+format, func(t *testing.T) {
				var buf bytes.Buffer
				o := InspectOptions{Format: format, Now: now}
				if kind == inspect.KindImages {
					o.Explain = ex
				}
				if err := RenderInspect(&buf, kind, sampleInventory(), o); err != nil {
					t.Fatal(err)
				}
				golden.Assert(t, buf.String(), "inspect-"+string(kind)+"."+format)
			})
		}
	}
}

func TestRenderInspectJSONKeepsRawNumbers(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := RenderInspect(&buf, inspect.KindImages, sampleInventory(), InspectOptions{Format: "json", Now: now}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema string           `json:"schema"`
		Items  []map[string]any `json:"items"`
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != InspectSchema || doc.Items[0]["size_bytes"] != float64(11_420_000) || doc.Items[1]["size_bytes"] != float64(-1) {
		t.Fatalf("unexpected document: %s", buf.String())
	}
	if doc.Items[0]["created"] != "2026-11-23T12:00:00Z" {
		t.Fatalf("created = %v, want RFC 3339", doc.Items[0]["created"])
	}
}

func TestRenderInspectQuietAndTemplate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		kind inspect.Kind
		o    InspectOptions
		want string
	}{
		{"quiet ids", inspect.KindImages, InspectOptions{Quiet: true}, "aaaaaaaaaaaa\n111111111111\n"},
		{"quiet volume names", inspect.KindVolumes, InspectOptions{Quiet: true}, "data\n3f1c0a9f2b4d6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071\n"},
		{"template", inspect.KindContainers, InspectOptions{Format: "{{.Name}} {{size .SizeBytes}}"}, "web-1 1.234kB\nevil\\x1b]0;pwned\\x07 0B\n"},
		{"table template", inspect.KindVolumes, InspectOptions{Format: `table {{.Name}}\t{{.RefCount}}`}, "NAME                                                               REFCOUNT\ndata                                                               1\n3f1c0a9f2b4d6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071   0\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderInspect(&buf, tt.kind, sampleInventory(), tt.o); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tt.want {
				t.Fatalf("got %q, want %q", buf.String(), tt.want)
			}
		})
	}
}

func TestParseTemplateErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"{{.Nope", "{{nosuchfunc .ID}}"} {
		_, err := ParseTemplate(in)
		var fe *FormatError
		if !errors.As(err, &fe) || fe.Format != in {
			t.Errorf("ParseTemplate(%q) = %v, want a *FormatError", in, err)
		}
	}
}

func TestSize(t *testing.T) {
	t.Parallel()
	tests := map[int64]string{-1: "N/A", 0: "0B", 999: "999B", 1000: "1kB", 11_420_000: "11.42MB", 4_200_000: "4.2MB", 1_234_567_890: "1.235GB", 999_999: "1000kB"}
	for in, want := range tests {
		if got := Size(in); got != want {
			t.Errorf("Size(%d) = %q, want %q", in, got, want)
		}
	}
	if got := SizePercent(4_200_000, 11_420_000); got != "4.2MB (36%)" {
		t.Errorf("SizePercent = %q", got)
	}
}

func TestCleanEscapes(t *testing.T) {
	t.Parallel()
	if got := Clean("a\x1b[31mred\r\n"); got != `a\x1b[31mred\x0d\x0a` {
		t.Fatalf("Clean = %q", got)
	}
	if got := Clean("名字"); got != "名字" {
		t.Fatalf("Clean changed printable text: %q", got)
	}
}

func TestValidateInspectFormatTriesTheKind(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind   inspect.Kind
		format string
		ok     bool
	}{
		{inspect.KindNetworks, "{{.Name}}", true},
		{inspect.KindNetworks, "{{.Nope}}", false},
		{inspect.KindImages, "{{.SizeBytes}}", true},
		{inspect.KindVolumes, "{{.SizeBytes}} {{.RefCount}}", true},
		{inspect.KindVolumes, "{{.State}}", false},
		{inspect.KindImages, "{{index .Tags 0}}", true}, // fails on an empty image only: allowed
		{inspect.KindImages, "json", true},
	}
	for _, tt := range tests {
		err := ValidateInspectFormat(tt.format, tt.kind)
		if (err == nil) != tt.ok {
			t.Errorf("%s %q: err = %v, want ok %v", tt.kind, tt.format, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), tt.format) {
			t.Errorf("error %q does not name the value", err)
		}
	}
	// A template failing on a real object prints nothing.
	var buf bytes.Buffer
	err := RenderInspect(&buf, inspect.KindImages, sampleInventory(), InspectOptions{Format: "{{index .Tags 0}}"})
	if err == nil || buf.Len() != 0 {
		t.Fatalf("err = %v, output %q: want an error and nothing printed", err, buf.String())
	}
}

// The table is a template over the rows, so a template can name each of
// its columns ({{.Size}} is the SIZE column), with the table's headings;
// the objects' own fields stay as they were ({{.SizeBytes}}, {{json .}}).
func TestTemplatesSeeTheTableColumns(t *testing.T) {
	t.Parallel()
	inv := sampleInventory()
	for _, kind := range inspect.Kinds {
		cols := TemplateColumns(kind)
		if len(cols) == 0 {
			t.Fatalf("%s: no columns", kind)
		}
		for _, col := range cols {
			if err := ValidateInspectFormat("{{."+col+"}}", kind); err != nil {
				t.Errorf("%s: {{.%s}}: %v", kind, col, err)
			}
		}
		var table, viaTemplate bytes.Buffer
		// The full table (containers: with LOG SIZE, as when the probe ran).
		if err := RenderInspect(&table, kind, inv, InspectOptions{Format: "table", Now: now, LogSizes: true}); err != nil {
			t.Fatal(err)
		}
		if err := RenderInspect(&viaTemplate, kind, inv, InspectOptions{Format: kindViews[kind].table, Now: now}); err != nil {
			t.Fatal(err)
		}
		if table.String() != viaTemplate.String() {
			t.Errorf("%s: the table\n%s\nand its template\n%s\ndiffer", kind, table.String(), viaTemplate.String())
		}
	}
	var got bytes.Buffer
	if err := RenderInspect(&got, inspect.KindImages, inv, InspectOptions{Format: "table {{.Size}}\t{{.SizeBytes}}", Now: now}); err != nil {
		t.Fatal(err)
	}
	img := inv.Images[0]
	if lines := strings.Split(got.String(), "\n"); strings.Join(strings.Fields(lines[0]), " ") != "SIZE SIZEBYTES" ||
		strings.Join(strings.Fields(lines[1]), " ") != Size(img.SizeBytes)+" "+fmt.Sprint(img.SizeBytes) {
		t.Errorf("table {{.Size}}\\t{{.SizeBytes}}:\n%s", got.String())
	}
	got.Reset()
	if err := RenderInspect(&got, inspect.KindImages, inv, InspectOptions{Format: "{{json .}}", Now: now}); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(img)
	if first, _, _ := strings.Cut(got.String(), "\n"); first != string(want) {
		t.Errorf("{{json .}} = %s, want the object %s", first, want)
	}
}

// TestRenderInspectContainerLogs: with the storage probe's figures the
// containers table has LOG SIZE (N/A where not measured) and the JSON
// log_bytes.
func TestRenderInspectContainerLogs(t *testing.T) {
	inv := sampleInventory()
	inv.Containers[0].LogBytes = inspect.SizeUnknown
	inv.Containers[1].LogBytes = 31_500_000
	for _, format := range []string{"table", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderInspect(&buf, inspect.KindContainers, inv, InspectOptions{Format: format, Now: now, LogSizes: true}); err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, buf.String(), "inspect-containers-logs."+format)
		})
	}
}

// TestRenderInspectFitsWidth checks item 8 of issue 14 for inspect: on a
// terminal of Width columns a long name (an anonymous volume's) is cut
// with …; NoTrunc or no Width keeps it whole.
func TestRenderInspectFitsWidth(t *testing.T) {
	t.Parallel()
	const name = "3f1c0a9f2b4d6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071"
	for _, tt := range []struct {
		name  string
		o     InspectOptions
		whole bool
	}{
		{"width", InspectOptions{Width: 60}, false},
		{"no-trunc", InspectOptions{Width: 60, NoTrunc: true}, true},
		{"no width", InspectOptions{}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			o.Format, o.Now = "table", now
			var buf bytes.Buffer
			if err := RenderInspect(&buf, inspect.KindVolumes, sampleInventory(), o); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(buf.String(), name); got != tt.whole {
				t.Fatalf("whole name shown = %v, want %v:\n%s", got, tt.whole, buf.String())
			}
			for _, line := range strings.Split(strings.TrimRight(buf.String(), "\n"), "\n") {
				if n := len([]rune(line)); !tt.whole && n > o.Width {
					t.Errorf("line of %d columns on a terminal of %d: %q", n, o.Width, line)
				}
			}
		})
	}
}
