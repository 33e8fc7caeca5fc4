package prune

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"gotest.tools/v3/golden"

	"github.com/dockctl/dockctl/internal/inspect"
)

func mustFilter(t *testing.T, kind inspect.Kind, raw ...string) inspect.Filter {
	t.Helper()
	f, err := inspect.ParseFilters(kind, raw, now)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestDefaultPlan(t *testing.T) {
	t.Parallel()
	inv := fixture()
	p := BuildPlan(inv, Policy{}, now)
	checkComplete(t, inv, p)
	want := []struct {
		typ  Type
		name string
		want string
	}{
		{TypeContainer, "web-1", "keep: running"},
		{TypeContainer, "old-job", "remove: not running (exited)"},
		{TypeContainer, "tmp", "remove: not running (created)"},
		{TypeContainer, "worker", "keep: compose project shop is running"},
		{TypeContainer, "pg", "keep: label dockctl.keep=true"},
		{TypeNetwork, "bridge", "keep: built-in network"},
		{TypeNetwork, "host", "keep: built-in network"},
		{TypeNetwork, "shop_default", "keep: used by containers web-1, worker"},
		{TypeNetwork, "jobs", "remove: unused custom network (its containers are removed in this plan)"},
		{TypeNetwork, "empty-net", "remove: unused custom network"},
		{TypeVolume, "shop_data", "absent"},
		{TypeImage, "job", "remove: dangling image (its containers are removed in this plan)"},
		{TypeImage, "old", "remove: dangling image"},
		{TypeImage, "app:1", "keep: unused image: only dangling images without --all"},
		{TypeImage, "debian:12", "keep: unused image: only dangling images without --all"},
		{TypeImage, "app:2", "keep: used by containers web-1, worker"},
		{TypeImage, "postgres:16", "keep: used by container pg"},
		{TypeBuildCache, "apt-get install", "remove: unused build cache"},
		{TypeBuildCache, "npm ci", "remove: unused build cache"},
		{TypeBuildCache, "base layer", "keep: shared with images (use --all)"},
		{TypeBuildCache, "running build", "keep: in use"},
		{TypeBuildCache, "local source", "keep: internal record (use --all)"},
	}
	for _, w := range want {
		t.Run(string(w.typ)+"/"+w.name, func(t *testing.T) {
			if got := decision(p, w.typ, w.name); got != w.want {
				t.Errorf("got %q, want %q", got, w.want)
			}
		})
	}
	if want := []inspect.Kind{inspect.KindContainers, inspect.KindNetworks, inspect.KindImages, inspect.KindBuildCache}; !equalKinds(p.Kinds, want) {
		t.Errorf("kinds %v, want %v", p.Kinds, want)
	}
	// containers 5000+0, images 700 (job's own layer; base is still held)
	// + 50, build cache 500+70.
	if p.ReclaimBytes != 6320 {
		t.Errorf("reclaim %d, want 6320", p.ReclaimBytes)
	}
	if p.Approximate {
		t.Error("plan approximate with full layer data")
	}
	// Phase order, and build cache children before parents.
	var order []string
	for _, it := range p.Items {
		order = append(order, string(it.Type)+":"+it.Name)
	}
	wantOrder := "container:old-job container:tmp network:empty-net network:jobs image:old image:job build_cache:npm ci build_cache:apt-get install"
	if strings.Join(order, " ") != wantOrder {
		t.Errorf("order\n%s\nwant\n%s", strings.Join(order, " "), wantOrder)
	}
}

func equalKinds(a, b []inspect.Kind) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestScope(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		pol  Policy
		want []inspect.Kind
	}{
		{"default", Policy{}, []inspect.Kind{"containers", "networks", "images", "buildcache"}},
		{"volumes", Policy{Volumes: true}, []inspect.Kind{"containers", "networks", "volumes", "images", "buildcache"}},
		{"all volumes", Policy{AllVolumes: true}, []inspect.Kind{"containers", "networks", "volumes", "images", "buildcache"}},
		{"explicit", Policy{Kinds: []inspect.Kind{"images", "volumes"}}, []inspect.Kind{"volumes", "images"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.pol.scope(); !equalKinds(got, tt.want) {
				t.Errorf("scope %v, want %v", got, tt.want)
			}
		})
	}
}

