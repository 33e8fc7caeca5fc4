package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"text/template"
	"time"

	"github.com/dockctl/dockctl/internal/explain"
	"github.com/dockctl/dockctl/internal/inspect"
)

// InspectSchema names the JSON document `dockctl inspect --format json` prints.
const InspectSchema = "dockctl.inspect/v1"

// Explained carries the docker commands behind an operation and the
// language to show their explanations in. A nil Entries hides them.
type Explained struct {
	Entries []explain.Entry
	Lang    string
}

// InspectOptions says how to render one kind's listing.
type InspectOptions struct {
	// Format is "table", "json", or a Go template ("{{.ID}}", "table {{.ID}}\t{{.Name}}").
	Format  string
	Quiet   bool
	NoTrunc bool
	// Width is the terminal's columns for a table: long cells are cut to
	// fit (0: no limit; NoTrunc ignores it).
	Width   int
	Explain Explained
	Now     time.Time
	// LogSizes adds the LOG SIZE column to the default containers table:
	// the storage probe measured the logs.
	LogSizes bool
}

// FormatError is a format or template the renderers refuse: Format as
// given, and why. The command line names its flag.
type FormatError struct {
	Format, Reason string
}

func (e *FormatError) Error() string { return fmt.Sprintf("invalid format %q: %s", e.Format, e.Reason) }

// formatError builds a *FormatError.
func formatError(s, format string, a ...any) error {
	return &FormatError{Format: s, Reason: fmt.Sprintf(format, a...)}
}

// templateReason is a text/template error without its "template: format:"
// prefix.
func templateReason(err error) string { return strings.TrimPrefix(err.Error(), "template: format:") }

// Template is a parsed --format Go template.
type Template struct {
	src   string
	tmpl  *template.Template
	table bool
	heads []string
	// width fits a table to a terminal (0: no limit).
	width int
}

var templateFuncs = template.FuncMap{
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
	"join":  strings.Join,
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
	"size":  Size,
	"trunc": func(s string) string { return ShortID(s, false) },
}

var fieldRef = regexp.MustCompile(`{{\s*\.(\w+)`)

// ParseTemplate parses a --format value that is neither table nor json.
func ParseTemplate(s string) (*Template, error) {
	t := &Template{src: s}
	body := s
	if rest, ok := strings.CutPrefix(s, "table "); ok {
		t.table, body = true, rest
		for _, m := range fieldRef.FindAllStringSubmatch(body, -1) {
			head, ok := columnHeaders[m[1]]
			if !ok {
				head = strings.ToUpper(m[1])
			}
			t.heads = append(t.heads, head)
		}
	}
	body = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(body)
	tmpl, err := template.New("format").Funcs(templateFuncs).Option("missingkey=error").Parse(body)
	if err != nil {
		return nil, formatError(s, "bad template: %s", templateReason(err))
	}
	t.tmpl = tmpl
	return t, nil
}

