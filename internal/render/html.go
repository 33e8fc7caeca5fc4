package render

import (
	"html/template"
	"io"
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
	"bar": func(v, max int64) float64 {
		if max <= 0 || v <= 0 {
			return 0
		}
		return float64(v) * 560 / float64(max)
	},
	"y":               func(i int) int { return 10 + i*34 },
	"name":            projectName,
	"note":            func(n usage.Note) string { return Clean(noteLine(n)) },
	"host":            hostLine,
	"fs":              fsLine,
	"clean":           Clean,
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
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:right}
td:first-child,th:first-child{text-align:left}.note{color:#555}.legend span{display:inline-block;width:1em;height:1em;margin:0 .3em 0 1em;vertical-align:middle}
</style></head><body>
<h1>Docker disk usage: {{engineName .Report.Engine}}</h1>
<p>Generated <time datetime="{{rfc3339 .Report.GeneratedAt}}">{{rfc3339 .Report.GeneratedAt}}</time></p>
<p>{{host .Report.Engine}}<br>{{fs .Report.Engine}}</p>
{{range .Host}}<p class="note">{{.}}</p>{{end}}
<h2>Space per type</h2>
<p class="legend"><span style="background:#4a7fc1"></span>size<span style="background:#5bb36b"></span>reclaimable</p>
<svg id="types-chart" width="800" height="{{chartH 4}}" role="img" aria-label="size and reclaimable space per type">
{{$max := .Max}}{{range $i, $l := .Lines}}<text x="0" y="{{y $i}}" dy="14" font-size="13">{{$l.Name}}</text>
<rect x="120" y="{{y $i}}" width="{{bar $l.Row.SizeBytes $max}}" height="12" fill="#4a7fc1"><title>{{size $l.Row.SizeBytes}}</title></rect>
<rect x="120" y="{{y2 $i}}" width="{{bar $l.Row.ReclaimableBytes $max}}" height="12" fill="#5bb36b"><title>{{size $l.Row.ReclaimableBytes}}</title></rect>
<text x="700" y="{{y $i}}" dy="20" font-size="12">{{size $l.Row.SizeBytes}}</text>
{{end}}</svg>
<table><tr><th>Type</th><th>Total</th><th>Active</th><th>Size</th><th>Reclaimable</th><th>Docker says</th></tr>
{{range .Lines}}<tr><td>{{.Name}}</td><td>{{.Row.Total}}</td><td>{{.Row.Active}}</td><td>{{size .Row.SizeBytes}}</td><td>{{pct .Row.ReclaimableBytes .Row.SizeBytes}}</td><td>{{pct .Row.DockerReclaimableBytes .Row.SizeBytes}}</td></tr>
{{end}}</table>
<p>{{volumesLine .Report}}<br>{{fullCleanupLine .Report}}</p>
{{range .Report.Notes}}<p class="note">{{note .}}</p>{{end}}
{{range .Summary}}<p class="note">{{.}}</p>{{end}}
<h2>Space per compose project</h2>
<svg id="projects-chart" width="800" height="{{chartH (len .Report.Projects)}}" role="img" aria-label="space per compose project">
{{$pmax := .ProjectMax}}{{range $i, $p := .Report.Projects}}<text x="0" y="{{y $i}}" dy="14" font-size="13">{{name $p}}</text>
<rect x="130" y="{{y $i}}" width="{{bar $p.Bytes $pmax}}" height="20" fill="#4a7fc1"><title>{{size $p.Bytes}}</title></rect>
<text x="700" y="{{y $i}}" dy="14" font-size="12">{{size $p.Bytes}}</text>
{{end}}</svg>
<table><tr>{{range .ProjectHeads}}<th>{{.}}</th>{{end}}</tr>
{{range .ProjectRows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>
<p class="note">{{.ProjectsNote}}</p>
{{range .Lists}}{{$s := .}}<h2>{{.Title}}</h2><table><tr>{{range $i, $h := .Heads}}<th{{if $s.Numeric $i}} class="num"{{end}}>{{$h}}</th>{{end}}</tr>
{{range .Rows}}<tr>{{range $i, $c := .}}<td{{if $s.Numeric $i}} class="num"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</table>{{with .Omitted}}<p>{{.}}</p>{{end}}
{{end}}{{with .Report.UnlimitedLogs}}<h2>Containers whose json-file log has no max-size</h2>
<p class="note">{{$.LogsHint}}</p><ul>{{range .}}<li>{{clean .}}</li>{{end}}</ul>
{{end}}</body></html>
`))

type htmlLine struct {
	Name string
	Row  usage.Row
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
	}{Report: r, LogsHint: UnlimitedLogsHint, ProjectHeads: projectHeads, ProjectRows: projectCells(r), ProjectsNote: projectsNote(r)}
	var err error
	if data.Lists, err = listSections(r, o.Now, false); err != nil {
		return err
	}
	for _, l := range summaryLines(r.Summary) {
		data.Lines = append(data.Lines, htmlLine{Name: l.name, Row: l.row})
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
