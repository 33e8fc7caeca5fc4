package inspect

// Fuzz targets for the --filter parser and the reference matcher. Seeds
// live in testdata/fuzz/<FuzzName>/; `go test ./inspect` runs them as
// regular tests.

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/dockctl/dockctl/internal/parse"
)

// fuzzKinds are the kinds FuzzParseFilters picks from by index; the last
// is one ParseFilters does not know.
var fuzzKinds = append(append([]Kind{}, Kinds...), Kind("bogus"))

// fuzzSep separates the raw --filter values in FuzzParseFilters' input: a
// NUL cannot occur in a command-line argument.
const fuzzSep = "\x00"

// fuzzInventory is a small engine with one object of each kind per shape:
// tagged, dangling and digest-only images; containers in several states;
// named and anonymous volumes; built-in and custom networks; build cache.
func fuzzInventory() Inventory {
	at := func(d time.Duration) time.Time { return filterNow.Add(-d) }
	return Inventory{
		Collected: append([]Kind{}, Kinds...),
		Images: []Image{
			{ID: "sha256:aaa111", Tags: []string{"app:1", "registry.local:5000/team/app:2"}, Labels: map[string]string{"tier": "web", "a": "b=c"}, Created: at(48 * time.Hour)},
			{ID: "sha256:bbb222", Dangling: true, Labels: map[string]string{}, Created: at(time.Hour)},
			{ID: "sha256:ccc333", Digests: []string{"busybox@sha256:ddd444"}, Labels: nil, Created: at(0)},
			{ID: "", Tags: []string{"", ":", "/", "@"}, Created: time.Time{}},
		},
		Containers: []Container{
			{ID: "c1", Name: "web-1", Image: "app:1", ImageID: "sha256:aaa111", State: "running", Labels: map[string]string{"tier": "web"},
				Created: at(24 * time.Hour), Volumes: []string{"data"}, Networks: []string{"shop"}},
			{ID: "c2", Name: "old-job", Image: "sha256:bbb222", ImageID: "sha256:bbb222", State: "exited", Created: at(30 * 24 * time.Hour)},
			{ID: "", Name: "", State: "", Created: filterNow.Add(time.Hour)},
		},
		Volumes: []Volume{
			{Name: "data", Driver: "local", Labels: map[string]string{"tier": "db"}, RefCount: 1, Created: at(time.Hour)},
			{Name: strings.Repeat("f", 64), Driver: "local", Anonymous: true, SizeBytes: SizeUnknown, Created: at(90 * 24 * time.Hour)},
		},
		Networks: []Network{
			{ID: "n1", Name: "bridge", Driver: "bridge", Scope: "local", Builtin: true},
			{ID: "n2", Name: "shop", Driver: "bridge", Scope: "local", Labels: map[string]string{"x": ""}, Containers: []string{"web-1"}, Created: at(time.Minute)},
		},
		BuildCache: []BuildCacheRecord{
			{ID: "bc1", Type: "regular", InUse: true, Created: at(time.Hour)},
			{ID: "bc2", Type: "internal", Shared: true, Created: at(48 * time.Hour), LastUsed: at(time.Hour)},
		},
	}
}

// namesValue reports whether msg names v, as typed or quoted.
func namesValue(msg, v string) bool {
	return strings.Contains(msg, fmt.Sprintf("%q", v)) || (v != "" && strings.Contains(msg, v))
}