// Execute writes one line per item. Nothing is written unless every item
// renders: a template that fails half-way leaves stdout empty.
func (t *Template) Execute(w io.Writer, items []any) error {
	var buf bytes.Buffer
	if err := t.execute(&buf, items); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func (t *Template) execute(w io.Writer, items []any) error {
	if t.table && t.width > 0 {
		var rows [][]string
		for _, it := range items {
			fields, err := t.fields(it)
			if err != nil {
				return err
			}
			rows = append(rows, fields)
		}
		var buf strings.Builder
		if err := writeColumns(&buf, t.heads, rows, t.width, func(i int) bool { return elasticColumn(t.heads[i]) }); err != nil {
			return err
		}
		_, err := io.WriteString(w, strings.ReplaceAll(buf.String(), tableLine, ""))
		return err
	}
	out := w
	var tw *tabwriter.Writer
	if t.table {
		tw = tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
		out = tw
		fmt.Fprintln(tw, strings.Join(t.heads, "\t"))
	}
	for _, it := range items {
		fields, err := t.fields(it)
		if err != nil {
			return err
		}
		fmt.Fprintln(out, strings.Join(fields, "\t"))
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

// fields renders one item: tabs separate its columns; every other
// control character is escaped.
func (t *Template) fields(it any) ([]string, error) {
	var b strings.Builder
	if err := t.tmpl.Execute(&b, it); err != nil {
		return nil, formatError(t.src, "template failed: %s", templateReason(err))
	}
	fields := strings.Split(strings.TrimRight(b.String(), "\n"), "\t")
	for i := range fields {
		fields[i] = Clean(fields[i])
	}
	return fields, nil
}

// inspectCells are the default table of kind as cells, for renderers
// that lay out columns themselves (the report's -v lists).
func inspectCells(kind inspect.Kind, inv *inspect.Inventory, c rowContext) (heads []string, rows [][]string, err error) {
	view := kindViews[kind]
	table := view.table
	if kind == inspect.KindContainers {
		// The report lists the containers' logs in a section of their own.
		table = containersTable
	}
	t, err := ParseTemplate(table)
	if err != nil {
		return nil, nil, err
	}
	for _, it := range view.rows(inv, c) {
		f, err := t.fields(it)
		if err != nil {
			return nil, nil, err
		}
		rows = append(rows, f)
	}
	return t.heads, rows, nil
}

// InspectFormats are the formats RenderInspect writes by name; any other
// format is a Go template.
var InspectFormats = []string{"table", "json"}

// ValidateInspectFormat checks a template before anything talks to the
// engine: it parses it and tries it on an empty object of kind, so a field
// the kind does not have is refused up front.
func ValidateInspectFormat(s string, kind inspect.Kind) error {
	if s == "" || slices.Contains(InspectFormats, s) {
		return nil
	}
	t, err := ParseTemplate(s)
	if err != nil {
		return err
	}
	if err := t.tmpl.Execute(io.Discard, kindViews[kind].zero); err != nil && strings.Contains(err.Error(), "can't evaluate field") {
		// text/template names the row's Go type; say what the user can
		// write instead.
		field := "?"
		if m := unknownField.FindStringSubmatch(err.Error()); m != nil {
			field = m[1]
		}
		return formatError(s, "no field %s in %s: fields: %s; columns: %s", field, kind,
			strings.Join(TemplateFields(kind), ", "), strings.Join(TemplateColumns(kind), ", "))
	}
	return nil
}

var unknownField = regexp.MustCompile(`can't evaluate field (\w+)`)

// Items returns the objects of kind in inv, in display order.
func Items(kind inspect.Kind, inv *inspect.Inventory) []any {
	return kindViews[kind].items(inv)
}

// InspectDoc is the JSON form of a listing.
type InspectDoc struct {
	Schema  string          `json:"schema"`
	Kind    inspect.Kind    `json:"kind"`
	Explain []explain.Entry `json:"explain,omitempty"`
	Items   []any           `json:"items"`
}

// inspectDoc is the JSON document of a listing of items.
func inspectDoc(kind inspect.Kind, items []any, o InspectOptions) InspectDoc {
	if items == nil {
		items = []any{}
	}
	return InspectDoc{Schema: InspectSchema, Kind: kind, Explain: o.Explain.Entries, Items: items}
}

// RenderInspect writes inv's objects of kind in the requested format: the
// table is the kind's default template over its rows.
func RenderInspect(w io.Writer, kind inspect.Kind, inv *inspect.Inventory, o InspectOptions) error {
	view := kindViews[kind]
	rows := view.rows(inv, rowContext{now: o.Now, noTrunc: o.NoTrunc})
	if o.Quiet {
		for _, r := range rows {
			fmt.Fprintln(w, Clean(r.(interface{ quietID() string }).quietID()))
		}
		return nil
	}
	format := o.Format
	switch format {
	case "json":
		return writeJSON(w, inspectDoc(kind, view.items(inv), o))
	case "table", "":
		format = view.table
		if kind == inspect.KindContainers && !o.LogSizes {
			format = containersTable
		}
	}
	t, err := ParseTemplate(format)
	if err != nil {
		return err
	}
	if !o.NoTrunc {
		t.width = o.Width
	}
	if err := t.Execute(w, rows); err != nil {
		return err
	}
	if format == view.table || format == containersTable {
		writeExplainText(w, o.Explain)
	}
	return nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// writeExplainText appends the "≈ docker … — explanation" lines to a text
// section.
func writeExplainText(w io.Writer, e Explained) {
	if len(e.Entries) == 0 {
		return
	}
	fmt.Fprintln(w)
	for _, en := range e.Entries {
		fmt.Fprintln(w, en.Line(e.Lang))
	}
}

func orNone(list []string, none string) string {
	if len(list) == 0 {
		return none
	}
	return strings.Join(list, ", ")
}

func count(n int) string {
	if n < 0 {
		return "N/A"
	}
	return strconv.Itoa(n)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}
