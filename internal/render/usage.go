package render

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dockctl/dockctl/internal/explain"
	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/usage"
)

// ReportOptions say how to render a usage report.
type ReportOptions struct {
	Format    string // table, json, markdown
	ByProject bool
	Color     bool
	Now       time.Time
	// Width is the terminal's columns for the table format: long cells
	// are cut and prose wraps to fit (0: no limit).
	Width int
	// NoTrunc shows every cell and id whole, whatever the Width.
	NoTrunc bool
	// Engine names the engine in a fleet report's markdown headings.
	Engine string
	// Explain holds the entries per section: "summary" (docker system df),
	// "host" (df, du).
	Explain map[string]Explained
}

// ReportDoc is the JSON form of a report: the usage.Report with the
// explanations of each section.
type ReportDoc struct {
	usage.Report
	Explain map[string][]explain.Entry `json:"explain,omitempty"`
}

// ReportFormats are the formats RenderReport writes.
var ReportFormats = []string{"table", "json", "markdown", "html"}

// RenderReport writes r in o.Format.
func RenderReport(w io.Writer, r usage.Report, o ReportOptions) error {
	switch o.Format {
	case "json":
		return writeJSON(w, reportDoc(r, o))
	case "markdown":
		return renderMarkdown(w, r, o)
	case "html":
		return renderHTML(w, r, o)
	default:
		if o.NoTrunc {
			o.Width = 0
		}
		if o.Width <= 0 {
			return renderTable(w, r, o)
		}
		var buf bytes.Buffer
		if err := renderTable(&buf, r, o); err != nil {
			return err
		}
		_, err := io.WriteString(w, wrapLines(buf.String(), o.Width))
		return err
	}
}

// reportDoc is the JSON document of a report.
func reportDoc(r usage.Report, o ReportOptions) ReportDoc {
	return ReportDoc{Report: withLists(r), Explain: explainEntries(o.Explain)}
}

// withLists gives r's lists that JSON readers index into as [] rather
// than null.
func withLists(r usage.Report) usage.Report {
	if r.Projects == nil {
		r.Projects = []usage.Project{}
	}
	if r.Notes == nil {
		r.Notes = []usage.Note{}
	}
	return r
}

// explainEntries is the JSON form of a renderer's explanations: the
// entries of each section that has some, nil when none has.
func explainEntries[K comparable](ex map[K]Explained) map[K][]explain.Entry {
	var out map[K][]explain.Entry
	for k, e := range ex {
		if len(e.Entries) > 0 {
			if out == nil {
				out = map[K][]explain.Entry{}
			}
			out[k] = e.Entries
		}
	}
	return out
}

// writeExplainMarkdown appends explanations as markdown quote lines.
func writeExplainMarkdown(w io.Writer, e Explained) {
	for _, en := range e.Entries {
		fmt.Fprintln(w, "> "+mdCell(en.Line(e.Lang))+"  ")
	}
}

type summaryLine struct {
	name string
	row  usage.Row
	// disk marks the rows only the storage probe sees: docker says
	// nothing of them, and nothing reclaims Unaccounted.
	disk, noReclaim bool
}

func summaryLines(s usage.Summary) []summaryLine {
	lines := []summaryLine{{name: "Images", row: s.Images}, {name: "Containers", row: s.Containers}, {name: "Local Volumes", row: s.Volumes}, {name: "Build Cache", row: s.BuildCache}}
	if s.Logs != nil {
		lines = append(lines, summaryLine{name: "Logs", row: *s.Logs, disk: true})
	}
	if s.Unaccounted != nil {
		lines = append(lines, summaryLine{name: "Unaccounted", row: *s.Unaccounted, disk: true, noReclaim: true})
	}
	return lines
}

// cells are the line's columns: TYPE, TOTAL, ACTIVE, SIZE, RECLAIMABLE,
// DOCKER SAYS, in the table and the markdown alike.
func (l summaryLine) cells() []string {
	r := l.row
	c := []string{l.name, strconv.Itoa(r.Total), strconv.Itoa(r.Active), Size(r.SizeBytes),
		SizePercent(r.ReclaimableBytes, r.SizeBytes), SizePercent(r.DockerReclaimableBytes, r.SizeBytes)}
	if r.ReclaimableBytes > r.SizeBytes {
		// Removing containers frees their logs too, which SIZE (docker's
		// writable layers) leaves out.
		c[4] = Size(r.ReclaimableBytes) + " (with logs)"
	}
	if l.disk {
		c[5] = "-"
	}
	if l.noReclaim {
		c[2], c[4] = "-", "-"
	}
	return c
}

