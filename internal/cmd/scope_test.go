package cmd

import (
	"testing"
	"time"

	"github.com/dockctl/dockctl/internal/inspect"
)

// An id filter scopes every kind by id prefix (docker builder prune's
// id filter, for one build's records); volumes have names, not ids, and
// drop out, as build cache does under a label filter.
func TestScopeFilterByID(t *testing.T) {
	t.Parallel()
	f, byLabel, err := parseScopeFilters("prune", []string{"id=abc", "id=def"}, time.Now())
	if err != nil || byLabel {
		t.Fatalf("parseScopeFilters: %v (byLabel %v)", err, byLabel)
	}
	for _, c := range []struct {
		name string
		got  bool
		want bool
	}{
		{"record abc…", f[inspect.KindBuildCache].BuildCache(inspect.BuildCacheRecord{ID: "abcxyz"}), true},
		{"record def…", f[inspect.KindBuildCache].BuildCache(inspect.BuildCacheRecord{ID: "def0"}), true},
		{"record other", f[inspect.KindBuildCache].BuildCache(inspect.BuildCacheRecord{ID: "zzz"}), false},
		{"image sha256:abc…", f[inspect.KindImages].Image(inspect.Image{ID: "sha256:abc1"}), true},
		{"image other", f[inspect.KindImages].Image(inspect.Image{ID: "sha256:0001"}), false},
		{"volume named abc", f[inspect.KindVolumes].Volume(inspect.Volume{Name: "abc"}), false},
	} {
		if c.got != c.want {
			t.Errorf("%s: in scope %v, want %v", c.name, c.got, c.want)
		}
	}
}
