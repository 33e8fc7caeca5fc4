package prune

// Property tests of the planner ("Prove it safe", item 3): generated
// inventories and policies, and the rules BuildPlan promises (doc.go,
// policy.go) checked on every plan. Each case is reproducible from its
// seed: by default propBaseSeed plus the case number; -prune.seed (or
// PRUNE_SEED) moves the base and -prune.n (or PRUNE_N) sets the count. A
// failing case prints its seed, the command that reruns just that case,
// and an inventory shrunk to the objects the failure needs.

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dockctl/dockctl/internal/inspect"
)

var (
	propSeedFlag = flag.String("prune.seed", "", "base seed of TestPropertyPlanner: case i uses seed+i (env PRUNE_SEED; default a fixed seed)")
	propNFlag    = flag.Int("prune.n", 0, "how many inventories TestPropertyPlanner generates (env PRUNE_N; default 2000, 300 with -short)")
)

// propBaseSeed is the default base seed: the run is the same every time.
const propBaseSeed uint64 = 20261125_000000

// Property names, as failures report them.
const (
	propActive      = "P1 no active container"
	propInUse       = "P2 nothing a staying container uses"
	propKeep        = "P3 keep label / --keep-label / --keep glob / --keep-recent"
	propMultiTag    = "P3 multi-tag rule (untag exactly the unprotected tags)"
	propOlder       = "P4 --older-than"
	propVolumes     = "P5 volume scope"
	propFilters     = "P6 --filter"
	propComplete    = "P7 completeness (every object in scope decided once)"
	propDeterm      = "P8 determinism (slices shuffled)"
	propDetermInner = "P8 determinism (inner lists shuffled too)"
	propPure        = "P8 purity (inventory unchanged)"
	propBytes       = "P9 bytes (plan sum, fake engine frees the plan's bytes)"
	propApply       = "P9 apply (no failure or skip when nothing changed)"
	propScope       = "P10 scope rules (built-in networks, dangling-only, build cache defaults)"
	propCompose     = "P11 running compose projects"
	propCacheTree   = "P12 build cache: a kept record keeps its parents"
	propBudget      = "P13 budget mode"
)

// propCase is one generated case: an inventory, a policy (its filters kept
// as raw flags, so the case prints and shrinks), and the classic-builder
// parent links the fake engine enforces.
type propCase struct {
	Seed      uint64                    `json:"seed"`
	Inv       *inspect.Inventory        `json:"inventory"`
	Pol       Policy                    `json:"-"`
	FilterRaw map[inspect.Kind][]string `json:"filters,omitempty"` // ["<none>"] = inspect.MatchNone
	Parents   map[string]string         `json:"image_parents,omitempty"`
}

// policy is the case's policy with its filters parsed as the CLI does.
func (c *propCase) policy() (Policy, error) {
	pol := c.Pol
	pol.Filters = nil
	for k, raw := range c.FilterRaw {
		if pol.Filters == nil {
			pol.Filters = map[inspect.Kind]inspect.Filter{}
		}
		if len(raw) == 1 && raw[0] == "<none>" {
			pol.Filters[k] = inspect.MatchNone(k)
			continue
		}
		f, err := inspect.ParseFilters(k, raw, now)
		if err != nil {
			return pol, err
		}
		pol.Filters[k] = f
	}
	return pol, pol.Validate()
}

func (c *propCase) objects() int {
	return len(c.Inv.Containers) + len(c.Inv.Images) + len(c.Inv.Volumes) + len(c.Inv.Networks) + len(c.Inv.BuildCache)
}

// propStats counts what the run generated and checked.
type propStats struct {
	cases, plans, applies, checks int
	items, kept                   int
	feature                       map[string]int
}

func (s *propStats) add(f string, n int) {
	if s != nil && n > 0 {
		s.feature[f] += n
	}
}

func propSettings(t *testing.T) (base uint64, n int) {
	base, n = propBaseSeed, 2000
	if testing.Short() {
		n = 300
	}
	seed := *propSeedFlag
	if seed == "" {
		seed = os.Getenv("PRUNE_SEED")
	}
	if seed != "" {
		v, err := strconv.ParseUint(seed, 10, 64)
		if err != nil {
			t.Fatalf("bad -prune.seed / PRUNE_SEED %q: %v", seed, err)
		}
		base = v
	}
	if *propNFlag > 0 {
		n = *propNFlag
	} else if s := os.Getenv("PRUNE_N"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("bad PRUNE_N %q", s)
		}
		n = v
	}
	return base, n
}

func TestPropertyPlanner(t *testing.T) {
	t.Parallel()
	base, n := propSettings(t)
	start := time.Now()
	st := &propStats{feature: map[string]int{}}
	// Every failing case fails the test; the first two failing cases of
	// each property are printed in full (shrunk), the others by seed.
	failed, printed, byProp := 0, map[string]int{}, map[string]int{}
	var others []string
	for i := range n {
		seed := base + uint64(i)
		c := genCase(seed)
		st.cases++
		vs := runCase(t, c, st)
		if len(vs) == 0 {
			continue
		}
		failed++
		fresh, seen := false, map[string]bool{}
		for _, v := range vs {
			if printed[v.prop] < 2 {
				fresh = true
			}
			if !seen[v.prop] {
				seen[v.prop] = true
				byProp[v.prop]++
			}
		}
		if !fresh {
			others = append(others, fmt.Sprintf("%d (%s)", seed, vs[0].prop))
			continue
		}
		for _, v := range vs {
			printed[v.prop]++
		}
		reportFailure(t, c, vs)
	}
	if failed > 0 {
		var props []string
		for p, n := range byProp {
			props = append(props, fmt.Sprintf("%s: %d", p, n))
		}
		sort.Strings(props)
		msg := fmt.Sprintf("%d of %d cases fail (%s)", failed, st.cases, strings.Join(props, "; "))
		if len(others) > 0 {
			msg += "; other failing seeds: " + strings.Join(others[:min(len(others), 20)], ", ")
		}
		t.Error(msg)
	}
	t.Logf("%d inventories (seeds %d..%d), %d plans, %d applies to the fake engine, %d checks, %d items, %d kept, in %v",
		st.cases, base, base+uint64(st.cases)-1, st.plans, st.applies, st.checks, st.items, st.kept, time.Since(start).Round(time.Millisecond))
	var fs []string
	for f, v := range st.feature {
		fs = append(fs, fmt.Sprintf("%s=%d", f, v))
	}
	sort.Strings(fs)
	t.Logf("coverage: %s", strings.Join(fs, ", "))
	if st.cases >= 200 && failed == 0 {
		// The generator must reach every corner the properties are about.
		for _, f := range []string{
			"state created", "state running", "state paused", "state restarting", "state exited", "state dead", "state removing",
			"planned container", "planned image", "planned volume", "planned network", "planned build cache",
			"planned named volume", "planned anonymous volume", "untag item", "multi-tag image", "dangling image",
			"shared layer", "parent link", "held layer", "cascade", "kept by keep label", "kept by --keep-label",
			"kept by --keep", "kept by --keep-recent", "kept younger", "kept outside --filter", "kept compose running",
			"kept used", "base of kept image", "budget triggered", "budget under", "budget not needed",
			"containers not collected", "image without layers", "size unknown", "shared build cache planned",
			"build cache parent kept", "kept in use", "image retried (409)",
		} {
			if st.feature[f] == 0 {
				t.Errorf("generator coverage: no case had %q", f)
			}
		}
	}
}

func reportFailure(t *testing.T, c *propCase, vs []violation) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d: %d violation(s)\n", c.Seed, len(vs))
	for i, v := range vs {
		if i == 12 {
			fmt.Fprintf(&b, "  … and %d more\n", len(vs)-i)
			break
		}
		fmt.Fprintf(&b, "  [%s] %s\n", v.prop, v.msg)
	}
	fmt.Fprintf(&b, "rerun just this case: go test ./prune -run 'TestPropertyPlanner$' -prune.seed=%d -prune.n=1 -v\n", c.Seed)
	props := map[string]bool{}
	for _, v := range vs {
		props[v.prop] = true
	}
	small, svs := shrink(t, c, props)
	fmt.Fprintf(&b, "shrunk from %d to %d objects; it still fails:\n", c.objects(), small.objects())
	for i, v := range svs {
		if i == 6 {
			break
		}
		fmt.Fprintf(&b, "  [%s] %s\n", v.prop, v.msg)
	}
	fmt.Fprintf(&b, "policy: %s\n", describePolicy(small))
	fmt.Fprintf(&b, "inventory (now = %s):\n%s", now.Format(time.RFC3339), describeInv(small.Inv))
	if len(small.Parents) > 0 {
		fmt.Fprintf(&b, "classic-builder parents (child -> parent) in the fake engine: %v\n", small.Parents)
	}
	t.Error(b.String())
}

// describePolicy writes the policy's settings that are not zero.
func describePolicy(c *propCase) string {
	p := c.Pol
	p.Filters = nil
	b, _ := json.Marshal(p)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	for key, v := range m {
		switch v := v.(type) {
		case nil:
			delete(m, key)
		case []any:
			if len(v) == 0 {
				delete(m, key)
			}
		case bool:
			if !v {
				delete(m, key)
			}
		case float64:
			if v == 0 {
				delete(m, key)
			}
		case map[string]any:
			if v["size_bytes"] == 0.0 {
				delete(m, key)
			}
		}
	}
	if d, ok := m["OlderThan"].(float64); ok {
		m["OlderThan"] = time.Duration(d).String()
	}
	if len(c.FilterRaw) > 0 {
		m["Filters"] = c.FilterRaw
	}
	b, _ = json.Marshal(m)
	return string(b)
}