// diskLine says how much of the root dir's du the rows account for, or
// what dockctl could not see and how to give it access; "" when the
// probe was not asked.
func diskLine(d *usage.Disk) string {
	switch {
	case d == nil:
		return ""
	case d.UnavailableReason != "":
		return Clean(d.UnavailableReason)
	case d.AccountedBytes < 0:
		return fmt.Sprintf("On disk: %s in %s (du); the rows cover only the objects --filter selects.", Size(d.RootDirBytes), Clean(d.RootDir))
	}
	s := fmt.Sprintf("On disk: accounted %.1f%% of %s in %s (du): the rows", math.Floor(d.AccountedPercent*10)/10, Size(d.RootDirBytes), Clean(d.RootDir))
	if d.MetadataBytes > 0 {
		// The objects' own paths beyond what docker sizes (their dirs,
		// config files, layer-store records) are counted with them.
		s += fmt.Sprintf(", the objects' own metadata (%s beyond docker's SIZE)", Size(d.MetadataBytes))
	}
	if usage.Within(d.AccountedBytes, d.RootDirBytes) {
		s += fmt.Sprintf(" and Unaccounted add up to du within the larger of %s and %g%%.", Size(usage.ToleranceBytes), usage.TolerancePercent)
	} else {
		// Many small objects: their directories and layer-store records
		// outweigh their files, which is all docker sizes.
		s += fmt.Sprintf(" and Unaccounted leave %s of du unexplained (directories and metadata around the objects; docker sizes their files only), more than the larger of %s and %g%%.",
			Size(d.RootDirBytes-d.AccountedBytes), Size(usage.ToleranceBytes), usage.TolerancePercent)
	}
	if d.Warnings > 0 {
		s += fmt.Sprintf(" %d paths could not be read.", d.Warnings)
	}
	return s
}

// unaccountedCells are a verbose Unaccounted line's columns: DIRECTORY,
// UNACCOUNTED, DU, WHAT.
func unaccountedCells(u usage.DirShare) []string {
	return []string{Clean(u.Name) + "/", Size(u.Bytes), Size(u.DirBytes), Clean(u.What)}
}

// logCells are a verbose log line's columns: CONTAINER ID, NAME, STATE,
// LOG SIZE.
func logCells(l usage.ContainerLog) []string {
	return []string{ShortID(l.ID, false), Clean(l.Name), Clean(l.State), Size(l.LogBytes)}
}

// markdownRow is a markdown table row of cells.
func markdownRow(cells []string) string { return "| " + strings.Join(cells, " | ") + " |" }

const (
	ansiBold  = "\x1b[1m"
	ansiGreen = "\x1b[32m"
	ansiDim   = "\x1b[2m"
	ansiReset = "\x1b[0m"
)

func paint(on bool, code, s string) string {
	if !on {
		return s
	}
	return code + s + ansiReset
}

func hostLine(e inspect.EngineInfo) string {
	return fmt.Sprintf("Engine %s at %s · API %s · root dir %s (%s)",
		Clean(e.ServerVersion), Clean(e.Host), Clean(e.APIVersion), Clean(e.DockerRootDir), Clean(e.StorageDriver))
}

func fsLine(e inspect.EngineInfo) string {
	if e.FSSizeBytes < 0 {
		return "Filesystem of the root dir: not measured (the engine is not on this machine)"
	}
	return fmt.Sprintf("Filesystem of %s: %s, %s used (%.0f%%), %s free", Clean(e.DockerRootDir), Size(e.FSSizeBytes), Size(e.FSUsedBytes), math.Ceil(e.FSUsePercent()), Size(e.FSFreeBytes))
}

func noteLine(n usage.Note) string {
	s := n.Row + ": " + n.Text
	switch {
	case n.DockerBytes != 0:
		s += fmt.Sprintf(" (docker says %s, dockctl %s)", Size(n.DockerBytes), Size(n.DockctlBytes))
	case n.DockctlBytes != 0:
		s += fmt.Sprintf(" (%s)", Size(n.DockctlBytes))
	}
	return s
}