func FuzzParseFilters(f *testing.F) {
	f.Fuzz(func(t *testing.T, kindIndex uint8, joined string) {
		kind := fuzzKinds[int(kindIndex)%len(fuzzKinds)]
		var raw []string
		if joined != "" {
			raw = strings.Split(joined, fuzzSep)
		}
		flt, err := ParseFilters(kind, raw, filterNow)
		if err != nil {
			var fe *FilterError
			if !errors.As(err, &fe) {
				t.Fatalf("ParseFilters(%s, %q): error %v is %T, want a *FilterError", kind, raw, err, err)
			}
			// The error names the first value that fails, given the
			// values before it (which must parse).
			i := 0
			for i < len(raw) && raw[i] != fe.Value {
				i++
			}
			if i == len(raw) {
				t.Fatalf("ParseFilters(%s, %q): error %q names %q, not one of the values", kind, raw, err, fe.Value)
			}
			if _, perr := ParseFilters(kind, raw[:i], filterNow); perr != nil {
				t.Fatalf("ParseFilters(%s, %q): error %q names value %d, but the values before it fail too: %v", kind, raw, err, i, perr)
			}
			// Exception: an empty --filter "" has no value to show;
			// its error says "filter \"\": expected key=value".
			if fe.Value != "" && !namesValue(err.Error(), fe.Value) {
				t.Fatalf("ParseFilters(%s, %q): error %q does not name the value %q", kind, raw, err, fe.Value)
			}
			return
		}
		if flt.Empty() != (len(raw) == 0) {
			t.Fatalf("ParseFilters(%s, %q): Empty() = %v", kind, raw, flt.Empty())
		}

		// Applying it to every object never panics; Apply keeps a subset.
		inv := fuzzInventory()
		for _, o := range inv.Images {
			flt.Image(o)
		}
		for _, o := range inv.Containers {
			flt.Container(o)
		}
		for _, o := range inv.Volumes {
			flt.Volume(o)
		}
		for _, o := range inv.Networks {
			flt.Network(o)
		}
		for _, o := range inv.BuildCache {
			flt.BuildCache(o)
		}
		before := fuzzInventory()
		flt.Apply(&inv)
		if len(inv.Images) > len(before.Images) || len(inv.Containers) > len(before.Containers) ||
			len(inv.Volumes) > len(before.Volumes) || len(inv.Networks) > len(before.Networks) ||
			len(inv.BuildCache) > len(before.BuildCache) {
			t.Fatalf("ParseFilters(%s, %q).Apply added objects", kind, raw)
		}

		// until=T passes only objects created before T: one created at T
		// or later never passes, whatever the other filters say.
		for _, r := range raw {
			key, val, _ := strings.Cut(r, "=")
			if strings.ToLower(strings.TrimSpace(key)) != "until" {
				continue
			}
			until, uerr := parse.Until(strings.TrimSpace(val), filterNow)
			if uerr != nil {
				t.Fatalf("ParseFilters(%s, %q) accepted %q, but parse.Until fails: %v", kind, raw, r, uerr)
			}
			for _, created := range []time.Time{until, until.Add(time.Second), filterNow.Add(100 * 365 * 24 * time.Hour)} {
				if created.Before(until) {
					continue
				}
				if flt.Image(Image{ID: "sha256:x", Created: created}) || flt.Volume(Volume{Name: "x", Created: created}) ||
					flt.Container(Container{ID: "x", Name: "x", Created: created}) || flt.Network(Network{ID: "x", Name: "x", Created: created}) ||
					flt.BuildCache(BuildCacheRecord{ID: "x", Created: created}) {
					t.Fatalf("ParseFilters(%s, %q): an object created %v passes until=%v", kind, raw, created, until)
				}
			}
		}
	})
}

// fuzzRepo is a reference's bare repository, as docker's reference
// filter reads it (reference.FamiliarName): "repo:tag", "repo@sha256:…"
// and "repo:tag@sha256:…" give "repo"; a port ("host:5000/repo") is no
// tag.
func fuzzRepo(ref string) string {
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	return ref
}

func FuzzMatchReference(f *testing.F) {
	f.Fuzz(func(t *testing.T, pattern, ref string) {
		got := MatchReference(pattern, ref)
		if ok, _ := path.Match(pattern, ref); ok && !got {
			t.Fatalf("MatchReference(%q, %q) = false, but path.Match matches", pattern, ref)
		}
		// The pattern is matched against the bare repository too, of
		// tagged and of digest references.
		if ok, _ := path.Match(pattern, fuzzRepo(ref)); ok && !got {
			t.Fatalf("MatchReference(%q, %q) = false, but the pattern matches its repository %q", pattern, ref, fuzzRepo(ref))
		}
		// A pattern without glob characters matches itself, and the
		// tagged reference it names.
		if !strings.ContainsAny(ref, `*?[\`) {
			if !MatchReference(ref, ref) {
				t.Fatalf("MatchReference(%q, %q) = false", ref, ref)
			}
			if !strings.ContainsAny(ref, ":@") && !MatchReference(ref, ref+":latest") {
				t.Fatalf("MatchReference(%q, %q) = false", ref, ref+":latest")
			}
		}
	})
}
