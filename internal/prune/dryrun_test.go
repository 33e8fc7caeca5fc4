package prune

import (
	"context"
	"strings"
	"testing"

	"github.com/dockctl/dockctl/internal/clierr"
)

// A dry run of a plan re-checks every item as Apply does, against the
// engine as the removals before it would leave it, and removes nothing:
// its outcomes are a real run's, on the same engine, with no mutating call.
func TestApplyDryRunIsTheRealRunWithoutRemovals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		pol    Policy
		change func(e *fakeEngine) // what happened since the plan
	}{
		{"unchanged, the cascade", Policy{All: true, AllVolumes: true, AllBuildCache: true}, func(*fakeEngine) {}},
		{"a container started since", Policy{All: true, AllVolumes: true}, func(e *fakeEngine) { e.SetState("c-job", "running") }},
		{"an image tagged since", Policy{All: true}, func(e *fakeEngine) { e.Tag("job:new", "sha256:job") }},
		{"a container created since, on a planned network and image", Policy{All: true}, func(e *fakeEngine) {
			e.AddContainer(fContainer{id: "c-new", name: "new", imageID: "sha256:old", state: "created", networks: []string{"empty-net"}})
		}},
		{"untags", Policy{All: true, Keep: []string{"tool:1"}}, func(*fakeEngine) {}},
	}
	mutating := []string{"ContainerRemove", "ImageRemove", "VolumeRemove", "NetworkRemove", "BuildCachePrune"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := withMultiTag(fixture())
			plan := BuildPlan(inv, tt.pol, now)
			if len(plan.Items) == 0 {
				t.Fatal("empty plan")
			}
			dry, real := newFake(inv), newFake(inv)
			tt.change(dry)
			tt.change(real)
			opts := applyOpts(2)
			opts.DryRun = true
			got := Apply(context.Background(), dry, plan, opts)
			for _, m := range mutating {
				if n := dry.Count(m); n != 0 {
					t.Fatalf("the dry run called %s %d times", m, n)
				}
			}
			if dry.Freed() != 0 {
				t.Fatalf("the dry run freed %d bytes", dry.Freed())
			}
			want := Apply(context.Background(), real, plan, applyOpts(2))
			if outcomes(got) != outcomes(want) {
				t.Errorf("dry run:\n%s\nreal run:\n%s", outcomes(got), outcomes(want))
			}
			if got.ReclaimedBytes != want.ReclaimedBytes || clierr.Code(got.Err()) != clierr.Code(want.Err()) {
				t.Errorf("dry run frees %d, err %v; the real run %d, err %v", got.ReclaimedBytes, got.Err(), want.ReclaimedBytes, want.Err())
			}
			if !strings.Contains(outcomes(want), "removed ") {
				t.Errorf("the real run removed nothing:\n%s", outcomes(want))
			}
		})
	}
}
