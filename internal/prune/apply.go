package prune

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	cerrdefs "github.com/containerd/errdefs"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"

	"github.com/dockctl/dockctl/internal/clierr"
	"github.com/dockctl/dockctl/internal/engine"
	"github.com/dockctl/dockctl/internal/inspect"
)

// Client is the part of the engine API Apply needs: re-checks and
// removals. *client.Client implements it.
type Client interface {
	ContainerList(ctx context.Context, options container.ListOptions) ([]container.Summary, error)
	ContainerInspect(ctx context.Context, containerID string) (container.InspectResponse, error)
	ContainerRemove(ctx context.Context, containerID string, options container.RemoveOptions) error
	ImageInspect(ctx context.Context, imageID string, inspectOpts ...client.ImageInspectOption) (image.InspectResponse, error)
	ImageList(ctx context.Context, options image.ListOptions) ([]image.Summary, error)
	ImageRemove(ctx context.Context, imageID string, options image.RemoveOptions) ([]image.DeleteResponse, error)
	VolumeInspect(ctx context.Context, volumeID string) (volume.Volume, error)
	VolumeRemove(ctx context.Context, volumeID string, force bool) error
	NetworkInspect(ctx context.Context, networkID string, options network.InspectOptions) (network.Inspect, error)
	NetworkRemove(ctx context.Context, networkID string) error
	BuildCachePrune(ctx context.Context, opts build.CachePruneOptions) (*build.CachePruneReport, error)
}

var _ Client = (*client.Client)(nil)

// DefaultConcurrency is how many removals Apply runs at once by default.
const DefaultConcurrency = 4

// DefaultGrace is how long removals in flight may still take once the
// context is cancelled.
const DefaultGrace = 30 * time.Second

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// Concurrency bounds the removals in flight within a phase (default
	// DefaultConcurrency). Build cache records are always pruned one at a
	// time.
	Concurrency int
	// Grace bounds removals in flight after ctx is cancelled (default
	// DefaultGrace).
	Grace time.Duration
	// Progress, if set, is called after each plan item is settled with the
	// items settled so far, the plan's item count and the bytes freed so
	// far. Calls are serialised.
	Progress func(done, total int, bytes int64)
	// Log, if set, is called with each outcome as it happens. Calls are
	// serialised. JSONLines makes one that writes JSON lines. An error
	// stops the run as an interruption does (no new removal; those in
	// flight complete): a prune that cannot keep its audit log must not go
	// on removing.
	Log func(Outcome) error
	// Now stamps outcomes (default time.Now).
	Now func() time.Time
	// DryRun runs every re-check against the engine as the removals before
	// it would have left it, and removes nothing: no mutating request
	// reaches the engine. The Result says what a real run would do now
	// (build cache records excepted: only the engine's prune knows whether
	// one is in use; a dry run counts them pruned).
	DryRun bool
}

// Outcome results.
const (
	ResultRemoved  = "removed"
	ResultUntagged = "untagged"
	// ResultGone is an object already gone (404) when Apply came to it.
	ResultGone    = "gone"
	ResultSkipped = "skipped"
	ResultFailed  = "failed"
)

// Outcome is what happened to one plan item (or to an object the engine
// removed along with one).
type Outcome struct {
	Time  time.Time `json:"time"`
	Type  Type      `json:"type"`
	ID    string    `json:"id"`
	Name  string    `json:"name"`
	Bytes int64     `json:"bytes"`
	// Reason is the plan's reason for removed items, or why an item was
	// skipped.
	Reason string `json:"reason,omitempty"`
	// Result is one of the Result* constants.
	Result string `json:"result"`
	// Error and Status (the engine's HTTP status, 0 if none) for failures.
	Error  string `json:"error,omitempty"`
	Status int    `json:"status,omitempty"`

	index, seq int
}