// describeInv writes an inventory one object a line.
func describeInv(inv *inspect.Inventory) string {
	var b strings.Builder
	line := func(kind string, v any) {
		j, _ := json.Marshal(v)
		fmt.Fprintf(&b, "  %s %s\n", kind, j)
	}
	fmt.Fprintf(&b, "  collected %v\n", inv.Collected)
	for _, c := range inv.Containers {
		line("container", c)
	}
	for _, i := range inv.Images {
		line("image", i)
	}
	for _, v := range inv.Volumes {
		line("volume", v)
	}
	for _, n := range inv.Networks {
		line("network", n)
	}
	for _, r := range inv.BuildCache {
		line("build cache", r)
	}
	return b.String()
}

// ---------------------------------------------------------------------
// Generation.

type gen struct {
	r    *rand.Rand
	used map[string]map[string]bool
}

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func pickOne[T any](g *gen, list []T) T { return list[g.r.IntN(len(list))] }

func (g *gen) hex(n int) string {
	const digits = "0123456789abcdef"
	b := make([]byte, n)
	for i := range b {
		b[i] = digits[g.r.IntN(16)]
	}
	return string(b)
}

// unique makes name unique within space (container names, tags, …).
func (g *gen) unique(space, name string) string {
	if g.used[space] == nil {
		g.used[space] = map[string]bool{}
	}
	n := name
	for i := 2; g.used[space][n]; i++ {
		n = fmt.Sprintf("%s-%d", name, i)
	}
	g.used[space][n] = true
	return n
}

// propOlderThan are the --older-than values policies use.
var propOlderThan = []time.Duration{time.Hour, day, 3 * day, 7 * day, 30 * day, 90 * day}

// age is a random age: often under two days (to meet --older-than), up
// to four months, and now and then right at an --older-than value (the
// boundary) or a minute either side.
func (g *gen) age() time.Duration {
	if g.chance(0.1) {
		return pickOne(g, propOlderThan) + pickOne(g, []time.Duration{-time.Minute, 0, time.Minute})
	}
	if g.chance(0.3) {
		return time.Duration(g.r.IntN(48*60)) * time.Minute
	}
	return time.Duration(g.r.IntN(120*24)) * time.Hour
}

// between is a random time in [from, now].
func (g *gen) between(from time.Time) time.Time {
	d := now.Sub(from)
	if d <= 0 {
		return from
	}
	return from.Add(time.Duration(g.r.Int64N(int64(d)/int64(time.Minute)+1)) * time.Minute)
}

var (
	propProjects = []string{"shop", "blog", "ci"}
	propRepos    = []string{"app", "web", "tool", "library/redis", "registry.local:5000/app", "ghcr.io/acme/api"}
	propTagNames = []string{"1", "2", "latest", "old", "dev"}
)

func (g *gen) labels(project string) map[string]string {
	l := map[string]string{}
	if project != "" {
		l[inspect.ComposeProjectLabel] = project
	}
	switch g.r.IntN(25) {
	case 0, 1, 2:
		l[KeepLabel] = "true"
	case 3:
		l[KeepLabel] = "TRUE"
	case 4:
		l[KeepLabel] = "false"
	}
	if g.chance(0.3) {
		l["tier"] = pickOne(g, []string{"web", "db"})
	}
	if g.chance(0.25) {
		l["env"] = pickOne(g, []string{"ci", "prod"})
	}
	if g.chance(0.1) {
		l["team"] = "core"
	}
	return l
}

var propStates = []struct {
	state  string
	weight int
}{{"exited", 30}, {"running", 22}, {"created", 12}, {"paused", 8}, {"restarting", 8}, {"dead", 8}, {"removing", 6}}

func (g *gen) state() string {
	n := g.r.IntN(94)
	for _, s := range propStates {
		if n < s.weight {
			return s.state
		}
		n -= s.weight
	}
	return "exited"
}

