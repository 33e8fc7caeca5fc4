package prune

// Fuzz targets for --keep globs and --keep-label expressions. Seeds live
// in testdata/fuzz/<FuzzName>/; `go test ./prune` runs them as regular
// tests.
//
// Each target validates a one-entry policy, and when it is valid builds a
// plan with it on a small engine where, without the guard, nearly
// everything would go (--all, --all-volumes). The engine also holds one
// object of each kind named (or labelled) after the fuzzed value, so the
// guard always has something to protect.

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"testing"

	"github.com/dockctl/dockctl/internal/inspect"
)

// fuzzPolicy removes all it may: the guard under test is the only one
// left besides the built-in ones.
func fuzzPolicy() Policy {
	return Policy{All: true, AllBuildCache: true, Volumes: true, AllVolumes: true}
}

// fuzzInventory is a small engine of stopped containers, unused images,
// volumes and networks, with names and tags that globs like to trip on.
func fuzzInventory() *inspect.Inventory {
	l := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	return &inspect.Inventory{
		Collected: append([]inspect.Kind{}, inspect.Kinds...),
		Time:      now,
		Containers: []inspect.Container{
			{ID: "c-web", Name: "web-1", Image: "app:1", ImageID: "sha256:app1", State: "exited", Created: ago(10 * day),
				Labels: l("tier", "web", "a", "b=c"), Networks: []string{"shop"}, Volumes: []string{"data"}},
			{ID: "c-job", Name: "old-job", Image: "sha256:dangling", ImageID: "sha256:dangling", State: "dead", Created: ago(30 * day),
				Labels: l("tier", ""), Networks: []string{"jobs"}},
			{ID: "c-meta", Name: "a*b?c", Image: "busybox", ImageID: "sha256:busybox", State: "created", Created: ago(day), Labels: l()},
			{ID: "c-bracket", Name: "[", Image: "x", ImageID: "sha256:none", State: "exited", Created: ago(day),
				Labels: l("ü", "ü", KeepLabel, "TRUE")},
			{ID: "c-run", Name: "runner", Image: "app:2", ImageID: "sha256:app2", State: "running", Created: ago(day), Labels: l()},
		},
		Images: []inspect.Image{
			{ID: "sha256:app1", Tags: []string{"app:1", "registry.local:5000/team/app:2"}, Created: ago(20 * day),
				Labels: l("tier", "web"), UniqueBytes: 100},
			{ID: "sha256:app2", Tags: []string{"app:2"}, Created: ago(3 * day), Labels: l(), UniqueBytes: 200},
			{ID: "sha256:pg", Tags: []string{"postgres:16", "postgres:latest"}, Created: ago(50 * day), Labels: l("a", "b=c"), UniqueBytes: 300},
			{ID: "sha256:dangling", Dangling: true, Created: ago(31 * day), Labels: l(), UniqueBytes: -1},
			{ID: "sha256:busybox", Digests: []string{"busybox@sha256:0123"}, Created: ago(60 * day), Labels: nil, UniqueBytes: 50},
			{ID: "sha256:star", Tags: []string{"*:*"}, Created: ago(5 * day), Labels: l("x", "")},
		},
		Volumes: []inspect.Volume{
			{Name: "data", Labels: l("tier", "db"), SizeBytes: 1000, Containers: []string{"web-1"}, RefCount: 1, Created: ago(10 * day)},
			{Name: "[x]", Labels: l(), SizeBytes: 10, Created: ago(9 * day)},
			{Name: anon('e'), Labels: l("a", "b"), Anonymous: true, SizeBytes: -1, Created: ago(9 * day)},
		},
		Networks: []inspect.Network{
			{ID: "n-bridge", Name: "bridge", Builtin: true, Labels: l()},
			{ID: "n-shop", Name: "shop", Labels: l("tier", "web"), Containers: []string{"web-1"}, Created: ago(10 * day)},
			{ID: "n-jobs", Name: "jobs", Labels: l(), Created: ago(30 * day)},
			{ID: "n-q", Name: "?", Labels: l("ü", "x"), Created: ago(30 * day)},
		},
		BuildCache: []inspect.BuildCacheRecord{
			{ID: "bc1", Type: "regular", Description: "apt-get install", SizeBytes: 500, Created: ago(20 * day)},
		},
	}
}

