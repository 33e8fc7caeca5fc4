package prune

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"time"

	"github.com/dockctl/dockctl/internal/inspect"
)

// Schema names the JSON layout of a saved Plan.
const Schema = "dockctl.prune/v1"

// Type is the kind of object a plan item or outcome is about.
type Type string

// The object types of a plan, as they appear in its JSON.
const (
	TypeContainer  Type = "container"
	TypeNetwork    Type = "network"
	TypeVolume     Type = "volume"
	TypeImage      Type = "image"
	TypeBuildCache Type = "build_cache"
	// TypeLog is a container's json-file log: the item removes its
	// rotations and keeps the live file (Item.Files).
	TypeLog Type = "log"
)

// typeKinds pairs each type with its kind, in docker's prune order (the
// order Apply runs its phases in): the one place a plan's type names meet
// the inventory's kinds.
var typeKinds = []struct {
	t Type
	k inspect.Kind
}{
	{TypeContainer, inspect.KindContainers}, {TypeNetwork, inspect.KindNetworks}, {TypeVolume, inspect.KindVolumes},
	{TypeImage, inspect.KindImages}, {TypeBuildCache, inspect.KindBuildCache},
	{TypeLog, inspect.KindLogs},
}

// types lists the types in docker's prune order.
var types = func() []Type {
	out := make([]Type, len(typeKinds))
	for i, tk := range typeKinds {
		out[i] = tk.t
	}
	return out
}()

// Types lists the types in docker's prune order.
func Types() []Type { return slices.Clone(types) }

// TypeOf is the type of a plan item about an object of kind k.
func TypeOf(k inspect.Kind) Type {
	for _, tk := range typeKinds {
		if tk.k == k {
			return tk.t
		}
	}
	return ""
}

// Kind is the inventory kind of the objects of type t.
func (t Type) Kind() inspect.Kind {
	for _, tk := range typeKinds {
		if tk.t == t {
			return tk.k
		}
	}
	return ""
}

func typeRank(t Type) int {
	for i, v := range types {
		if v == t {
			return i
		}
	}
	return len(types)
}

// Action says what removing an image item does.
type Action string

// Image actions. Other types have no action (they are removed).
const (
	// ActionRemove removes the image: every tag in Refs, then the image.
	ActionRemove Action = "remove"
	// ActionUntag removes only the tag in Refs; the image stays.
	ActionUntag Action = "untag"
)

// Item is one object the plan removes.
type Item struct {
	Type Type   `json:"type"`
	ID   string `json:"id"`
	// Name is the container, volume or network name, the image's first tag
	// (or its short id), the tag an untag item removes, or a build cache
	// record's description.
	Name string `json:"name"`
	// Bytes the removal frees (0 for networks and untags).
	Bytes int64 `json:"bytes"`
	// LogBytes is the part of a container's Bytes that is its log files
	// (measured by the storage probe; 0 when not measured).
	LogBytes int64  `json:"log_bytes,omitempty"`
	Reason   string `json:"reason"`
	// Action and Refs are set for images: remove the image (Refs are all
	// its tags) or untag it (Refs holds the one tag).
	Action Action   `json:"action,omitempty"`
	Refs   []string `json:"refs,omitempty"`
	// SizeUnknown marks an item whose size the engine did not report; it
	// counts 0.
	SizeUnknown bool `json:"size_unknown,omitempty"`
	// Files are set for logs (ID and Name are the container's): the live
	// file first, which is kept, then its rotations, which are removed, by
	// the path dockctl reads them at, each with its size when planned.
	Files []inspect.LogFile `json:"files,omitempty"`

	// legacyTruncateLive is a saved plan's truncate_live, written by a
	// dockctl that emptied live log files; ReadPlan refuses such a plan.
	legacyTruncateLive bool
}

