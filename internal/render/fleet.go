package render

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/dockctl/dockctl/internal/explain"
	"github.com/dockctl/dockctl/internal/usage"
)

// FleetReportFormats are the formats RenderFleetReport writes: one HTML
// page per engine is what `report --format html` is for.
var FleetReportFormats = []string{"table", "json", "markdown"}

// FleetReportDoc is the JSON form of a fleet report.
type FleetReportDoc struct {
	usage.Fleet
	Explain map[string][]explain.Entry `json:"explain,omitempty"`
}

// RenderFleetReport writes one section per engine (its report, or its
// error), then the engines side by side and the totals. Explanations are
// written once, at the end, not once per engine.
func RenderFleetReport(w io.Writer, f usage.Fleet, o ReportOptions) error {
	switch o.Format {
	case "json":
		return writeJSON(w, fleetReportDoc(f, o))
	case "markdown":
		return renderFleetMarkdown(w, f, o)
	}
	return renderFleetTable(w, f, o)
}

// fleetReportDoc is the JSON document of a fleet report.
func fleetReportDoc(f usage.Fleet, o ReportOptions) FleetReportDoc {
	doc := FleetReportDoc{Fleet: f, Explain: explainEntries(o.Explain)}
	doc.Engines = append([]usage.FleetEngine{}, f.Engines...)
	for i, e := range doc.Engines {
		if e.Report != nil {
			r := withLists(*e.Report)
			doc.Engines[i].Report = &r
		}
	}
	return doc
}

func fleetHeading(e usage.FleetEngine) string {
	if e.Host == "" || e.Host == e.Name {
		return Clean(e.Name)
	}
	return Clean(e.Name) + " (" + Clean(e.Host) + ")"
}

func fleetStatus(e usage.FleetEngine) string {
	switch {
	case e.Report == nil:
		return "error: " + Clean(e.Error)
	case e.SameEngineAs != "":
		return "ok, same engine as " + Clean(e.SameEngineAs) + " (counted once)"
	}
	return "ok"
}

// fleetTitle is the totals' heading: how many engines answered, and how
// many distinct engines that was.
func fleetTitle(t usage.FleetTotals) string {
	s := fmt.Sprintf("All engines: %d of %d answered", t.Answered, t.Engines)
	if t.Duplicates > 0 {
		s += fmt.Sprintf(", %d distinct", t.Answered-t.Duplicates)
	}
	return s
}