func genCase(seed uint64) *propCase {
	g := &gen{r: rand.New(rand.NewPCG(seed, 0x646f636b63746c)), used: map[string]map[string]bool{}}
	c := &propCase{Seed: seed, Parents: map[string]string{}}
	inv := &inspect.Inventory{Collected: append([]inspect.Kind{}, inspect.Kinds...), Time: now}
	c.Inv = inv

	// Images: prefix chains over a few shared bases, children of other
	// images (some with classic-builder parent links), multi-tagged and
	// dangling ones, now and then one without layer data.
	layerless := g.chance(0.12)
	classic := g.chance(0.5)
	newLayer := func() inspect.Layer {
		size := int64(0)
		if !g.chance(0.15) {
			size = 1 + g.r.Int64N(5000)
		}
		return inspect.Layer{ChainID: "sha256:" + g.hex(64), SizeBytes: size}
	}
	var bases []inspect.Layer
	var layered []int
	for i, n := 0, g.r.IntN(11); i < n; i++ {
		img := inspect.Image{ID: "sha256:" + g.hex(64), Created: now.Add(-g.age())}
		if layerless && g.chance(0.35) {
			img.UniqueBytes = g.r.Int64N(3000)
			if g.chance(0.2) {
				img.UniqueBytes = inspect.SizeUnknown
			}
			img.SizeBytes = max(img.UniqueBytes, 0)
		} else {
			var ls []inspect.Layer
			switch {
			case len(layered) > 0 && g.chance(0.5):
				parent := inv.Images[pickOne(g, layered)]
				ls = append(ls, parent.Layers...)
				img.Created = g.between(parent.Created)
				if classic && g.chance(0.6) {
					c.Parents[img.ID] = parent.ID
				}
			case g.chance(0.5):
				if len(bases) == 0 || g.chance(0.3) {
					bases = append(bases, newLayer())
				}
				ls = append(ls, pickOne(g, bases))
			}
			for k := 1 + g.r.IntN(2); k > 0; k-- {
				ls = append(ls, newLayer())
			}
			img.Layers = ls
			layered = append(layered, i)
		}
		nt := 0
		switch x := g.r.IntN(100); {
		case x < 28:
		case x < 65:
			nt = 1
		case x < 87:
			nt = 2
		default:
			nt = 3
		}
		for k := 0; k < nt; k++ {
			repo := pickOne(g, propRepos)
			if len(img.Tags) > 0 && g.chance(0.5) {
				repo = repoOf(img.Tags[0])
			}
			tag := repo + ":" + pickOne(g, propTagNames)
			if g.used["tag"][tag] {
				continue
			}
			g.unique("tag", tag)
			img.Tags = append(img.Tags, tag)
		}
		img.Dangling = len(img.Tags) == 0
		if img.Tags == nil {
			img.Tags = []string{}
		}
		if img.Dangling {
			if g.chance(0.3) {
				img.Digests = append(img.Digests, pickOne(g, propRepos)+"@sha256:"+g.hex(64))
			}
		} else if g.chance(0.4) {
			seen := map[string]bool{}
			for _, t := range img.Tags {
				if r := repoOf(t); !seen[r] && g.chance(0.7) {
					seen[r] = true
					img.Digests = append(img.Digests, r+"@sha256:"+g.hex(64))
				}
			}
		}
		if !img.Dangling && g.chance(0.5) {
			img.LastTagged = g.between(img.Created)
		}
		project := ""
		if g.chance(0.15) {
			project = pickOne(g, propProjects)
		}
		img.Labels = g.labels(project)
		inv.Images = append(inv.Images, img)
	}
	refs := map[string]int{}
	for _, img := range inv.Images {
		for _, l := range img.Layers {
			refs[l.ChainID]++
		}
	}
	for i := range inv.Images {
		img := &inv.Images[i]
		if img.Layers == nil {
			continue
		}
		for _, l := range img.Layers {
			img.SizeBytes += l.SizeBytes
			if refs[l.ChainID] > 1 {
				img.SharedBytes += l.SizeBytes
			}
		}
		img.UniqueBytes = img.SizeBytes - img.SharedBytes
	}

	// Volumes: anonymous (64 hex, Anonymous) and named, some of compose
	// projects, some of unknown size.
	for i, n := 0, g.r.IntN(8); i < n; i++ {
		v := inspect.Volume{Driver: "local", Containers: []string{}}
		project := ""
		if g.chance(0.5) {
			v.Name, v.Anonymous = g.unique("volume", g.hex(64)), true
			if g.chance(0.15) {
				project = pickOne(g, propProjects)
			}
		} else if g.chance(0.4) {
			project = pickOne(g, propProjects)
			v.Name = g.unique("volume", project+"_"+pickOne(g, []string{"data", "cache", "db"}))
		} else {
			v.Name = g.unique("volume", pickOne(g, []string{"data", "pgdata", "cache", "uploads"}))
		}
		v.ComposeProject = project
		v.Labels = g.labels(project)
		if g.chance(0.15) {
			v.Driver = "nfs"
		}
		v.SizeBytes = g.r.Int64N(50000)
		if g.chance(0.15) {
			v.SizeBytes = inspect.SizeUnknown
		}
		if !g.chance(0.1) {
			v.Created = now.Add(-g.age())
		}
		inv.Volumes = append(inv.Volumes, v)
	}

	// Networks: the built-in ones and custom ones, some of compose projects.
	for _, b := range []string{"bridge", "host", "none"} {
		if g.chance(0.85) {
			inv.Networks = append(inv.Networks, inspect.Network{ID: g.hex(64), Name: b, Driver: b, Scope: "local", Builtin: true,
				Created: now.Add(-g.age()), Labels: map[string]string{}, Containers: []string{}})
		}
	}
	for i, n := 0, g.r.IntN(5); i < n; i++ {
		nw := inspect.Network{ID: g.hex(64), Driver: pickOne(g, []string{"bridge", "overlay"}), Scope: "local", Containers: []string{}}
		project := ""
		if g.chance(0.4) {
			project = pickOne(g, propProjects)
			nw.Name = g.unique("network", project+"_default")
		} else {
			nw.Name = g.unique("network", pickOne(g, []string{"net", "backend", "frontend"}))
		}
		nw.ComposeProject = project
		nw.Labels = g.labels(project)
		if !g.chance(0.1) {
			nw.Created = now.Add(-g.age())
		}
		inv.Networks = append(inv.Networks, nw)
	}

	// Containers in every state, using images, volumes and networks (by
	// name; now and then a network by id).
	for i, n := 0, g.r.IntN(13); i < n; i++ {
		ct := inspect.Container{ID: g.hex(64), State: g.state(), Created: now.Add(-g.age()), Volumes: []string{}, Networks: []string{}}
		ct.Status = ct.State
		project := ""
		if g.chance(0.35) {
			project = pickOne(g, propProjects)
			ct.Name = g.unique("container", project+"-"+pickOne(g, []string{"web", "worker", "db"})+"-1")
		} else {
			ct.Name = g.unique("container", pickOne(g, []string{"job", "tmp", "pg", "builder", "cron"}))
		}
		ct.ComposeProject = project
		ct.Labels = g.labels(project)
		if len(inv.Images) > 0 && g.chance(0.9) {
			img := pickOne(g, inv.Images)
			ct.ImageID, ct.Image = img.ID, img.ID
			if len(img.Tags) > 0 {
				ct.Image = img.Tags[0]
			}
		} else {
			ct.ImageID = "sha256:" + g.hex(64) // an image no longer listed
			ct.Image = ct.ImageID
		}
		ct.SizeBytes = g.r.Int64N(20000)
		if g.chance(0.12) {
			ct.SizeBytes = inspect.SizeUnknown
		}
		for k := g.r.IntN(3); k > 0 && len(inv.Volumes) > 0; k-- {
			if v := pickOne(g, inv.Volumes).Name; !contains(ct.Volumes, v) {
				ct.Volumes = append(ct.Volumes, v)
			}
		}
		for k := g.r.IntN(3); k > 0 && len(inv.Networks) > 0; k-- {
			nw := pickOne(g, inv.Networks)
			ref := nw.Name
			if g.chance(0.15) {
				ref = nw.ID
			}
			if !contains(ct.Networks, nw.Name) && !contains(ct.Networks, nw.ID) {
				ct.Networks = append(ct.Networks, ref)
			}
		}
		inv.Containers = append(inv.Containers, ct)
	}
	// The engine's side of the links: a volume's containers and ref
	// count, a network's endpoints (only running containers, as docker
	// network inspect lists them, or every attached one), an image's
	// container count.
	activeOnly := g.chance(0.5)
	for i := range inv.Volumes {
		v := &inv.Volumes[i]
		for _, ct := range inv.Containers {
			if contains(ct.Volumes, v.Name) {
				v.Containers = append(v.Containers, ct.Name)
			}
		}
		v.RefCount = len(v.Containers)
	}
	for i := range inv.Networks {
		nw := &inv.Networks[i]
		for _, ct := range inv.Containers {
			if (contains(ct.Networks, nw.Name) || contains(ct.Networks, nw.ID)) && (!activeOnly || ct.Active()) {
				nw.Containers = append(nw.Containers, ct.Name)
			}
		}
	}
	for i := range inv.Images {
		for _, ct := range inv.Containers {
			if ct.ImageID == inv.Images[i].ID {
				inv.Images[i].Containers++
			}
		}
	}

	// Build cache: regular, internal, frontend and other records, some in
	// use, some shared with images (sized like an image layer, as
	// BuildKit's shared records are, or not), parents among earlier
	// records (and now and then a parent no longer listed).
	for i, n := 0, g.r.IntN(9); i < n; i++ {
		const alnum = "abcdefghijklmnopqrstuvwxyz0123456789"
		id := make([]byte, 25)
		for k := range id {
			id[k] = alnum[g.r.IntN(len(alnum))]
		}
		r := inspect.BuildCacheRecord{ID: string(id), Created: now.Add(-g.age())}
		r.Type = pickOne(g, []string{"regular", "regular", "regular", "regular", "internal", "frontend", "source.local", "exec.cachemount"})
		if !g.chance(0.2) {
			r.Description = fmt.Sprintf("[%d/5] RUN step %d", i+1, i+1)
		}
		for k := 0; k < 2 && i > 0; k++ {
			if g.chance(0.3) {
				p := inv.BuildCache[g.r.IntN(i)].ID
				if !contains(r.Parents, p) {
					r.Parents = append(r.Parents, p)
				}
			}
		}
		if g.chance(0.05) {
			r.Parents = append(r.Parents, "gone"+g.hex(21))
		}
		r.InUse = g.chance(0.1)
		r.Shared = g.chance(0.25)
		switch {
		case r.Shared && len(layered) > 0 && g.chance(0.6):
			img := inv.Images[pickOne(g, layered)]
			r.SizeBytes = img.Layers[len(img.Layers)-1].SizeBytes
		case r.Shared:
			r.SizeBytes = 5001 + 2*g.r.Int64N(3000) // no layer has this size
		default:
			r.SizeBytes = g.r.Int64N(8000)
		}
		if !g.chance(0.3) {
			r.LastUsed = g.between(r.Created)
			r.UsageCount = 1 + g.r.IntN(5)
		}
		inv.BuildCache = append(inv.BuildCache, r)
	}

	// A BuildKit engine: images whose top layer a shared record also holds.
	if g.chance(0.4) {
		for _, i := range layered {
			if img := inv.Images[i]; g.chance(0.5) {
				inv.BuildCache = append(inv.BuildCache, inspect.BuildCacheRecord{
					ID: g.hex(25), Type: "regular", Description: "exporting " + shortID(img.ID), Shared: true,
					SizeBytes: img.Layers[len(img.Layers)-1].SizeBytes, InUse: g.chance(0.05), Created: img.Created,
				})
			}
		}
	}

	// Now and then containers are not collected: the engine's counts
	// decide (a volume's ref count, an image's container count, which may
	// be unknown, -1).
	if g.chance(0.08) {
		inv.Collected = []inspect.Kind{inspect.KindNetworks, inspect.KindVolumes, inspect.KindImages, inspect.KindBuildCache}
		inv.Containers = nil
		for i := range inv.Volumes {
			inv.Volumes[i].Containers = []string{}
		}
		for i := range inv.Images {
			if g.chance(0.1) {
				inv.Images[i].Containers = -1
			}
		}
	}
	inv.LayersSize = 0
	seenLayer := map[string]bool{}
	for _, img := range inv.Images {
		for _, l := range img.Layers {
			if !seenLayer[l.ChainID] {
				seenLayer[l.ChainID] = true
				inv.LayersSize += l.SizeBytes
			}
		}
		if img.Layers == nil {
			inv.LayersSize += max(img.UniqueBytes, 0)
		}
	}

	c.Pol, c.FilterRaw = genPolicy(g, inv)
	genBudget(g, c)
	return c
}

func genPolicy(g *gen, inv *inspect.Inventory) (Policy, map[inspect.Kind][]string) {
	var p Policy
	if g.chance(0.4) {
		for _, k := range inspect.Kinds {
			if g.chance(0.5) {
				p.Kinds = append(p.Kinds, k)
			}
		}
		g.r.Shuffle(len(p.Kinds), func(i, j int) { p.Kinds[i], p.Kinds[j] = p.Kinds[j], p.Kinds[i] })
	}
	p.All = g.chance(0.55)
	p.AllBuildCache = g.chance(0.4)
	p.Volumes = g.chance(0.45)
	p.AllVolumes = g.chance(0.25)
	p.IncludeRunningProjects = g.chance(0.3)
	p.DryRun = g.chance(0.5)

	// --keep globs drawn from the names in the inventory.
	var names []string
	for _, c := range inv.Containers {
		names = append(names, c.Name)
	}
	for _, v := range inv.Volumes {
		if !v.Anonymous || g.chance(0.1) {
			names = append(names, v.Name)
		}
	}
	for _, n := range inv.Networks {
		names = append(names, n.Name)
	}
	for _, img := range inv.Images {
		for _, t := range img.Tags {
			names = append(names, t, t, repoOf(t), repoOf(t)) // tags twice as likely: multi-tag images get untag items
		}
		for _, d := range img.Digests {
			names = append(names, repoOfDigest(d))
		}
	}
	if len(names) > 0 && g.chance(0.6) {
		for k := 1 + g.r.IntN(3); k > 0; k-- {
			n := pickOne(g, names)
			var glob string
			switch g.r.IntN(6) {
			case 0, 1:
				glob = n
			case 2:
				glob = n[:1+g.r.IntN(len(n))] + "*"
			case 3:
				glob = repoOf(n) + ":*"
			case 4:
				glob = "*" + n[g.r.IntN(len(n)):]
			default:
				glob = pickOne(g, []string{"*", "*:latest", "*-1", "shop*", "app*", "*/*", "*_data"})
			}
			if _, err := path.Match(glob, ""); err == nil {
				p.Keep = append(p.Keep, glob)
			}
		}
	}
	if g.chance(0.3) {
		for k := 1 + g.r.IntN(2); k > 0; k-- {
			p.KeepLabels = append(p.KeepLabels, pickOne(g, []string{"tier", "tier=web", "env=prod", "team", "env"}))
		}
	}
	if g.chance(0.4) {
		p.OlderThan = pickOne(g, propOlderThan)
	}
	if g.chance(0.3) {
		p.KeepRecent = 1 + g.r.IntN(3)
	}

	raw := map[inspect.Kind][]string{}
	labelled := [][]string{
		{"label=tier=web"}, {"label=env"}, {"label!=tier"}, {"label=" + inspect.ComposeProjectLabel + "=shop"},
		{"label=env=ci", "label!=tier=db"}, {"until=240h"}, {"label=tier", "until=720h"}, {"label!=" + KeepLabel},
	}
	for _, k := range []inspect.Kind{inspect.KindContainers, inspect.KindNetworks, inspect.KindVolumes, inspect.KindImages} {
		if g.chance(0.2) {
			raw[k] = pickOne(g, labelled)
		}
	}
	switch x := g.r.IntN(20); {
	case x < 3:
		raw[inspect.KindBuildCache] = []string{"<none>"} // a label filter: no record matches
	case x < 5:
		raw[inspect.KindBuildCache] = []string{"until=240h"}
	case x < 6:
		raw[inspect.KindBuildCache] = []string{"type=regular"}
	}
	if len(raw) == 0 {
		raw = nil
	}

	return p, raw
}