// Result is what Apply did. Removed holds removals and untags, Skipped
// items left alone (changed since the plan, already gone, or not reached
// because of an interruption), Failed the engine's refusals and errors.
type Result struct {
	Removed     []Outcome `json:"removed"`
	Skipped     []Outcome `json:"skipped"`
	Failed      []Outcome `json:"failed"`
	Interrupted bool      `json:"interrupted"`
	// EngineGone is the error that showed the engine had stopped
	// answering; the items after it were not attempted.
	EngineGone string `json:"engine_gone,omitempty"`
	// LogError is the error that stopped the run because an outcome could
	// not be logged; the items after it were not attempted.
	LogError string `json:"log_error,omitempty"`
	// ReclaimedBytes sums the removed outcomes' bytes (the plan's
	// prediction for each).
	ReclaimedBytes int64 `json:"reclaimed_bytes"`
	// Total is the plan's item count.
	Total int `json:"total"`

	logErr error
}

// ErrEngineGone is wrapped by Result.Err when the engine stopped answering
// during the removals: callers that retry (scheduled runs) look for it.
var ErrEngineGone = errors.New("the engine stopped answering")

// Err maps the result to dockctl's errors: clierr.ErrInterrupted (wrapped)
// when interrupted, a *clierr.PartialError when some removals failed, nil
// otherwise.
func (r Result) Err() error {
	switch {
	case r.logErr != nil:
		return fmt.Errorf("stopped after %d of %d items: the log could not be written: %w", len(r.Removed)+len(r.Failed), r.Total, r.logErr)
	case r.EngineGone != "":
		return fmt.Errorf("%w after %d of %d items (%s); run the same prune again to finish", ErrEngineGone, len(r.Removed), r.Total, r.EngineGone)
	case r.Interrupted:
		return fmt.Errorf("prune stopped after %d of %d items: %w", len(r.Removed)+len(r.Failed), r.Total, clierr.ErrInterrupted)
	case len(r.Failed) > 0:
		return &clierr.PartialError{Failed: len(r.Failed), Total: r.Total}
	}
	return nil
}

// JSONLines returns a Log function writing each outcome to w as one line
// of JSON (time, type, id, name, bytes, reason, result, error, status). It
// returns the write error: an audit log with holes is worse than a prune
// that stops.
func JSONLines(w io.Writer) func(Outcome) error {
	var mu sync.Mutex
	enc := json.NewEncoder(w)
	return func(o Outcome) error {
		mu.Lock()
		defer mu.Unlock()
		if err := enc.Encode(o); err != nil {
			return fmt.Errorf("writing %s %s to the log: %w", o.Type, o.Name, err)
		}
		return nil
	}
}

const interruptedReason = "not attempted: interrupted"

// Apply removes the plan's items from the engine: phase by phase in
// docker's order (containers, networks, volumes, images, build cache),
// each phase with a bounded worker pool. Each item is re-checked first and
// skipped if it changed since the plan; nothing is force-removed. A
// failure does not stop the rest. Cancelling ctx stops handing out
// removals; those in flight finish (within opts.Grace) and the Result is
// marked interrupted. Apply ignores plan.DryRun: the caller decides, with
// opts.DryRun.
func Apply(ctx context.Context, c Client, plan Plan, opts ApplyOptions) Result {
	if opts.DryRun {
		c = newDryRun(c)
	}
	if opts.Concurrency < 1 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	callCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(opts.Grace, cancel) })
	defer stop()

	// dispatch stops handing out work on Ctrl-C, or when the engine stops
	// answering (one timeout per remaining item would only add waiting).
	dispatch, stopDispatch := context.WithCancel(ctx)
	defer stopDispatch()
	r := &run{c: c, plan: plan, opts: opts, ctx: dispatch, call: callCtx, settled: make([]bool, len(plan.Items)), stopDispatch: stopDispatch,
		chains: map[string]*sync.Mutex{}, imageItems: map[string]int{}}
	byType := map[Type][]int{}
	for i, it := range plan.Items {
		byType[it.Type] = append(byType[it.Type], i)
		if it.Type == TypeImage && it.Action != ActionUntag {
			r.imageItems[it.ID] = i
		}
	}
	for i, it := range plan.Items {
		if typeRank(it.Type) == len(types) {
			r.settle(i, r.failed(it, fmt.Errorf("unknown item type %q", it.Type)))
		}
	}
	r.pool(byType[TypeContainer], r.container, nil)
	r.pool(byType[TypeNetwork], r.network, nil)
	r.pool(byType[TypeVolume], r.volume, nil)
	var untags, removes []int
	for _, i := range byType[TypeImage] {
		if plan.Items[i].Action == ActionUntag {
			untags = append(untags, i)
		} else {
			removes = append(removes, i)
		}
	}
	r.pool(untags, r.untag, nil)
	r.imagePasses(removes)
	r.buildCache(byType[TypeBuildCache])

	for i, it := range plan.Items {
		if !r.settled[i] {
			if r.logErr != nil {
				r.settle(i, r.outcome(it, ResultSkipped, "not attempted: the log could not be written"))
				continue
			}
			if r.goneErr != nil {
				r.settle(i, r.outcome(it, ResultSkipped, "not attempted: the engine stopped answering"))
				continue
			}
			r.interrupted = true
			r.settle(i, r.outcome(it, ResultSkipped, interruptedReason))
		}
	}
	res := Result{Removed: []Outcome{}, Skipped: []Outcome{}, Failed: []Outcome{}, Total: len(plan.Items)}
	sort.SliceStable(r.outcomes, func(i, j int) bool {
		a, b := r.outcomes[i], r.outcomes[j]
		if a.index != b.index {
			return a.index < b.index
		}
		return a.seq < b.seq
	})
	for _, o := range r.outcomes {
		switch o.Result {
		case ResultRemoved, ResultUntagged:
			res.Removed = append(res.Removed, o)
			res.ReclaimedBytes += o.Bytes
		case ResultFailed:
			res.Failed = append(res.Failed, o)
		default:
			res.Skipped = append(res.Skipped, o)
		}
	}
	res.Interrupted = r.interrupted
	if r.logErr != nil {
		res.logErr = r.logErr
		res.LogError = r.logErr.Error()
	}
	if r.goneErr != nil {
		res.EngineGone = r.goneErr.Error()
	}
	return res
}