// withNamed adds, of each kind, one unused object named (tagged) name and
// labelled labels, unless the engine has one of that name already.
func withNamed(inv *inspect.Inventory, name string, labels map[string]string) {
	has := func(names ...string) bool {
		for _, n := range names {
			if n == name {
				return true
			}
		}
		return false
	}
	var cs, vs, ns, tags []string
	for _, c := range inv.Containers {
		cs = append(cs, c.Name)
	}
	for _, v := range inv.Volumes {
		vs = append(vs, v.Name)
	}
	for _, n := range inv.Networks {
		ns = append(ns, n.Name)
	}
	for _, img := range inv.Images {
		tags = append(append(tags, img.Tags...), img.Digests...)
	}
	if !has(cs...) {
		inv.Containers = append(inv.Containers, inspect.Container{ID: "c-fuzz", Name: name, Image: "sha256:fuzz", ImageID: "sha256:fuzz",
			State: "exited", Created: ago(7 * day), Labels: labels, SizeBytes: 7})
	}
	if !has(vs...) {
		inv.Volumes = append(inv.Volumes, inspect.Volume{Name: name, Labels: labels, SizeBytes: 7, Created: ago(7 * day)})
	}
	if !has(ns...) {
		inv.Networks = append(inv.Networks, inspect.Network{ID: "n-fuzz", Name: name, Labels: labels, Created: ago(7 * day)})
	}
	if !has(tags...) {
		inv.Images = append(inv.Images, inspect.Image{ID: "sha256:fuzz-tag", Tags: []string{name, name + ":latest"},
			Labels: labels, Created: ago(7 * day), UniqueBytes: 7})
	}
}

// refMatch is what Policy.Keep promises for image references, written
// independently of inspect.MatchReference: the glob matches "repo:tag" or
// "repo@digest" as a whole, or the bare repository (docker's
// reference.FamiliarMatch).
func refMatch(glob, ref string) bool {
	repo := ref
	if i := strings.Index(repo, "@"); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	whole, _ := path.Match(glob, ref)
	bare, _ := path.Match(glob, repo)
	return whole || bare
}

// namesValue reports whether msg names v, as typed or quoted.
func namesValue(msg, v string) bool {
	return strings.Contains(msg, fmt.Sprintf("%q", v)) || (v != "" && strings.Contains(msg, v))
}

// checkUsage fails unless err is a *PolicyError for field naming value v.
// Exception: an empty value has nothing to show ("keep pattern: bad glob
// pattern").
func checkUsage(t *testing.T, err error, field Field, v string) {
	t.Helper()
	var pe *PolicyError
	if !errors.As(err, &pe) {
		t.Fatalf("error %v for %q is %T, want a *PolicyError", err, v, err)
	}
	if pe.Field != field || pe.Value != v || !strings.Contains(err.Error(), string(field)) {
		t.Fatalf("error %q for %q: field %q value %q, want %s and the value", err, v, pe.Field, pe.Value, field)
	}
	if v != "" && !namesValue(err.Error(), v) {
		t.Fatalf("error %q does not name the value %q", err, v)
	}
}

// planned returns what the plan removes: "type id" for removals, and the
// untagged refs by image id.
func planned(p Plan) (removed map[string]bool, untags map[string][]string) {
	removed, untags = map[string]bool{}, map[string][]string{}
	for _, it := range p.Items {
		if it.Type == TypeImage && it.Action == ActionUntag {
			untags[it.ID] = append(untags[it.ID], it.Refs...)
			continue
		}
		removed[string(it.Type)+" "+it.ID] = true
	}
	return removed, untags
}

// checkBuiltinKeep fails unless every object labelled dockctl.keep=true
// stays.
func checkBuiltinKeep(t *testing.T, inv *inspect.Inventory, p Plan) {
	t.Helper()
	removed, untags := planned(p)
	keep := func(l map[string]string) bool { return strings.EqualFold(l[KeepLabel], "true") }
	for _, c := range inv.Containers {
		if keep(c.Labels) && removed["container "+c.ID] {
			t.Fatalf("container %q labelled %s=true is removed", c.Name, KeepLabel)
		}
	}
	for _, img := range inv.Images {
		if keep(img.Labels) && (removed["image "+img.ID] || len(untags[img.ID]) > 0) {
			t.Fatalf("image %s labelled %s=true is removed or untagged", img.ID, KeepLabel)
		}
	}
}

