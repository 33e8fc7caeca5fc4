package prune

import (
	"testing"

	"github.com/dockctl/dockctl/internal/inspect"
)

// Without the container list the planner trusts the engine's counts, and
// says them in words a person writes.
func TestUsedByCountReason(t *testing.T) {
	t.Parallel()
	inv := &inspect.Inventory{
		Collected: []inspect.Kind{inspect.KindImages},
		Images: []inspect.Image{
			{ID: "one", Tags: []string{"one:1"}, Containers: 1},
			{ID: "two", Tags: []string{"two:1"}, Containers: 2},
		},
	}
	p := BuildPlan(inv, Policy{Kinds: []inspect.Kind{inspect.KindImages}, All: true}, now)
	for name, want := range map[string]string{"one:1": "keep: used by 1 container", "two:1": "keep: used by 2 containers"} {
		if got := decision(p, TypeImage, name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}
