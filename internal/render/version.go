package render

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"text/template"
	"text/template/parse"

	"github.com/dockctl/dockctl/internal/explain"
	"github.com/dockctl/dockctl/internal/inspect"
)

// VersionSchema names the JSON document of `dockctl version`.
const VersionSchema = "dockctl.version/v1"

// VersionDoc is the JSON form of `dockctl version`.
type VersionDoc struct {
	Schema string `json:"schema"`
	inspect.Version
	Explain []explain.Entry `json:"explain,omitempty"`
}

// RenderVersion writes v as a table or JSON. Without an engine
// (v.Engine.Error set) the engine part says why and the client part
// stands.
func RenderVersion(w io.Writer, v inspect.Version, format string, ex Explained) error {
	if format == "json" {
		return writeJSON(w, VersionDoc{Schema: VersionSchema, Version: v, Explain: ex.Entries})
	}
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintln(tw, "Client: dockctl")
	fmt.Fprintf(tw, " Version:\t%s\n", Clean(v.Client.Version))
	fmt.Fprintf(tw, " Max API version:\t%s\n", v.Client.MaxAPIVersion)
	fmt.Fprintf(tw, " Go version:\t%s\n", v.Client.GoVersion)
	fmt.Fprintf(tw, " OS/Arch:\t%s/%s\n", v.Client.OS, v.Client.Arch)
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "Engine:")
	fmt.Fprintf(tw, " Host:\t%s\n", Clean(v.Engine.Host))
	if v.Engine.Error != "" {
		fmt.Fprintf(tw, " Error:\t%s\n", Clean(v.Engine.Error))
	} else {
		fmt.Fprintf(tw, " Version:\t%s\n", Clean(v.Engine.Version))
		fmt.Fprintf(tw, " API version:\t%s (minimum %s)\n", Clean(v.Engine.APIVersion), Clean(v.Engine.MinAPIVersion))
		fmt.Fprintf(tw, " OS/Arch:\t%s/%s\n", Clean(v.Engine.OS), Clean(v.Engine.Arch))
		fmt.Fprintln(tw)
		fmt.Fprintf(tw, "Negotiated API version:\t%s\n", Clean(v.NegotiatedAPIVersion))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	writeExplainText(w, ex)
	return nil
}

// VersionTemplate is a --format template of `dockctl version`, over
// inspect.Version ({{.Client.Version}}, {{.Engine.Version}},
// {{.NegotiatedAPIVersion}}, {{json .}}).
type VersionTemplate struct {
	tmpl *template.Template
	// NeedsEngine says the template names a field only the engine fills
	// in (.Engine…, .NegotiatedAPIVersion): without an engine it cannot
	// be answered. A template of the whole value ({{json .}}) can.
	NeedsEngine bool
}

// VersionFormats are the formats RenderVersion writes by name; any other
// format is a Go template.
var VersionFormats = []string{"table", "json"}

// ParseVersionTemplate parses the template s.
func ParseVersionTemplate(s string) (*VersionTemplate, error) {
	body := strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(s)
	tmpl, err := template.New("format").Funcs(templateFuncs).Option("missingkey=error").Parse(body)
	if err != nil {
		return nil, formatError(s, "bad template: %s", templateReason(err))
	}
	if err := tmpl.Execute(io.Discard, inspect.Version{}); err != nil {
		return nil, formatError(s, "%s", templateReason(err))
	}
	return &VersionTemplate{tmpl: tmpl, NeedsEngine: namesEngine(tmpl.Tree.Root)}, nil
}

// namesEngine reports whether the template tree under n names .Engine or
// .NegotiatedAPIVersion (as a field, $.Field, or a chain's field).
func namesEngine(n parse.Node) bool {
	engineField := func(name string) bool { return name == "Engine" || name == "NegotiatedAPIVersion" }
	switch n := n.(type) {
	case *parse.ListNode:
		return n != nil && anyNamesEngine(n.Nodes)
	case *parse.ActionNode:
		return namesEngine(n.Pipe)
	case *parse.PipeNode:
		return n != nil && anyNamesEngine(n.Cmds)
	case *parse.CommandNode:
		return anyNamesEngine(n.Args)
	case *parse.IfNode:
		return namesEngine(&n.BranchNode)
	case *parse.RangeNode:
		return namesEngine(&n.BranchNode)
	case *parse.WithNode:
		return namesEngine(&n.BranchNode)
	case *parse.BranchNode:
		return namesEngine(n.Pipe) || namesEngine(n.List) || namesEngine(n.ElseList)
	case *parse.TemplateNode:
		return namesEngine(n.Pipe)
	case *parse.ChainNode:
		return namesEngine(n.Node) || (len(n.Field) > 0 && engineField(n.Field[0]))
	case *parse.FieldNode:
		return engineField(n.Ident[0])
	case *parse.VariableNode:
		return len(n.Ident) > 1 && n.Ident[0] == "$" && engineField(n.Ident[1])
	}
	return false
}

// anyNamesEngine is namesEngine over a list of nodes.
func anyNamesEngine[N parse.Node](nodes []N) bool {
	for _, c := range nodes {
		if namesEngine(c) {
			return true
		}
	}
	return false
}

// Execute writes v through the template, with a final newline.
func (t *VersionTemplate) Execute(w io.Writer, v inspect.Version) error {
	var buf bytes.Buffer
	if err := t.tmpl.Execute(&buf, v); err != nil {
		return err
	}
	if !bytes.HasSuffix(buf.Bytes(), []byte("\n")) {
		buf.WriteByte('\n')
	}
	_, err := w.Write(buf.Bytes())
	return err
}
