package render

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/usage"
)

// listSection is one of report -v's per-object lists, the same in every
// format: its columns and rows are those of `dockctl inspect KIND`.
type listSection struct {
	Title   string
	Heads   []string
	Rows    [][]string
	Omitted string // "… 9 more images (--top 10)", or ""
	numeric []string
}

// Numeric reports whether column i holds figures: right-aligned in
// markdown and HTML.
func (s listSection) Numeric(i int) bool { return slices.Contains(s.numeric, s.Heads[i]) }

// elastic reports whether column i may be cut to fit a terminal.
func (s listSection) elastic(i int) bool { return elasticColumn(s.Heads[i]) }

// listSections are r's -v lists; none when r has none.
func listSections(r usage.Report, now time.Time, noTrunc bool) ([]listSection, error) {
	if r.Images == nil && r.Containers == nil && r.Volumes == nil && r.BuildCache == nil {
		return nil, nil
	}
	inv := &inspect.Inventory{Images: r.Images, Containers: r.Containers, Volumes: r.Volumes, BuildCache: r.BuildCache}
	var out []listSection
	for _, sec := range []struct {
		title        string
		kind         inspect.Kind
		one, several string
		omitted      int
		numeric      []string
	}{
		{"Images space usage", inspect.KindImages, "image", "images", r.Omitted.Images, []string{"SIZE", "SHARED", "UNIQUE", "CONTAINERS"}},
		{"Containers space usage", inspect.KindContainers, "container", "containers", r.Omitted.Containers, []string{"SIZE", "ROOT FS"}},
		{"Local Volumes space usage", inspect.KindVolumes, "volume", "volumes", r.Omitted.Volumes, []string{"SIZE", "LINKS"}},
		{"Build cache usage", inspect.KindBuildCache, "build cache record", "build cache records", r.Omitted.BuildCache, []string{"SIZE", "USAGE"}},
	} {
		heads, rows, err := inspectCells(sec.kind, inv, rowContext{now: now, noTrunc: noTrunc})
		if err != nil {
			return nil, err
		}
		s := listSection{Title: sec.title, Heads: heads, Rows: rows, numeric: sec.numeric}
		if sec.omitted > 0 {
			noun := sec.several
			if sec.omitted == 1 {
				noun = sec.one
			}
			s.Omitted = fmt.Sprintf("… %d more %s (--top %d)", sec.omitted, noun, r.Top)
		}
		out = append(out, s)
	}
	return out, nil
}

// writeListsMarkdown writes the -v lists as markdown tables.
func writeListsMarkdown(w io.Writer, secs []listSection) {
	for _, s := range secs {
		fmt.Fprintf(w, "\n%s:\n\n", s.Title)
		fmt.Fprintln(w, markdownRow(s.Heads))
		align := make([]string, len(s.Heads))
		for i := range s.Heads {
			align[i] = "---"
			if s.Numeric(i) {
				align[i] = "--:"
			}
		}
		fmt.Fprintln(w, "|"+strings.Join(align, "|")+"|")
		for _, row := range s.Rows {
			cells := make([]string, len(row))
			for i, c := range row {
				cells[i] = mdCell(c)
			}
			fmt.Fprintln(w, markdownRow(cells))
		}
		if s.Omitted != "" {
			fmt.Fprintln(w)
			fmt.Fprintln(w, s.Omitted)
		}
	}
}