// genBudget turns budget mode on now and then, with a target the plan can
// reach part of the way, all of the way, or not: the target is the usage
// less a random share (0 to 120%) of what the plan frees without a budget.
func genBudget(g *gen, c *propCase) {
	x := g.r.IntN(100)
	if x >= 22 {
		return
	}
	pol, err := c.policy()
	if err != nil {
		return // runCase reports it
	}
	use := c.Inv.DockerBytes()
	reclaim := BuildPlan(c.Inv, pol, now).ReclaimBytes
	target := max(1, use-int64(float64(reclaim)*1.2*g.r.Float64()))
	if g.chance(0.15) {
		target = use + g.r.Int64N(1000) // at or over the mark: nothing goes
	}
	if x < 15 {
		c.Pol.TargetUsage = target
		return
	}
	size := use + 1 + g.r.Int64N(use+1000)
	c.Pol.FS = FS{SizeBytes: size, FreeBytes: size - use}
	usePct := float64(use) * 100 / float64(size)
	low := min(100, max(0.1, float64(target)*100/float64(size)))
	high := max(low, usePct-5*g.r.Float64()) // triggered (mostly)
	if g.chance(0.25) {
		high = min(100, usePct+10*g.r.Float64()) // under the high mark
	}
	c.Pol.HighWatermark = high
	if g.chance(0.7) {
		c.Pol.LowWatermark = min(low, high)
	}
}

// ---------------------------------------------------------------------
// Checks.

type violation struct{ prop, msg string }

type checker struct {
	c    *propCase
	inv  *inspect.Inventory
	pol  Policy
	p    Plan
	st   *propStats
	vs   []violation
	n    int
	full bool // apply and shuffle too (off while shrinking other properties)

	ctr map[string]inspect.Container
	img map[string]inspect.Image
	vol map[string]inspect.Volume
	net map[string]inspect.Network
	bc  map[string]inspect.BuildCacheRecord

	planned     map[Type]map[string]bool // non-untag items by id
	keptWhy     map[Type]map[string]string
	staying     []inspect.Container
	removedName map[string]bool
	known       bool // containers collected
	running     map[string]bool
}

func (k *checker) check(prop string, ok bool, format string, a ...any) bool {
	k.n++
	if !ok {
		k.vs = append(k.vs, violation{prop, fmt.Sprintf(format, a...)})
	}
	return ok
}

// runCase builds the case's plan and checks every property on it.
func runCase(t *testing.T, c *propCase, st *propStats) []violation {
	pol, err := c.policy()
	if err != nil {
		t.Fatalf("seed %d: the generator made an invalid policy: %v", c.Seed, err)
	}
	k := &checker{c: c, inv: c.Inv, pol: pol, st: st, full: true}
	before, _ := json.Marshal(c.Inv)
	k.p = BuildPlan(c.Inv, pol, now)
	after, _ := json.Marshal(c.Inv)
	k.check(propPure, string(before) == string(after), "BuildPlan changed its inventory")
	k.index()
	k.complete()
	k.noActive()
	k.inUse()
	k.keepGuards()
	k.olderThan()
	k.volumes()
	k.filters()
	k.scopeRules()
	k.compose()
	k.cacheTree()
	k.budget()
	k.determinism()
	k.bytes()
	if st != nil {
		st.plans += 5
		st.checks += k.n
		st.items += len(k.p.Items)
		st.kept += len(k.p.Kept)
		k.features()
	}
	return k.vs
}

func (k *checker) index() {
	inv := k.inv
	k.ctr, k.img, k.vol, k.net, k.bc = map[string]inspect.Container{}, map[string]inspect.Image{}, map[string]inspect.Volume{},
		map[string]inspect.Network{}, map[string]inspect.BuildCacheRecord{}
	for _, c := range inv.Containers {
		k.ctr[c.ID] = c
	}
	for _, i := range inv.Images {
		k.img[i.ID] = i
	}
	for _, v := range inv.Volumes {
		k.vol[v.Name] = v
	}
	for _, n := range inv.Networks {
		k.net[n.ID] = n
	}
	for _, r := range inv.BuildCache {
		k.bc[r.ID] = r
	}
	k.planned, k.keptWhy = map[Type]map[string]bool{}, map[Type]map[string]string{}
	for _, t := range types {
		k.planned[t], k.keptWhy[t] = map[string]bool{}, map[string]string{}
	}
	for _, it := range k.p.Items {
		if it.Action != ActionUntag {
			k.planned[it.Type][it.ID] = true
		}
	}
	for _, kp := range k.p.Kept {
		k.keptWhy[kp.Type][kp.ID] = kp.Reason
	}
	// Containers that stay: every container the plan does not remove.
	k.removedName = map[string]bool{}
	for _, c := range inv.Containers {
		if k.planned[TypeContainer][c.ID] {
			k.removedName[c.Name] = true
		} else {
			k.staying = append(k.staying, c)
		}
	}
	k.known = inv.Has(inspect.KindContainers) || len(inv.Containers) > 0
	k.running = map[string]bool{}
	for _, c := range inv.Containers {
		if c.Active() && c.ComposeProject != "" {
			k.running[c.ComposeProject] = true
		}
	}
}

// wantScope is the kinds in scope, as Policy.Kinds documents them.
func wantScope(pol Policy) []inspect.Kind {
	in := map[inspect.Kind]bool{}
	if len(pol.Kinds) == 0 {
		in[inspect.KindContainers], in[inspect.KindNetworks], in[inspect.KindImages], in[inspect.KindBuildCache] = true, true, true, true
		in[inspect.KindVolumes] = pol.Volumes || pol.AllVolumes
	}
	for _, kd := range pol.Kinds {
		in[kd] = true
	}
	var out []inspect.Kind
	for _, kd := range []inspect.Kind{inspect.KindContainers, inspect.KindNetworks, inspect.KindVolumes, inspect.KindImages, inspect.KindBuildCache} {
		if in[kd] {
			out = append(out, kd)
		}
	}
	return out
}

var kindOf = map[Type]inspect.Kind{
	TypeContainer: inspect.KindContainers, TypeNetwork: inspect.KindNetworks, TypeVolume: inspect.KindVolumes,
	TypeImage: inspect.KindImages, TypeBuildCache: inspect.KindBuildCache,
}

// what names an item's object for messages.
func (k *checker) what(it Item) string {
	s := fmt.Sprintf("%s %q (%s)", it.Type, it.Name, shortID(it.ID))
	if it.Action == ActionUntag {
		s = fmt.Sprintf("untag of %s on image %s", it.Refs, shortID(it.ID))
	}
	return s
}

// P7: every object of a kind in scope is planned or kept, exactly once;
// nothing else is; items are well formed.
func (k *checker) complete() {
	scope := wantScope(k.pol)
	k.check(propComplete, slices.Equal(k.p.Kinds, scope), "plan kinds %v, policy scope %v", k.p.Kinds, scope)
	inScope := map[Type]bool{}
	for _, kd := range scope {
		for t, kk := range kindOf {
			if kk == kd {
				inScope[t] = true
			}
		}
	}
	ids := map[Type][]string{}
	for _, c := range k.inv.Containers {
		ids[TypeContainer] = append(ids[TypeContainer], c.ID)
	}
	for _, i := range k.inv.Images {
		ids[TypeImage] = append(ids[TypeImage], i.ID)
	}
	for _, v := range k.inv.Volumes {
		ids[TypeVolume] = append(ids[TypeVolume], v.Name)
	}
	for _, n := range k.inv.Networks {
		ids[TypeNetwork] = append(ids[TypeNetwork], n.ID)
	}
	for _, r := range k.inv.BuildCache {
		ids[TypeBuildCache] = append(ids[TypeBuildCache], r.ID)
	}
	decided := map[Type]map[string]int{}
	for _, t := range types {
		decided[t] = map[string]int{}
	}
	for _, it := range k.p.Items {
		k.check(propComplete, it.Reason != "", "%s planned without a reason", k.what(it))
		k.check(propComplete, inScope[it.Type], "%s planned, but %s are out of scope", k.what(it), kindOf[it.Type])
		k.check(propComplete, it.Bytes >= 0, "%s frees %d bytes", k.what(it), it.Bytes)
		if it.Action != ActionUntag {
			decided[it.Type][it.ID]++
		}
		switch it.Type {
		case TypeImage:
			img, ok := k.img[it.ID]
			if !k.check(propComplete, ok, "image item %s names no image of the inventory", it.ID) {
				continue
			}
			tags := slices.Sorted(slices.Values(img.Tags))
			switch it.Action {
			case ActionRemove:
				k.check(propComplete, slices.Equal(it.Refs, tags) || (len(it.Refs) == 0 && len(tags) == 0),
					"%s removes refs %v, the image's tags are %v", k.what(it), it.Refs, tags)
			case ActionUntag:
				k.check(propComplete, len(it.Refs) == 1 && it.Refs[0] == it.Name && contains(img.Tags, it.Name),
					"%s: refs %v, name %q, image tags %v", k.what(it), it.Refs, it.Name, img.Tags)
				k.check(propComplete, it.Bytes == 0, "%s frees %d bytes (an untag frees nothing)", k.what(it), it.Bytes)
				_, kept := k.keptWhy[TypeImage][it.ID]
				k.check(propComplete, kept, "%s, but the image is not kept", k.what(it))
			default:
				k.check(propComplete, false, "%s: unknown action %q", k.what(it), it.Action)
			}
		case TypeNetwork:
			_, ok := k.net[it.ID]
			k.check(propComplete, ok, "network item %s names no network of the inventory", it.ID)
			k.check(propComplete, it.Bytes == 0, "network %s frees %d bytes", it.Name, it.Bytes)
		case TypeContainer:
			_, ok := k.ctr[it.ID]
			k.check(propComplete, ok, "container item %s names no container of the inventory", it.ID)
		case TypeVolume:
			_, ok := k.vol[it.ID]
			k.check(propComplete, ok, "volume item %s names no volume of the inventory", it.ID)
		case TypeBuildCache:
			_, ok := k.bc[it.ID]
			k.check(propComplete, ok, "build cache item %s names no record of the inventory", it.ID)
		}
		if it.Type != TypeImage {
			k.check(propComplete, it.Action == "" && len(it.Refs) == 0, "%s has action %q refs %v", k.what(it), it.Action, it.Refs)
		}
	}
	untags := map[string]bool{}
	for _, it := range k.p.Items {
		if it.Action == ActionUntag {
			key := it.ID + " " + it.Name
			k.check(propComplete, !untags[key], "%s planned twice", k.what(it))
			untags[key] = true
		}
	}
	for _, kp := range k.p.Kept {
		k.check(propComplete, kp.Reason != "", "%s %q kept without a reason", kp.Type, kp.Name)
		k.check(propComplete, inScope[kp.Type], "%s %q kept, but %s are out of scope", kp.Type, kp.Name, kindOf[kp.Type])
		decided[kp.Type][kp.ID]++
	}
	for _, t := range types {
		want := map[string]bool{}
		if inScope[t] {
			for _, id := range ids[t] {
				want[id] = true
				k.check(propComplete, decided[t][id] == 1, "%s %s decided %d times (planned or kept), want exactly once", t, id, decided[t][id])
			}
		}
		for id, n := range decided[t] {
			k.check(propComplete, want[id], "%s %s decided %d times but is not an object in scope", t, id, n)
		}
	}
}

