package render

import (
	"io"

	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/prune"
	"github.com/dockctl/dockctl/internal/usage"
)

// Result is one run's typed result with the options to render it. A fleet
// run and a scheduled run combine Results and render each once, at the
// edge: they never render into bytes and parse them back.
type Result interface {
	// Render writes the result in its format.
	Render(w io.Writer) error
	// Document is the result's JSON document, the value Render encodes
	// under --format json.
	Document() any
}

// InspectResult is a listing of one kind.
type InspectResult struct {
	Kind    inspect.Kind
	Inv     *inspect.Inventory
	Options InspectOptions
}

// Render writes the listing (RenderInspect).
func (r InspectResult) Render(w io.Writer) error { return RenderInspect(w, r.Kind, r.Inv, r.Options) }

// Document is the listing's JSON document.
func (r InspectResult) Document() any { return inspectDoc(r.Kind, Items(r.Kind, r.Inv), r.Options) }

// PruneResult is a plan and, after apply, its outcome.
type PruneResult struct {
	Plan    prune.Plan
	Outcome *PruneOutcome // nil on a dry run
	Options PruneOptions
}

// Render writes the plan and outcome (RenderPrune).
func (r PruneResult) Render(w io.Writer) error { return RenderPrune(w, r.Plan, r.Outcome, r.Options) }

// Document is the plan's JSON document.
func (r PruneResult) Document() any { return pruneDoc(r.Plan, r.Outcome, r.Options) }

// ReportResult is one engine's disk report.
type ReportResult struct {
	Report  usage.Report
	Options ReportOptions
}

// Render writes the report (RenderReport).
func (r ReportResult) Render(w io.Writer) error { return RenderReport(w, r.Report, r.Options) }

// Document is the report's JSON document.
func (r ReportResult) Document() any { return reportDoc(r.Report, r.Options) }

// FleetReportResult is a report over several engines.
type FleetReportResult struct {
	Fleet   usage.Fleet
	Options ReportOptions
}

// Render writes the fleet report (RenderFleetReport).
func (r FleetReportResult) Render(w io.Writer) error { return RenderFleetReport(w, r.Fleet, r.Options) }

// Document is the fleet report's JSON document.
func (r FleetReportResult) Document() any { return fleetReportDoc(r.Fleet, r.Options) }

// FleetSectionsResult is a command's result on each of several engines.
type FleetSectionsResult struct {
	Command, Format string
	Sections        []FleetSection
}

// Render writes each engine's section (RenderFleetSections).
func (r FleetSectionsResult) Render(w io.Writer) error {
	return RenderFleetSections(w, r.Command, r.Format, r.Sections)
}

// Document is the sections' JSON document.
func (r FleetSectionsResult) Document() any { return fleetDoc(r.Command, r.Sections) }

// VersionResult is what `dockctl version` found: dockctl's version and the
// engine's (or why it could not be asked).
type VersionResult struct {
	Version inspect.Version
	Format  string
	// Template is Format parsed, when Format is a Go template.
	Template *VersionTemplate
	Explain  Explained
}

// Render writes the versions as a table, JSON or the template.
func (r VersionResult) Render(w io.Writer) error {
	if r.Template != nil {
		return r.Template.Execute(w, r.Version)
	}
	return RenderVersion(w, r.Version, r.Format, r.Explain)
}

// Document is the versions' JSON document.
func (r VersionResult) Document() any {
	return VersionDoc{Schema: VersionSchema, Version: r.Version, Explain: r.Explain.Entries}
}
