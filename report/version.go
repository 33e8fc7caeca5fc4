package report

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/dockctl/dockctl/explain"
	"github.com/dockctl/dockctl/inspect"
)

// VersionDoc is the JSON form of `dockctl version`.
type VersionDoc struct {
	Schema string `json:"schema"`
	inspect.Version
	Explain []explain.Entry `json:"explain,omitempty"`
}

// RenderVersion writes v as a table or JSON.
func RenderVersion(w io.Writer, v inspect.Version, format string, ex Explained) error {
	if format == "json" {
		return writeJSON(w, VersionDoc{Schema: "dockctl.version/v1", Version: v, Explain: ex.Entries})
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
	fmt.Fprintf(tw, " Version:\t%s\n", Clean(v.Engine.Version))
	fmt.Fprintf(tw, " API version:\t%s (minimum %s)\n", Clean(v.Engine.APIVersion), Clean(v.Engine.MinAPIVersion))
	fmt.Fprintf(tw, " OS/Arch:\t%s/%s\n", Clean(v.Engine.OS), Clean(v.Engine.Arch))
	fmt.Fprintln(tw)
	fmt.Fprintf(tw, "Negotiated API version:\t%s\n", Clean(v.NegotiatedAPIVersion))
	if err := tw.Flush(); err != nil {
		return err
	}
	writeExplainText(w, ex)
	return nil
}