func TestContainerGuards(t *testing.T) {
	t.Parallel()
	c := func(state string, mod func(*inspect.Container)) inspect.Container {
		ct := inspect.Container{ID: "c-x", Name: "web-x", ImageID: "sha256:x", State: state, Created: ago(10 * day),
			Labels: map[string]string{"tier": "web"}, SizeBytes: 42}
		if mod != nil {
			mod(&ct)
		}
		return ct
	}
	running := inspect.Container{ID: "c-run", Name: "shop-api", State: "running", ComposeProject: "shop", Labels: map[string]string{}}
	tests := []struct {
		name string
		ctr  inspect.Container
		pol  Policy
		want string
	}{
		{"running", c("running", nil), Policy{}, "keep: running"},
		{"paused", c("paused", nil), Policy{}, "keep: paused"},
		{"restarting", c("restarting", nil), Policy{}, "keep: restarting"},
		{"removing", c("removing", nil), Policy{}, "keep: state removing"},
		{"exited", c("exited", nil), Policy{}, "remove: not running (exited)"},
		{"created", c("created", nil), Policy{}, "remove: not running (created)"},
		{"dead", c("dead", nil), Policy{}, "remove: not running (dead)"},
		{"keep label", c("exited", func(c *inspect.Container) { c.Labels[KeepLabel] = "true" }), Policy{}, "keep: label dockctl.keep=true"},
		{"keep label false", c("exited", func(c *inspect.Container) { c.Labels[KeepLabel] = "false" }), Policy{}, "remove: not running (exited)"},
		{"keep-label key", c("exited", nil), Policy{KeepLabels: []string{"tier"}}, "keep: label tier=web"},
		{"keep-label key=value", c("exited", nil), Policy{KeepLabels: []string{"tier=web"}}, "keep: label tier=web"},
		{"keep-label other value", c("exited", nil), Policy{KeepLabels: []string{"tier=db"}}, "remove: not running (exited)"},
		{"keep glob", c("exited", nil), Policy{Keep: []string{"web-*"}}, "keep: matches --keep 'web-*'"},
		{"keep glob no match", c("exited", nil), Policy{Keep: []string{"db-*"}}, "remove: not running (exited)"},
		{"younger 24h", c("exited", func(c *inspect.Container) { c.Created = ago(time.Hour) }), Policy{OlderThan: day}, "keep: younger than 24h"},
		{"younger 7d", c("exited", nil), Policy{OlderThan: 14 * day}, "keep: younger than 14d"},
		{"older", c("exited", nil), Policy{OlderThan: 7 * day}, "remove: not running (exited)"},
		{"compose running", c("exited", func(c *inspect.Container) { c.ComposeProject = "shop" }), Policy{}, "keep: compose project shop is running"},
		{"compose running included", c("exited", func(c *inspect.Container) { c.ComposeProject = "shop" }), Policy{IncludeRunningProjects: true}, "remove: not running (exited)"},
		{"compose stopped", c("exited", func(c *inspect.Container) { c.ComposeProject = "blog" }), Policy{}, "remove: not running (exited)"},
		{"filter out", c("exited", nil), Policy{Filters: map[inspect.Kind]inspect.Filter{inspect.KindContainers: mustFilter(t, inspect.KindContainers, "label=tier=db")}}, "keep: outside --filter"},
		{"filter in", c("exited", nil), Policy{Filters: map[inspect.Kind]inspect.Filter{inspect.KindContainers: mustFilter(t, inspect.KindContainers, "label=tier=web")}}, "remove: not running (exited)"},
		{"running beats filter", c("running", nil), Policy{Filters: map[inspect.Kind]inspect.Filter{inspect.KindContainers: mustFilter(t, inspect.KindContainers, "label=tier=db")}}, "keep: running"},
		{"size unknown", c("exited", func(c *inspect.Container) { c.SizeBytes = inspect.SizeUnknown }), Policy{}, "remove: not running (exited); size unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := &inspect.Inventory{Collected: []inspect.Kind{inspect.KindContainers}, Containers: []inspect.Container{tt.ctr, running}}
			p := BuildPlan(inv, tt.pol, now)
			checkComplete(t, inv, p)
			if got := decision(p, TypeContainer, "web-x"); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			if it, ok := item(p, TypeContainer, "web-x"); ok {
				wantBytes, unknown := int64(42), false
				if tt.ctr.SizeBytes < 0 {
					wantBytes, unknown = 0, true
				}
				if it.Bytes != wantBytes || it.SizeUnknown != unknown || p.Approximate != unknown {
					t.Errorf("bytes %d unknown %v approximate %v, want %d %v", it.Bytes, it.SizeUnknown, p.Approximate, wantBytes, unknown)
				}
			}
		})
	}
}

func TestCascade(t *testing.T) {
	t.Parallel()
	inv := fixture()
	p := BuildPlan(inv, Policy{Volumes: true}, now)
	checkComplete(t, inv, p)
	for _, w := range []struct {
		typ        Type
		name, want string
		bytes      int64
	}{
		{TypeContainer, "old-job", "remove: not running (exited)", 5000},
		{TypeNetwork, "jobs", "remove: unused custom network (its containers are removed in this plan)", 0},
		{TypeVolume, anon('a'), "remove: unused anonymous volume (its containers are removed in this plan)", 800},
		{TypeVolume, anon('b'), "remove: unused anonymous volume; size unknown", 0},
		{TypeVolume, "shop_data", "keep: used by container web-1", -1},
		{TypeVolume, "pgdata", "keep: used by container pg", -1},
		{TypeVolume, "cache-vol", "keep: named volume (use --all-volumes)", -1},
		{TypeImage, "job", "remove: dangling image (its containers are removed in this plan)", 700},
	} {
		t.Run(w.name, func(t *testing.T) {
			if got := decision(p, w.typ, w.name); got != w.want {
				t.Errorf("got %q, want %q", got, w.want)
			}
			if it, ok := item(p, w.typ, w.name); ok && it.Bytes != w.bytes {
				t.Errorf("bytes %d, want %d", it.Bytes, w.bytes)
			}
		})
	}
	if !p.Approximate {
		t.Error("a volume of unknown size should make the plan approximate")
	}

	// When containers are out of scope they all stay, and keep what they
	// use.
	p = BuildPlan(inv, Policy{Kinds: []inspect.Kind{inspect.KindImages, inspect.KindVolumes, inspect.KindNetworks}}, now)
	checkComplete(t, inv, p)
	for _, w := range []struct {
		typ        Type
		name, want string
	}{
		{TypeNetwork, "jobs", "keep: used by container old-job"},
		{TypeVolume, anon('a'), "keep: used by container old-job"},
		{TypeImage, "job", "keep: used by container old-job"},
		{TypeImage, "old", "remove: dangling image"},
	} {
		if got := decision(p, w.typ, w.name); got != w.want {
			t.Errorf("%s: got %q, want %q", w.name, got, w.want)
		}
	}

	// All volumes: unused named volumes go too.
	p = BuildPlan(inv, Policy{AllVolumes: true}, now)
	if got := decision(p, TypeVolume, "cache-vol"); got != "remove: unused named volume" {
		t.Errorf("cache-vol: %q", got)
	}
}

func TestImagesAll(t *testing.T) {
	t.Parallel()
	inv := fixture()
	p := BuildPlan(inv, Policy{All: true}, now)
	checkComplete(t, inv, p)
	for _, w := range []struct {
		name, want string
		bytes      int64
	}{
		{"app:1", "remove: unused image (its containers are removed in this plan)", 300},
		{"debian:12", "keep: base of kept image app:2: its layers stay, removing it frees nothing", -1},
		{"app:2", "keep: used by containers web-1, worker", -1},
		{"postgres:16", "keep: used by container pg", -1},
	} {
		if got := decision(p, TypeImage, w.name); got != w.want {
			t.Errorf("%s: got %q, want %q", w.name, got, w.want)
		}
		if it, ok := item(p, TypeImage, w.name); ok && it.Bytes != w.bytes {
			t.Errorf("%s: bytes %d, want %d", w.name, it.Bytes, w.bytes)
		}
	}
	// An image in use keeps every tag: no untag items for app:2.
	for _, it := range p.Items {
		if it.ID == "sha256:app2" {
			t.Errorf("in-use image planned: %+v", it)
		}
	}
}