// run is one Apply's state.
type run struct {
	c    Client
	plan Plan
	opts ApplyOptions
	ctx  context.Context // cancellation: stop handing out work
	call context.Context // engine calls: survive cancellation for Grace

	mu          sync.Mutex
	settled     []bool
	outcomes    []Outcome
	done        int
	bytes       int64
	seq         int
	interrupted bool

	// gone is the first error that says the engine stopped answering;
	// stopDispatch then ends the handing out of work.
	goneErr      error
	stopDispatch context.CancelFunc
	// logErr is the first error opts.Log returned; it stops the dispatch
	// too.
	logErr error

	// children counts each image's child images and parents maps each
	// image to its parent (the classic builder's parent links), refreshed
	// before every image pass; nil when the engine could not list them.
	children map[string]int
	parents  map[string]string
	// chains serialises the removals within one parent chain (see
	// lockChain), by the chain's top image.
	chains map[string]*sync.Mutex
	// imageItems maps image ids to their whole-image items, for images
	// the engine removes along with another.
	imageItems map[string]int
}

// refreshChildren lists every image (intermediate ones too) to learn which
// have children. The engine refuses to delete an image with children, but
// only after it has removed the tag it was asked to remove, so an image
// with children is never untagged: it waits for a later pass.
func (r *run) refreshChildren() {
	list, err := r.c.ImageList(r.call, image.ListOptions{All: true})
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.children, r.parents = nil, nil
		return
	}
	r.children, r.parents = map[string]int{}, map[string]string{}
	for _, s := range list {
		if s.ParentID != "" {
			r.children[s.ParentID]++
			r.parents[s.ID] = s.ParentID
		}
	}
}

// lockChain waits until no other removal of image id's parent chain is in
// flight, and returns the unlock. Removing an image also removes the
// untagged parents it leaves unused; two removals in one chain at once
// (classic-builder images FROM one base plus the same step) both try to
// remove their shared parent, and the engine answers the one that comes
// second with an error ("unrecognized image ID") though its image is gone.
// Without the parent links every image is one chain.
func (r *run) lockChain(id string) func() {
	r.mu.Lock()
	top := ""
	if r.parents != nil {
		top = id
		seen := map[string]bool{id: true}
		for p := r.parents[top]; p != "" && !seen[p]; p = r.parents[top] {
			seen[p] = true
			top = p
		}
	}
	m := r.chains[top]
	if m == nil {
		m = &sync.Mutex{}
		r.chains[top] = m
	}
	r.mu.Unlock()
	m.Lock()
	return m.Unlock
}

