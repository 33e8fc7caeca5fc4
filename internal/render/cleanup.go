package render

import (
	"fmt"
	"html"
	"html/template"

	"github.com/dockctl/dockctl/internal/usage"
)

// markup says how a format shows a command and a figure that stands out.
type markup struct {
	code, bold func(string) string
}

var (
	plainMarkup    = markup{code: func(s string) string { return s }, bold: func(s string) string { return s }}
	markdownMarkup = markup{code: func(s string) string { return "`" + s + "`" }, bold: func(s string) string { return "**" + s + "**" }}
	htmlMarkup     = markup{
		code: func(s string) string { return "<code>" + html.EscapeString(s) + "</code>" },
		bold: func(s string) string { return "<strong>" + html.EscapeString(s) + "</strong>" },
	}
)

// volumesLine says which volumes the Local Volumes row counts: named ones
// too, which the full cleanup leaves alone unless --all-volumes is given.
func volumesLine(r usage.Report, m markup) string {
	return fmt.Sprintf("Local Volumes counts named and anonymous volumes; its RECLAIMABLE is what %s frees (anonymous only: %s).",
		m.code("dockctl prune volumes --all-volumes"), Size(r.AnonymousVolumesReclaimableBytes))
}

// fullCleanupLine is the report's last figure, with the named volumes'
// share: the Volumes row counts them, so the line says both.
func fullCleanupLine(r usage.Report, m markup) string {
	return fmt.Sprintf("Full cleanup (%s, anonymous volumes only) would free %s of %s; with --all-volumes (named volumes too): %s.",
		m.code("dockctl prune --all --volumes"), m.bold(Size(r.FullCleanupBytes)), Size(r.TotalBytes), Size(r.FullCleanupAllVolumesBytes))
}

// fleetCleanupLine is fullCleanupLine over the engines that answered.
func fleetCleanupLine(t usage.FleetTotals, m markup) string {
	return fmt.Sprintf("Full cleanup (%s, anonymous volumes only) on every engine that answered would free %s of %s; with --all-volumes (named volumes too): %s.",
		m.code("dockctl prune --all --volumes"), m.bold(Size(t.FullCleanupBytes)), Size(t.TotalBytes), Size(t.FullCleanupAllVolumesBytes))
}

// htmlMarked wraps one of the lines above for the HTML template; the
// markup escapes what it wraps and the figures are ours.
func htmlMarked(f func(usage.Report, markup) string) func(usage.Report) template.HTML {
	return func(r usage.Report) template.HTML { return template.HTML(f(r, htmlMarkup)) }
}
