package prune

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
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
	// Logs is the file system log items act on; nil when the engine's
	// root dir is not readable here (log items then fail). A dry run
	// reads through it and changes nothing.
	Logs LogFS
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
		if opts.Logs != nil {
			opts.Logs = dryLogFS{opts.Logs}
		}
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
	r.pool(byType[TypeLog], r.log, nil)

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