func (r *run) hasChildren(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.children[id] > 0
}

// handler re-checks and removes one item.
type handler func(it Item) Outcome

// isSettled reports whether item i has its final outcome (an earlier pass,
// or a record the engine pruned along with another).
func (r *run) isSettled(i int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.settled[i]
}

// settle records item i's final outcome.
func (r *run) settle(i int, o Outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.settled[i] {
		return
	}
	r.settled[i] = true
	r.done++
	r.record(i, o)
	if r.opts.Progress != nil {
		r.opts.Progress(r.done, len(r.plan.Items), r.bytes)
	}
}

// record appends an outcome; r.mu is held.
func (r *run) record(i int, o Outcome) {
	o.index, o.seq = i, r.seq
	r.seq++
	if o.Result == ResultRemoved || o.Result == ResultUntagged {
		r.bytes += o.Bytes
	}
	r.outcomes = append(r.outcomes, o)
	if r.opts.Log != nil {
		if err := r.opts.Log(o); err != nil && r.logErr == nil {
			r.logErr = err
			r.stopDispatch()
		}
	}
}

// pool runs h over the items idx with opts.Concurrency workers. Workers
// take no new item once r.ctx is done. hold, if set, may keep an outcome
// back (not settled) and returns true when it does.
func (r *run) pool(idx []int, h handler, hold func(i int, o Outcome) bool) {
	if len(idx) == 0 {
		return
	}
	var mu sync.Mutex
	next := 0
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if r.ctx.Err() != nil || next >= len(idx) {
			return 0, false
		}
		next++
		return idx[next-1], true
	}
	var wg sync.WaitGroup
	for range min(r.opts.Concurrency, len(idx)) {
		wg.Go(func() {
			for {
				i, ok := take()
				if !ok {
					return
				}
				if r.isSettled(i) {
					continue
				}
				o := h(r.plan.Items[i])
				if hold != nil && hold(i, o) {
					continue
				}
				r.settle(i, o)
			}
		})
	}
	wg.Wait()
}

// imagePasses removes whole images. The engine refuses (409) to remove an
// image with dependent child images; such refusals are retried after the
// rest, for as long as a pass removes something.
func (r *run) imagePasses(idx []int) {
	// No pass, nor its image list, once dispatch has stopped: against a
	// hung engine the list would be one more --timeout.
	for len(idx) > 0 && r.ctx.Err() == nil {
		r.refreshChildren()
		var mu sync.Mutex
		held := map[int]Outcome{}
		progressed := false
		r.pool(idx, r.image, func(i int, o Outcome) bool {
			mu.Lock()
			defer mu.Unlock()
			if o.Result == ResultFailed && o.Status == http.StatusConflict {
				held[i] = o
				return true
			}
			if o.Result == ResultRemoved {
				progressed = true
			}
			return false
		})
		var retry []int
		for _, i := range idx {
			if o, ok := held[i]; ok {
				if progressed && r.ctx.Err() == nil {
					retry = append(retry, i)
				} else {
					r.settle(i, o)
				}
			}
		}
		idx = retry
	}
}

func (r *run) outcome(it Item, result, reason string) Outcome {
	return Outcome{Time: r.opts.Now(), Type: it.Type, ID: it.ID, Name: it.Name, Reason: reason, Result: result}
}

func (r *run) removed(it Item) Outcome {
	o := r.outcome(it, ResultRemoved, it.Reason)
	o.Bytes = it.Bytes
	if it.Action == ActionUntag {
		o.Result = ResultUntagged
		o.Bytes = 0
	}
	return o
}

func (r *run) skipped(it Item, format string, a ...any) Outcome {
	return r.outcome(it, ResultSkipped, fmt.Sprintf(format, a...))
}

func (r *run) gone(it Item, reason string) Outcome {
	return r.outcome(it, ResultGone, reason)
}

func (r *run) failed(it Item, err error) Outcome {
	if engineGone(err) {
		r.mu.Lock()
		if r.goneErr == nil {
			r.goneErr = err
		}
		r.mu.Unlock()
		r.stopDispatch()
	}
	o := r.outcome(it, ResultFailed, it.Reason)
	o.Error = err.Error()
	o.Status = statusOf(err)
	return o
}

