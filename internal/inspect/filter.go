package inspect

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/api/types/filters"

	"github.com/dockctl/dockctl/internal/parse"
)

// kindFilters is how each kind is filtered, in one table: the keys it
// takes (those `docker … ls --filter` accepts, with label! and until
// everywhere; sorted, as help lists them) and how a Filter narrows its
// objects in an Inventory.
var kindFilters = map[Kind]struct {
	keys  []string
	apply func(Filter, *Inventory)
}{
	KindImages: {[]string{"dangling", "id", "label", "label!", "reference", "until"},
		func(f Filter, inv *Inventory) { inv.Images = keep(inv.Images, f.Image) }},
	KindContainers: {[]string{"ancestor", "id", "label", "label!", "name", "network", "status", "until", "volume"},
		func(f Filter, inv *Inventory) { inv.Containers = keep(inv.Containers, f.Container) }},
	KindVolumes: {[]string{"dangling", "driver", "label", "label!", "name", "until"},
		func(f Filter, inv *Inventory) { inv.Volumes = keep(inv.Volumes, f.Volume) }},
	KindNetworks: {[]string{"dangling", "driver", "id", "label", "label!", "name", "scope", "type", "until"},
		func(f Filter, inv *Inventory) { inv.Networks = keep(inv.Networks, f.Network) }},
	KindBuildCache: {[]string{"id", "inuse", "shared", "type", "until"},
		func(f Filter, inv *Inventory) { inv.BuildCache = keep(inv.BuildCache, f.BuildCache) }},
}

var containerStates = []string{"created", "restarting", "running", "removing", "paused", "exited", "dead"}

// Filter is a parsed, validated set of docker-syntax filters for one kind.
// The zero Filter matches everything.
type Filter struct {
	kind     Kind
	args     filters.Args
	until    time.Time
	hasUntil bool
	bools    map[string]bool
	none     bool
}

// MatchNone is a filter no object of kind passes: a label filter applied
// to build-cache records, which carry no labels.
func MatchNone(kind Kind) Filter {
	return Filter{kind: kind, args: filters.NewArgs(), bools: map[string]bool{}, none: true}
}

// FilterError is a filter ParseFilters refuses: Value as given, and why.
type FilterError struct {
	Value, Reason string
}

func (e *FilterError) Error() string { return fmt.Sprintf("invalid filter %q: %s", e.Value, e.Reason) }

// ParseFilters reads repeated --filter key=value flags for kind, in
// docker's syntax ("label=a=b", "label!=tier", "until=24h"). Errors are
// *FilterError, naming the offending value.
func ParseFilters(kind Kind, raw []string, now time.Time) (Filter, error) {
	f := Filter{kind: kind, args: filters.NewArgs(), bools: map[string]bool{}}
	accepted := kindFilters[kind].keys
	for _, r := range raw {
		bad := func(format string, a ...any) error { return &FilterError{Value: r, Reason: fmt.Sprintf(format, a...)} }
		key, val, ok := strings.Cut(r, "=")
		key = strings.ToLower(strings.TrimSpace(key))
		val = strings.TrimSpace(val)
		if !ok || key == "" {
			return Filter{}, bad("expected key=value")
		}
		if !contains(accepted, key) {
			return Filter{}, bad("unknown filter %q for %s (accepted: %s)", key, kind, strings.Join(accepted, ", "))
		}
		switch key {
		case "dangling", "inuse", "shared":
			b, err := parseBool(val)
			if err != nil {
				return Filter{}, bad("%s takes true or false", key)
			}
			if prev, seen := f.bools[key]; seen && prev != b {
				return Filter{}, bad("conflicting %s filters", key)
			}
			f.bools[key] = b
		case "status":
			if !contains(containerStates, val) {
				return Filter{}, bad("status must be one of %s", strings.Join(containerStates, ", "))
			}
		case "reference", "ancestor":
			if _, err := path.Match(val, ""); err != nil || val == "" {
				return Filter{}, bad("bad %s pattern", key)
			}
		case "until":
			if f.hasUntil {
				return Filter{}, bad("more than one until filter")
			}
			t, err := parse.Until(val, now)
			if err != nil {
				return Filter{}, bad("%v", err)
			}
			f.until, f.hasUntil = t, true
		case "type":
			if kind == KindNetworks && val != "custom" && val != "builtin" {
				return Filter{}, bad("type must be custom or builtin")
			}
		case "label", "label!":
			if val == "" {
				return Filter{}, bad("%s needs a key or key=value", key)
			}
		}
		f.args.Add(key, val)
	}
	return f, nil
}

// Empty reports whether the filter matches everything.
func (f Filter) Empty() bool { return f.args.Len() == 0 && !f.none }

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("not a boolean: %q", s)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// labels applies label and label! as docker does: every label filter must
// match; an object matching all label! filters is dropped.
func (f Filter) labels(l map[string]string) bool {
	if f.none {
		return false
	}
	if f.args.Contains("label") && !f.args.MatchKVList("label", l) {
		return false
	}
	if f.args.Contains("label!") && f.args.MatchKVList("label!", l) {
		return false
	}
	return true
}

