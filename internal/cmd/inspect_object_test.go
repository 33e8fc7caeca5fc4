package cmd

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/dockctl/dockctl/internal/render"
)

// `dockctl inspect NAME|ID` shows one object's dockctl view: its fields
// and sizes, its users, what each prune would do to it and why (issue 14
// item 14). The fake engine holds app:1 (used by the exited container
// job), tool:1, the container job and the network bridge.
func TestInspectObject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want []string // lines (or parts) the table must hold
	}{
		{[]string{"inspect", "app:1"}, []string{
			"Image app:1", "unique_bytes   1kB", "users          job",
			"dockctl prune                       keep     app:1          unused image: only dangling images without --all",
			"dockctl prune --all --all-volumes   remove   app:1   1kB    unused image (its containers are removed in this plan)",
		}},
		{[]string{"inspect", "job"}, []string{"Container job", "size_bytes      700B",
			"dockctl prune                       remove   job    700B   not running (exited)"}},
		{[]string{"inspect", "c1"}, []string{"Container job"}},
		{[]string{"inspect", "bridge"}, []string{"Network bridge", "dockctl prune                       keep     bridge          built-in network"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			e := fakeEngine()
			code, out, errOut := runFake(t, e, tt.args...)
			if code != 0 || errOut != "" || e.Mutations() != 0 {
				t.Fatalf("exit %d, %d mutations, stderr %q", code, e.Mutations(), errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("no %q in\n%s", w, out)
				}
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		t.Parallel()
		code, out, errOut := runFake(t, fakeEngine(), "inspect", "tool:1", "--format", "json")
		if code != 0 {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
		var doc struct {
			Schema, Kind, ID, Name string
			Object                 struct {
				UniqueBytes int64 `json:"unique_bytes"`
			}
			Users []string
			Prune []render.ObjectDecision
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		if doc.Schema != render.ObjectSchema || doc.Kind != "images" || doc.Name != "tool:1" || doc.Object.UniqueBytes != 2000 || doc.Users == nil || len(doc.Prune) != 2 {
			t.Fatalf("document %+v", doc)
		}
		if p := doc.Prune[1]; p.Command != "dockctl prune --all --all-volumes" || p.Action != "remove" || p.Bytes != 2000 || p.Reason != "unused image" {
			t.Errorf("--all decision %+v", p)
		}
	})
}

// What does not name one object, or asks a listing of it, is exit 2 with
// one line naming the value; an alias is its kind.
func TestInspectObjectBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"inspect", "nonsense"}, `invalid kind or object "nonsense": no kind (images, containers, volumes, networks, buildcache) and no image, container, volume or network of that name or id`},
		{[]string{"inspect", "app:1", "--filter", "dangling=true"}, `invalid --filter "dangling=true": narrows a kind's listing, not one object`},
		{[]string{"inspect", "app:1", "-q"}, `invalid --quiet "true": prints a kind's ids, not one object`},
		{[]string{"inspect", "app:1", "--format", "{{.ID}}"}, `invalid --format "{{.ID}}": an object is shown as table or json`},
		{[]string{"-H", "unix:///a.sock", "-H", "unix:///b.sock", "inspect", "app:1"}, `invalid object "app:1": shows an object of one engine`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			e := fakeEngine()
			code, out, errOut := runFake(t, e, tt.args...)
			if code != 2 || out != "" || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.HasPrefix(errOut, "dockctl: "+tt.want) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, out, errOut, tt.want)
			}
		})
	}
	// docker's short names are the kinds.
	for alias, kind := range map[string]string{"img": "images", "vol": "volumes", "net": "networks", "builder": "buildcache"} {
		_, want, _ := runFake(t, fakeEngine(), "inspect", kind)
		code, got, errOut := runFake(t, fakeEngine(), "inspect", alias)
		if code != 0 || got != want {
			t.Errorf("inspect %s: exit %d, stderr %q, output\n%s\nwant that of inspect %s:\n%s", alias, code, errOut, got, kind, want)
		}
	}
}

// inspect --help lists each kind's template fields and columns (issue 14
// item 15), from the renderer, so it cannot drift.
func TestInspectHelpListsTemplateFields(t *testing.T) {
	t.Parallel()
	code, out, _ := runFake(t, fakeEngine(), "inspect", "images", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, k := range []string{"images", "containers", "volumes", "networks", "buildcache"} {
		kind, _ := parseKind(k)
		for _, names := range [][]string{render.TemplateFields(kind), render.TemplateColumns(kind)} {
			line := "  " + k + strings.Repeat(" ", 12-len(k)) + strings.Join(names, ", ") + "\n"
			if !strings.Contains(out, line) {
				t.Errorf("help lacks %q", line)
			}
		}
	}
}
