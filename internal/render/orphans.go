package render

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/dockctl/dockctl/internal/probe"
)

// OrphansHint says what to do with orphaned layer dirs: dockctl and
// docker's prunes never remove them.
const OrphansHint = "nothing the engine knows references them, so no prune (dockctl's or docker system prune) removes them; to reclaim them, stop the engine first (systemctl stop docker docker.socket), list them again, remove the listed dirs, then start it"

// OrphansResult is `dockctl inspect orphans`.
type OrphansResult struct {
	DriverDir string
	Orphans   []probe.Orphan
	Format    string
}

// orphansDoc is the JSON document of inspect orphans.
type orphansDoc struct {
	DriverDir  string         `json:"driver_dir"`
	Orphans    []probe.Orphan `json:"orphans"`
	TotalBytes int64          `json:"total_bytes"`
	Note       string         `json:"note"`
}

// Document is the JSON document.
func (r OrphansResult) Document() any {
	d := orphansDoc{DriverDir: r.DriverDir, Orphans: r.Orphans, Note: OrphansHint}
	if d.Orphans == nil {
		d.Orphans = []probe.Orphan{}
	}
	for _, o := range r.Orphans {
		d.TotalBytes += o.Bytes
	}
	return d
}

// Render writes the table or the JSON document.
func (r OrphansResult) Render(w io.Writer) error {
	if r.Format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r.Document())
	}
	if len(r.Orphans) == 0 {
		_, err := fmt.Fprintf(w, "No orphaned layer dirs under %s.\n", Clean(r.DriverDir))
		return err
	}
	orphanList(w, r.Orphans, false)
	return nil
}

// orphanList writes the orphaned dirs, largest first, with the hint.
func orphanList(w io.Writer, list []probe.Orphan, md bool) {
	if len(list) == 0 {
		return
	}
	var total int64
	for _, o := range list {
		total += o.Bytes
	}
	if md {
		fmt.Fprintf(w, "\nOrphaned layer dirs, %s (%s):\n\n", Size(total), mdCell(OrphansHint))
		for _, o := range list {
			fmt.Fprintf(w, "- %s %s\n", mdCell(o.Path), Size(o.Bytes))
		}
		return
	}
	fmt.Fprintf(w, "\nOrphaned layer dirs, %s (%s):\n", Size(total), OrphansHint)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  SIZE\tPATH")
	for _, o := range list {
		fmt.Fprintf(tw, "  %s\t%s\n", Size(o.Bytes), Clean(o.Path))
	}
	tw.Flush()
}