// P1: no running, paused or restarting container (nor one being removed).
func (k *checker) noActive() {
	for _, it := range k.p.Items {
		if it.Type != TypeContainer {
			continue
		}
		c := k.ctr[it.ID]
		k.check(propActive, !c.Active(), "container %s is %s but planned", c.Name, c.State)
		k.check(propActive, c.State == "created" || c.State == "exited" || c.State == "dead",
			"container %s in state %q planned (only created, exited and dead go)", c.Name, c.State)
	}
}

func (k *checker) stayWhy(c inspect.Container) string {
	if why, ok := k.keptWhy[TypeContainer][c.ID]; ok {
		return c.State + ", kept: " + why
	}
	return c.State + ", containers out of scope"
}

// P2: nothing a staying container uses (nor, without the containers, what
// the engine's counts say is used).
func (k *checker) inUse() {
	for _, it := range k.p.Items {
		switch it.Type {
		case TypeImage:
			img := k.img[it.ID]
			for _, c := range k.staying {
				k.check(propInUse, c.ImageID != it.ID, "%s planned, but container %s (%s) stays and runs it", k.what(it), c.Name, k.stayWhy(c))
			}
			if !k.known {
				k.check(propInUse, img.Containers == 0, "%s planned, but the engine counts %d containers on it", k.what(it), img.Containers)
			}
		case TypeVolume:
			v := k.vol[it.ID]
			for _, c := range k.staying {
				k.check(propInUse, !contains(c.Volumes, v.Name), "volume %s planned, but container %s (%s) stays and mounts it", v.Name, c.Name, k.stayWhy(c))
			}
			for _, n := range v.Containers {
				k.check(propInUse, k.removedName[n], "volume %s planned, but it lists container %s, which the plan does not remove", v.Name, n)
			}
			if !k.known && len(v.Containers) == 0 {
				k.check(propInUse, v.RefCount == 0, "volume %s planned, but its ref count is %d", v.Name, v.RefCount)
			}
		case TypeNetwork:
			n := k.net[it.ID]
			for _, c := range k.staying {
				k.check(propInUse, !contains(c.Networks, n.Name) && !contains(c.Networks, n.ID),
					"network %s planned, but container %s (%s) stays attached to it", n.Name, c.Name, k.stayWhy(c))
			}
			for _, name := range n.Containers {
				k.check(propInUse, k.removedName[name], "network %s planned, but it lists container %s, which the plan does not remove", n.Name, name)
			}
		}
	}
}

// keepLabel is the documented label guard: dockctl.keep=true (the planner
// takes the value case-insensitively), a --keep-label KEY (any value) or
// KEY=VALUE.
func keepLabelOf(pol Policy, labels map[string]string) string {
	if v, ok := labels[KeepLabel]; ok && strings.EqualFold(v, "true") {
		return KeepLabel + "=" + v
	}
	for _, l := range pol.KeepLabels {
		key, val, hasVal := strings.Cut(l, "=")
		if v, ok := labels[key]; ok && (!hasVal || v == val) {
			return "--keep-label " + l
		}
	}
	return ""
}

func keepGlobOf(pol Policy, name string) string {
	for _, g := range pol.Keep {
		if ok, _ := path.Match(g, name); ok && name != "" {
			return g
		}
	}
	return ""
}

func keepRefGlobOf(pol Policy, ref string) string {
	for _, g := range pol.Keep {
		if inspect.MatchReference(g, ref) {
			return g
		}
	}
	return ""
}

// propRepo is a tag's repository (the tag without ":tag").
func propRepo(ref string) string {
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[:i]
	}
	return ref
}

// recentTags is what --keep-recent N documents: each repository's N
// newest images (by creation, then last tag, then id) keep their tags of
// that repository, whatever else is said of them.
func recentTagsOf(imgs []inspect.Image, n int) map[string]string {
	out := map[string]string{} // tag -> why
	if n <= 0 {
		return out
	}
	byRepo := map[string][]inspect.Image{}
	for _, img := range imgs {
		repos := map[string]bool{}
		for _, t := range img.Tags {
			repos[propRepo(t)] = true
		}
		for r := range repos {
			byRepo[r] = append(byRepo[r], img)
		}
	}
	for repo, list := range byRepo {
		sort.Slice(list, func(i, j int) bool {
			a, b := list[i], list[j]
			if !a.Created.Equal(b.Created) {
				return a.Created.After(b.Created)
			}
			if !a.LastTagged.Equal(b.LastTagged) {
				return a.LastTagged.After(b.LastTagged)
			}
			return a.ID < b.ID
		})
		for rank, img := range list[:min(n, len(list))] {
			for _, t := range img.Tags {
				if propRepo(t) == repo {
					out[t] = fmt.Sprintf("--keep-recent %d: #%d of repo %s", n, rank+1, repo)
				}
			}
		}
	}
	return out
}

// protectedTags are an image's tags a --keep glob or --keep-recent keeps.
func (k *checker) protectedTags(img inspect.Image, recent map[string]string) map[string]string {
	out := map[string]string{}
	for _, t := range img.Tags {
		if g := keepRefGlobOf(k.pol, t); g != "" {
			out[t] = "--keep " + g
		} else if why, ok := recent[t]; ok {
			out[t] = why
		}
	}
	return out
}

// P3: labels, --keep-label, --keep globs (names; image references, tags
// and digests, with inspect.MatchReference), --keep-recent.
//
// The multi-tag rule (doc.go, Kept): a tag a guard keeps keeps the image;
// its other tags go as untag items. So an image with a protected tag is
// never removed, no untag item names a protected tag, and an image the
// guards would otherwise let go has exactly its unprotected tags untagged.
// A protected digest keeps the whole image (no untag either).
func (k *checker) keepGuards() {
	recent := recentTagsOf(k.inv.Images, k.pol.KeepRecent)
	untagged := map[string]map[string]bool{}
	for _, it := range k.p.Items {
		var labels map[string]string
		name := ""
		switch it.Type {
		case TypeContainer:
			labels, name = k.ctr[it.ID].Labels, k.ctr[it.ID].Name
		case TypeVolume:
			labels, name = k.vol[it.ID].Labels, k.vol[it.ID].Name
		case TypeNetwork:
			labels, name = k.net[it.ID].Labels, k.net[it.ID].Name
		case TypeImage:
			labels = k.img[it.ID].Labels
		}
		if l := keepLabelOf(k.pol, labels); it.Type != TypeBuildCache {
			k.check(propKeep, l == "", "%s planned, but it is labelled %s", k.what(it), l)
		}
		if name != "" {
			g := keepGlobOf(k.pol, name)
			k.check(propKeep, g == "", "%s planned, but its name matches --keep %q", k.what(it), g)
		}
		if it.Type != TypeImage {
			continue
		}
		img := k.img[it.ID]
		for _, d := range img.Digests {
			g := keepRefGlobOf(k.pol, d)
			k.check(propKeep, g == "", "%s planned, but its digest %s matches --keep %q", k.what(it), d, g)
		}
		prot := k.protectedTags(img, recent)
		switch it.Action {
		case ActionRemove:
			for t, why := range prot {
				k.check(propKeep, false, "%s removed, but its tag %s is protected (%s)", k.what(it), t, why)
			}
		case ActionUntag:
			if why, ok := prot[it.Name]; ok {
				k.check(propKeep, false, "%s planned, but that tag is protected (%s)", k.what(it), why)
			}
			if untagged[it.ID] == nil {
				untagged[it.ID] = map[string]bool{}
			}
			untagged[it.ID][it.Name] = true
		}
	}
	// The exact rule for multi-tag images.
	active := k.p.Budget == nil || k.p.Budget.Triggered
	for _, img := range k.inv.Images {
		if !slices.Contains(k.p.Kinds, inspect.KindImages) {
			break
		}
		prot := k.protectedTags(img, recent)
		var want []string
		if active && len(prot) > 0 && k.imageWholeKept(img) == "" {
			for _, t := range img.Tags {
				if _, ok := prot[t]; !ok {
					want = append(want, t)
				}
			}
		}
		sort.Strings(want)
		got := slices.Sorted(maps.Keys(untagged[img.ID]))
		name := shortID(img.ID)
		if len(img.Tags) > 0 {
			name = img.Tags[0]
		}
		k.check(propMultiTag, slices.Equal(got, want) || (len(got) == 0 && len(want) == 0),
			"image %s (tags %v, protected %v, whole-image guard %q): untags %v, want %v",
			name, img.Tags, prot, k.imageWholeKept(img), got, want)
		if len(prot) > 0 && len(got) > 0 {
			kp := ""
			for _, e := range k.p.Kept {
				if e.Type == TypeImage && e.ID == img.ID {
					kp = e.Name
				}
			}
			_, ok := prot[kp]
			k.check(propMultiTag, ok, "image %s is untagged but kept under %q, not one of its protected tags %v", name, kp, prot)
		}
	}
}