func TestMultiTag(t *testing.T) {
	t.Parallel()
	inv := &inspect.Inventory{
		Collected: []inspect.Kind{inspect.KindImages, inspect.KindContainers},
		Images: []inspect.Image{
			{ID: "sha256:m", Tags: []string{"app:old", "app:1", "registry.local:5000/app:1"}, Created: ago(30 * day),
				Layers: []inspect.Layer{layer("m", 100)}},
			{ID: "sha256:used", Tags: []string{"tool:old", "tool:1"}, Created: ago(30 * day), Layers: []inspect.Layer{layer("u", 10)}},
		},
		Containers: []inspect.Container{{ID: "c1", Name: "job", ImageID: "sha256:used", State: "exited", Labels: map[string]string{KeepLabel: "true"}}},
	}
	tests := []struct {
		name  string
		pol   Policy
		items []string // "action name reason"
		kept  string
	}{
		{"all tags go", Policy{All: true}, []string{"remove app:1 unused image"}, ""},
		{"one tag kept", Policy{All: true, Keep: []string{"app:1"}}, []string{
			"untag app:old untag app:old (image kept: app:1 matches --keep 'app:1')",
			"untag registry.local:5000/app:1 untag registry.local:5000/app:1 (image kept: app:1 matches --keep 'app:1')",
		}, "matches --keep 'app:1'"},
		{"bare repo glob keeps the repo's tags", Policy{All: true, Keep: []string{"registry.local:5000/app"}}, []string{
			"untag app:1 untag app:1 (image kept: registry.local:5000/app:1 matches --keep 'registry.local:5000/app')",
			"untag app:old untag app:old (image kept: registry.local:5000/app:1 matches --keep 'registry.local:5000/app')",
		}, "matches --keep 'registry.local:5000/app'"},
		{"every tag kept", Policy{All: true, Keep: []string{"app:*", "registry.local:5000/*"}}, nil, "matches --keep 'app:*'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := BuildPlan(inv, tt.pol, now)
			checkComplete(t, inv, p)
			var got []string
			for _, it := range p.Items {
				if it.Type != TypeImage {
					continue
				}
				if it.ID == "sha256:used" {
					t.Errorf("image used by a kept container planned: %+v", it)
				}
				got = append(got, string(it.Action)+" "+it.Name+" "+it.Reason)
				if it.Action == ActionUntag && (it.Bytes != 0 || len(it.Refs) != 1 || it.Refs[0] != it.Name) {
					t.Errorf("untag item %+v", it)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tt.items, "\n") {
				t.Errorf("items\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.items, "\n"))
			}
			if tt.kept != "" {
				found := false
				for _, k := range p.Kept {
					found = found || (k.ID == "sha256:m" && k.Reason == tt.kept)
				}
				if !found {
					t.Errorf("image not kept with %q: %+v", tt.kept, p.Kept)
				}
			}
			if it, ok := item(p, TypeImage, "app:1"); ok && it.Action == ActionRemove {
				if strings.Join(it.Refs, ",") != "app:1,app:old,registry.local:5000/app:1" || it.Bytes != 100 {
					t.Errorf("remove item %+v", it)
				}
			}
			if got := decision(p, TypeImage, "tool:1"); got != "keep: used by container job" {
				t.Errorf("tool:1: %q", got)
			}
		})
	}
}

func TestKeepRecent(t *testing.T) {
	t.Parallel()
	var imgs []inspect.Image
	for i, tag := range []string{"app:1", "app:2", "app:3", "app:4", "app:5"} {
		imgs = append(imgs, inspect.Image{ID: "sha256:a" + tag[4:], Tags: []string{tag}, Created: ago(time.Duration(10-i) * day),
			Layers: []inspect.Layer{layer("l"+tag, 10)}})
	}
	// Old in repo app, but the newest of repo other.
	imgs = append(imgs, inspect.Image{ID: "sha256:x", Tags: []string{"app:0", "other:1"}, Created: ago(20 * day), Layers: []inspect.Layer{}})
	inv := &inspect.Inventory{Collected: []inspect.Kind{inspect.KindImages, inspect.KindContainers}, Images: imgs}
	p := BuildPlan(inv, Policy{All: true, KeepRecent: 2}, now)
	checkComplete(t, inv, p)
	for _, w := range []struct{ name, want string }{
		{"app:5", "keep: one of the 2 newest of repo app"},
		{"app:4", "keep: one of the 2 newest of repo app"},
		{"app:3", "remove: unused image"},
		{"app:1", "remove: unused image"},
		{"app:0", "untag: untag app:0 (image kept: other:1 is one of the 2 newest of repo other)"},
		{"other:1", "keep: one of the 2 newest of repo other"},
	} {
		if got := decision(p, TypeImage, w.name); got != w.want {
			t.Errorf("%s: got %q, want %q", w.name, got, w.want)
		}
	}
}

func TestOlderThan(t *testing.T) {
	t.Parallel()
	inv := &inspect.Inventory{
		Collected: append([]inspect.Kind{}, inspect.Kinds...),
		Images: []inspect.Image{
			{ID: "sha256:new", Tags: []string{"new:1"}, Created: ago(time.Hour), Layers: []inspect.Layer{}},
			{ID: "sha256:retag", Tags: []string{"old:1"}, Created: ago(90 * day), LastTagged: ago(time.Hour), Layers: []inspect.Layer{}},
			{ID: "sha256:old", Tags: []string{"old:2"}, Created: ago(90 * day), LastTagged: ago(80 * day), Layers: []inspect.Layer{}},
		},
		Volumes: []inspect.Volume{
			{Name: anon('n'), Anonymous: true, Created: ago(time.Hour), Containers: []string{}},
			{Name: anon('o'), Anonymous: true, Created: ago(3 * day), Containers: []string{}},
		},
		Networks: []inspect.Network{
			{ID: "n1", Name: "fresh", Created: ago(time.Hour), Containers: []string{}},
			{ID: "n2", Name: "stale", Created: ago(3 * day), Containers: []string{}},
		},
		BuildCache: []inspect.BuildCacheRecord{
			{ID: "b1", Description: "used recently", Created: ago(30 * day), LastUsed: ago(time.Hour)},
			{ID: "b2", Description: "new never used", Created: ago(time.Hour)},
			{ID: "b3", Description: "stale", Created: ago(30 * day), LastUsed: ago(3 * day)},
		},
	}
	p := BuildPlan(inv, Policy{All: true, Volumes: true, AllBuildCache: true, OlderThan: day}, now)
	checkComplete(t, inv, p)
	for _, w := range []struct {
		typ        Type
		name, want string
	}{
		{TypeImage, "new:1", "keep: younger than 24h"},
		{TypeImage, "old:1", "keep: younger than 24h"},
		{TypeImage, "old:2", "remove: unused image"},
		{TypeVolume, anon('n'), "keep: younger than 24h"},
		{TypeVolume, anon('o'), "remove: unused anonymous volume"},
		{TypeNetwork, "fresh", "keep: younger than 24h"},
		{TypeNetwork, "stale", "remove: unused custom network"},
		{TypeBuildCache, "used recently", "keep: last used less than 24h ago"},
		{TypeBuildCache, "new never used", "keep: younger than 24h"},
		{TypeBuildCache, "stale", "remove: unused build cache"},
	} {
		if got := decision(p, w.typ, w.name); got != w.want {
			t.Errorf("%s %s: got %q, want %q", w.typ, w.name, got, w.want)
		}
	}
}

func TestComposeProjectRunning(t *testing.T) {
	t.Parallel()
	inv := fixture()
	inv.Volumes = append(inv.Volumes, inspect.Volume{Name: "shop_cache", ComposeProject: "shop",
		Labels: map[string]string{inspect.ComposeProjectLabel: "shop"}, Containers: []string{}, SizeBytes: 5})
	inv.Networks = append(inv.Networks, inspect.Network{ID: "n-shop-back", Name: "shop_back", ComposeProject: "shop",
		Labels: map[string]string{inspect.ComposeProjectLabel: "shop"}, Containers: []string{}})
	inv.Images = append(inv.Images, inspect.Image{ID: "sha256:shopbuilt", Dangling: true, Tags: []string{},
		Labels: map[string]string{inspect.ComposeProjectLabel: "shop"}, Layers: []inspect.Layer{layer("sb", 9)}})
	tests := []struct {
		name    string
		include bool
		want    map[string]string
	}{
		{"kept", false, map[string]string{
			"worker": "keep: compose project shop is running", "shop_cache": "keep: compose project shop is running",
			"shop_back": "keep: compose project shop is running", "shopbuilt": "keep: compose project shop is running",
		}},
		{"included", true, map[string]string{
			"worker": "remove: not running (exited)", "shop_cache": "remove: unused named volume of compose project shop (running)",
			"shop_back": "remove: unused custom network", "shopbuilt": "remove: dangling image",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := BuildPlan(inv, Policy{AllVolumes: true, IncludeRunningProjects: tt.include}, now)
			checkComplete(t, inv, p)
			typ := map[string]Type{"worker": TypeContainer, "shop_cache": TypeVolume, "shop_back": TypeNetwork, "shopbuilt": TypeImage}
			for name, want := range tt.want {
				if got := decision(p, typ[name], name); got != want {
					t.Errorf("%s: got %q, want %q", name, got, want)
				}
			}
			// The running container itself is never touched, and what it
			// uses stays.
			if got := decision(p, TypeContainer, "web-1"); got != "keep: running" {
				t.Errorf("web-1: %q", got)
			}
			if got := decision(p, TypeVolume, "shop_data"); got != "keep: used by container web-1" {
				t.Errorf("shop_data: %q", got)
			}
		})
	}
}

func TestFilters(t *testing.T) {
	t.Parallel()
	inv := fixture()
	inv.Images[4].Labels = map[string]string{"env": "ci"} // sha256:old
	pol := Policy{Volumes: true, Filters: map[inspect.Kind]inspect.Filter{
		inspect.KindImages:     mustFilter(t, inspect.KindImages, "label=env=ci"),
		inspect.KindNetworks:   mustFilter(t, inspect.KindNetworks, "name=jobs"),
		inspect.KindVolumes:    mustFilter(t, inspect.KindVolumes, "name=shop"),
		inspect.KindBuildCache: mustFilter(t, inspect.KindBuildCache, "id=bc5"),
	}}
	p := BuildPlan(inv, pol, now)
	checkComplete(t, inv, p)
	for _, w := range []struct {
		typ        Type
		name, want string
	}{
		{TypeImage, "old", "remove: dangling image"},
		{TypeImage, "job", "keep: outside --filter"},
		{TypeNetwork, "jobs", "remove: unused custom network (its containers are removed in this plan)"},
		{TypeNetwork, "empty-net", "keep: outside --filter"},
		{TypeNetwork, "bridge", "keep: built-in network"},
		{TypeVolume, anon('a'), "keep: outside --filter"},
		{TypeVolume, "shop_data", "keep: used by container web-1"},
		{TypeBuildCache, "npm ci", "remove: unused build cache"},
		{TypeBuildCache, "apt-get install", "keep: outside --filter"},
	} {
		if got := decision(p, w.typ, w.name); got != w.want {
			t.Errorf("%s %s: got %q, want %q", w.typ, w.name, got, w.want)
		}
	}
}

func TestBuildCache(t *testing.T) {
	t.Parallel()
	inv := &inspect.Inventory{Collected: []inspect.Kind{inspect.KindBuildCache}, BuildCache: []inspect.BuildCacheRecord{
		{ID: "root", Description: "root", SizeBytes: 1},
		{ID: "mid", Description: "mid", SizeBytes: 2, Parents: []string{"root"}},
		{ID: "leaf", Description: "leaf", SizeBytes: 4, Parents: []string{"mid"}},
		{ID: "p", Description: "parent of in use", SizeBytes: 8},
		{ID: "busy", Description: "busy", SizeBytes: 16, InUse: true, Parents: []string{"p"}},
		{ID: "shared", Description: "shared", SizeBytes: 32, Shared: true},
		{ID: "fe", Description: "frontend", Type: "frontend", SizeBytes: 64},
	}}
	tests := []struct {
		name  string
		pol   Policy
		order string
		kept  map[string]string
		bytes int64
	}{
		{"default", Policy{}, "leaf mid root", map[string]string{
			"parent of in use": "keep: parent of kept build cache busy", "busy": "keep: in use",
			"shared": "keep: shared with images (use --all)", "frontend": "keep: frontend record (use --all)",
		}, 7},
		{"all", Policy{AllBuildCache: true}, "leaf mid fe root shared", map[string]string{
			"parent of in use": "keep: parent of kept build cache busy", "busy": "keep: in use",
			"shared": "remove: unused shared build cache (its bytes are held by images)",
		}, 71},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := BuildPlan(inv, tt.pol, now)
			checkComplete(t, inv, p)
			var ids []string
			for _, it := range p.Items {
				ids = append(ids, it.ID)
			}
			if got := strings.Join(ids, " "); got != tt.order {
				t.Errorf("order %q, want %q (children before parents)", got, tt.order)
			}
			for name, want := range tt.kept {
				if got := decision(p, TypeBuildCache, name); got != want {
					t.Errorf("%s: got %q, want %q", name, got, want)
				}
			}
			if p.ReclaimBytes != tt.bytes {
				t.Errorf("reclaim %d, want %d", p.ReclaimBytes, tt.bytes)
			}
		})
	}
}