// UnmarshalJSON reads an item, noting a truncate_live a plan saved by an
// older dockctl may carry, so that ReadPlan can refuse it rather than
// silently drop what the plan was approved for.
func (it *Item) UnmarshalJSON(b []byte) error {
	type item Item // no methods: no recursion
	var v struct {
		item
		TruncateLive bool `json:"truncate_live"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*it = Item(v.item)
	it.legacyTruncateLive = v.TruncateLive
	return nil
}

// Kept is one object of a kind in scope that the plan keeps. An image the
// plan only untags is kept (with the reason of the tag that keeps it) and
// its other tags are untag items.
type Kept struct {
	Type   Type   `json:"type"`
	ID     string `json:"id"`
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// Budget describes budget mode's decision.
type Budget struct {
	// Source is "filesystem" (watermarks) or "docker" (TargetUsage:
	// Docker's own usage).
	Source string `json:"source"`
	// UsageBytes is the usage now; TriggerBytes the mark above which the
	// plan removes images; TargetBytes what it removes them down to.
	UsageBytes   int64 `json:"usage_bytes"`
	TriggerBytes int64 `json:"trigger_bytes"`
	TargetBytes  int64 `json:"target_bytes"`
	// PredictedBytes is the usage once the plan is applied.
	PredictedBytes int64 `json:"predicted_bytes"`
	// Triggered is set when usage was above the trigger; Reached when the
	// plan brings it to the target (or was not triggered).
	Triggered bool `json:"triggered"`
	Reached   bool `json:"reached"`
}

// Plan is what a prune will do: the items it removes, in the order Apply
// removes them, and everything else in scope with the reason it stays.
type Plan struct {
	Schema string    `json:"schema"`
	DryRun bool      `json:"dry_run"`
	Time   time.Time `json:"time"`
	// Kinds in scope, in docker's order.
	Kinds []inspect.Kind `json:"kinds"`
	Items []Item         `json:"plan"`
	Kept  []Kept         `json:"kept"`
	// ReclaimBytes is the sum of the items' bytes.
	ReclaimBytes int64 `json:"reclaim_bytes"`
	// Approximate is set when some bytes are estimates: images without
	// layer data (their UniqueBytes is used) or sizes the engine did not
	// report.
	Approximate bool    `json:"approximate"`
	Budget      *Budget `json:"budget,omitempty"`
	// Guards are the policy's --keep globs and --keep-label labels, for
	// Apply's re-check (nil when there are none).
	Guards *Guards `json:"guards,omitempty"`
}

// Count returns how many items of type t the plan removes.
func (p Plan) Count(t Type) int {
	n := 0
	for _, it := range p.Items {
		if it.Type == t {
			n++
		}
	}
	return n
}

// LimitError is Plan.Check's refusal: the plan removes more than
// MaxRemove objects. cmd words it with the flags that set and lift the
// limit.
type LimitError struct {
	Planned, Max int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("refusing to remove %d objects: more than the limit of %d", e.Planned, e.Max)
}

// Check refuses (with a *LimitError) a plan removing more than
// pol.MaxRemove objects, unless pol.Force. Every item counts, untags too.
func (p Plan) Check(pol Policy) error {
	if pol.MaxRemove > 0 && len(p.Items) > pol.MaxRemove && !pol.Force {
		return &LimitError{Planned: len(p.Items), Max: pol.MaxRemove}
	}
	return nil
}

// WritePlan encodes p as a saved plan (--plan-out), the document ReadPlan
// reads: indented JSON, empty lists as [] rather than null.
func WritePlan(w io.Writer, p Plan) error {
	if p.Items == nil {
		p.Items = []Item{}
	}
	if p.Kept == nil {
		p.Kept = []Kept{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// ReadPlan decodes a saved plan and checks its schema and items.
func ReadPlan(r io.Reader) (Plan, error) {
	var p Plan
	dec := json.NewDecoder(r)
	if err := dec.Decode(&p); err != nil {
		return Plan{}, fmt.Errorf("reading plan: %w", err)
	}
	if p.Schema != Schema {
		return Plan{}, fmt.Errorf("reading plan: schema %q is not %q", p.Schema, Schema)
	}
	if p.Guards != nil {
		if err := p.Guards.validate(); err != nil {
			return Plan{}, fmt.Errorf("reading plan: guards: %w", err)
		}
	}
	var total int64
	for i, it := range p.Items {
		if typeRank(it.Type) == len(types) {
			return Plan{}, fmt.Errorf("reading plan: item %d: unknown type %q", i, it.Type)
		}
		if it.ID == "" {
			return Plan{}, fmt.Errorf("reading plan: item %d: no id", i)
		}
		if it.Type == TypeImage {
			switch it.Action {
			case ActionRemove:
			case ActionUntag:
				if len(it.Refs) != 1 {
					return Plan{}, fmt.Errorf("reading plan: item %d: an untag item needs exactly one ref", i)
				}
			default:
				return Plan{}, fmt.Errorf("reading plan: item %d: unknown image action %q", i, it.Action)
			}
		}
		if it.Type == TypeLog {
			if err := checkLogItem(it); err != nil {
				return Plan{}, fmt.Errorf("reading plan: item %d: %w", i, err)
			}
		}
		total += it.Bytes
	}
	if total != p.ReclaimBytes {
		return Plan{}, fmt.Errorf("reading plan: reclaim_bytes %d is not the sum of the items' bytes %d", p.ReclaimBytes, total)
	}
	return p, nil
}

// BuildPlan decides, for every object of the kinds in scope, whether the
// policy removes it. It is pure: no I/O, no clock; the same input gives
// the same plan.
func BuildPlan(inv *inspect.Inventory, pol Policy, now time.Time) Plan {
	pl := newPlanner(inv, pol, now)
	return pl.build()
}

// sortPlan orders items by phase (keeping each kind's own order) and kept
// objects by type, name and id.
func sortPlan(p *Plan) {
	sort.SliceStable(p.Items, func(i, j int) bool {
		return typeRank(p.Items[i].Type) < typeRank(p.Items[j].Type)
	})
	sort.SliceStable(p.Kept, func(i, j int) bool {
		a, b := p.Kept[i], p.Kept[j]
		if typeRank(a.Type) != typeRank(b.Type) {
			return typeRank(a.Type) < typeRank(b.Type)
		}
		if a.Name != b.Name {
			return a.Name < b.Name
		}
		return a.ID < b.ID
	})
}