// imageWholeKept is why the documented guards keep a whole image (no
// item at all, untags included), or "".
func (k *checker) imageWholeKept(img inspect.Image) string {
	for _, c := range k.staying {
		if c.ImageID == img.ID {
			return "used by " + c.Name
		}
	}
	if !k.known && img.Containers != 0 {
		return "engine counts containers"
	}
	if f, ok := k.pol.Filters[inspect.KindImages]; ok && !f.Empty() && !f.Image(img) {
		return "outside filter"
	}
	if !k.pol.All && !img.Dangling {
		return "dangling only"
	}
	if l := keepLabelOf(k.pol, img.Labels); l != "" {
		return l
	}
	if p := img.Labels[inspect.ComposeProjectLabel]; p != "" && k.running[p] && !k.pol.IncludeRunningProjects {
		return "compose running"
	}
	if k.younger(imageAge(img)) {
		return "younger"
	}
	for _, d := range img.Digests {
		if g := keepRefGlobOf(k.pol, d); g != "" {
			return "digest matches " + g
		}
	}
	return ""
}

func imageAge(img inspect.Image) time.Time {
	if img.LastTagged.After(img.Created) {
		return img.LastTagged
	}
	return img.Created
}

// cacheAge is a record's documented age: last use, or creation if never
// used.
func cacheAge(r inspect.BuildCacheRecord) time.Time {
	if !r.LastUsed.IsZero() {
		return r.LastUsed
	}
	return r.Created
}

// younger is the --older-than guard; an unknown (zero) time is not young.
func (k *checker) younger(t time.Time) bool {
	return k.pol.OlderThan > 0 && !t.IsZero() && now.Sub(t) < k.pol.OlderThan
}

// P4: nothing younger than --older-than, by each kind's documented age.
func (k *checker) olderThan() {
	if k.pol.OlderThan <= 0 {
		return
	}
	for _, it := range k.p.Items {
		var t time.Time
		what := "created"
		switch it.Type {
		case TypeContainer:
			t = k.ctr[it.ID].Created
		case TypeVolume:
			t = k.vol[it.ID].Created
		case TypeNetwork:
			t = k.net[it.ID].Created
		case TypeImage:
			t, what = imageAge(k.img[it.ID]), "created or last tagged"
		case TypeBuildCache:
			t, what = cacheAge(k.bc[it.ID]), "last used (or created)"
		}
		k.check(propOlder, !k.younger(t), "%s planned, but it was %s %v ago, under --older-than %v",
			k.what(it), what, now.Sub(t), k.pol.OlderThan)
	}
}

// P5: volumes only when in scope; named ones only with AllVolumes.
func (k *checker) volumes() {
	inScope := slices.Contains(wantScope(k.pol), inspect.KindVolumes)
	for _, it := range k.p.Items {
		if it.Type != TypeVolume {
			continue
		}
		v := k.vol[it.ID]
		k.check(propVolumes, inScope, "volume %s planned, but volumes are not in scope (Kinds %v, Volumes %v, AllVolumes %v)",
			v.Name, k.pol.Kinds, k.pol.Volumes, k.pol.AllVolumes)
		k.check(propVolumes, v.Anonymous || k.pol.AllVolumes, "named volume %s planned without AllVolumes", v.Name)
	}
}

// P6: nothing outside its kind's --filter.
func (k *checker) filters() {
	for _, it := range k.p.Items {
		f, ok := k.pol.Filters[kindOf[it.Type]]
		if !ok || f.Empty() {
			continue
		}
		in := true
		switch it.Type {
		case TypeContainer:
			in = f.Container(k.ctr[it.ID])
		case TypeImage:
			in = f.Image(k.img[it.ID])
		case TypeVolume:
			in = f.Volume(k.vol[it.ID])
		case TypeNetwork:
			in = f.Network(k.net[it.ID])
		case TypeBuildCache:
			in = f.BuildCache(k.bc[it.ID])
		}
		k.check(propFilters, in, "%s planned, but it does not pass the %s filter %v", k.what(it), kindOf[it.Type], k.c.FilterRaw[kindOf[it.Type]])
	}
}

// P10: built-in networks, images without All, build cache without
// AllBuildCache, build cache in use.
func (k *checker) scopeRules() {
	for _, it := range k.p.Items {
		switch it.Type {
		case TypeNetwork:
			k.check(propScope, !k.net[it.ID].Builtin, "built-in network %s planned", it.Name)
		case TypeImage:
			if !k.pol.All {
				img := k.img[it.ID]
				k.check(propScope, img.Dangling && it.Action == ActionRemove, "%s planned without All, but the image is not dangling (tags %v)", k.what(it), img.Tags)
			}
		case TypeBuildCache:
			r := k.bc[it.ID]
			k.check(propScope, !r.InUse, "build cache %s planned while in use", it.Name)
			if !k.pol.AllBuildCache {
				k.check(propScope, !r.Shared, "shared build cache %s planned without AllBuildCache", it.Name)
				k.check(propScope, r.Type != "internal" && r.Type != "frontend", "%s build cache %s planned without AllBuildCache", r.Type, it.Name)
			}
		}
	}
}

// P11: objects of a compose project with a running container stay, unless
// IncludeRunningProjects.
func (k *checker) compose() {
	if k.pol.IncludeRunningProjects {
		return
	}
	for _, it := range k.p.Items {
		project := ""
		switch it.Type {
		case TypeContainer:
			project = k.ctr[it.ID].ComposeProject
		case TypeVolume:
			project = k.vol[it.ID].ComposeProject
		case TypeNetwork:
			project = k.net[it.ID].ComposeProject
		case TypeImage:
			project = k.img[it.ID].Labels[inspect.ComposeProjectLabel]
		}
		k.check(propCompose, project == "" || !k.running[project], "%s planned, but its compose project %s has a running container", k.what(it), project)
	}
}

// P12: a planned record has no child the plan keeps (BuildKit frees a
// parent only after its children), and children come first.
func (k *checker) cacheTree() {
	pos := map[string]int{}
	for i, it := range k.p.Items {
		if it.Type == TypeBuildCache {
			pos[it.ID] = i
		}
	}
	for _, r := range k.inv.BuildCache {
		for _, p := range r.Parents {
			i, planned := pos[p]
			if !planned {
				continue
			}
			j, childPlanned := pos[r.ID]
			k.check(propCacheTree, childPlanned, "build cache %s planned, but its child %s stays (%s)", shortID(p), shortID(r.ID), k.keptWhy[TypeBuildCache][r.ID])
			if childPlanned {
				k.check(propCacheTree, j < i, "build cache %s planned before its child %s", shortID(p), shortID(r.ID))
			}
		}
	}
}

func lastUseOf(inv *inspect.Inventory, img inspect.Image) time.Time {
	t := imageAge(img)
	for _, c := range inv.Containers {
		if c.ImageID == img.ID && c.Created.After(t) {
			t = c.Created
		}
	}
	return t
}

