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

// BlobOrphansHint says what becomes of the content store's orphaned blob
// files on the containerd image store: containerd's collector deletes a
// file no namespace records whenever it next deletes a blob
// (containerd's metadata contentStore.garbageCollect), so they last
// until something whose blobs go is removed.
const BlobOrphansHint = "no containerd namespace knows them; containerd deletes such files itself the next time its garbage collector deletes a blob (after an image, container or build-cache record whose blobs go is removed); dockctl never removes them; to reclaim them before that, stop the engine first (systemctl stop docker docker.socket), list them again, remove the listed files, then start it"

// OrphansResult is `dockctl inspect orphans`.
type OrphansResult struct {
	// DriverDir is the dir whose entries were checked: the storage
	// driver's dir (<root>/<driver>), or on the containerd image store
	// the content store's blobs dir.
	DriverDir string
	Orphans   []probe.Orphan
	// SnapshotsDir is set on the containerd image store: the
	// snapshotter's dirs, which were not checked (SnapshotsNotChecked).
	SnapshotsDir string
	Format       string
}

// SnapshotsNotChecked is the line saying that the containerd image
// store's snapshot dirs under dir were not checked, and why.
func SnapshotsNotChecked(dir string) string {
	return fmt.Sprintf("the snapshot dirs under %s: containerd names them by number in the snapshotter's own database, which it keeps locked while it runs, so which snapshot each belongs to cannot be read here; a dir no snapshot owns counts in report's Unaccounted (the containerd dir)", Clean(dir))
}

// orphansDoc is the JSON document of inspect orphans.
type orphansDoc struct {
	DriverDir  string         `json:"driver_dir"`
	Orphans    []probe.Orphan `json:"orphans"`
	TotalBytes int64          `json:"total_bytes"`
	Note       string         `json:"note"`
	// NotChecked says what could hold orphans but was not checked.
	NotChecked string `json:"not_checked,omitempty"`
}

// Document is the JSON document.
func (r OrphansResult) Document() any {
	d := orphansDoc{DriverDir: r.DriverDir, Orphans: r.Orphans, Note: r.hint()}
	if d.Orphans == nil {
		d.Orphans = []probe.Orphan{}
	}
	for _, o := range r.Orphans {
		d.TotalBytes += o.Bytes
	}
	if r.SnapshotsDir != "" {
		d.NotChecked = SnapshotsNotChecked(r.SnapshotsDir)
	}
	return d
}

// hint is the note for the store checked.
func (r OrphansResult) hint() string {
	if r.SnapshotsDir != "" {
		return BlobOrphansHint
	}
	return OrphansHint
}

// Render writes the table or the JSON document.
func (r OrphansResult) Render(w io.Writer) error {
	if r.Format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r.Document())
	}
	what := "layer dirs"
	if r.SnapshotsDir != "" {
		what = "blob files"
	}
	if len(r.Orphans) == 0 {
		fmt.Fprintf(w, "No orphaned %s under %s.\n", what, Clean(r.DriverDir))
	} else {
		orphanList(w, r.Orphans, what, r.hint(), false)
	}
	if r.SnapshotsDir != "" {
		fmt.Fprintf(w, "Not checked: %s.\n", SnapshotsNotChecked(r.SnapshotsDir))
	}
	return nil
}

// orphanList writes the orphaned dirs or files (what), largest first,
// with the hint.
func orphanList(w io.Writer, list []probe.Orphan, what, hint string, md bool) {
	if len(list) == 0 {
		return
	}
	var total int64
	for _, o := range list {
		total += o.Bytes
	}
	if md {
		fmt.Fprintf(w, "\nOrphaned %s, %s (%s):\n\n", what, Size(total), mdCell(hint))
		for _, o := range list {
			fmt.Fprintf(w, "- %s %s\n", mdCell(o.Path), Size(o.Bytes))
		}
		return
	}
	fmt.Fprintf(w, "\nOrphaned %s, %s (%s):\n", what, Size(total), hint)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  SIZE\tPATH")
	for _, o := range list {
		fmt.Fprintf(tw, "  %s\t%s\n", Size(o.Bytes), Clean(o.Path))
	}
	tw.Flush()
}
