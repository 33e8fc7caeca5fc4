package render

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/dockctl/dockctl/internal/explain"
	"github.com/dockctl/dockctl/internal/prune"
)

// PruneSchema names the JSON document of `dockctl prune`.
const PruneSchema = prune.Schema

// PruneOutcome is what prune did, measured: nil on a dry run.
type PruneOutcome struct {
	prune.Result
	// MeasuredBytes is what the engine's own disk usage dropped by, from
	// before the plan to after the removals (-1 when it could not be read).
	MeasuredBytes int64
	// Disk is the root dir's du before and after, when the storage probe
	// could measure it: what the disk got back, logs and metadata
	// included, which the engine's figures leave out.
	Disk *DiskFreed
}

// DiskFreed is what a prune freed on disk, measured by the storage probe.
type DiskFreed struct {
	RootDir     string `json:"root_dir"`
	BeforeBytes int64  `json:"before_bytes"`
	AfterBytes  int64  `json:"after_bytes"`
	// FreedBytes is BeforeBytes - AfterBytes: other writers on the same
	// engine (running containers' logs, builds) move it too.
	FreedBytes int64 `json:"freed_bytes"`
}

// PruneOptions say how to render a plan and its outcome.
type PruneOptions struct {
	Format string // table, json, markdown
	// Explain holds entries per plan type ("container", "image", …).
	Explain map[prune.Type]Explained
}

// PruneDoc is the JSON form: the plan and, after apply, the outcome.
type PruneDoc struct {
	prune.Plan
	Removed     []prune.Outcome `json:"removed,omitempty"`
	Skipped     []prune.Outcome `json:"skipped,omitempty"`
	Failed      []prune.Outcome `json:"failed,omitempty"`
	Interrupted bool            `json:"interrupted,omitempty"`
	EngineGone  string          `json:"engine_gone,omitempty"`
	LogError    string          `json:"log_error,omitempty"`
	// ReclaimedBytes is measured; absent when the engine could not be
	// read after the removals.
	ReclaimedBytes *int64 `json:"reclaimed_bytes,omitempty"`
	// Disk is the root dir's du before and after (the storage probe).
	Disk    *DiskFreed                     `json:"disk,omitempty"`
	Explain map[prune.Type][]explain.Entry `json:"explain,omitempty"`
}

// PruneFormats are the formats RenderPrune writes.
var PruneFormats = []string{"table", "json", "markdown"}

// RenderPrune writes the plan (and the outcome, after apply).
func RenderPrune(w io.Writer, plan prune.Plan, out *PruneOutcome, o PruneOptions) error {
	if o.Format == "json" {
		return writeJSON(w, pruneDoc(plan, out, o))
	}
	return renderPruneText(w, plan, out, o)
}

// pruneDoc is the JSON document of a plan and its outcome (nil on a dry
// run).
func pruneDoc(plan prune.Plan, out *PruneOutcome, o PruneOptions) PruneDoc {
	doc := PruneDoc{Plan: plan}
	if doc.Items == nil {
		doc.Items = []prune.Item{}
	}
	if doc.Kept == nil {
		doc.Kept = []prune.Kept{}
	}
	if out != nil {
		doc.Removed = nonNilOutcomes(out.Removed)
		doc.Skipped = out.Skipped
		doc.Failed = nonNilOutcomes(out.Failed)
		doc.Interrupted = out.Interrupted
		doc.EngineGone = out.EngineGone
		doc.LogError = out.LogError
		if m := out.MeasuredBytes; m >= 0 {
			doc.ReclaimedBytes = &m
		}
		doc.Disk = out.Disk
	}
	doc.Explain = explainEntries(o.Explain)
	return doc
}

