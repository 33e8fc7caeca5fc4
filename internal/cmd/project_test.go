package cmd

import (
	"slices"
	"strings"
	"testing"

	"github.com/dockctl/dockctl/internal/inspect"
)

// --project NAME scopes report and prune to one compose project: the
// objects labelled com.docker.compose.project=NAME, together with
// --filter; the build cache (no labels) drops out (issue 14 item 16).
func TestProjectScopes(t *testing.T) {
	t.Parallel()
	label := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	shop := inspect.Container{Name: "shop-web-1", Labels: label(inspect.ComposeProjectLabel, "shop", "team", "web")}
	shopOther := inspect.Container{Name: "shop-db-1", Labels: label(inspect.ComposeProjectLabel, "shop")}
	blog := inspect.Container{Name: "blog-web-1", Labels: label(inspect.ComposeProjectLabel, "blog", "team", "web")}
	loose := inspect.Container{Name: "loose", Labels: label("team", "web")}
	vol := inspect.Volume{Name: "shop_data", Labels: label(inspect.ComposeProjectLabel, "shop", "team", "web")}
	tests := []struct {
		name  string
		extra []string
		want  []string // containers in scope
	}{
		{"project", nil, []string{"shop-web-1", "shop-db-1"}},
		{"with --filter", []string{"--filter", "label=team=web"}, []string{"shop-web-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			check := func(filters map[inspect.Kind]inspect.Filter) {
				t.Helper()
				var got []string
				for _, c := range []inspect.Container{shop, shopOther, blog, loose} {
					if filters[inspect.KindContainers].Container(c) {
						got = append(got, c.Name)
					}
				}
				if !slices.Equal(got, tt.want) {
					t.Errorf("containers in scope %q, want %q", got, tt.want)
				}
				if !filters[inspect.KindVolumes].Volume(vol) {
					t.Error("the project's volume is out of scope")
				}
				if filters[inspect.KindBuildCache].BuildCache(inspect.BuildCacheRecord{ID: "r"}) {
					t.Error("build cache in scope")
				}
			}
			f, _, _ := testFactory(t, nil)
			f.Dial = noEngine(t)
			var p *PruneOptions
			c := NewPruneCmd(f, func(o *PruneOptions) error { p = o; return nil })
			c.SetArgs(append([]string{"--dry-run", "--project", "shop"}, tt.extra...))
			if err := c.Execute(); err != nil || p == nil {
				t.Fatalf("prune: %v", err)
			}
			check(p.policy.Filters)
			if slices.Contains(p.policy.Kinds, inspect.KindBuildCache) {
				t.Errorf("prune kinds %v", p.policy.Kinds)
			}
			var r *ReportOptions
			rc := NewReportCmd(f, func(o *ReportOptions) error { r = o; return nil })
			rc.SetArgs(append([]string{"--project", "shop"}, tt.extra...))
			if err := rc.Execute(); err != nil || r == nil {
				t.Fatalf("report: %v", err)
			}
			check(r.scope.Filters)
			if len(r.Filters) != len(tt.extra)/2 {
				t.Errorf("report --filter values changed: %q", r.Filters)
			}
		})
	}
}

// A name compose would not take, or --project with a saved plan, is exit 2
// naming the flag.
func TestProjectBadInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"report", "--project", "Shop"}, `invalid --project "Shop": a compose project name is lowercase letters, digits, - and _`},
		{[]string{"prune", "--dry-run", "--project", "shop=1"}, `invalid --project "shop=1"`},
		{[]string{"prune", "--yes", "--apply", "plan.json", "--project", "shop"}, `invalid --apply "plan.json": --project changes what a plan removes`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			t.Parallel()
			e := fakeEngine()
			code, out, errOut := runFake(t, e, tt.args...)
			if code != 2 || out != "" || e.Mutations() != 0 || !strings.HasPrefix(errOut, "dockctl: "+tt.want) {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 and %q", code, out, errOut, tt.want)
			}
		})
	}
}