func FuzzKeepGlob(f *testing.F) {
	f.Fuzz(func(t *testing.T, g string) {
		pol := fuzzPolicy()
		pol.Keep = []string{g}
		if err := pol.Validate(); err != nil {
			checkUsage(t, err, FieldKeep, g)
			if _, merr := path.Match(g, ""); merr == nil && g != "" {
				t.Fatalf("Validate refuses --keep %q, a good pattern: %v", g, err)
			}
			return
		}
		inv := fuzzInventory()
		withNamed(inv, g, map[string]string{})

		// A pattern Validate accepts never fails to match.
		names := []string{g, "", "a/b", "ü", "\xff", "[", "app:1"}
		for _, c := range inv.Containers {
			names = append(names, c.Name)
		}
		for _, img := range inv.Images {
			names = append(append(names, img.Tags...), img.Digests...)
		}
		for _, n := range names {
			if _, err := path.Match(g, n); err != nil {
				t.Fatalf("Validate accepts --keep %q, but path.Match(%q, %q) fails: %v", g, g, n, err)
			}
		}

		p := BuildPlan(inv, pol, now)
		checkComplete(t, inv, p)
		checkBuiltinKeep(t, inv, p)
		removed, untags := planned(p)
		match := func(name string) bool { ok, _ := path.Match(g, name); return ok && name != "" }
		for _, c := range inv.Containers {
			if match(c.Name) && removed["container "+c.ID] {
				t.Fatalf("--keep %q: container %q is removed", g, c.Name)
			}
		}
		for _, v := range inv.Volumes {
			if match(v.Name) && removed["volume "+v.Name] {
				t.Fatalf("--keep %q: volume %q is removed", g, v.Name)
			}
		}
		for _, n := range inv.Networks {
			if match(n.Name) && removed["network "+n.ID] {
				t.Fatalf("--keep %q: network %q is removed", g, n.Name)
			}
		}
		// An image reference is protected when the glob matches it or
		// its bare repository (see refMatch).
		for _, img := range inv.Images {
			for _, ref := range append(append([]string{}, img.Tags...), img.Digests...) {
				if refMatch(g, ref) && removed["image "+img.ID] {
					t.Fatalf("--keep %q: image %s (%q matches) is removed", g, img.ID, ref)
				}
			}
			for _, ref := range untags[img.ID] {
				if refMatch(g, ref) {
					t.Fatalf("--keep %q: tag %q of image %s is untagged", g, ref, img.ID)
				}
			}
		}
	})
}

func FuzzKeepLabel(f *testing.F) {
	f.Fuzz(func(t *testing.T, l string) {
		pol := fuzzPolicy()
		pol.KeepLabels = []string{l}
		key, want, hasValue := strings.Cut(l, "=")
		if err := pol.Validate(); err != nil {
			checkUsage(t, err, FieldKeepLabels, l)
			if strings.TrimSpace(key) != "" {
				t.Fatalf("Validate refuses --keep-label %q, which has a key: %v", l, err)
			}
			return
		}
		if strings.TrimSpace(key) == "" {
			t.Fatalf("Validate accepts --keep-label %q, which has no key", l)
		}
		inv := fuzzInventory()
		value := want
		if !hasValue {
			value = "any"
		}
		withNamed(inv, "fuzz-labelled", map[string]string{key: value})

		p := BuildPlan(inv, pol, now)
		checkComplete(t, inv, p)
		checkBuiltinKeep(t, inv, p)
		removed, untags := planned(p)
		carries := func(labels map[string]string) bool {
			v, ok := labels[key]
			return ok && (!hasValue || v == want)
		}
		for _, c := range inv.Containers {
			if carries(c.Labels) && removed["container "+c.ID] {
				t.Fatalf("--keep-label %q: container %q (labels %q) is removed", l, c.Name, c.Labels)
			}
		}
		for _, v := range inv.Volumes {
			if carries(v.Labels) && removed["volume "+v.Name] {
				t.Fatalf("--keep-label %q: volume %q (labels %q) is removed", l, v.Name, v.Labels)
			}
		}
		for _, n := range inv.Networks {
			if carries(n.Labels) && removed["network "+n.ID] {
				t.Fatalf("--keep-label %q: network %q (labels %q) is removed", l, n.Name, n.Labels)
			}
		}
		for _, img := range inv.Images {
			if carries(img.Labels) && (removed["image "+img.ID] || len(untags[img.ID]) > 0) {
				t.Fatalf("--keep-label %q: image %s (labels %q) is removed or untagged", l, img.ID, img.Labels)
			}
		}
	})
}