// engineGone reports errors that mean the engine itself stopped answering
// (connection refused or dropped, request timed out), as opposed to an
// answer about one object.
func engineGone(err error) bool { return engine.Gone(err) }

// statusOf is the engine's HTTP status for err, or 0 when err is not an
// engine answer.
func statusOf(err error) int {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return 0
	}
	return engine.StatusOf(err)
}

func notFound(err error) bool { return err != nil && statusOf(err) == http.StatusNotFound }

const alreadyGone = "already gone"

// users lists the containers (any state) that the engine's filter f
// selects (every container when f is empty) and keep accepts, sorted by
// name.
func (r *run) users(what string, f filters.Args, keep func(container.Summary) bool) ([]string, error) {
	list, err := r.c.ContainerList(r.call, container.ListOptions{All: true, Filters: f})
	if err != nil {
		return nil, fmt.Errorf("listing containers using %s: %w", what, err)
	}
	var names []string
	for _, s := range list {
		if keep != nil && !keep(s) {
			continue
		}
		name := inspect.ContainerName(s)
		if name == "" {
			name = shortID(s.ID)
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return names, nil
}

func filtersOf(key, value string) filters.Args {
	return filters.NewArgs(filters.Arg(key, value))
}

// guarded re-applies the plan's guards at removal time: a label put on an
// object, or a name given to it, after the plan still protects it.
func (r *run) guarded(it Item, labels map[string]string, names, refs []string) (Outcome, bool) {
	var g Guards
	if r.plan.Guards != nil {
		g = *r.plan.Guards
	}
	if why := g.protects(labels, names, refs); why != "" {
		return r.skipped(it, "now kept: %s", why), true
	}
	return Outcome{}, false
}

func (r *run) container(it Item) Outcome {
	info, err := r.c.ContainerInspect(r.call, it.ID)
	if notFound(err) {
		reason := alreadyGone
		if it.Name != "" {
			if other, err := r.c.ContainerInspect(r.call, it.Name); err == nil && other.ContainerJSONBase != nil && other.ID != it.ID {
				reason += "; name " + it.Name + " now belongs to container " + shortID(other.ID)
			}
		}
		return r.gone(it, reason)
	}
	if err != nil {
		return r.failed(it, fmt.Errorf("inspecting container %s: %w", it.Name, err))
	}
	if info.ContainerJSONBase != nil && info.ID != "" && info.ID != it.ID {
		return r.skipped(it, "the plan's id %s does not name container %s exactly", it.ID, shortID(info.ID))
	}
	var labels map[string]string
	if info.Config != nil {
		labels = info.Config.Labels
	}
	name := it.Name
	if info.ContainerJSONBase != nil && info.Name != "" {
		name = strings.TrimPrefix(info.Name, "/")
	}
	if o, stop := r.guarded(it, labels, []string{name}, nil); stop {
		return o
	}
	if info.ContainerJSONBase != nil && info.State != nil {
		st := info.State
		switch {
		case st.Status == "running" || st.Status == "paused" || st.Status == "restarting":
			return r.skipped(it, "now %s", st.Status)
		case st.Running || st.Paused || st.Restarting:
			return r.skipped(it, "now running")
		}
	}
	if err := r.c.ContainerRemove(r.call, it.ID, container.RemoveOptions{}); err != nil {
		if notFound(err) {
			return r.gone(it, alreadyGone)
		}
		return r.failed(it, fmt.Errorf("removing container %s: %w", it.Name, err))
	}
	return r.removed(it)
}

// inspected turns the re-check's inspect answer into the item's outcome
// when it cannot go on: gone (404), failed, or an object whose id is not
// exactly the plan's (a short or edited id in a saved plan).
func (r *run) inspected(it Item, what, gotID string, err error) (Outcome, bool) {
	switch {
	case notFound(err):
		return r.gone(it, alreadyGone), true
	case err != nil:
		return r.failed(it, fmt.Errorf("inspecting %s %s: %w", what, it.Name, err)), true
	case gotID != "" && gotID != it.ID:
		return r.skipped(it, "the plan's id %s does not name %s %s exactly", it.ID, what, shortID(gotID)), true
	}
	return Outcome{}, false
}

func (r *run) network(it Item) Outcome {
	info, err := r.c.NetworkInspect(r.call, it.ID, network.InspectOptions{})
	if o, stop := r.inspected(it, "network", info.ID, err); stop {
		return o
	}
	name := info.Name
	if name == "" {
		name = it.Name
	}
	if o, stop := r.guarded(it, info.Labels, []string{name}, nil); stop {
		return o
	}
	if len(info.Containers) > 0 {
		var names []string
		for id, ep := range info.Containers {
			n := ep.Name
			if n == "" {
				n = shortID(id)
			}
			names = append(names, n)
		}
		sort.Strings(names)
		return r.skipped(it, "now %s", usedBy(names))
	}
	// Every container, in any state, filtered by dockctl's own definition
	// of a network's users: the engine's network filter misses some.
	users, err := r.users("network "+name, filters.Args{}, func(s container.Summary) bool {
		return inspect.AttachedToNetwork(s, it.ID, name)
	})
	if err != nil {
		return r.failed(it, err)
	}
	if len(users) > 0 {
		return r.skipped(it, "now %s", usedBy(users))
	}
	if err := r.c.NetworkRemove(r.call, it.ID); err != nil {
		if notFound(err) {
			return r.gone(it, alreadyGone)
		}
		return r.failed(it, fmt.Errorf("removing network %s: %w", it.Name, err))
	}
	return r.removed(it)
}

func (r *run) volume(it Item) Outcome {
	v, err := r.c.VolumeInspect(r.call, it.ID)
	if notFound(err) {
		return r.gone(it, alreadyGone)
	} else if err != nil {
		return r.failed(it, fmt.Errorf("inspecting volume %s: %w", it.Name, err))
	}
	// A volume is known by its name only: one removed and created again
	// since the plan is another volume, with other data.
	if created, err := time.Parse(time.RFC3339, v.CreatedAt); err == nil && !r.plan.Time.IsZero() && created.After(r.plan.Time) {
		return r.skipped(it, "created again since the plan (%s)", created.UTC().Format(time.RFC3339))
	}
	if o, stop := r.guarded(it, v.Labels, []string{v.Name}, nil); stop {
		return o
	}
	users, err := r.users(it.ID, filtersOf("volume", it.ID), nil)
	if err != nil {
		return r.failed(it, err)
	}
	if len(users) > 0 {
		return r.skipped(it, "now %s", usedBy(users))
	}
	if err := r.c.VolumeRemove(r.call, it.ID, false); err != nil {
		if notFound(err) {
			return r.gone(it, alreadyGone)
		}
		return r.failed(it, fmt.Errorf("removing volume %s: %w", it.Name, err))
	}
	return r.removed(it)
}

// imageLabels are an inspected image's labels.
func imageLabels(info image.InspectResponse) map[string]string {
	if info.Config == nil {
		return nil
	}
	return info.Config.Labels
}

// imageUsers are the containers created from image id itself.
func (r *run) imageUsers(id string) ([]string, error) {
	return r.users(id, filtersOf("ancestor", id), func(s container.Summary) bool { return s.ImageID == id })
}

func (r *run) untag(it Item) Outcome {
	if len(it.Refs) != 1 {
		return r.failed(it, fmt.Errorf("untag item for %s has %d refs, want 1", it.ID, len(it.Refs)))
	}
	ref := it.Refs[0]
	info, err := r.c.ImageInspect(r.call, ref)
	if notFound(err) {
		return r.gone(it, "tag "+ref+" already gone")
	}
	if err != nil {
		return r.failed(it, fmt.Errorf("inspecting image %s: %w", ref, err))
	}
	if info.ID != it.ID {
		return r.skipped(it, "tag %s now points to image %s", ref, shortID(info.ID))
	}
	if len(info.RepoTags) <= 1 {
		return r.skipped(it, "%s is now the image's only tag: untagging would remove the image the plan keeps", ref)
	}
	if o, stop := r.guarded(it, imageLabels(info), nil, []string{ref}); stop {
		return o
	}
	users, err := r.imageUsers(it.ID)
	if err != nil {
		return r.failed(it, err)
	}
	if len(users) > 0 {
		return r.skipped(it, "image now %s", usedBy(users))
	}
	if _, err := r.c.ImageRemove(r.call, ref, image.RemoveOptions{}); err != nil {
		if notFound(err) {
			return r.gone(it, "tag "+ref+" already gone")
		}
		return r.failed(it, fmt.Errorf("untagging %s: %w", ref, err))
	}
	return r.removed(it)
}

func (r *run) image(it Item) Outcome {
	unlock := r.lockChain(it.ID)
	defer unlock()
	if i, ok := r.imageItems[it.ID]; ok && r.isSettled(i) {
		// Removed along with another image while this one waited for its
		// chain: settle keeps that outcome and drops this one.
		return Outcome{}
	}
	info, err := r.c.ImageInspect(r.call, it.ID)
	if o, stop := r.inspected(it, "image", info.ID, err); stop {
		return o
	}
	tags := append([]string{}, info.RepoTags...)
	sort.Strings(tags)
	if o, stop := r.guarded(it, imageLabels(info), nil, append(append([]string{}, tags...), info.RepoDigests...)); stop {
		return o
	}
	for _, t := range tags {
		if !contains(it.Refs, t) {
			return r.skipped(it, "tagged %s since the plan", t)
		}
	}
	for _, ref := range it.Refs {
		if contains(tags, ref) {
			continue
		}
		other, err := r.c.ImageInspect(r.call, ref)
		switch {
		case notFound(err):
		case err != nil:
			return r.failed(it, fmt.Errorf("inspecting image %s: %w", ref, err))
		case other.ID != it.ID:
			return r.skipped(it, "tag %s now points to image %s", ref, shortID(other.ID))
		}
	}
	users, err := r.imageUsers(it.ID)
	if err != nil {
		return r.failed(it, err)
	}
	if len(users) > 0 {
		return r.skipped(it, "now %s", usedBy(users))
	}
	if r.hasChildren(it.ID) {
		// A 409 like the engine's, without touching the tags: retried
		// after the rest of the phase, when its children may be gone.
		return r.failed(it, fmt.Errorf("removing image %s: image has dependent child images: %w", it.Name, cerrdefs.ErrConflict))
	}
	// Untag each tag (the engine deletes the image with its last tag),
	// then remove what is left by id: no force needed. Only what the
	// engine says these calls did counts as dockctl's doing.
	opts := image.RemoveOptions{PruneChildren: true}
	var untagged []string
	deleted := false
	for n, t := range tags {
		if n > 0 {
			// The engine refuses to remove the last tag of an image a
			// container uses, but not the others: a container created
			// since the last check must stop the untagging here.
			users, err := r.imageUsers(it.ID)
			if err != nil {
				return r.partly(it, untagged, "before the removal failed", r.failed(it, err))
			}
			if len(users) > 0 {
				return r.partly(it, untagged, "before a container used the image", r.skipped(it, "now %s; its tags %s stay (%s was untagged before the container appeared)",
					usedBy(users), strings.Join(tags[n:], ", "), strings.Join(untagged, ", ")))
			}
		}
		resp, err := r.c.ImageRemove(r.call, t, opts)
		if notFound(err) {
			continue // the tag went meanwhile, not by dockctl
		}
		if err != nil {
			if o, ok := r.parentGone(it, err); ok {
				return r.partly(it, untagged, "before the image was gone", o)
			}
			return r.partly(it, untagged, "before the removal failed", r.failed(it, fmt.Errorf("removing image %s: untagging %s: %w", it.Name, t, err)))
		}
		untagged = append(untagged, t)
		deleted = r.deletedWith(it, resp) || deleted
	}
	if !deleted {
		resp, err := r.c.ImageRemove(r.call, it.ID, opts)
		switch {
		case notFound(err):
			return r.partly(it, untagged, "before the image was gone", r.gone(it, alreadyGone+": removed by another client"))
		case err != nil:
			if o, ok := r.parentGone(it, err); ok {
				return r.partly(it, untagged, "before the image was gone", o)
			}
			return r.partly(it, untagged, "before the removal failed", r.failed(it, fmt.Errorf("removing image %s: %w", it.Name, err)))
		}
		r.deletedWith(it, resp)
	}
	return r.removed(it)
}

// deletedWith reads what one image removal deleted: it reports whether
// that includes it, and settles the planned images the engine deleted
// along with it (untagged parents it left unused) as removed.
func (r *run) deletedWith(it Item, resp []image.DeleteResponse) bool {
	deleted := false
	for _, d := range resp {
		switch j, planned := r.imageItems[d.Deleted]; {
		case d.Deleted == "":
		case d.Deleted == it.ID:
			deleted = true
		case planned:
			o := r.removed(r.plan.Items[j])
			o.Reason += "; removed by the engine along with " + it.Name
			r.settle(j, o)
		}
	}
	return deleted
}

var unrecognizedImage = regexp.MustCompile(`unrecognized image ID (sha256:[0-9a-f]{64})`)

// parentGone reads the engine's "unrecognized image ID" answer to an image
// removal: the image it names was gone by the time the engine came to
// delete it. When that is it, another client removed it; when it is a
// parent (removed meanwhile by another removal), the engine had already
// deleted it, so this removal did its job.
func (r *run) parentGone(it Item, err error) (Outcome, bool) {
	m := unrecognizedImage.FindStringSubmatch(err.Error())
	if m == nil {
		return Outcome{}, false
	}
	if _, ierr := r.c.ImageInspect(r.call, it.ID); !notFound(ierr) {
		return Outcome{}, false
	}
	if m[1] == it.ID {
		return r.gone(it, alreadyGone+": removed by another client"), true
	}
	o := r.removed(it)
	o.Reason += "; its parent image " + shortID(m[1]) + " was removed meanwhile by another removal"
	return o, true
}

// partly records the untags dockctl made on the way to an outcome other
// than the image's removal (each as an untagged outcome: they happened),
// then returns that outcome. A removal's outcome stands for its untags.
func (r *run) partly(it Item, untagged []string, when string, o Outcome) Outcome {
	i, ok := r.imageItems[it.ID]
	if !ok || len(untagged) == 0 || o.Result == ResultRemoved {
		return o
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, t := range untagged {
		u := r.outcome(it, ResultUntagged, "untagged by dockctl "+when)
		u.Name = t
		r.record(i, u)
	}
	return o
}

// buildCache prunes records one call each, in plan order (children
// first), one at a time. Records the engine prunes along with one are
// recorded too: planned ones as removed, others as extra outcomes.
func (r *run) buildCache(idx []int) {
	planned := map[string]int{}
	for _, i := range idx {
		planned[r.plan.Items[i].ID] = i
	}
	for _, i := range idx {
		if r.ctx.Err() != nil {
			return
		}
		if r.isSettled(i) {
			continue
		}
		it := r.plan.Items[i]
		// The engine matches the id filter as a regular expression: anchor
		// and quote it so that one record, exactly, is meant.
		rep, err := r.c.BuildCachePrune(r.call, build.CachePruneOptions{All: true, Filters: filtersOf("id", "^"+regexp.QuoteMeta(it.ID)+"$")})
		if err != nil {
			r.settle(i, r.failed(it, fmt.Errorf("pruning build cache %s: %w", shortID(it.ID), err)))
			continue
		}
		var deleted []string
		if rep != nil {
			deleted = append(deleted, rep.CachesDeleted...)
		}
		sort.Strings(deleted)
		if contains(deleted, it.ID) {
			r.settle(i, r.removed(it))
		} else {
			r.settle(i, r.skipped(it, "not pruned by the engine (now in use, or already gone)"))
		}
		for _, d := range deleted {
			if d == it.ID {
				continue
			}
			if j, ok := planned[d]; ok {
				o := r.removed(r.plan.Items[j])
				o.Reason += "; pruned along with " + shortID(it.ID)
				r.settle(j, o)
				continue
			}
			r.mu.Lock()
			o := Outcome{Time: r.opts.Now(), Type: TypeBuildCache, ID: d, Result: ResultRemoved, Reason: "pruned by the engine along with " + shortID(it.ID)}
			r.record(i, o)
			r.mu.Unlock()
		}
	}
}