// renderPruneText writes a plan and its outcome as a table or markdown.
func renderPruneText(w io.Writer, plan prune.Plan, out *PruneOutcome, o PruneOptions) error {
	md := o.Format == "markdown"
	verb := "Plan"
	if plan.DryRun {
		verb = "Plan (dry run: nothing is removed)"
	}
	head := fmt.Sprintf("%s: remove %s, freeing %s; keep %d.", verb, Count(len(plan.Items), "object"), Size(plan.ReclaimBytes), len(plan.Kept))
	if md {
		fmt.Fprintf(w, "## dockctl prune\n\n%s\n", head)
	} else {
		fmt.Fprintln(w, head)
	}
	if plan.Approximate {
		fmt.Fprintln(w, "Some sizes are estimates: image layers or sizes the engine did not report.")
	}
	if b := plan.Budget; b != nil {
		fmt.Fprintf(w, "Budget (%s usage): %s now, trigger %s, target %s, after the plan %s.\n", b.Source, Size(b.UsageBytes), Size(b.TriggerBytes), Size(b.TargetBytes), Size(b.PredictedBytes))
	}
	for _, t := range prune.Types() {
		var items []prune.Item
		var kept []prune.Kept
		for _, it := range plan.Items {
			if it.Type == t {
				items = append(items, it)
			}
		}
		for _, k := range plan.Kept {
			if k.Type == t {
				kept = append(kept, k)
			}
		}
		if len(items) == 0 && len(kept) == 0 {
			continue
		}
		var bytes int64
		for _, it := range items {
			bytes += it.Bytes
		}
		fmt.Fprintln(w)
		title := fmt.Sprintf("%s: remove %d (%s), keep %d", t.Kind().Title(), len(items), Size(bytes), len(kept))
		if md {
			fmt.Fprintf(w, "### %s\n\n", title)
		} else {
			fmt.Fprintln(w, title)
		}
		if e := o.Explain[t]; len(e.Entries) > 0 {
			for _, en := range e.Entries {
				if md {
					fmt.Fprintln(w, "> "+mdCell(en.Line(e.Lang))+"  ")
				} else {
					fmt.Fprintln(w, "  "+en.Line(e.Lang))
				}
			}
			if md {
				fmt.Fprintln(w)
			}
		}
		rows := [][]string{}
		for _, it := range items {
			what := "remove"
			if it.Action == prune.ActionUntag {
				what = "untag"
			}
			size := Size(it.Bytes)
			if it.SizeUnknown {
				size = "N/A"
			}
			rows = append(rows, []string{what, it.Name, objectID(it.ID, it.Name), size, it.Reason})
			rows = append(rows, logFileRows(it)...)
		}
		for _, k := range kept {
			rows = append(rows, []string{"keep", k.Name, objectID(k.ID, k.Name), "", k.Reason})
		}
		if err := writeRows(w, md, []string{"ACTION", "NAME", "ID", "SIZE", "REASON"}, rows); err != nil {
			return err
		}
	}
	if out != nil {
		fmt.Fprintln(w)
		measured := "could not be measured"
		if out.MeasuredBytes >= 0 {
			measured = Size(out.MeasuredBytes) + " measured"
		}
		if d := out.Disk; d != nil {
			measured += fmt.Sprintf(" by the engine, %s on disk (du of %s: %s before, %s after)", Size(d.FreedBytes), Clean(d.RootDir), Size(d.BeforeBytes), Size(d.AfterBytes))
		}
		if plan.DryRun {
			// A saved plan's dry run: the re-checks ran, nothing was removed.
			fmt.Fprintf(w, "Re-checked now (dry run: nothing is removed): would remove %d, skip %d, fail %d of %d; would free %s.\n",
				len(out.Removed), len(out.Skipped), len(out.Failed), out.Total, Size(out.ReclaimedBytes))
		} else {
			fmt.Fprintf(w, "Done: removed %d, skipped %d, failed %d of %d; freed %s predicted, %s.\n",
				len(out.Removed), len(out.Skipped), len(out.Failed), out.Total, Size(out.ReclaimedBytes), measured)
		}
		if out.Interrupted {
			fmt.Fprintln(w, "Interrupted: no further removals were started.")
		}
		if out.EngineGone != "" {
			fmt.Fprintln(w, "The engine stopped answering: no further removals were started; run the same prune again to finish.")
		}
		if out.LogError != "" {
			fmt.Fprintln(w, "The log could not be written: no further removals were started.")
		}
		var rows [][]string
		for _, u := range untagsOnTheWay(plan, out.Removed) {
			rows = append(rows, []string{u.Result, string(u.Type), u.Name, objectID(u.ID, u.Name), u.Reason})
		}
		for _, s := range out.Skipped {
			rows = append(rows, []string{s.Result, string(s.Type), s.Name, objectID(s.ID, s.Name), s.Reason})
		}
		for _, f := range out.Failed {
			msg := f.Error
			if f.Status != 0 {
				msg = fmt.Sprintf("HTTP %d: %s", f.Status, f.Error)
				if e, ok := explain.HTTPStatus(f.Status); ok {
					msg += " — " + e.Text(langOf(o))
				}
			}
			rows = append(rows, []string{"failed", string(f.Type), f.Name, objectID(f.ID, f.Name), msg})
		}
		if len(rows) > 0 {
			if err := writeRows(w, md, []string{"RESULT", "TYPE", "NAME", "ID", "WHY"}, rows); err != nil {
				return err
			}
		}
	}
	return nil
}

// logFileRows list a log item's files under it: the live file kept, each
// rotation removed; the path goes last, where the table's widest column
// is.
func logFileRows(it prune.Item) [][]string {
	var rows [][]string
	for i, f := range it.Files {
		what := "  remove"
		if i == 0 {
			what = "  keep"
		}
		rows = append(rows, []string{what, "", "", Size(f.Bytes), f.Path})
	}
	return rows
}

// untagsOnTheWay are the untags apply made that no untag item planned:
// those of an image whose removal then stopped (skipped, failed, gone).
// The summary counts them as removals, so they get rows of their own.
func untagsOnTheWay(plan prune.Plan, removed []prune.Outcome) []prune.Outcome {
	planned := map[[2]string]bool{}
	for _, it := range plan.Items {
		if it.Action == prune.ActionUntag {
			planned[[2]string{it.ID, it.Name}] = true
		}
	}
	var out []prune.Outcome
	for _, o := range removed {
		if o.Result == prune.ResultUntagged && !planned[[2]string{o.ID, o.Name}] {
			out = append(out, o)
		}
	}
	return out
}

func langOf(o PruneOptions) string {
	for _, e := range o.Explain {
		if e.Lang != "" {
			return e.Lang
		}
	}
	return explain.LangEN
}

func nonNilOutcomes(o []prune.Outcome) []prune.Outcome {
	if o == nil {
		return []prune.Outcome{}
	}
	return o
}

// writeRows prints an aligned table, or a markdown table.
// objectID is an ID cell: the short id, or "-" for an object whose id is
// its name (a volume), which the NAME cell already shows.
func objectID(id, name string) string {
	if id == name {
		return "-"
	}
	return ShortID(id, false)
}

func writeRows(w io.Writer, md bool, head []string, rows [][]string) error {
	if md {
		fmt.Fprintln(w, "| "+strings.Join(head, " | ")+" |")
		fmt.Fprintln(w, strings.Repeat("|---", len(head))+"|")
		for _, r := range rows {
			cells := make([]string, len(r))
			for i, c := range r {
				cells[i] = mdCell(c)
			}
			fmt.Fprintln(w, "| "+strings.Join(cells, " | ")+" |")
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "  "+strings.Join(head, "\t"))
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = Clean(c)
		}
		fmt.Fprintln(tw, "  "+strings.Join(cells, "\t"))
	}
	return tw.Flush()
}
