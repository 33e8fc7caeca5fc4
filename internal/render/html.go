package render

import (
	"fmt"
	"html"
	"html/template"
	"io"
	"regexp"
	"time"

	"github.com/dockctl/dockctl/internal/inspect"

	"github.com/dockctl/dockctl/internal/usage"
)

// The HTML report is one self-contained file: inline style, inline SVG
// charts, no scripts, fonts or external resources. html/template escapes
// every value that came from the engine.
var htmlTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"size": Size,
	"pct":  SizePercent,
	// Charts are drawn in percent of the page's width: bars start at
	// barStart and the longest is barSpan, leaving room for its label.
	"bar":             func(v, max int64) string { return fmt.Sprintf("%.2f", barWidth(v, max)) },
	"labelX":          func(v, max int64) string { return fmt.Sprintf("%.2f", barStart+barWidth(v, max)+0.5) },
	"code":            codeSpans,
	"y":               func(i int) int { return 10 + i*34 },
	"name":            projectName,
	"note":            func(n usage.Note) template.HTML { return codeSpans(Clean(noteLine(n))) },
	"host":            hostLine,
	"fs":              fsLine,
	"clean":           Clean,
	"trunc":           func(s string) string { return ShortID(s, false) },
	"chartH":          func(n int) int { return 20 + n*34 },
	"y2":              func(i int) int { return 24 + i*34 },
	"engineName":      engineName,
	"volumesLine":     htmlMarked(volumesLine),
	"fullCleanupLine": htmlMarked(fullCleanupLine),
	"rfc3339":         func(t time.Time) string { return t.Format(time.RFC3339) },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>dockctl report: {{engineName .Report.Engine}}, {{rfc3339 .Report.GeneratedAt}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
td{overflow-wrap:anywhere}.num{text-align:right}.note{color:#555}code{font-size:90%}svg .value{font-size:11px}.legend span{display:inline-block;width:1em;height:1em;margin:0 .3em 0 1em;vertical-align:middle}
</style></head><body>
<h1>Docker disk usage: {{engineName .Report.Engine}}</h1>
<p>Generated <time datetime="{{rfc3339 .Report.GeneratedAt}}">{{rfc3339 .Report.GeneratedAt}}</time></p>
<p>{{host .Report.Engine}}<br>{{fs .Report.Engine}}</p>
{{if ge .Report.Engine.FSSizeBytes 0}}{{$e := .Report.Engine}}<svg id="fs-chart" width="100%" height="44" role="img" aria-label="the filesystem of the root dir: used, of which docker, and free">
<rect x="16%" y="10" width="64%" height="12" fill="#ddd"><title>free {{size $e.FSFreeBytes}}</title></rect>
<rect x="16%" y="10" width="{{bar $e.FSUsedBytes .FSTotal}}%" height="12" fill="#c9a227"><title>used {{size $e.FSUsedBytes}}</title></rect>
<rect x="16%" y="10" width="{{bar .Report.TotalBytes .FSTotal}}%" height="12" fill="#4a7fc1"><title>docker {{size .Report.TotalBytes}}</title></rect>
<text x="0" y="10" dy="10" font-size="13">Filesystem</text>
<text class="value" x="16%" y="26" dy="10">{{size $e.FSUsedBytes}} used of {{size $e.FSSizeBytes}}; docker {{size .Report.TotalBytes}}</text>
</svg>
<p class="legend"><span style="background:#4a7fc1"></span>docker<span style="background:#c9a227"></span>other use<span style="background:#ddd"></span>free</p>
{{end}}{{range .Host}}<p class="note">{{code .}}</p>{{end}}
<h2>Space per type</h2>
<p class="legend"><span style="background:#4a7fc1"></span>size<span style="background:#5bb36b"></span>reclaimable</p>
<svg id="types-chart" width="100%" height="{{chartH (len .Lines)}}" role="img" aria-label="size and reclaimable space per type">
{{$max := .Max}}{{range $i, $l := .Lines}}<text x="0" y="{{y $i}}" dy="14" font-size="13">{{$l.Name}}</text>
<rect x="16%" y="{{y $i}}" width="{{bar $l.Row.SizeBytes $max}}%" height="12" fill="#4a7fc1"><title>size {{size $l.Row.SizeBytes}}</title></rect>
<text class="value" x="{{labelX $l.Row.SizeBytes $max}}%" y="{{y $i}}" dy="10">{{size $l.Row.SizeBytes}}</text>
<rect x="16%" y="{{y2 $i}}" width="{{bar $l.Row.ReclaimableBytes $max}}%" height="12" fill="#5bb36b"><title>reclaimable {{size $l.Row.ReclaimableBytes}}</title></rect>
<text class="value" x="{{labelX $l.Row.ReclaimableBytes $max}}%" y="{{y2 $i}}" dy="10">reclaimable {{size $l.Row.ReclaimableBytes}}</text>
{{end}}</svg>
<table><tr><th>Type</th><th class="num">Total</th><th class="num">Active</th><th class="num">Size</th><th class="num">Reclaimable</th><th class="num">Docker says</th></tr>
{{range .Lines}}<tr>{{range $i, $c := .Cells}}<td{{if ge $i 1}} class="num"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</table>
<p>{{volumesLine .Report}}<br>{{fullCleanupLine .Report}}</p>
{{with .Disk}}<p id="disk">{{.}}</p>
{{end}}{{range .Report.Notes}}<p class="note">{{note .}}</p>{{end}}
{{range .Summary}}<p class="note">{{code .}}</p>{{end}}
<h2>Space per compose project</h2>
<svg id="projects-chart" width="100%" height="{{chartH (len .Report.Projects)}}" role="img" aria-label="space per compose project">
{{$pmax := .ProjectMax}}{{range $i, $p := .Report.Projects}}<text x="0" y="{{y $i}}" dy="14" font-size="13">{{name $p}}</text>
<rect x="16%" y="{{y $i}}" width="{{bar $p.Bytes $pmax}}%" height="12" fill="#4a7fc1"><title>size {{size $p.Bytes}}</title></rect>
<text class="value" x="{{labelX $p.Bytes $pmax}}%" y="{{y $i}}" dy="10">{{size $p.Bytes}}</text>
<rect x="16%" y="{{y2 $i}}" width="{{bar $p.ReclaimableBytes $pmax}}%" height="12" fill="#5bb36b"><title>reclaimable {{size $p.ReclaimableBytes}}</title></rect>
<text class="value" x="{{labelX $p.ReclaimableBytes $pmax}}%" y="{{y2 $i}}" dy="10">reclaimable {{size $p.ReclaimableBytes}}</text>
{{end}}</svg>
<table><tr>{{range $i, $h := .ProjectHeads}}<th{{if ge $i 2}} class="num"{{end}}>{{$h}}</th>{{end}}</tr>
{{range .ProjectRows}}<tr>{{range $i, $c := .}}<td{{if ge $i 2}} class="num"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</table>
<p class="note">{{.ProjectsNote}}</p>
{{if .Report.Logs}}<h2>Container logs</h2><table><tr><th>Container</th><th>Name</th><th>State</th><th class="num">Log size</th></tr>
{{range .Report.Logs}}<tr><td>{{trunc .ID}}</td><td>{{clean .Name}}</td><td>{{clean .State}}</td><td class="num">{{size .LogBytes}}</td></tr>
{{end}}</table>
{{end}}{{if .Unaccounted}}<h2>Unaccounted, by directory of the root dir</h2><table><tr><th>Directory</th><th class="num">Unaccounted</th><th class="num">du</th><th>What</th></tr>
{{range .Unaccounted}}<tr><td>{{clean .Name}}/</td><td class="num">{{size .Bytes}}</td><td class="num">{{size .DirBytes}}</td><td>{{clean .What}}</td></tr>
{{end}}</table>
{{end}}{{range .Lists}}{{$s := .}}<h2>{{.Title}}</h2><table><tr>{{range $i, $h := .Heads}}<th{{if $s.Numeric $i}} class="num"{{end}}>{{$h}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range $i, $c := .}}<td{{if $s.Numeric $i}} class="num"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</table>{{with .Omitted}}<p>{{.}}</p>{{end}}
{{end}}{{with .Report.UnlimitedLogs}}<h2>Containers whose json-file log has no max-size</h2>
<p class="note">{{$.LogsHint}}</p><ul>{{range .}}<li>{{clean .}}</li>{{end}}</ul>
{{end}}</body></html>
`))

type htmlLine struct {
	Name  string
	Row   usage.Row
	Cells []string
}

func renderHTML(w io.Writer, r usage.Report, o ReportOptions) error {
	data := struct {
		Report        usage.Report
		Lines         []htmlLine
		Max           int64
		ProjectMax    int64
		Host, Summary []string
		Lists         []listSection
		LogsHint      string
		ProjectHeads  []string
		ProjectRows   [][]string
		ProjectsNote  string
		// FSTotal is the filesystem's used and free bytes, as df's Use%.
		FSTotal     int64
		Disk        string
		Unaccounted []usage.DirShare
	}{FSTotal: r.Engine.FSUsedBytes + r.Engine.FSFreeBytes, Report: r, LogsHint: UnlimitedLogsHint, ProjectHeads: projectHeads, ProjectRows: projectCells(r), ProjectsNote: projectsNote(r), Disk: diskLine(r.Disk)}
	if r.Images != nil {
		data.Unaccounted = diskShares(r.Disk)
	}
	var err error
	if data.Lists, err = listSections(r, o.Now, false); err != nil {
		return err
	}
	for _, l := range summaryLines(r.Summary) {
		data.Lines = append(data.Lines, htmlLine{Name: l.name, Row: l.row, Cells: l.cells()})
		data.Max = max(data.Max, l.row.SizeBytes)
	}
	for _, p := range r.Projects {
		data.ProjectMax = max(data.ProjectMax, p.Bytes)
	}
	for _, en := range o.Explain["host"].Entries {
		data.Host = append(data.Host, en.Line(o.Explain["host"].Lang))
	}
	for _, en := range o.Explain["summary"].Entries {
		data.Summary = append(data.Summary, en.Line(o.Explain["summary"].Lang))
	}
	return htmlTmpl.Execute(w, data)
}

// engineName names an engine for a title: its name, else its address.
func engineName(e inspect.EngineInfo) string {
	if e.Name != "" {
		return Clean(e.Name)
	}
	return Clean(e.Host)
}

const (
	barStart = 16.0 // percent of the chart's width
	barSpan  = 64.0
)

// barWidth is v's bar in percent of the chart's width, the longest
// (max) barSpan.
func barWidth(v, max int64) float64 {
	if max <= 0 || v <= 0 {
		return 0
	}
	return float64(min(v, max)) * barSpan / float64(max)
}

var backticks = regexp.MustCompile("`([^`]*)`")

// codeSpans escapes s and shows its `command` spans as code.
func codeSpans(s string) template.HTML {
	return template.HTML(backticks.ReplaceAllString(html.EscapeString(s), "<code>$1</code>"))
}
