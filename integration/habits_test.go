package integration

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/dockctl/dockctl/internal/inspect"
)

// A stopped compose project on the real engine (issue 14 items 14, 16):
// prune --project scopes the plan to it and names its volume's project;
// inspect NAME shows the volume's view; an object that is no kind is
// looked up as docker inspect does.
func TestComposeProjectScopeAndObjectView(t *testing.T) {
	requireEngine(t)
	isolateLayerCache(t)
	project := "dockctl-it-" + runID + "-shop"
	other := "dockctl-it-" + runID + "-blog"
	inProject := map[string]string{inspect.ComposeProjectLabel: project}
	img := importImage(t, imageRef("habits-shop", "1"), nil, nil)
	dataVol := createVolume(t, objName("shop_data"), inProject)
	otherVol := createVolume(t, objName("blog_data"), map[string]string{inspect.ComposeProjectLabel: other})
	ctr := createContainer(t, img, objName("shop-db-1"), containerOpts{State: stateExited, Labels: inProject})
	scope := scopeFilters(t)

	doc, _ := prunePlan(t, scope, 0, "--dry-run", "--all-volumes", "--project", project)
	var gotVol, gotCtr bool
	for _, it := range doc.Plan {
		switch it.Name {
		case dataVol:
			gotVol = true
			if want := "unused named volume of compose project " + project + " (stopped)"; !strings.HasPrefix(it.Reason, want) {
				t.Errorf("volume reason %q, want it to start %q", it.Reason, want)
			}
		case objName("shop-db-1"):
			gotCtr = true
		case otherVol:
			t.Errorf("--project %s plans the other project's volume %s", project, otherVol)
		}
	}
	if !gotVol || !gotCtr {
		t.Errorf("plan %+v lacks the project's volume (%v) or container (%v)", doc.Plan, gotVol, gotCtr)
	}
	for _, k := range doc.Kinds {
		if k == "buildcache" {
			t.Errorf("kinds %v: build cache in scope under --project", doc.Kinds)
		}
	}

	// The volume's own view: its users, and what each prune does to it.
	out, errOut, code := runDockctl(t, "inspect", dataVol, "--format", "json")
	if code != 0 {
		t.Fatalf("inspect %s: exit %d, stderr %q", dataVol, code, errOut)
	}
	var view struct {
		Kind  string
		Name  string
		Prune []struct{ Command, Action, Reason string }
	}
	if err := json.Unmarshal([]byte(out), &view); err != nil {
		t.Fatalf("inspect %s: not JSON: %v\n%s", dataVol, err, out)
	}
	if view.Kind != "volumes" || view.Name != dataVol || len(view.Prune) != 2 {
		t.Fatalf("inspect %s: %+v", dataVol, view)
	}
	if p := view.Prune[0]; p.Action != "keep" {
		t.Errorf("dockctl prune would %s the named volume: %q", p.Action, p.Reason)
	}
	if p := view.Prune[1]; p.Action != "remove" || !strings.Contains(p.Reason, "of compose project "+project+" (stopped)") {
		t.Errorf("dockctl prune --all --all-volumes: %+v", p)
	}
	// The container by a prefix of its id, in a table.
	out, errOut, code = runDockctl(t, "inspect", ctr[:16])
	if code != 0 || !strings.Contains(out, "Container "+objName("shop-db-1")) || !strings.Contains(out, "not running (exited)") {
		t.Errorf("inspect %s: exit %d, stderr %q\n%s", ctr[:16], code, errOut, out)
	}
	if !exists(t, "container", ctr) {
		t.Error("inspect or a dry run removed the container")
	}
}
