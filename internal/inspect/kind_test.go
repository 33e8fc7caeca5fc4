package inspect

import (
	"encoding/json"
	"slices"
	"testing"
)

// One enum of kinds: every kind has its names, the command line's names
// parse to it, and it marshals as it always has.
func TestKinds(t *testing.T) {
	t.Parallel()
	if len(ListingOrder) != len(Kinds) {
		t.Fatalf("ListingOrder %v and Kinds %v differ", ListingOrder, Kinds)
	}
	for _, k := range Kinds {
		if !slices.Contains(ListingOrder, k) || k.Singular() == "" || k.Title() == "" {
			t.Errorf("%s: listed %v, singular %q, title %q", k, slices.Contains(ListingOrder, k), k.Singular(), k.Title())
		}
		b, err := json.Marshal(k)
		if err != nil || string(b) != `"`+string(k)+`"` {
			t.Errorf("%s marshals as %s (%v)", k, b, err)
		}
	}
	for in, want := range map[string]Kind{
		"images": KindImages, "Image": KindImages, "containers": KindContainers, "container": KindContainers,
		"volume": KindVolumes, "NETWORKS": KindNetworks, "buildcache": KindBuildCache, "build-cache": KindBuildCache, "cache": KindBuildCache,
		// docker's habits (issue 14 item 14)
		"img": KindImages, "vol": KindVolumes, "net": KindNetworks, "builder": KindBuildCache,
	} {
		if got, ok := ParseKind(in); !ok || got != want {
			t.Errorf("ParseKind(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "pods", "imagess", "build cache"} {
		if k, ok := ParseKind(bad); ok {
			t.Errorf("ParseKind(%q) = %q", bad, k)
		}
	}
}

// Every kind is in the filter table, its keys sorted as help lists them:
// a kind added to the enum without its filters would take none.
func TestEveryKindHasFilters(t *testing.T) {
	t.Parallel()
	for _, k := range Kinds {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			keys := k.FilterKeys()
			if len(keys) == 0 || kindFilters[k].apply == nil {
				t.Fatalf("%s has no filter keys or apply", k)
			}
			if !slices.IsSorted(keys) {
				t.Errorf("%s keys %v not sorted", k, keys)
			}
		})
	}
}
