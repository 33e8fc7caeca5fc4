package render

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dockctl/dockctl/internal/prune"
)

// A plan of one object says "1 object", not "1 objects" (issue 14 item 9).
func TestPrunePlanCountsInTheRightNumber(t *testing.T) {
	t.Parallel()
	full := samplePlan()
	tests := []struct {
		name  string
		items []prune.Item
		want  string
	}{
		{"none", nil, "remove 0 objects,"},
		{"one", full.Items[:1], "remove 1 object,"},
		{"several", full.Items, "remove 4 objects,"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			plan := samplePlan()
			plan.Items = tt.items
			for _, format := range []string{"table", "markdown"} {
				var buf bytes.Buffer
				if err := RenderPrune(&buf, plan, nil, PruneOptions{Format: format}); err != nil {
					t.Fatal(err)
				}
				if !strings.Contains(buf.String(), tt.want) {
					t.Errorf("%s: want %q in\n%s", format, tt.want, buf.String())
				}
			}
		})
	}
}