func TestLayerAccounting(t *testing.T) {
	t.Parallel()
	base := layer("base", 1000)
	a := inspect.Image{ID: "sha256:a", Tags: []string{"a:1"}, Created: ago(20 * day), Layers: []inspect.Layer{base, layer("a", 10)}, UniqueBytes: 10}
	b := inspect.Image{ID: "sha256:b", Tags: []string{"b:1"}, Created: ago(10 * day), Layers: []inspect.Layer{base, layer("b", 20)}, UniqueBytes: 20}
	user := inspect.Container{ID: "c", Name: "b-user", ImageID: "sha256:b", State: "running"}
	tests := []struct {
		name        string
		imgs        []inspect.Image
		ctrs        []inspect.Container
		bytes       map[string]int64
		total       int64
		approximate bool
	}{
		{"one of two sharing a base frees its own layer", []inspect.Image{a, b}, []inspect.Container{user}, map[string]int64{"a:1": 10}, 10, false},
		{"both free the base too, once", []inspect.Image{a, b}, nil, map[string]int64{"a:1": 10, "b:1": 1020}, 1030, false},
		{"without layers: unique bytes, approximate", []inspect.Image{
			{ID: "sha256:a", Tags: []string{"a:1"}, UniqueBytes: 10},
			{ID: "sha256:b", Tags: []string{"b:1"}, UniqueBytes: -1},
		}, nil, map[string]int64{"a:1": 10, "b:1": 0}, 10, true},
		{"a kept image without layers makes it approximate", []inspect.Image{a, {ID: "sha256:c", Tags: []string{"c:1"}, UniqueBytes: 5}},
			[]inspect.Container{{ID: "c", Name: "c-user", ImageID: "sha256:c", State: "running"}}, map[string]int64{"a:1": 1010}, 1010, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := &inspect.Inventory{Collected: []inspect.Kind{inspect.KindImages, inspect.KindContainers}, Images: tt.imgs, Containers: tt.ctrs}
			p := BuildPlan(inv, Policy{All: true, Kinds: []inspect.Kind{inspect.KindImages}}, now)
			checkComplete(t, inv, p)
			got := itemBytes(p, func(it Item) string { return it.Name })
			if len(got) != len(tt.bytes) {
				t.Errorf("items %v, want %v", got, tt.bytes)
			}
			for n, want := range tt.bytes {
				if got[n] != want {
					t.Errorf("%s frees %d, want %d", n, got[n], want)
				}
			}
			if p.ReclaimBytes != tt.total || p.Approximate != tt.approximate {
				t.Errorf("reclaim %d approximate %v, want %d %v", p.ReclaimBytes, p.Approximate, tt.total, tt.approximate)
			}
		})
	}
}