func (f Filter) created(t time.Time) bool {
	return !f.hasUntil || t.Before(f.until)
}

func (f Filter) boolean(key string, v bool) bool {
	want, ok := f.bools[key]
	return !ok || want == v
}

// anyOf is true when key is absent or any of its values satisfies match.
func (f Filter) anyOf(key string, match func(v string) bool) bool {
	vals := f.args.Get(key)
	if len(vals) == 0 {
		return true
	}
	for _, v := range vals {
		if match(v) {
			return true
		}
	}
	return false
}

func idPrefix(id string) func(string) bool {
	return func(v string) bool {
		return strings.HasPrefix(strings.TrimPrefix(id, "sha256:"), strings.TrimPrefix(v, "sha256:"))
	}
}

// nameMatch is docker's name filter: an exact name or a regular expression
// (container names are matched with and without their leading slash).
func nameMatch(names ...string) func(string) bool {
	return func(v string) bool {
		a := filters.NewArgs(filters.Arg("name", v))
		for _, n := range names {
			if a.Match("name", n) {
				return true
			}
		}
		return false
	}
}

// MatchReference is docker's reference filter: the pattern is matched as a
// path glob against "repo:tag" and against the bare repository name.
func MatchReference(pattern, ref string) bool {
	if ok, _ := path.Match(pattern, ref); ok {
		return true
	}
	// The repository is the reference without its digest (@sha256:…) and
	// without a tag (a colon after the last slash: a registry's port has
	// one before it).
	repo := ref
	if i := strings.Index(repo, "@"); i >= 0 {
		repo = repo[:i]
	}
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i]
	}
	ok, _ := path.Match(pattern, repo)
	return ok
}

// Image reports whether img passes the filter.
func (f Filter) Image(img Image) bool {
	return f.labels(img.Labels) && f.created(img.Created) &&
		f.boolean("dangling", img.Dangling) &&
		f.anyOf("id", idPrefix(img.ID)) &&
		f.anyOf("reference", func(p string) bool {
			for _, t := range append(append([]string{}, img.Tags...), img.Digests...) {
				if MatchReference(p, t) {
					return true
				}
			}
			return false
		})
}

// Container reports whether c passes the filter.
func (f Filter) Container(c Container) bool {
	return f.labels(c.Labels) && f.created(c.Created) &&
		f.anyOf("id", idPrefix(c.ID)) &&
		f.anyOf("name", nameMatch(c.Name, "/"+c.Name)) &&
		f.anyOf("status", func(v string) bool { return v == c.State }) &&
		f.anyOf("ancestor", func(v string) bool {
			return idPrefix(c.ImageID)(v) || MatchReference(v, c.Image) || c.Image == v
		}) &&
		f.anyOf("volume", func(v string) bool { return contains(c.Volumes, v) }) &&
		f.anyOf("network", func(v string) bool { return contains(c.Networks, v) })
}

// Volume reports whether v passes the filter.
func (f Filter) Volume(v Volume) bool {
	return f.labels(v.Labels) && f.created(v.Created) &&
		f.boolean("dangling", v.RefCount == 0) &&
		f.anyOf("driver", func(d string) bool { return d == v.Driver }) &&
		f.anyOf("name", nameMatch(v.Name))
}

// Network reports whether n passes the filter.
func (f Filter) Network(n Network) bool {
	return f.labels(n.Labels) && f.created(n.Created) &&
		f.boolean("dangling", len(n.Containers) == 0 && !n.Builtin) &&
		f.anyOf("id", idPrefix(n.ID)) &&
		f.anyOf("driver", func(d string) bool { return d == n.Driver }) &&
		f.anyOf("scope", func(s string) bool { return s == n.Scope }) &&
		f.anyOf("type", func(t string) bool { return (t == "builtin") == n.Builtin }) &&
		f.anyOf("name", nameMatch(n.Name))
}

// BuildCache reports whether r passes the filter. until compares last use,
// as docker builder prune does.
func (f Filter) BuildCache(r BuildCacheRecord) bool {
	last := r.LastUsed
	if last.IsZero() {
		last = r.Created
	}
	return !f.none && f.created(last) &&
		f.boolean("inuse", r.InUse) && f.boolean("shared", r.Shared) &&
		f.anyOf("id", idPrefix(r.ID)) &&
		f.anyOf("type", func(t string) bool { return t == r.Type })
}

// Apply keeps, in inv, only the objects of f's kind that pass f.
func (f Filter) Apply(inv *Inventory) {
	if f.Empty() {
		return
	}
	if kf, ok := kindFilters[f.kind]; ok {
		kf.apply(f, inv)
	}
}

func keep[T any](in []T, ok func(T) bool) []T {
	out := in[:0:0]
	for _, v := range in {
		if ok(v) {
			out = append(out, v)
		}
	}
	return out
}

// FilterKeys returns the filter keys the kind takes, sorted (for help and
// completion).
func (k Kind) FilterKeys() []string {
	return slices.Clone(kindFilters[k].keys)
}