// P13: budget mode: nothing planned under the mark; the usage, trigger
// and prediction add up; images go least recently used first.
func (k *checker) budget() {
	b := k.p.Budget
	if !k.check(propBudget, (b != nil) == k.pol.budget(), "budget %+v with TargetUsage %d, HighWatermark %v", b, k.pol.TargetUsage, k.pol.HighWatermark) || b == nil {
		return
	}
	if k.pol.TargetUsage > 0 {
		use := k.inv.DockerBytes()
		k.check(propBudget, b.UsageBytes == use && b.Triggered == (use > k.pol.TargetUsage),
			"usage %d triggered %v, want Docker's usage %d against the target %d", b.UsageBytes, b.Triggered, use, k.pol.TargetUsage)
	} else {
		fs := k.pol.FS
		use := fs.SizeBytes - fs.FreeBytes
		k.check(propBudget, b.UsageBytes == use && b.Triggered == (float64(use)*100 > k.pol.HighWatermark*float64(fs.SizeBytes)),
			"usage %d triggered %v with FS %+v and high watermark %v", b.UsageBytes, b.Triggered, fs, k.pol.HighWatermark)
	}
	k.check(propBudget, b.PredictedBytes == b.UsageBytes-k.p.ReclaimBytes, "predicted %d, usage %d, reclaim %d", b.PredictedBytes, b.UsageBytes, k.p.ReclaimBytes)
	k.check(propBudget, b.Reached == (!b.Triggered || b.PredictedBytes <= b.TargetBytes), "reached %v: triggered %v, predicted %d, target %d", b.Reached, b.Triggered, b.PredictedBytes, b.TargetBytes)
	if !b.Triggered {
		k.check(propBudget, len(k.p.Items) == 0, "usage %d is under the mark, but the plan has %d items", b.UsageBytes, len(k.p.Items))
		return
	}
	var newestRemoved time.Time
	var newestName string
	var last *Item
	var held int64
	for i, it := range k.p.Items {
		if it.Type == TypeImage && it.Action == ActionRemove {
			last = &k.p.Items[i]
			if t := lastUseOf(k.inv, k.img[it.ID]); t.After(newestRemoved) {
				newestRemoved, newestName = t, it.Name
			}
		}
		if it.Type == TypeBuildCache && k.bc[it.ID].Shared {
			held += it.Bytes // layers released by the images, credited after them
		}
	}
	// No more than needed: images go while the predicted usage is above
	// the target, so before the last one it still was.
	if last != nil {
		before := b.UsageBytes - (k.p.ReclaimBytes - last.Bytes - held)
		k.check(propBudget, before > b.TargetBytes, "image %s removed, but the usage was already predicted at %d, at or under the target %d",
			last.Name, before, b.TargetBytes)
	}
	for _, kp := range k.p.Kept {
		if kp.Type != TypeImage || !strings.HasPrefix(kp.Reason, "not needed") {
			continue
		}
		k.check(propBudget, b.Reached, "image %s kept as %q, but the target is not reached", kp.Name, kp.Reason)
		t := lastUseOf(k.inv, k.img[kp.ID])
		k.check(propBudget, !t.Before(newestRemoved), "image %s (last used %v) kept as not needed, but %s, used later (%v), is removed",
			kp.Name, t, newestName, newestRemoved)
	}
}

// ---------------------------------------------------------------------
// P8: determinism.

func cloneInv(in *inspect.Inventory) *inspect.Inventory {
	out := *in
	out.Collected = slices.Clone(in.Collected)
	out.Images = slices.Clone(in.Images)
	for i := range out.Images {
		im := &out.Images[i]
		im.Tags, im.Digests, im.Layers, im.Labels = slices.Clone(im.Tags), slices.Clone(im.Digests), slices.Clone(im.Layers), maps.Clone(im.Labels)
	}
	out.Containers = slices.Clone(in.Containers)
	for i := range out.Containers {
		c := &out.Containers[i]
		c.Volumes, c.Networks, c.Labels = slices.Clone(c.Volumes), slices.Clone(c.Networks), maps.Clone(c.Labels)
	}
	out.Volumes = slices.Clone(in.Volumes)
	for i := range out.Volumes {
		v := &out.Volumes[i]
		v.Containers, v.Labels = slices.Clone(v.Containers), maps.Clone(v.Labels)
	}
	out.Networks = slices.Clone(in.Networks)
	for i := range out.Networks {
		n := &out.Networks[i]
		n.Containers, n.Labels = slices.Clone(n.Containers), maps.Clone(n.Labels)
	}
	out.BuildCache = slices.Clone(in.BuildCache)
	for i := range out.BuildCache {
		out.BuildCache[i].Parents = slices.Clone(out.BuildCache[i].Parents)
	}
	return &out
}

// shuffle puts s in a random order, or (r nil) reverses it: a reversal
// does not depend on the other lists' lengths, so it survives shrinking.
func shuffle[T any](r *rand.Rand, s []T) {
	if r == nil {
		slices.Reverse(s)
		return
	}
	r.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
}

// shuffled is a copy of inv with its lists in another order: the engine
// lists objects in no promised order. inner also shuffles the lists inside
// objects that are sets (tags, digests, a container's volumes and
// networks, a volume's or network's containers, a record's parents).
func shuffled(inv *inspect.Inventory, r *rand.Rand, inner bool) *inspect.Inventory {
	out := cloneInv(inv)
	shuffle(r, out.Containers)
	shuffle(r, out.Images)
	shuffle(r, out.Volumes)
	shuffle(r, out.Networks)
	shuffle(r, out.BuildCache)
	if !inner {
		return out
	}
	shuffle(r, out.Collected)
	for i := range out.Images {
		shuffle(r, out.Images[i].Tags)
		shuffle(r, out.Images[i].Digests)
	}
	for i := range out.Containers {
		shuffle(r, out.Containers[i].Volumes)
		shuffle(r, out.Containers[i].Networks)
	}
	for i := range out.Volumes {
		shuffle(r, out.Volumes[i].Containers)
	}
	for i := range out.Networks {
		shuffle(r, out.Networks[i].Containers)
	}
	for i := range out.BuildCache {
		shuffle(r, out.BuildCache[i].Parents)
	}
	return out
}

func (k *checker) determinism() {
	want, err := json.Marshal(k.p)
	if !k.check(propDeterm, err == nil, "plan does not encode: %v", err) {
		return
	}
	r := rand.New(rand.NewPCG(k.c.Seed, 0x73687566))
	for _, inner := range []bool{false, true} {
		prop := propDeterm
		if inner {
			prop = propDetermInner
		}
		for _, how := range []string{"reversed", "shuffled"} {
			rr := r
			if how == "reversed" {
				rr = nil
			}
			got, _ := json.Marshal(BuildPlan(shuffled(k.inv, rr, inner), k.pol, now))
			if !k.check(prop, string(got) == string(want), "the plan differs once the inventory's lists are %s: %s", how, jsonDiff(want, got)) {
				break
			}
		}
	}
}

// jsonDiff shows where two plans' JSON first differ.
func jsonDiff(a, b []byte) string {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	from := max(0, i-160)
	return fmt.Sprintf("at byte %d:\n    before …%s\n    after  …%s", i, a[from:min(len(a), i+120)], b[from:min(len(b), i+120)])
}

// ---------------------------------------------------------------------
// P9: bytes, and applying the plan to the stateful fake engine.

func (k *checker) bytes() {
	var sum int64
	for _, it := range k.p.Items {
		sum += it.Bytes
	}
	k.check(propBytes, sum == k.p.ReclaimBytes, "ReclaimBytes %d, items sum to %d", k.p.ReclaimBytes, sum)
	if !k.full {
		return
	}
	// The fake engine frees an image's layers when no image holds them; it
	// does not model BuildKit's shared records holding image layers (they
	// free 0) nor layers of images without layer data (it frees nothing
	// for them). The plan, as documented, counts a layer a shared record
	// also holds on that record, and only if the plan removes the record
	// too; and an image without layers at its UniqueBytes. Account for
	// both; everything else must match to the byte.
	held := inspect.HeldLayerRecords(k.inv.Images, k.inv.BuildCache)
	var layerless int64
	for _, it := range k.p.Items {
		if it.Type == TypeImage && it.Action == ActionRemove && k.img[it.ID].Layers == nil {
			layerless += it.Bytes
		}
	}
	size := map[string]int64{}
	for _, img := range k.inv.Images {
		for _, l := range img.Layers {
			size[l.ChainID] = l.SizeBytes
		}
	}
	for _, conc := range []int{1, 4} {
		e := newFake(k.inv)
		for child, parent := range k.c.Parents {
			if img, ok := e.images[child]; ok {
				if _, ok := e.images[parent]; ok {
					img.parent = parent
				}
			}
		}
		res := Apply(context.Background(), e, k.p, applyOpts(conc))
		if k.st != nil {
			k.st.applies++
			k.st.add("image retried (409)", e.Count("ImageList")-1)
		}
		k.check(propApply, !res.Interrupted, "concurrency %d: apply interrupted", conc)
		for _, o := range res.Failed {
			k.check(propApply, false, "concurrency %d: %s %s failed: %s (status %d)", conc, o.Type, o.Name, o.Error, o.Status)
		}
		for _, o := range res.Skipped {
			k.check(propApply, false, "concurrency %d: %s %s %s: %s", conc, o.Type, o.Name, o.Result, o.Reason)
		}
		k.check(propApply, len(res.Removed) == len(k.p.Items), "concurrency %d: %d removed of %d planned", conc, len(res.Removed), len(k.p.Items))
		k.check(propBytes, res.ReclaimedBytes == k.p.ReclaimBytes, "concurrency %d: result reclaimed %d, plan %d", conc, res.ReclaimedBytes, k.p.ReclaimBytes)
		remaining := map[string]bool{}
		e.mu.Lock()
		for _, img := range e.images {
			for _, l := range img.layers {
				remaining[l.ChainID] = true
			}
		}
		var stranded int64
		for chain, recs := range held {
			if _, orig := size[chain]; orig && !remaining[chain] {
				for _, rec := range recs {
					if _, still := e.cache[rec]; still {
						stranded += size[chain]
						break
					}
				}
			}
		}
		e.mu.Unlock()
		want := k.p.ReclaimBytes - layerless + stranded
		k.check(propBytes, e.Freed() == want,
			"concurrency %d: the fake engine freed %d bytes, the plan predicts %d (ReclaimBytes %d - %d of images without layers + %d of layers a kept shared record holds)",
			conc, e.Freed(), want, k.p.ReclaimBytes, layerless, stranded)
		for _, it := range k.p.Items {
			if it.Action == ActionUntag {
				e.mu.Lock()
				_, tagged := e.tags[it.Name]
				_, there := e.images[it.ID]
				e.mu.Unlock()
				k.check(propApply, !tagged && there, "concurrency %d: %s: tag still there %v, image still there %v", conc, k.what(it), tagged, there)
				continue
			}
			k.check(propApply, !e.Has(it.ID), "concurrency %d: %s still on the engine", conc, k.what(it))
		}
		for _, kp := range k.p.Kept {
			k.check(propApply, e.Has(kp.ID), "concurrency %d: kept %s %s is gone", conc, kp.Type, kp.Name)
		}
		k.check(propApply, e.Cancelled() == 0, "concurrency %d: %d calls with a done context", conc, e.Cancelled())
	}
}

