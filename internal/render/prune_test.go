package render

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"gotest.tools/v3/golden"
	"time"

	"github.com/dockctl/dockctl/internal/explain"
	"github.com/dockctl/dockctl/internal/prune"
)

func samplePlan() prune.Plan {
	return prune.Plan{
		Schema: prune.Schema, DryRun: true, Time: now,
		Items: []prune.Item{
			{Type: prune.TypeContainer, ID: "c0ffee0000000000", Name: "old-job", Bytes: 5000, Reason: "not running (exited)"},
			{Type: prune.TypeImage, ID: "sha256:aaaaaaaaaaaabbbb", Name: "app:1", Bytes: 300_000, Reason: "unused image", Action: prune.ActionRemove, Refs: []string{"app:1"}},
			{Type: prune.TypeImage, ID: "sha256:bbbbbbbbbbbbcccc", Name: "app:old", Reason: "untag app:old (image kept: tag app:2 is used)", Action: prune.ActionUntag, Refs: []string{"app:old"}},
			{Type: prune.TypeVolume, ID: "cache-vol", Name: "cache-vol", Reason: "unused anonymous volume; size unknown", SizeUnknown: true},
		},
		Kept: []prune.Kept{
			{Type: prune.TypeContainer, ID: "feed000000000000", Name: "web-1", Reason: "running"},
			{Type: prune.TypeImage, ID: "sha256:ccccccccccccdddd", Name: "postgres:16", Reason: "matches --keep 'postgres:*'"},
		},
		ReclaimBytes: 305_000,
	}
}

func pruneExplain() map[prune.Type]Explained {
	return map[prune.Type]Explained{
		prune.TypeContainer: {Entries: explain.ForOperation("prune containers"), Lang: "both"},
		prune.TypeImage:     {Entries: explain.ForOperation("prune images"), Lang: "both"},
	}
}

func sampleOutcome() *PruneOutcome {
	at := now.Add(time.Second)
	return &PruneOutcome{
		Result: prune.Result{
			Removed: []prune.Outcome{{Time: at, Type: prune.TypeContainer, ID: "c0ffee0000000000", Name: "old-job", Bytes: 5000, Result: prune.ResultRemoved}},
			Skipped: []prune.Outcome{{Time: at, Type: prune.TypeVolume, ID: "cache-vol", Name: "cache-vol", Result: prune.ResultSkipped, Reason: "now used by container x"}},
			Failed: []prune.Outcome{{Time: at, Type: prune.TypeImage, ID: "sha256:aaaaaaaaaaaabbbb", Name: "app:1", Result: prune.ResultFailed, Status: 409,
				Error: "conflict: unable to delete aaaaaaaaaaaa (cannot be forced) - image has dependent child images"}},
			ReclaimedBytes: 5000, Total: 4,
		},
		MeasuredBytes: 5000,
	}
}

func TestRenderPruneGolden(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"table", "json", "markdown"} {
		for _, applied := range []bool{false, true} {
			name := "prune-plan." + format
			var out *PruneOutcome
			plan := samplePlan()
			if applied {
				name = "prune-applied." + format
				out = sampleOutcome()
				plan.DryRun = false
			}
			t.Run(name, func(t *testing.T) {
				var buf bytes.Buffer
				if err := RenderPrune(&buf, plan, out, PruneOptions{Format: format, Explain: pruneExplain()}); err != nil {
					t.Fatal(err)
				}
				golden.Assert(t, buf.String(), name)
			})
		}
	}
}

func TestRenderPruneJSONSchema(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := RenderPrune(&buf, samplePlan(), sampleOutcome(), PruneOptions{Format: "json"}); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema", "dry_run", "plan", "kept", "reclaim_bytes", "removed", "failed", "reclaimed_bytes"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("prune JSON lacks %q", k)
		}
	}
	failed := doc["failed"].([]any)[0].(map[string]any)
	if failed["error"] == "" || failed["status"] != float64(409) {
		t.Errorf("failed entry = %v", failed)
	}
}

