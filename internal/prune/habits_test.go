package prune

import (
	"testing"

	"github.com/dockctl/dockctl/internal/inspect"
)

// TestHabitReasons: the reasons and names a new user reads (issue 14
// items 9 and 16): a tagged image kept without --all says it is unused
// and why it stays; a multi-tagged image is named by the tag its
// containers use; named volumes of a stopped compose project say so.
func TestHabitReasons(t *testing.T) {
	t.Parallel()
	inv := &inspect.Inventory{
		Collected: append([]inspect.Kind{}, inspect.Kinds...),
		Time:      now,
		Containers: []inspect.Container{
			{ID: "c-api", Name: "api", Image: "zeta/api", ImageID: "sha256:multi", State: "running", Created: ago(3 * day)},
			{ID: "c-db", Name: "shop-db-1", Image: "sha256:pg", ImageID: "sha256:pg", State: "exited", Created: ago(3 * day),
				Volumes: []string{"shop_data"}, ComposeProject: "shop", Labels: map[string]string{inspect.ComposeProjectLabel: "shop"}},
		},
		Images: []inspect.Image{
			{ID: "sha256:multi", Tags: []string{"alpha/api:1", "zeta/api:latest"}, Created: ago(10 * day)},
			{ID: "sha256:stray", Tags: []string{"stray:1"}, Created: ago(10 * day)},
			{ID: "sha256:pg", Tags: []string{"postgres:16"}, Created: ago(10 * day)},
		},
		Volumes: []inspect.Volume{
			{Name: "shop_data", Driver: "local", SizeBytes: 10, RefCount: 1, Containers: []string{"shop-db-1"}, ComposeProject: "shop",
				Labels: map[string]string{inspect.ComposeProjectLabel: "shop"}, Created: ago(10 * day)},
			{Name: "shop_cache", Driver: "local", SizeBytes: 10, ComposeProject: "shop",
				Labels: map[string]string{inspect.ComposeProjectLabel: "shop"}, Created: ago(10 * day)},
			{Name: "plain", Driver: "local", SizeBytes: 10, Created: ago(10 * day)},
		},
	}
	tests := []struct {
		name string
		pol  Policy
		typ  Type
		obj  string
		want string
	}{
		{"tagged image without --all", Policy{}, TypeImage, "stray:1", "keep: unused image: only dangling images without --all"},
		{"multi-tagged image named by its containers' tag", Policy{}, TypeImage, "zeta/api:latest", "keep: used by container api"},
		{"not by its first tag", Policy{}, TypeImage, "alpha/api:1", "absent"},
		{"stopped project's volume, after its container", Policy{AllVolumes: true}, TypeVolume, "shop_data",
			"remove: unused named volume of compose project shop (stopped) (its containers are removed in this plan)"},
		{"stopped project's unused volume", Policy{AllVolumes: true}, TypeVolume, "shop_cache",
			"remove: unused named volume of compose project shop (stopped)"},
		{"volume of no project", Policy{AllVolumes: true}, TypeVolume, "plain", "remove: unused named volume"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := BuildPlan(inv, tt.pol, now)
			if got := decision(p, tt.typ, tt.obj); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
