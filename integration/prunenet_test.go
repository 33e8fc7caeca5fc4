package integration

// Adversarial cases of issue 10 that only the real engine shows: a saved
// plan raced against a container created on one of its networks, and
// against a stopped container connected to another; and how a volume's
// anonymity is decided on this engine.
//
// Safety: the plan is made by a prune scoped to this test's labels
// (scopeFilters), so applying it can only touch this test's networks.

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/versions"
)

// TestPruneSavedPlanKeepsNetworksOfStoppedContainers is issue 10 item 1:
// on Docker 20.10 the container list's network=<id> filter misses a
// container never started since it joined a network, so a saved plan
// removed a network that a container created after the plan (or a stopped
// one connected after the plan) needed, and the container could not start.
func TestPruneSavedPlanKeepsNetworksOfStoppedContainers(t *testing.T) {
	c := requireEngine(t)
	scope := scopeFilters(t)
	ref := imageRef("prune-net", "1")
	importImage(t, ref, nil, nil)
	createdNet, connectedNet, unusedNet := objName("prune-net-created"), objName("prune-net-connected"), objName("prune-net-unused")
	createdNetID := createNetwork(t, createdNet, nil)
	connectedNetID := createNetwork(t, connectedNet, nil)
	unusedNetID := createNetwork(t, unusedNet, nil)
	// Stopped before the plan, on the default bridge only.
	stoppedName := objName("prune-net-stopped")
	stopped := createContainer(t, ref, stoppedName, containerOpts{State: stateExited})

	planFile := filepath.Join(t.TempDir(), "plan.json")
	dry, _ := prunePlan(t, scope, 0, "networks", "--dry-run", "--plan-out", planFile)
	want := sorted([]string{objKey("network", createdNetID), objKey("network", connectedNetID), objKey("network", unusedNetID)})
	if got := dry.planKeys(); !equalSlices(got, want) {
		t.Fatalf("plan %v, want %v", got, want)
	}
	if _, err := os.Stat(planFile); err != nil {
		t.Fatalf("--plan-out: %v", err)
	}

	// After the plan: docker create --network, and docker network connect
	// on the stopped container.
	freshName := objName("prune-net-fresh")
	fresh := createContainer(t, ref, freshName, containerOpts{Network: createdNet})
	ctx := testContext(t, fixtureTimeout)
	if err := c.NetworkConnect(ctx, connectedNetID, stopped, &network.EndpointSettings{}); err != nil {
		t.Fatalf("connecting %s to %s: %v", stoppedName, connectedNet, err)
	}
	if st := containerState(t, fresh); st != "created" {
		t.Fatalf("%s is %q, want created", freshName, st)
	}

	// The planner sees both users now.
	again, _ := prunePlan(t, scope, 0, "networks", "--dry-run")
	for id, user := range map[string]string{createdNetID: freshName, connectedNetID: stoppedName} {
		k, ok := again.kept("network", id)
		if want := "used by container " + user; !ok || k.Reason != want {
			t.Errorf("planned again: network %s kept %v %q, want kept %q", short(id), ok, k.Reason, want)
		}
	}

	// A saved plan takes no --filter: it holds only this test's networks.
	applied, _ := prunePlan(t, nil, 0, "--apply", planFile, "--yes")
	if got, want := outcomeKeys(applied.Removed), []string{objKey("network", unusedNetID)}; !equalSlices(got, want) {
		t.Errorf("removed %v, want %v", got, want)
	}
	wantSkipped := map[string]string{
		objKey("network", createdNetID):   "now used by container " + freshName,
		objKey("network", connectedNetID): "now used by container " + stoppedName,
	}
	if got := outcomeKeys(applied.Skipped); !equalSlices(got, sorted(sortedKeys(wantSkipped))) {
		t.Errorf("skipped %v, want %v", got, sortedKeys(wantSkipped))
	}
	for _, o := range applied.Skipped {
		if w := wantSkipped[objKey(o.Type, o.ID)]; o.Result != "skipped" || o.Reason != w {
			t.Errorf("network %s: %s %q, want skipped %q", o.Name, o.Result, o.Reason, w)
		}
	}
	if len(applied.Failed) > 0 {
		t.Errorf("failed %v, want none", applied.Failed)
	}
	for _, id := range []string{createdNetID, connectedNetID} {
		if !exists(t, "network", id) {
			t.Errorf("network %s was removed", short(id))
		}
	}
	if exists(t, "network", unusedNetID) {
		t.Errorf("the unused network %s is still there", unusedNet)
	}

	// And the containers start on their networks.
	for id, name := range map[string]string{fresh: freshName, stopped: stoppedName} {
		if err := c.ContainerStart(ctx, id, container.StartOptions{}); err != nil {
			t.Errorf("starting %s after the apply: %v", name, err)
		}
	}
}

// TestPruneVolumeAnonymity is issue 10 item 6 on the real engine. Engines
// from Docker 23.0 (API 1.42) label the volumes they name themselves, and
// that label decides; older engines do not record it, so there a volume
// named with 64 hex digits counts as anonymous, and the reason says why.
func TestPruneVolumeAnonymity(t *testing.T) {
	requireEngine(t)
	scope := scopeFilters(t)
	engineNamed := createVolume(t, "", nil)
	hexName := hex.EncodeToString(randomBytes(t, 32))
	createVolume(t, hexName, nil)
	named := createVolume(t, objName("prune-vol-named"), nil)

	doc, _ := prunePlan(t, scope, 0, "volumes", "--dry-run")
	want := map[string]string{engineNamed: "remove: " + anonymousReason(), hexName: "remove: " + anonymousReason(), named: "keep: named volume (use --all-volumes)"}
	if v := engineClient.ClientVersion(); versions.GreaterThanOrEqualTo(v, "1.42") {
		t.Logf("API %s: the engine records anonymous volumes", v)
		want[hexName] = "keep: named volume (use --all-volumes)"
	}
	for name, w := range want {
		got := "absent"
		if it, ok := doc.item("volume", name); ok {
			got = "remove: " + it.Reason
		} else if k, ok := doc.kept("volume", name); ok {
			got = "keep: " + k.Reason
		}
		if got != w {
			t.Errorf("volume %s: %q, want %q", strings.TrimPrefix(name, "dockctl-it-"), got, w)
		}
	}
}