func TestBudget(t *testing.T) {
	t.Parallel()
	// Four unused images, least recently used first: a (its container,
	// removed, was created 40 days ago), b (tagged 30 days ago), c
	// (created 20 days ago), d (created 5 days ago).
	budgetInv := func() *inspect.Inventory {
		return &inspect.Inventory{
			Collected: []inspect.Kind{inspect.KindContainers, inspect.KindImages},
			Containers: []inspect.Container{
				{ID: "c-a", Name: "old-job", ImageID: "sha256:a", State: "exited", Created: ago(40 * day), SizeBytes: 50},
				{ID: "c-run", Name: "svc", ImageID: "sha256:used", State: "running", Created: ago(day)},
			},
			Images: []inspect.Image{
				{ID: "sha256:a", Tags: []string{"a:1"}, Created: ago(90 * day), Layers: []inspect.Layer{layer("a", 100)}},
				{ID: "sha256:b", Tags: []string{"b:1"}, Created: ago(80 * day), LastTagged: ago(30 * day), Layers: []inspect.Layer{layer("b", 150)}},
				{ID: "sha256:c", Tags: []string{"c:1"}, Created: ago(20 * day), Layers: []inspect.Layer{layer("c", 80)}},
				{ID: "sha256:d", Tags: []string{"d:1"}, Created: ago(5 * day), Layers: []inspect.Layer{layer("d", 60)}},
				{ID: "sha256:used", Tags: []string{"used:1"}, Created: ago(100 * day), Layers: []inspect.Layer{layer("u", 500)}},
			},
		}
	}
	tests := []struct {
		name      string
		pol       Policy
		want      map[string]string
		reclaim   int64
		triggered bool
		reached   bool
	}{
		{"above the high watermark", Policy{All: true, HighWatermark: 85, LowWatermark: 70, FS: FS{SizeBytes: 1000, FreeBytes: 100}},
			map[string]string{
				"old-job": "remove: not running (exited)",
				"a:1":     "remove: least recently used: last used 2026-10-16 (container old-job created)",
				"b:1":     "remove: least recently used: last used 2026-10-26 (tagged)",
				// 900 - 50 - 100 - 150 = 600: under 700 before c.
				"c:1":    "keep: not needed: usage is predicted at 60%, under the low watermark 70%",
				"d:1":    "keep: not needed: usage is predicted at 60%, under the low watermark 70%",
				"used:1": "keep: used by container svc",
				"svc":    "keep: running",
			}, 300, true, true},
		{"low defaults to high", Policy{All: true, HighWatermark: 80, FS: FS{SizeBytes: 1000, FreeBytes: 100}},
			map[string]string{
				"a:1": "remove: least recently used: last used 2026-10-16 (container old-job created)",
				"b:1": "keep: not needed: usage is predicted at 75%, under the high watermark 80%",
			}, 150, true, true},
		{"under the high watermark", Policy{All: true, HighWatermark: 85, LowWatermark: 70, FS: FS{SizeBytes: 1000, FreeBytes: 590}},
			map[string]string{
				"old-job": "keep: usage 41% is under the high watermark 85%",
				"a:1":     "keep: usage 41% is under the high watermark 85%",
				"d:1":     "keep: usage 41% is under the high watermark 85%",
				"used:1":  "keep: used by container svc",
				"svc":     "keep: running",
			}, 0, false, true},
		{"between the watermarks", Policy{All: true, HighWatermark: 85, LowWatermark: 70, FS: FS{SizeBytes: 1000, FreeBytes: 200}},
			map[string]string{"a:1": "keep: usage 80% is under the high watermark 85%"}, 0, false, true},
		{"unreachable", Policy{All: true, HighWatermark: 50, LowWatermark: 10, FS: FS{SizeBytes: 1000, FreeBytes: 100}},
			map[string]string{
				"a:1":    "remove: least recently used: last used 2026-10-16 (container old-job created)",
				"d:1":    "remove: least recently used: last used 2026-11-20 (image created)",
				"c:1":    "remove: least recently used: last used 2026-11-05 (image created)",
				"used:1": "keep: used by container svc",
			}, 440, true, false},
		// Docker usage: 50 (container) + 890 (layers) = 940.
		{"target usage above", Policy{All: true, TargetUsage: 700},
			map[string]string{
				"a:1": "remove: least recently used: last used 2026-10-16 (container old-job created)",
				"b:1": "remove: least recently used: last used 2026-10-26 (tagged)",
				"c:1": "keep: not needed: usage is predicted at 640B, under the target 700B",
			}, 300, true, true},
		{"target usage under", Policy{All: true, TargetUsage: 2000},
			map[string]string{"a:1": "keep: usage 940B is under the target 2kB"}, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := budgetInv()
			p := BuildPlan(inv, tt.pol, now)
			checkComplete(t, inv, p)
			for name, want := range tt.want {
				typ := TypeImage
				if !strings.Contains(name, ":") {
					typ = TypeContainer
				}
				if got := decision(p, typ, name); got != want {
					t.Errorf("%s: got %q, want %q", name, got, want)
				}
			}
			if p.ReclaimBytes != tt.reclaim {
				t.Errorf("reclaim %d, want %d", p.ReclaimBytes, tt.reclaim)
			}
			if p.Budget == nil || p.Budget.Triggered != tt.triggered || p.Budget.Reached != tt.reached {
				t.Fatalf("budget %+v, want triggered %v reached %v", p.Budget, tt.triggered, tt.reached)
			}
			if p.Budget.PredictedBytes != p.Budget.UsageBytes-p.ReclaimBytes {
				t.Errorf("predicted %d", p.Budget.PredictedBytes)
			}
		})
	}
	// LRU order: images in the plan oldest use first.
	p := BuildPlan(budgetInv(), Policy{All: true, HighWatermark: 50, LowWatermark: 10, FS: FS{SizeBytes: 1000, FreeBytes: 100}}, now)
	var order []string
	for _, it := range p.Items {
		if it.Type == TypeImage {
			order = append(order, it.Name)
		}
	}
	if got := strings.Join(order, " "); got != "a:1 b:1 c:1 d:1" {
		t.Errorf("LRU order %q", got)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	p := BuildPlan(fixture(), Policy{}, now) // 8 items
	tests := []struct {
		name string
		pol  Policy
		err  bool
	}{
		{"no limit", Policy{}, false},
		{"under", Policy{MaxRemove: 8}, false},
		{"over", Policy{MaxRemove: 3}, true},
		{"over, forced", Policy{MaxRemove: 3, Force: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.Check(tt.pol)
			if (err != nil) != tt.err {
				t.Fatalf("err = %v, want error %v", err, tt.err)
			}
			var le *LimitError
			if tt.err && (!errors.As(err, &le) || le.Planned != 8 || le.Max != 3 ||
				err.Error() != "refusing to remove 8 objects: more than the limit of 3") {
				t.Errorf("err = %#v", err)
			}
		})
	}
	// BuildPlan still builds the whole plan.
	if len(p.Items) != 8 {
		t.Errorf("%d items", len(p.Items))
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		pol  Policy
		want string // "" = valid
	}{
		{"zero", Policy{}, ""},
		{"watermarks", Policy{HighWatermark: 85, LowWatermark: 70, FS: FS{SizeBytes: 1}}, ""},
		{"bad kind", Policy{Kinds: []inspect.Kind{"pods"}}, `invalid kind "pods"`},
		{"bad glob", Policy{Keep: []string{"["}}, `invalid keep pattern "["`},
		{"bad label", Policy{KeepLabels: []string{"=x"}}, `invalid keep label "=x"`},
		{"negative age", Policy{OlderThan: -time.Hour}, `invalid age "-1h0m0s"`},
		{"low above high", Policy{HighWatermark: 70, LowWatermark: 85, FS: FS{SizeBytes: 1}}, "must not be above high watermark 70%"},
		{"low alone", Policy{LowWatermark: 50}, "needs high watermark"},
		{"both budgets", Policy{TargetUsage: 5, HighWatermark: 50, FS: FS{SizeBytes: 1}}, "cannot be combined"},
		{"out of range", Policy{HighWatermark: 150, FS: FS{SizeBytes: 1}}, "within 0%..100%"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.pol.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			var pe *PolicyError
			if !errors.As(err, &pe) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want a *PolicyError saying %q", err, tt.want)
			}
		})
	}
}

