package render

import (
	"slices"
	"strings"
	"testing"

	"github.com/dockctl/dockctl/internal/inspect"
)

// A template naming a field the kind lacks is refused in the user's terms:
// no Go type name, and the fields and columns it could have named (issue
// 14 item 15).
func TestTemplateUnknownFieldListsFields(t *testing.T) {
	t.Parallel()
	tests := []struct {
		kind   inspect.Kind
		format string
		want   []string
	}{
		{inspect.KindImages, "{{.Nope}}", []string{`no field Nope in images`, "fields: ID, Tags,", "UniqueBytes", "columns: ImageID, TagList,"}},
		{inspect.KindContainers, "table {{.Names}}\t{{.Size}}", []string{`no field Names in containers`, "Name, Image, ImageID", "columns: ContainerID"}},
		{inspect.KindBuildCache, "{{.ID}} {{.Missing}}", []string{`no field Missing in buildcache`, "LastUsed", "columns: CacheID"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.kind)+" "+tt.format, func(t *testing.T) {
			t.Parallel()
			err := ValidateInspectFormat(tt.format, tt.kind)
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if strings.Contains(msg, "render.") || strings.Contains(msg, "Row") {
				t.Errorf("error names a Go type: %s", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("no %q in %s", w, msg)
				}
			}
		})
	}
	// Every field listed works in a template.
	for _, k := range inspect.ListingOrder {
		fields := TemplateFields(k)
		if len(fields) == 0 || !slices.Contains(fields, "Created") && k != inspect.KindBuildCache {
			t.Errorf("%s fields %v", k, fields)
		}
		for _, f := range append(fields, TemplateColumns(k)...) {
			if err := ValidateInspectFormat("{{."+f+"}}", k); err != nil {
				t.Errorf("%s {{.%s}}: %v", k, f, err)
			}
		}
	}
}