// TestRenderPruneListsUntagsOnTheWay (issue 10, item 7): a tag apply
// removed before the image's removal failed is a row of the table and
// markdown summaries, not only a count; planned untags are not repeated.
func TestRenderPruneListsUntagsOnTheWay(t *testing.T) {
	t.Parallel()
	plan := samplePlan()
	plan.DryRun = false
	out := sampleOutcome()
	at := now.Add(time.Second)
	out.Removed = append(out.Removed,
		prune.Outcome{Time: at, Type: prune.TypeImage, ID: "sha256:aaaaaaaaaaaabbbb", Name: "app:0", Result: prune.ResultUntagged, Reason: "untagged by dockctl before the removal failed"},
		prune.Outcome{Time: at, Type: prune.TypeImage, ID: "sha256:bbbbbbbbbbbbcccc", Name: "app:old", Result: prune.ResultUntagged, Reason: "untag app:old (image kept: tag app:2 is used)"})
	for _, format := range []string{"table", "markdown"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderPrune(&buf, plan, out, PruneOptions{Format: format}); err != nil {
				t.Fatal(err)
			}
			var rows []string
			for _, l := range strings.Split(buf.String(), "\n") {
				if strings.Contains(l, "untagged") {
					rows = append(rows, l)
				}
			}
			if len(rows) != 1 || !strings.Contains(rows[0], "app:0") || !strings.Contains(rows[0], "untagged by dockctl before the removal failed") {
				t.Errorf("rows saying untagged:\n%s\nwant one, for app:0 and why; output:\n%s", strings.Join(rows, "\n"), buf.String())
			}
		})
	}
}

// The plan file has one owner, prune: WritePlan writes what --plan-out
// wrote when the renderer wrote it (the JSON document without an outcome or
// explanations), and ReadPlan reads it back.
func TestWritePlanIsThePlanDocument(t *testing.T) {
	t.Parallel()
	for name, plan := range map[string]prune.Plan{"sample": samplePlan(), "empty": {Schema: prune.Schema}} {
		t.Run(name, func(t *testing.T) {
			var rendered, written bytes.Buffer
			if err := RenderPrune(&rendered, plan, nil, PruneOptions{Format: "json"}); err != nil {
				t.Fatal(err)
			}
			if err := prune.WritePlan(&written, plan); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(rendered.Bytes(), written.Bytes()) {
				t.Fatalf("WritePlan:\n%s\nthe JSON document:\n%s", written.Bytes(), rendered.Bytes())
			}
			back, err := prune.ReadPlan(&written)
			if err != nil {
				t.Fatal(err)
			}
			if len(back.Items) != len(plan.Items) || back.ReclaimBytes != plan.ReclaimBytes {
				t.Errorf("read back %d items, %d bytes; wrote %d, %d", len(back.Items), back.ReclaimBytes, len(plan.Items), plan.ReclaimBytes)
			}
		})
	}
}

// TestRenderPruneDiskGolden: after a prune with the storage probe, the
// outcome gives the root dir's du before and after beside the engine's
// figure, and the container's item carries its logs.
func TestRenderPruneDiskGolden(t *testing.T) {
	plan := samplePlan()
	plan.DryRun = false
	for i := range plan.Items {
		if plan.Items[i].Type == prune.TypeContainer {
			plan.Items[i].LogBytes = 31_500_000
			plan.Items[i].Bytes += 31_500_000
			plan.ReclaimBytes += 31_500_000
			break
		}
	}
	out := sampleOutcome()
	out.Disk = &DiskFreed{RootDir: "/var/lib/docker", BeforeBytes: 93_700_000, AfterBytes: 62_180_000, FreedBytes: 31_520_000}
	for _, format := range []string{"table", "json", "markdown"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderPrune(&buf, plan, out, PruneOptions{Format: format}); err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, buf.String(), "prune-applied-disk."+format)
		})
	}
}

// TestRenderPruneVolumeIDNotRepeated checks item 8 of issue 14: a volume
// has no id but its name, so its ID cell does not repeat the NAME cell,
// in the plan and in the outcome.
func TestRenderPruneVolumeIDNotRepeated(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"table", "markdown"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := RenderPrune(&buf, samplePlan(), sampleOutcome(), PruneOptions{Format: format}); err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, line := range strings.Split(buf.String(), "\n") {
				if strings.Contains(line, "cache-vol") {
					n++
					if strings.Count(line, "cache-vol") != 1 {
						t.Errorf("volume named twice: %q", line)
					}
				}
			}
			if n != 2 {
				t.Fatalf("%d lines name the volume, want the plan's and the outcome's:\n%s", n, buf.String())
			}
		})
	}
}