func TestDeterminism(t *testing.T) {
	t.Parallel()
	pol := Policy{All: true, Volumes: true, KeepRecent: 1, Keep: []string{"postgres:*"}}
	first, err := json.Marshal(BuildPlan(fixture(), pol, now))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20 {
		inv := fixture()
		rng.Shuffle(len(inv.Containers), func(i, j int) { inv.Containers[i], inv.Containers[j] = inv.Containers[j], inv.Containers[i] })
		rng.Shuffle(len(inv.Images), func(i, j int) { inv.Images[i], inv.Images[j] = inv.Images[j], inv.Images[i] })
		rng.Shuffle(len(inv.Volumes), func(i, j int) { inv.Volumes[i], inv.Volumes[j] = inv.Volumes[j], inv.Volumes[i] })
		rng.Shuffle(len(inv.Networks), func(i, j int) { inv.Networks[i], inv.Networks[j] = inv.Networks[j], inv.Networks[i] })
		rng.Shuffle(len(inv.BuildCache), func(i, j int) { inv.BuildCache[i], inv.BuildCache[j] = inv.BuildCache[j], inv.BuildCache[i] })
		got, err := json.Marshal(BuildPlan(inv, pol, now))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(first, got) {
			t.Fatalf("run %d: plan differs\n%s\n%s", i, first, got)
		}
	}
}