func renderTable(w io.Writer, r usage.Report, o ReportOptions) error {
	c := o.Color
	fmt.Fprintln(w, paint(c, ansiBold, hostLine(r.Engine)))
	fmt.Fprintln(w, fsLine(r.Engine))
	writeExplainText(w, o.Explain["host"])
	fmt.Fprintln(w)
	// Align first, colour after: escape sequences would count as width.
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "TYPE\tTOTAL\tACTIVE\tSIZE\tRECLAIMABLE\tDOCKER SAYS")
	lines := summaryLines(r.Summary)
	for _, l := range lines {
		fmt.Fprintln(tw, strings.Join(l.cells(), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for i, line := range strings.SplitAfter(table.String(), "\n") {
		if i > 0 && i <= len(lines) && c && lines[i-1].row.ReclaimableBytes > 0 {
			rec := SizePercent(lines[i-1].row.ReclaimableBytes, lines[i-1].row.SizeBytes)
			cut := len(lines[i-1].name)
			line = line[:cut] + strings.Replace(line[cut:], " "+rec, " "+paint(true, ansiGreen, rec), 1)
		}
		io.WriteString(w, line)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, volumesLine(r, plainMarkup))
	fmt.Fprintln(w, fullCleanupLine(r, markup{code: plainMarkup.code, bold: func(s string) string { return paint(c, ansiBold, s) }}))
	if r.Approximate {
		fmt.Fprintln(w, "Some image layers could not be read; image figures fall back to the engine's unique sizes.")
	}
	if l := diskLine(r.Disk); l != "" {
		fmt.Fprintln(w, l)
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w, "Notes:")
		for _, n := range r.Notes {
			fmt.Fprintln(w, "  - "+noteLine(n))
		}
	}
	writeExplainText(w, o.Explain["summary"])
	if o.ByProject {
		fmt.Fprintln(w)
		if err := projectTable(w, r, o.Width); err != nil {
			return err
		}
	}
	return verboseTables(w, r, o)
}

func projectName(p usage.Project) string {
	if p.Name == "" {
		return "(no project)"
	}
	return Clean(p.Name)
}

func projectTable(w io.Writer, r usage.Report, width int) error {
	rows := projectCells(r)
	for _, row := range rows {
		row[0] = Clean(row[0])
	}
	// Only the project's name may be cut: the rest are figures.
	if err := writeColumns(w, projectHeads, rows, width, func(col int) bool { return col == 0 }); err != nil {
		return err
	}
	fmt.Fprintln(w, projectsNote(r))
	return nil
}

func verboseTables(w io.Writer, r usage.Report, o ReportOptions) error {
	secs, err := listSections(r, o.Now, o.NoTrunc)
	if err != nil {
		return err
	}
	if len(secs) > 0 {
		// The disk's tables belong to the verbose report, as the lists do.
		if err := diskTables(w, r); err != nil {
			return err
		}
	}
	for _, s := range secs {
		fmt.Fprintf(w, "\n%s:\n\n", s.Title)
		if err := writeColumns(w, s.Heads, s.Rows, o.Width, s.elastic); err != nil {
			return err
		}
		if s.Omitted != "" {
			fmt.Fprintln(w, s.Omitted)
		}
	}
	unlimitedLogs(w, r.UnlimitedLogs, false)
	orphanList(w, r.Orphans, "layer dirs", OrphansHint, false)
	return nil
}

// UnlimitedLogsHint says how to bound a json-file log.
const UnlimitedLogsHint = "limit them with --log-opt max-size=10m --log-opt max-file=3 (or log-opts in daemon.json) when recreating them; dockctl prune logs does not empty a live log: docker logs would stop showing new lines"

// unlimitedLogs lists the containers whose json-file log has no max-size.
func unlimitedLogs(w io.Writer, names []string, md bool) {
	if len(names) == 0 {
		return
	}
	fmt.Fprintln(w)
	if md {
		fmt.Fprintf(w, "Containers whose json-file log has no max-size (%s):\n\n", mdCell(UnlimitedLogsHint))
		for _, n := range names {
			fmt.Fprintln(w, "- "+mdCell(n))
		}
		return
	}
	fmt.Fprintf(w, "Containers whose json-file log has no max-size (%s):\n", UnlimitedLogsHint)
	for _, n := range names {
		fmt.Fprintln(w, "  "+Clean(n))
	}
}

// diskTables are the verbose tables of what the probe measured: the
// containers' logs and the unaccounted bytes by top-level directory.
func diskTables(w io.Writer, r usage.Report) error {
	for _, t := range []struct {
		title, header string
		rows          [][]string
	}{
		{"Container logs:", "CONTAINER ID\tNAME\tSTATE\tLOG SIZE", mapCells(r.Logs, logCells)},
		{"Unaccounted, by directory of the root dir:", "DIRECTORY\tUNACCOUNTED\tDU\tWHAT", mapCells(diskShares(r.Disk), unaccountedCells)},
	} {
		if len(t.rows) == 0 {
			continue
		}
		fmt.Fprintln(w)
		fmt.Fprintln(w, t.title)
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, t.header)
		for _, row := range t.rows {
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func diskShares(d *usage.Disk) []usage.DirShare {
	if d == nil {
		return nil
	}
	return d.Unaccounted
}

func mapCells[T any](list []T, cells func(T) []string) [][]string {
	out := make([][]string, len(list))
	for i, v := range list {
		out[i] = cells(v)
	}
	return out
}

// mdEscaper neutralises markdown: engine-provided names must not become
// links, images, emphasis or HTML in a CI job summary.
var mdEscaper = strings.NewReplacer(
	`\`, `\\`, "`", "\\`", "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "(", `\(`, ")", `\)`,
	"!", `\!`, "#", `\#`, "~", `\~`, "|", `\|`, "\n", " ", "&", "&amp;", "<", "&lt;", ">", "&gt;",
)

// mdCell escapes a value for markdown (a table cell or a line).
func mdCell(s string) string {
	return mdEscaper.Replace(Clean(s))
}

func renderMarkdown(w io.Writer, r usage.Report, o ReportOptions) error {
	if o.Engine != "" {
		fmt.Fprintf(w, "## Docker disk usage: %s\n", mdCell(o.Engine))
	} else {
		fmt.Fprintln(w, "## Docker disk usage")
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, mdCell(hostLine(r.Engine))+"  ")
	fmt.Fprintln(w, mdCell(fsLine(r.Engine)))
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| Type | Total | Active | Size | Reclaimable | Docker says |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|")
	for _, l := range summaryLines(r.Summary) {
		fmt.Fprintln(w, markdownRow(l.cells()))
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, volumesLine(r, markdownMarkup)+"  ")
	fmt.Fprintln(w, fullCleanupLine(r, markdownMarkup))
	if l := diskLine(r.Disk); l != "" {
		fmt.Fprintln(w)
		fmt.Fprintln(w, mdCell(l))
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range r.Notes {
			fmt.Fprintln(w, "- "+mdCell(noteLine(n)))
		}
	}
	for _, key := range []string{"summary", "host"} {
		if e := o.Explain[key]; len(e.Entries) > 0 {
			fmt.Fprintln(w)
			writeExplainMarkdown(w, e)
		}
	}
	if o.ByProject {
		fmt.Fprintln(w)
		io.WriteString(w, projectsMarkdown(r))
	}
	secs, err := listSections(r, o.Now, false)
	if err != nil {
		return err
	}
	writeListsMarkdown(w, secs)
	if len(r.Logs) > 0 {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| Container | Name | State | Log size |")
		fmt.Fprintln(w, "|---|---|---|--:|")
		for _, l := range r.Logs {
			fmt.Fprintln(w, markdownRow(mdCells(logCells(l))))
		}
	}
	if shares := diskShares(r.Disk); len(shares) > 0 && r.Images != nil {
		fmt.Fprintln(w)
		fmt.Fprintln(w, "| Directory | Unaccounted | du | What |")
		fmt.Fprintln(w, "|---|--:|--:|---|")
		for _, u := range shares {
			fmt.Fprintln(w, markdownRow(mdCells(unaccountedCells(u))))
		}
	}
	unlimitedLogs(w, r.UnlimitedLogs, true)
	orphanList(w, r.Orphans, "layer dirs", OrphansHint, true)
	return nil
}

func mdCells(cells []string) []string {
	out := make([]string, len(cells))
	for i, c := range cells {
		out[i] = mdCell(c)
	}
	return out
}
