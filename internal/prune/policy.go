package prune

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/dockctl/dockctl/internal/inspect"
)

// KeepLabel is the label that always protects an object: dockctl never
// plans to remove anything labelled dockctl.keep=true.
const KeepLabel = "dockctl.keep"

// FS describes the filesystem holding Docker's root directory, for the
// watermarks.
type FS struct {
	SizeBytes int64 `json:"size_bytes"`
	FreeBytes int64 `json:"free_bytes"`
}

// Policy says what a plan may remove. The zero Policy prunes stopped
// containers, unused custom networks, dangling images and the default
// build cache, with no further guard than the built-in ones.
type Policy struct {
	// Kinds in scope. Empty means containers, networks, images and build
	// cache, plus volumes when Volumes or AllVolumes is set.
	Kinds []inspect.Kind
	// DryRun is copied into the plan; prune itself does not act on it.
	DryRun bool

	// All (-a) removes every image no remaining container uses, not only
	// dangling ones.
	All bool
	// AllBuildCache removes every build cache record not in use, as
	// `docker builder prune -a`.
	AllBuildCache bool
	// Volumes adds volumes to the default kinds; only anonymous volumes
	// are removed unless AllVolumes.
	Volumes bool
	// AllVolumes also removes unused named volumes (and implies Volumes).
	AllVolumes bool

	// Keep lists path.Match globs that protect what they match: image
	// references (each "repo:tag", and the bare repo; see
	// inspect.MatchReference), container, volume and network names.
	Keep []string
	// KeepLabels protects objects carrying a label: "KEY" (any value) or
	// "KEY=VALUE".
	KeepLabels []string
	// Filters restrict each kind's scope; objects of a kind that do not
	// match its filter are kept ("outside --filter").
	Filters map[inspect.Kind]inspect.Filter
	// OlderThan keeps objects created less than this long before now
	// (build cache: last used; images: the newer of creation and last tag).
	OlderThan time.Duration
	// KeepRecent keeps the N newest images of each repository.
	KeepRecent int
	// IncludeRunningProjects lets the plan touch objects of compose
	// projects that have a running container.
	IncludeRunningProjects bool

	// MaxRemove makes Plan.Check refuse a plan with more items (0 = no
	// limit), unless Force.
	MaxRemove int
	// Force overrides MaxRemove.
	Force bool

	// TargetUsage turns on budget mode: images are removed, least recently
	// used first, until Docker's own usage is at most this many bytes.
	TargetUsage int64
	// HighWatermark and LowWatermark (percent) turn on budget mode against
	// the filesystem FS: above High, images are removed until usage is at
	// most Low (Low 0 means Low = High).
	HighWatermark float64
	LowWatermark  float64
	// FS is the filesystem holding Docker's root directory.
	FS FS

	// LogsLargerThan is the size over which a running container's
	// json-file log (its files together) has its rotated files planned for
	// removal, when KindLogs is in Kinds. Logs are never in the default kinds.
	LogsLargerThan int64
}

// budget reports whether budget mode is on.
func (p Policy) budget() bool { return p.TargetUsage > 0 || p.HighWatermark > 0 }

// Field names a setting of a Policy in a PolicyError.
type Field string

// The settings a PolicyError can be about.
const (
	FieldKinds         Field = "kind"
	FieldKeep          Field = "keep pattern"
	FieldKeepLabels    Field = "keep label"
	FieldOlderThan     Field = "age"
	FieldKeepRecent    Field = "number of recent images to keep"
	FieldMaxRemove     Field = "removal limit"
	FieldTargetUsage   Field = "target usage"
	FieldHighWatermark Field = "high watermark"
	FieldLowWatermark  Field = "low watermark"
	FieldLogsLarger    Field = "log size threshold"
)

// PolicyError says which setting of a policy is invalid and why. It names
// settings in the policy's words; the command line maps Field (and With)
// to its flags.
type PolicyError struct {
	Field Field
	// Value is the setting's value as the policy holds it; "" when the
	// setting is wrong whatever its value.
	Value  string
	Reason string
	// With is the other setting the reason is about (the low watermark
	// needs a high one), written after Reason with WithValue; "" if none.
	With      Field
	WithValue string
}

func (e *PolicyError) Error() string {
	return e.Describe(func(f Field) string { return string(f) })
}

// Describe is the error with each setting called by name(setting): the
// command line passes its flag names.
func (e *PolicyError) Describe(name func(Field) string) string {
	reason := e.Reason
	if e.With != "" {
		reason += " " + strings.TrimSpace(name(e.With)+" "+e.WithValue)
	}
	if e.Value == "" {
		return fmt.Sprintf("%s: %s", name(e.Field), reason)
	}
	return fmt.Sprintf("invalid %s %q: %s", name(e.Field), e.Value, reason)
}