// TestPlanJSON pins the saved-plan schema with a golden file (go test
// ./prune -update rewrites it) and checks a saved plan reads back.
func TestPlanJSON(t *testing.T) {
	t.Parallel()
	p := BuildPlan(fixture(), Policy{All: true, Volumes: true, Keep: []string{"app:latest"}, DryRun: true}, now)
	got, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden.Assert(t, string(got), "plan.golden.json")
	var raw map[string]any
	if err := json.Unmarshal(got, &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"schema", "dry_run", "plan", "kept", "reclaim_bytes"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("plan JSON lacks %q", k)
		}
	}
	back, err := ReadPlan(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	again, _ := json.MarshalIndent(back, "", "  ")
	if !bytes.Equal(append(again, '\n'), got) {
		t.Error("plan does not round-trip")
	}
}

func TestReadPlanRejects(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"not json", "{", "reading plan"},
		{"schema", `{"schema":"other/v9"}`, `schema "other/v9"`},
		{"type", `{"schema":"dockctl.prune/v1","plan":[{"type":"pod","id":"x"}]}`, `unknown type "pod"`},
		{"no id", `{"schema":"dockctl.prune/v1","plan":[{"type":"container"}]}`, "no id"},
		{"action", `{"schema":"dockctl.prune/v1","plan":[{"type":"image","id":"x","action":"nuke"}]}`, `unknown image action "nuke"`},
		{"untag refs", `{"schema":"dockctl.prune/v1","plan":[{"type":"image","id":"x","action":"untag"}]}`, "exactly one ref"},
		{"sum", `{"schema":"dockctl.prune/v1","plan":[{"type":"volume","id":"v","bytes":5}],"reclaim_bytes":4}`, "not the sum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadPlan(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ got, want string }{
		{fmtBytes(0), "0B"}, {fmtBytes(999), "999B"}, {fmtBytes(1500), "1.5kB"}, {fmtBytes(9_100_000_000), "9.1GB"},
		{fmtBytes(-1), "size unknown"},
		{fmtPercent(85), "85%"}, {fmtPercent(84.63), "84.6%"},
		{youngerReason(7 * day), "younger than 7d"},
		{shortID("sha256:0123456789abcdef"), "0123456789ab"},
		{usedBy([]string{"a", "b", "c", "d", "e"}), "used by containers a, b, c and 2 more"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// Sizes in reasons print as docker's own tables do (go-units HumanSize:
// decimal units, four significant digits). The hand-written %.3g printed
// 999999 bytes as "1e+03kB" and dropped the fourth digit the tables show.
func TestFmtBytesAsDocker(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		n    int64
		want string
	}{
		{999_999, "1000kB"},
		{999_499, "999.5kB"},
		{1_234_567, "1.235MB"},
		{999_999_999, "1000MB"},
		{1_000_000, "1MB"},
		{-1, "size unknown"},
	} {
		t.Run(strconv.FormatInt(tt.n, 10), func(t *testing.T) {
			if got := fmtBytes(tt.n); got != tt.want {
				t.Errorf("fmtBytes(%d) = %q, want %q", tt.n, got, tt.want)
			}
		})
	}
}

// A BuildKit-built image's own layer is also held by a shared build-cache
// record: removing the image frees nothing on disk; removing the record
// as well frees the layer, and the plan counts it on the record.
func TestLayersHeldByBuildCache(t *testing.T) {
	t.Parallel()
	inv := func() *inspect.Inventory {
		return &inspect.Inventory{
			Collected:  append([]inspect.Kind{}, inspect.Kinds...),
			Containers: []inspect.Container{{ID: "c1", Name: "web", ImageID: "sha256:app", State: "running", Labels: map[string]string{}, Created: ago(day)}},
			Images: []inspect.Image{
				{ID: "sha256:app", Tags: []string{"app:1"}, Created: ago(10 * day), Labels: map[string]string{}, Layers: []inspect.Layer{layer("base", 1000)}},
				{ID: "sha256:bk", Tags: []string{"bk:1"}, Created: ago(10 * day), Labels: map[string]string{}, Layers: []inspect.Layer{layer("base", 1000), layer("bk-top", 3000)}},
			},
			BuildCache: []inspect.BuildCacheRecord{
				{ID: "shared-top", Type: "regular", SizeBytes: 3000, Shared: true, Created: ago(10 * day)},
				{ID: "ctx", Type: "source.local", SizeBytes: 3000, Created: ago(10 * day)},
			},
		}
	}
	tests := []struct {
		name      string
		kinds     []inspect.Kind
		wantBytes map[string]int64
		total     int64
	}{
		{"images alone free nothing", []inspect.Kind{inspect.KindImages}, map[string]int64{"sha256:bk": 0}, 0},
		{"images and cache free the layer on the record", []inspect.Kind{inspect.KindImages, inspect.KindBuildCache},
			map[string]int64{"sha256:bk": 0, "shared-top": 3000, "ctx": 3000}, 6000},
		{"cache alone frees only unshared records", []inspect.Kind{inspect.KindBuildCache}, map[string]int64{"shared-top": 0, "ctx": 3000}, 3000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := BuildPlan(inv(), Policy{Kinds: tt.kinds, All: true, AllBuildCache: true}, now)
			got := map[string]int64{}
			for _, it := range p.Items {
				got[it.ID] = it.Bytes
			}
			for id, want := range tt.wantBytes {
				if b, ok := got[id]; !ok || b != want {
					t.Errorf("%s: bytes %d (planned %v), want %d", id, b, ok, want)
				}
			}
			if p.ReclaimBytes != tt.total {
				t.Errorf("ReclaimBytes = %d, want %d", p.ReclaimBytes, tt.total)
			}
		})
	}
}