func renderFleetTable(w io.Writer, f usage.Fleet, o ReportOptions) error {
	section := o
	section.Explain = nil
	for _, e := range f.Engines {
		fmt.Fprintln(w, paint(o.Color, ansiBold, "=== "+fleetHeading(e)+" ==="))
		if e.Report == nil {
			fmt.Fprintln(w, "error: "+Clean(e.Error))
		} else if err := renderTable(w, *e.Report, section); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	t := f.Totals
	fmt.Fprintln(w, paint(o.Color, ansiBold, "=== "+fleetTitle(t)+" ==="))
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "ENGINE\tHOST\tSIZE\tFULL CLEANUP FREES\tSTATUS")
	for _, e := range f.Engines {
		size, frees := "-", "-"
		if e.Report != nil {
			size, frees = Size(e.Report.TotalBytes), Size(e.Report.FullCleanupBytes)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", Clean(e.Name), orDash(Clean(e.Host)), size, frees, fleetStatus(e))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	var table bytes.Buffer
	tw = tabwriter.NewWriter(&table, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "TYPE (ALL ENGINES)\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE\tDOCKER SAYS")
	for _, l := range summaryLines(t.Summary) {
		fmt.Fprintln(tw, strings.Join(l.cells(), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	io.Copy(w, &table)
	fmt.Fprintln(w)
	fmt.Fprintln(w, fleetCleanupLine(t, markup{code: plainMarkup.code, bold: func(s string) string { return paint(o.Color, ansiBold, s) }}))
	writeExplainText(w, o.Explain["summary"])
	return nil
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func renderFleetMarkdown(w io.Writer, f usage.Fleet, o ReportOptions) error {
	section := o
	section.Explain = nil
	for _, e := range f.Engines {
		section.Engine = fleetHeading(e)
		if e.Report == nil {
			fmt.Fprintf(w, "## Docker disk usage: %s\n\n", mdCell(section.Engine))
			fmt.Fprintf(w, "**error:** %s\n\n", mdCell(e.Error))
			continue
		}
		if err := renderMarkdown(w, *e.Report, section); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	t := f.Totals
	fmt.Fprintf(w, "## %s\n\n", fleetTitle(t))
	fmt.Fprintln(w, "| Engine | Host | Size | Full cleanup frees | Status |")
	fmt.Fprintln(w, "|---|---|--:|--:|---|")
	for _, e := range f.Engines {
		size, frees := "-", "-"
		if e.Report != nil {
			size, frees = Size(e.Report.TotalBytes), Size(e.Report.FullCleanupBytes)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s |\n", mdCell(e.Name), mdCell(orDash(e.Host)), size, frees, mdCell(fleetStatus(e)))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| Type (all engines) | Total | Active | Size | Reclaimable | Docker says |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|")
	for _, l := range summaryLines(t.Summary) {
		fmt.Fprintln(w, markdownRow(l.cells()))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, fleetCleanupLine(t, markdownMarkup))
	if e := o.Explain["summary"]; len(e.Entries) > 0 {
		fmt.Fprintln(w)
		writeExplainMarkdown(w, e)
	}
	return nil
}

// FleetSection is one engine's result of a command other than report, or
// the engine's error.
type FleetSection struct {
	Name   string
	Host   string
	Result Result // nil when the engine failed
	Error  string
}

// FleetDoc is the JSON form of inspect or prune --dry-run over several
// engines: each engine's own document under "report".
type FleetDoc struct {
	Schema  string           `json:"schema"`
	Command string           `json:"command"`
	Engines []fleetDocEngine `json:"engines"`
}

type fleetDocEngine struct {
	Name   string `json:"name"`
	Host   string `json:"host,omitempty"`
	Report any    `json:"report,omitempty"`
	Error  string `json:"error,omitempty"`
}

// FleetDocSchema names the JSON document of inspect or prune --dry-run over
// several engines.
const FleetDocSchema = "dockctl.fleet/v1"

// fleetDoc is the JSON document of a command's sections over several
// engines.
func fleetDoc(command string, sections []FleetSection) FleetDoc {
	doc := FleetDoc{Schema: FleetDocSchema, Command: command, Engines: []fleetDocEngine{}}
	for _, s := range sections {
		e := fleetDocEngine{Name: s.Name, Host: s.Host, Error: s.Error}
		if s.Error == "" {
			e.Report = s.Result.Document()
		}
		doc.Engines = append(doc.Engines, e)
	}
	return doc
}

// RenderFleetSections writes each engine's result under a heading (text
// formats) or gathers the engines' JSON documents into one (json).
func RenderFleetSections(w io.Writer, command, format string, sections []FleetSection) error {
	if format == "json" {
		return writeJSON(w, fleetDoc(command, sections))
	}
	for i, s := range sections {
		if i > 0 {
			fmt.Fprintln(w)
		}
		heading := fleetHeading(usage.FleetEngine{Name: s.Name, Host: s.Host})
		if format == "markdown" {
			fmt.Fprintf(w, "## %s\n\n", mdCell(heading))
		} else {
			fmt.Fprintf(w, "=== %s ===\n", heading)
		}
		if s.Error != "" {
			fmt.Fprintln(w, "error: "+Clean(s.Error))
			continue
		}
		if err := s.Result.Render(w); err != nil {
			return err
		}
	}
	return nil
}