// Validate checks the policy's values: the first invalid setting is a
// *PolicyError.
func (p Policy) Validate() error {
	for _, k := range p.Kinds {
		if !validKind(k) {
			return &PolicyError{Field: FieldKinds, Value: string(k), Reason: "expected one of containers, images, volumes, networks, buildcache, logs"}
		}
	}
	if err := p.guards().validate(); err != nil {
		return err
	}
	bad := func(f Field, v any, reason string) error {
		return &PolicyError{Field: f, Value: fmt.Sprint(v), Reason: reason}
	}
	switch {
	case p.OlderThan < 0:
		return bad(FieldOlderThan, p.OlderThan, "must not be negative")
	case p.KeepRecent < 0:
		return bad(FieldKeepRecent, p.KeepRecent, "must not be negative")
	case p.MaxRemove < 0:
		return bad(FieldMaxRemove, p.MaxRemove, "must not be negative")
	case p.LogsLargerThan < 0:
		return bad(FieldLogsLarger, p.LogsLargerThan, "must not be negative")
	case p.LogsLargerThan > 0 && !slices.Contains(p.Kinds, inspect.KindLogs):
		return &PolicyError{Field: FieldLogsLarger, Reason: "is only for logs"}
	case p.TargetUsage < 0:
		return bad(FieldTargetUsage, p.TargetUsage, "must not be negative")
	case p.TargetUsage > 0 && (p.HighWatermark > 0 || p.LowWatermark > 0):
		return &PolicyError{Field: FieldTargetUsage, Reason: "cannot be combined with the watermarks"}
	case p.HighWatermark < 0 || p.HighWatermark > 100:
		return bad(FieldHighWatermark, fmtPercent(p.HighWatermark), "must be within 0%..100%")
	case p.LowWatermark < 0 || p.LowWatermark > 100:
		return bad(FieldLowWatermark, fmtPercent(p.LowWatermark), "must be within 0%..100%")
	case p.LowWatermark > 0 && p.HighWatermark == 0:
		return &PolicyError{Field: FieldLowWatermark, Value: fmtPercent(p.LowWatermark), Reason: "needs", With: FieldHighWatermark}
	case p.LowWatermark > p.HighWatermark:
		return &PolicyError{Field: FieldLowWatermark, Value: fmtPercent(p.LowWatermark), Reason: "must not be above", With: FieldHighWatermark, WithValue: fmtPercent(p.HighWatermark)}
	}
	return nil
}

func validKind(k inspect.Kind) bool {
	for _, v := range prunable {
		if v == k {
			return true
		}
	}
	return false
}

// prunable are the kinds a policy can name, in docker's order, logs last:
// logs are in scope only when named.
var prunable = append(slices.Clone(inspect.Kinds), inspect.KindLogs)

// scope returns the kinds in scope, in docker's order.
func (p Policy) scope() []inspect.Kind {
	want := map[inspect.Kind]bool{}
	if len(p.Kinds) == 0 {
		for _, k := range inspect.Kinds {
			want[k] = k != inspect.KindVolumes || p.Volumes || p.AllVolumes
		}
	}
	for _, k := range p.Kinds {
		want[k] = true
	}
	var out []inspect.Kind
	for _, k := range prunable {
		if want[k] {
			out = append(out, k)
		}
	}
	return out
}

// Guards are the guards that protect an object whatever else the policy
// says: the label dockctl.keep=true (any case), KeepLabels and Keep globs.
// The planner applies them, and a plan carries them (Plan.Guards) so that
// Apply applies the same ones again just before each removal, also to a
// plan read from a file: a label put on an object, or a name it was given,
// after the plan still protects it.
type Guards struct {
	// Keep and KeepLabels are Policy's.
	Keep       []string `json:"keep,omitempty"`
	KeepLabels []string `json:"keep_labels,omitempty"`
}

// guards returns the policy's guards.
func (p Policy) guards() Guards {
	return Guards{Keep: p.Keep, KeepLabels: p.KeepLabels}
}

func (g Guards) empty() bool { return len(g.Keep) == 0 && len(g.KeepLabels) == 0 }

// validate returns a *PolicyError naming the first bad glob or label.
func (g Guards) validate() error {
	for _, k := range g.Keep {
		if _, err := path.Match(k, ""); err != nil || k == "" {
			return &PolicyError{Field: FieldKeep, Value: k, Reason: "bad glob pattern"}
		}
	}
	for _, l := range g.KeepLabels {
		if k, _, _ := strings.Cut(l, "="); strings.TrimSpace(k) == "" {
			return &PolicyError{Field: FieldKeepLabels, Value: l, Reason: "expected KEY or KEY=VALUE"}
		}
	}
	return nil
}

// protects returns why the guards keep an object with these labels, names
// (container, volume and network names, matched as path.Match globs) and
// image references (tags and digests, see inspect.MatchReference), or "".
func (g Guards) protects(labels map[string]string, names, refs []string) string {
	if v, ok := labels[KeepLabel]; ok && strings.EqualFold(v, "true") {
		return "label " + KeepLabel + "=true"
	}
	for _, l := range g.KeepLabels {
		k, want, hasValue := strings.Cut(l, "=")
		v, ok := labels[k]
		if ok && (!hasValue || v == want) {
			return "label " + k + "=" + v
		}
	}
	for _, k := range g.Keep {
		for _, n := range names {
			if ok, _ := path.Match(k, n); ok && n != "" {
				return keepReason(k)
			}
		}
		for _, r := range refs {
			if inspect.MatchReference(k, r) {
				return keepReason(k)
			}
		}
	}
	return ""
}

func keepReason(glob string) string { return "matches --keep '" + glob + "'" }