// TestGuardsProtect is the one guard function the planner and Apply's
// re-check share.
func TestGuardsProtect(t *testing.T) {
	t.Parallel()
	g := Guards{Keep: []string{"db-*", "postgres:*"}, KeepLabels: []string{"tier=prod", "pin"}}
	tests := []struct {
		name   string
		g      Guards
		labels map[string]string
		names  []string
		refs   []string
		want   string
	}{
		{"keep label", Guards{}, map[string]string{KeepLabel: "true"}, nil, nil, "label dockctl.keep=true"},
		{"keep label, any case", Guards{}, map[string]string{KeepLabel: "TRUE"}, nil, nil, "label dockctl.keep=true"},
		{"keep label false", Guards{}, map[string]string{KeepLabel: "false"}, nil, nil, ""},
		{"keep-label KEY=VALUE", g, map[string]string{"tier": "prod"}, nil, nil, "label tier=prod"},
		{"keep-label KEY=VALUE, other value", g, map[string]string{"tier": "dev"}, nil, nil, ""},
		{"keep-label KEY", g, map[string]string{"pin": ""}, nil, nil, "label pin="},
		{"keep glob on a name", g, nil, []string{"db-1"}, nil, "matches --keep 'db-*'"},
		{"keep glob on a reference", g, nil, nil, []string{"postgres:16"}, "matches --keep 'postgres:*'"},
		{"nothing", g, map[string]string{"x": "y"}, []string{"web"}, []string{"app:1"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.g.protects(tt.labels, tt.names, tt.refs); got != tt.want {
				t.Errorf("protects = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestPlanCarriesGuards: the plan file holds --keep and --keep-label so
// that applying it re-checks them; a plan file from before has none and
// still reads.
func TestPlanCarriesGuards(t *testing.T) {
	t.Parallel()
	p := BuildPlan(fixture(), Policy{Keep: []string{"pg*"}, KeepLabels: []string{"tier=prod"}}, now)
	if p.Guards == nil || !slices.Equal(p.Guards.Keep, []string{"pg*"}) || !slices.Equal(p.Guards.KeepLabels, []string{"tier=prod"}) {
		t.Fatalf("plan guards = %+v", p.Guards)
	}
	raw, _ := json.Marshal(p)
	if !bytes.Contains(raw, []byte(`"guards":{"keep":["pg*"],"keep_labels":["tier=prod"]}`)) {
		t.Errorf("plan JSON lacks the guards: %s", raw)
	}
	back, err := ReadPlan(bytes.NewReader(raw))
	if err != nil || back.Guards == nil || !slices.Equal(back.Guards.KeepLabels, []string{"tier=prod"}) {
		t.Errorf("read back: %+v, %v", back.Guards, err)
	}
	if none := BuildPlan(fixture(), Policy{}, now); none.Guards != nil {
		t.Errorf("a policy without guards gives guards %+v", none.Guards)
	}
	old := `{"schema":"dockctl.prune/v1","plan":[{"type":"network","id":"n","name":"n"}],"kept":[],"reclaim_bytes":0}`
	if p, err := ReadPlan(strings.NewReader(old)); err != nil || p.Guards != nil {
		t.Errorf("a plan file without guards: %+v, %v", p.Guards, err)
	}
	for _, bad := range []string{`{"keep":["["]}`, `{"keep_labels":["=x"]}`} {
		in := `{"schema":"dockctl.prune/v1","plan":[],"kept":[],"reclaim_bytes":0,"guards":` + bad + `}`
		if _, err := ReadPlan(strings.NewReader(in)); err == nil || !strings.Contains(err.Error(), "guards") {
			t.Errorf("guards %s: err = %v, want one naming the guards", bad, err)
		}
	}
}

// TestVolumeAnonymousByName: a volume taken as anonymous by its name only
// (the engine does not record anonymity before Docker 23.0) says so in its
// reason; one the engine marked does not.
func TestVolumeAnonymousByName(t *testing.T) {
	t.Parallel()
	inv := &inspect.Inventory{Collected: []inspect.Kind{inspect.KindContainers, inspect.KindVolumes}, Volumes: []inspect.Volume{
		{Name: anon('c'), Labels: map[string]string{}, Anonymous: true, AnonymousByName: true, SizeBytes: 10, Containers: []string{}},
		{Name: anon('d'), Labels: map[string]string{inspect.AnonymousVolumeLabel: ""}, Anonymous: true, SizeBytes: 10, Containers: []string{}},
		{Name: anon('e'), Labels: map[string]string{}, SizeBytes: 10, Containers: []string{}},
	}}
	p := BuildPlan(inv, Policy{Volumes: true}, now)
	for name, want := range map[string]string{
		anon('c'): "remove: unused volume, anonymous (by its name: engines before 23.0 do not record it)",
		anon('d'): "remove: unused anonymous volume",
		anon('e'): "keep: named volume (use --all-volumes)",
	} {
		if got := decision(p, TypeVolume, name); got != want {
			t.Errorf("%s: %q, want %q", name[:4], got, want)
		}
	}
}

// A plan's types and the kinds prune takes are one list: each kind has a
// type that maps back, in docker's prune order, logs last.
func TestTypesAreTheKinds(t *testing.T) {
	t.Parallel()
	types := Types()
	if len(types) != len(prunable) || prunable[len(prunable)-1] != inspect.KindLogs {
		t.Fatalf("types %v, kinds %v", types, prunable)
	}
	for i, k := range prunable {
		if typ := TypeOf(k); typ != types[i] || typ.Kind() != k {
			t.Errorf("kind %s: type %q (at %d: %q), back to %q", k, typ, i, types[i], typ.Kind())
		}
	}
}

// TestContainerLogsInPrediction: removing a container removes its dir and
// its logs with it, so the predicted bytes are the writable layer plus the
// logs the probe measured; unmeasured logs (-1) add nothing.
func TestContainerLogsInPrediction(t *testing.T) {
	tests := []struct {
		name          string
		size, logs    int64
		bytes, itLogs int64
		unknown       bool
	}{
		{"layer and logs", 1000, 31_500_000, 31_501_000, 31_500_000, false},
		{"logs not measured", 1000, -1, 1000, 0, false},
		{"no log", 1000, 0, 1000, 0, false},
		{"layer unknown, logs known", -1, 500, 500, 500, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := &inspect.Inventory{Collected: inspect.Kinds, Containers: []inspect.Container{
				{ID: "c1", Name: "job", State: "exited", SizeBytes: tc.size, LogBytes: tc.logs, Labels: map[string]string{}},
			}}
			p := BuildPlan(inv, Policy{Kinds: []inspect.Kind{inspect.KindContainers}}, now)
			if len(p.Items) != 1 {
				t.Fatalf("items = %+v", p.Items)
			}
			it := p.Items[0]
			if it.Bytes != tc.bytes || it.LogBytes != tc.itLogs || it.SizeUnknown != tc.unknown || p.ReclaimBytes != tc.bytes {
				t.Errorf("item = %d bytes (logs %d, unknown %v), plan %d; want %d (logs %d, unknown %v)", it.Bytes, it.LogBytes, it.SizeUnknown, p.ReclaimBytes, tc.bytes, tc.itLogs, tc.unknown)
			}
		})
	}
}