// ---------------------------------------------------------------------
// Coverage of the generator.

func (k *checker) features() {
	st := k.st
	for _, c := range k.inv.Containers {
		st.add("state "+c.State, 1)
	}
	if !k.known {
		st.add("containers not collected", 1)
	}
	for _, img := range k.inv.Images {
		switch {
		case img.Layers == nil:
			st.add("image without layers", 1)
		case img.SharedBytes > 0:
			st.add("shared layer", 1)
		}
		if len(img.Tags) > 1 {
			st.add("multi-tag image", 1)
		}
		if img.Dangling {
			st.add("dangling image", 1)
		}
	}
	st.add("parent link", len(k.c.Parents))
	st.add("held layer", len(inspect.HeldLayerRecords(k.inv.Images, k.inv.BuildCache)))
	for _, it := range k.p.Items {
		switch {
		case it.Action == ActionUntag:
			st.add("untag item", 1)
		case it.Type == TypeVolume && k.vol[it.ID].Anonymous:
			st.add("planned anonymous volume", 1)
		case it.Type == TypeVolume:
			st.add("planned named volume", 1)
		case it.Type == TypeBuildCache && k.bc[it.ID].Shared:
			st.add("shared build cache planned", 1)
		}
		st.add("planned "+strings.ReplaceAll(string(it.Type), "_", " "), 1)
		if strings.Contains(it.Reason, cascade) {
			st.add("cascade", 1)
		}
		if it.SizeUnknown {
			st.add("size unknown", 1)
		}
	}
	for _, kp := range k.p.Kept {
		r := kp.Reason
		switch {
		case strings.HasPrefix(r, "label "+KeepLabel):
			st.add("kept by keep label", 1)
		case strings.HasPrefix(r, "label "):
			st.add("kept by --keep-label", 1)
		case strings.HasPrefix(r, "matches --keep"):
			st.add("kept by --keep", 1)
		case strings.HasPrefix(r, "one of the"):
			st.add("kept by --keep-recent", 1)
		case strings.HasPrefix(r, "younger") || strings.HasPrefix(r, "last used less"):
			st.add("kept younger", 1)
		case r == outsideFilter:
			st.add("kept outside --filter", 1)
		case strings.HasPrefix(r, "compose project"):
			st.add("kept compose running", 1)
		case strings.HasPrefix(r, "used by"):
			st.add("kept used", 1)
		case strings.HasPrefix(r, "base of kept image"):
			st.add("base of kept image", 1)
		case strings.HasPrefix(r, "not needed"):
			st.add("budget not needed", 1)
		case strings.HasPrefix(r, "parent of kept build cache"):
			st.add("build cache parent kept", 1)
		case r == "in use":
			st.add("kept in use", 1)
		}
	}
	if b := k.p.Budget; b != nil {
		if b.Triggered {
			st.add("budget triggered", 1)
		} else {
			st.add("budget under", 1)
		}
	}
}

// ---------------------------------------------------------------------
// Shrinking: drop objects and policy settings while the same properties
// still fail, to print a small inventory.

func shrink(t *testing.T, c *propCase, props map[string]bool) (*propCase, []violation) {
	fails := func(x *propCase) []violation {
		if _, err := x.policy(); err != nil {
			return nil
		}
		var out []violation
		for _, v := range runCase(t, x, nil) {
			if props[v.prop] {
				out = append(out, v)
			}
		}
		return out
	}
	cur, vs := c, fails(c)
	for tries := 0; tries < 3000; {
		progress := false
		for _, cand := range shrinkSteps(cur) {
			tries++
			if v := fails(cand); len(v) > 0 {
				cur, vs, progress = cand, v, true
				break
			}
		}
		if !progress {
			break
		}
	}
	return cur, vs
}

func (c *propCase) clone() *propCase {
	out := *c
	out.Inv = cloneInv(c.Inv)
	out.Pol.Kinds = slices.Clone(c.Pol.Kinds)
	out.Pol.Keep = slices.Clone(c.Pol.Keep)
	out.Pol.KeepLabels = slices.Clone(c.Pol.KeepLabels)
	out.FilterRaw = maps.Clone(c.FilterRaw)
	out.Parents = maps.Clone(c.Parents)
	return &out
}

// shrinkSteps lists smaller variants of c, each one step away, keeping
// the inventory consistent (a removed container leaves its volumes' and
// networks' lists, and its image's count).
func shrinkSteps(c *propCase) []*propCase {
	var out []*propCase
	step := func(f func(x *propCase)) {
		x := c.clone()
		f(x)
		out = append(out, x)
	}
	for i := range c.Inv.Containers {
		step(func(x *propCase) {
			ct := x.Inv.Containers[i]
			x.Inv.Containers = slices.Delete(x.Inv.Containers, i, i+1)
			for j := range x.Inv.Volumes {
				v := &x.Inv.Volumes[j]
				if k := slices.Index(v.Containers, ct.Name); k >= 0 {
					v.Containers = slices.Delete(v.Containers, k, k+1)
					v.RefCount--
				}
			}
			for j := range x.Inv.Networks {
				n := &x.Inv.Networks[j]
				if k := slices.Index(n.Containers, ct.Name); k >= 0 {
					n.Containers = slices.Delete(n.Containers, k, k+1)
				}
			}
			for j := range x.Inv.Images {
				if x.Inv.Images[j].ID == ct.ImageID {
					x.Inv.Images[j].Containers--
				}
			}
		})
	}
	for i := range c.Inv.Images {
		step(func(x *propCase) {
			id := x.Inv.Images[i].ID
			x.Inv.Images = slices.Delete(x.Inv.Images, i, i+1)
			delete(x.Parents, id)
			for ch, p := range x.Parents {
				if p == id {
					delete(x.Parents, ch)
				}
			}
		})
	}
	for i := range c.Inv.Volumes {
		step(func(x *propCase) {
			name := x.Inv.Volumes[i].Name
			x.Inv.Volumes = slices.Delete(x.Inv.Volumes, i, i+1)
			for j := range x.Inv.Containers {
				ct := &x.Inv.Containers[j]
				ct.Volumes = slices.DeleteFunc(ct.Volumes, func(s string) bool { return s == name })
			}
		})
	}
	for i := range c.Inv.Networks {
		step(func(x *propCase) {
			n := x.Inv.Networks[i]
			x.Inv.Networks = slices.Delete(x.Inv.Networks, i, i+1)
			for j := range x.Inv.Containers {
				ct := &x.Inv.Containers[j]
				ct.Networks = slices.DeleteFunc(ct.Networks, func(s string) bool { return s == n.Name || s == n.ID })
			}
		})
	}
	for i := range c.Inv.BuildCache {
		step(func(x *propCase) {
			id := x.Inv.BuildCache[i].ID
			x.Inv.BuildCache = slices.Delete(x.Inv.BuildCache, i, i+1)
			for j := range x.Inv.BuildCache {
				r := &x.Inv.BuildCache[j]
				r.Parents = slices.DeleteFunc(r.Parents, func(s string) bool { return s == id })
			}
		})
	}
	// Policy.
	for i := range c.Pol.Keep {
		step(func(x *propCase) { x.Pol.Keep = slices.Delete(x.Pol.Keep, i, i+1) })
	}
	for i := range c.Pol.KeepLabels {
		step(func(x *propCase) { x.Pol.KeepLabels = slices.Delete(x.Pol.KeepLabels, i, i+1) })
	}
	for kd := range c.FilterRaw {
		step(func(x *propCase) { delete(x.FilterRaw, kd) })
	}
	p := c.Pol
	for _, f := range []struct {
		on  bool
		off func(*Policy)
	}{
		{p.All, func(p *Policy) { p.All = false }},
		{p.AllBuildCache, func(p *Policy) { p.AllBuildCache = false }},
		{p.Volumes, func(p *Policy) { p.Volumes = false }},
		{p.AllVolumes, func(p *Policy) { p.AllVolumes = false }},
		{p.IncludeRunningProjects, func(p *Policy) { p.IncludeRunningProjects = false }},
		{p.DryRun, func(p *Policy) { p.DryRun = false }},
		{p.OlderThan > 0, func(p *Policy) { p.OlderThan = 0 }},
		{p.KeepRecent > 0, func(p *Policy) { p.KeepRecent = 0 }},
		{p.budget(), func(p *Policy) { p.TargetUsage, p.HighWatermark, p.LowWatermark, p.FS = 0, 0, 0, FS{} }},
		{len(p.Kinds) > 0, func(p *Policy) { p.Kinds = nil }},
	} {
		if f.on {
			step(func(x *propCase) { f.off(&x.Pol) })
		}
	}
	// Details inside objects.
	for i, img := range c.Inv.Images {
		for j := range img.Tags {
			step(func(x *propCase) {
				im := &x.Inv.Images[i]
				im.Tags = slices.Delete(im.Tags, j, j+1)
				im.Dangling = len(im.Tags) == 0
			})
		}
		for j := range img.Digests {
			step(func(x *propCase) { x.Inv.Images[i].Digests = slices.Delete(x.Inv.Images[i].Digests, j, j+1) })
		}
		for key := range img.Labels {
			step(func(x *propCase) { delete(x.Inv.Images[i].Labels, key) })
		}
	}
	for i, ct := range c.Inv.Containers {
		for key := range ct.Labels {
			if key != inspect.ComposeProjectLabel {
				step(func(x *propCase) { delete(x.Inv.Containers[i].Labels, key) })
			}
		}
	}
	for i, r := range c.Inv.BuildCache {
		for j := range r.Parents {
			step(func(x *propCase) { x.Inv.BuildCache[i].Parents = slices.Delete(x.Inv.BuildCache[i].Parents, j, j+1) })
		}
	}
	return out
}
