package cmd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dockctl/dockctl/internal/clierr"
	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/lock"
	"github.com/dockctl/dockctl/internal/outfile"
	"github.com/dockctl/dockctl/internal/prune"
	"github.com/dockctl/dockctl/internal/render"
	"github.com/dockctl/dockctl/internal/usage"
)

// PruneOptions are the flags of `dockctl prune`.
type PruneOptions struct {
	RunEnv
	All, Volumes, AllVolumes, IncludeRunningProjects, Force bool
	DryRun, Yes                                             bool
	Keep, KeepLabels, Filters                               []string
	OlderThan                                               Duration
	TargetUsage                                             Size
	// LargerThan is the log size over which `prune logs` removes a
	// container's rotated log files.
	LargerThan                          Size
	HighWatermark, LowWatermark         Percent
	KeepRecent, MaxRemove, Concurrency  int
	PlanOut, ApplyFile, LogFile, Format string
	NoCache                             bool
	Every                               Duration

	policy prune.Policy
	every  time.Duration

	// Project scopes the prune to one compose project (--project).
	Project string
}

// pruneKindNames are the kinds prune takes, as its help has always listed
// them.
var pruneKindNames = []string{"containers", "images", "volumes", "networks", "buildcache", "logs"}

// NewPruneCmd builds `dockctl prune`; runF as NewInspectCmd's.
func NewPruneCmd(f *Factory, runF func(*PruneOptions) error) *cobra.Command {
	opts := &PruneOptions{Format: "table", TargetUsage: Size{Positive: true}}
	c := &cobra.Command{
		Use:         "prune [" + strings.Join(pruneKindNames, "|") + "]...",
		Annotations: map[string]string{fleetAnnotation: "true"},
		Short:       "Remove unused objects with guards; the dry run is exactly what is removed",
		Long: `Plan, then remove. Every object of the kinds in scope is either in the plan
(with the bytes it frees and why) or kept (with the reason it is kept). With
no kinds, containers, networks, images and build cache are in scope; volumes
only with --volumes (anonymous) or --all-volumes (named too). The engine says
which volumes are anonymous from Docker 23.0 on; older engines do not record
it, so there a volume whose name is 64 hex digits counts as anonymous (the
plan's reason says so): give it --keep or dockctl.keep=true to keep it.

Never removed: running, paused or restarting containers, and anything a
container that stays uses; objects labelled dockctl.keep=true; objects of a
compose project with a running container (unless --include-running-projects).
An image that a kept container uses keeps every tag.

Removal runs in docker's order (containers, networks, volumes, images, build
cache), so what the removed containers held is freed in the same run. Each
item is re-checked just before it is removed, with the plan's guards
(dockctl.keep, --keep, --keep-label: a saved plan carries them) and its users
in any state (a network's created and stopped containers too); what changed
since the plan is skipped, never forced.

On a terminal, prune shows the plan (on stderr) and asks before removing;
not on one (stdin or stderr redirected, /dev/null included), it refuses to
delete without --yes.

The logs kind is never in the default kinds: "prune logs --larger-than SIZE"
removes the rotated files (<id>-json.log.1, .2, .N.gz) of the json-file log
of each running container whose log files together are larger than SIZE. It
never empties a live log file: the engine remembers the size it last wrote
and "docker logs" (and -f) reads only up to it, so an emptied file would show
no new line, for good when the log has no max-size (it never rotates). A
container without max-size is kept, with how to bound its log. Only json-file
logs: the local driver's and other drivers' files are never touched. A
stopped container's log goes when the container is removed (prune
containers). It reads and removes files under the engine's root dir, so it
runs where that dir is readable (the engine's host, as root); elsewhere it
exits 1 and says so. The guards, --filter and --keep are the container's. To
keep logs small for good, start containers with --log-opt max-size=10m
--log-opt max-file=3 (or set log-opts in daemon.json); "report -v" lists the
containers without a max-size.

With --every DURATION prune is a long-lived housekeeping process: a round
now, then one every DURATION from each round's start (an overrunning round
is followed at once, never overlapped), each planned anew from what the
engine holds then. Each round logs one line on stderr (time, round, status,
the exit code a single run would have had, duration); --log keeps appending
every removal. An unreachable engine is retried with backoff (1s, 2s, 4s…
up to DURATION or 5m); other failures are logged and the next round runs on
schedule. SIGTERM or Ctrl-C cuts the running round short (no new removal;
those in flight complete), then exits 0. It needs --yes (or --dry-run), refuses --apply and
--plan-out, and prints each round's output with a header line (--format
json: one compact JSON document per line, JSON Lines).

With several engines (repeat -H/--context, or --all-contexts) prune plans
on each, a dry run only: deleting is decided one engine at a time.

` + exitCodesHelp,
		Example: `  dockctl prune --dry-run
  dockctl prune --yes --all --older-than 7d --keep 'postgres:*'
  dockctl prune images --all --keep-recent 3 --dry-run
  dockctl prune logs --larger-than 100MB --dry-run
  dockctl prune --project shop --all --all-volumes --dry-run
  dockctl prune --yes --all --high-watermark 85% --low-watermark 70%
  dockctl prune --dry-run --all --plan-out plan.json && dockctl prune --apply plan.json --yes
  dockctl prune --yes --all --older-than 7d --every 24h --log /var/log/dockctl-prune.jsonl`,
		ValidArgs: pruneKindNames,
		RunE: func(c *cobra.Command, args []string) error {
			opts.RunEnv = f.runEnv()
			if err := opts.checkEvery(c); err != nil {
				return err
			}
			if opts.ApplyFile != "" {
				// A saved plan is applied as it was reviewed: flags that
				// would change what it removes belong to the planning run.
				for _, name := range []string{"all", "volumes", "all-volumes", "keep", "keep-label", "filter", "older-than",
					"keep-recent", "include-running-projects", "target-usage", "high-watermark", "low-watermark", "larger-than", "plan-out", "project"} {
					if c.Flags().Changed(name) {
						return clierr.Usage("--apply", opts.ApplyFile, "--%s changes what a plan removes: give it when making the plan, not when applying it", name)
					}
				}
			}
			if err := opts.toPolicy(args, f); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			if opts.every > 0 {
				return runPruneEvery(c.Context(), f, opts)
			}
			return runPrune(c.Context(), f, opts)
		},
	}
	fl := c.Flags()
	fl.BoolVarP(&opts.All, "all", "a", false, "remove every image no kept container uses (not only dangling ones) and all unused build cache")
	fl.BoolVar(&opts.Volumes, "volumes", false, "also remove anonymous volumes no container uses")
	fl.BoolVar(&opts.AllVolumes, "all-volumes", false, "also remove named volumes no container uses (implies --volumes)")
	fl.Var(nonEmptyArray(&opts.Keep), "keep", "keep what matches this glob: image reference, container, volume or network name (repeatable)")
	fl.Var(nonEmptyArray(&opts.KeepLabels), "keep-label", "keep objects with this label, KEY or KEY=VALUE (repeatable)")
	fl.VarP(nonEmptyArray(&opts.Filters), "filter", "f", "limit scope, docker syntax: label=…, label!=…, until=…, id=… (an id prefix; volumes have none and drop out; repeatable)")
	fl.Var(projectFlag(&opts.Project), "project", projectHelp)
	fl.Var(&opts.OlderThan, "older-than", "keep objects younger than this (24h, 7d)")
	fl.IntVar(&opts.KeepRecent, "keep-recent", 0, "keep the N newest images of each repository")
	fl.BoolVar(&opts.IncludeRunningProjects, "include-running-projects", false, "allow removing objects of compose projects that have a running container")
	fl.IntVar(&opts.MaxRemove, "max-remove", 0, "refuse a plan that removes more than N objects (0: no limit)")
	fl.BoolVar(&opts.Force, "force", false, "proceed even if the plan exceeds --max-remove")
	fl.Var(&opts.TargetUsage, "target-usage", "budget mode: remove least recently used images until docker uses at most SIZE (20GB; a unit is needed)")
	fl.Var(&opts.LargerThan, "larger-than", "logs: remove the rotated json-file logs of running containers whose logs are larger than SIZE (100MB; a unit is needed)")
	fl.Var(&opts.HighWatermark, "high-watermark", "budget mode: act when the Docker root filesystem is fuller than P%")
	fl.Var(&opts.LowWatermark, "low-watermark", "budget mode: remove images until the filesystem is at most P% full")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the plan and change nothing, exiting as the real run would (with --apply: re-check the saved plan now)")
	fl.Var(filePath(&opts.PlanOut), "plan-out", "write the plan as JSON to FILE")
	fl.Var(filePath(&opts.ApplyFile), "apply", "execute a saved plan from FILE, re-checking each item")
	fl.BoolVarP(&opts.Yes, "yes", "y", false, "do not ask for confirmation")
	fl.IntVar(&opts.Concurrency, "concurrency", prune.DefaultConcurrency, "removals in flight at once")
	fl.Var(filePath(&opts.LogFile), "log", "append one JSON line per removal or failure to FILE")
	fl.Var(stringEnum(&opts.Format, render.PruneFormats...), "format", oneOf(render.PruneFormats))
	fl.BoolVar(&opts.NoCache, "no-cache", false, "do not use the layer cache in the user's cache dir")
	fl.Var(&opts.Every, "every", "keep running: a round now, then one every DURATION (24h, 7d; at least 1s), each planned anew, until SIGTERM; needs --yes or --dry-run")
	return c
}

// toPolicy checks every flag before anything talks to the engine.
func (o *PruneOptions) toPolicy(args []string, f *Factory) error {
	if o.Concurrency < 1 || o.Concurrency > 64 {
		return clierr.Usage("--concurrency", fmt.Sprint(o.Concurrency), "must be between 1 and 64")
	}
	if o.ApplyFile != "" && len(args) > 0 {
		return clierr.Usage("--apply", o.ApplyFile, "a saved plan takes no kinds")
	}
	p := prune.Policy{
		DryRun: o.DryRun, All: o.All, AllBuildCache: o.All, Volumes: o.Volumes || o.AllVolumes, AllVolumes: o.AllVolumes,
		Keep: o.Keep, KeepLabels: trimmed(o.KeepLabels), KeepRecent: o.KeepRecent, IncludeRunningProjects: o.IncludeRunningProjects,
		MaxRemove: o.MaxRemove, Force: o.Force,
	}
	seen := map[inspect.Kind]bool{}
	for _, a := range args {
		k, ok := inspect.ParsePruneKind(a)
		if !ok {
			return clierr.Usage("kind", a, "must be one of %s", strings.Join(pruneKindNames, ", "))
		}
		if !seen[k] {
			seen[k] = true
			p.Kinds = append(p.Kinds, k)
		}
	}
	if seen[inspect.KindVolumes] {
		p.Volumes = true
	}
	switch {
	case o.LargerThan.Text != "" && !seen[inspect.KindLogs]:
		return clierr.Usage("--larger-than", o.LargerThan.Text, "is for logs only: dockctl prune logs --larger-than %s", o.LargerThan.Text)
	case seen[inspect.KindLogs] && o.LargerThan.Text == "":
		return &clierr.UsageError{Reason: "prune logs needs --larger-than SIZE: the size over which a log's rotated files are removed (e.g. --larger-than 100MB)"}
	}
	p.LogsLargerThan = o.LargerThan.Bytes
	p.OlderThan, p.TargetUsage = o.OlderThan.D, o.TargetUsage.Bytes
	p.HighWatermark, p.LowWatermark = o.HighWatermark.P, o.LowWatermark.P
	var byLabel bool
	var err error
	if p.Filters, byLabel, err = parseScopeFilters("prune", withProject(o.Filters, o.Project), f.Now()); err != nil {
		return err
	}
	if byLabel && len(p.Kinds) == 0 {
		// A label filter cannot select build-cache records: unless asked
		// for by name, the build cache is out of scope.
		for _, k := range inspect.Kinds {
			if k.Named() && (k != inspect.KindVolumes || p.Volumes) {
				p.Kinds = append(p.Kinds, k)
			}
		}
	}
	if err := p.Validate(); err != nil {
		return err
	}
	for flag, path := range map[string]string{"--plan-out": o.PlanOut, "--log": o.LogFile} {
		if err := checkOutputPath(flag, path); err != nil {
			return err
		}
	}
	if f.Fleet() {
		// Removing on several engines at once is a decision per engine.
		switch {
		case !o.DryRun:
			return &clierr.UsageError{Reason: "prune over several engines is a dry run only: add --dry-run, or prune one engine at a time"}
		case o.PlanOut != "":
			return clierr.Usage("--plan-out", o.PlanOut, "a saved plan is for one engine: give one --host or --context")
		}
	}
	if !o.DryRun && !o.Yes && !(f.IO.InIsTTY && f.IO.ErrIsTTY) {
		return &clierr.UsageError{Reason: "refusing to delete without --yes: stdin is not a terminal, so prune cannot ask (use --dry-run to see the plan)"}
	}
	o.policy = p
	return nil
}

// runPrune is `dockctl prune`: the plan and outcome, rendered once on
// stdout.
func runPrune(ctx context.Context, f *Factory, opts *PruneOptions) error {
	res, err := pruneResult(ctx, f, opts)
	return show(opts.IO.Out, res, err)
}

// pruneResult prunes the engine, or plans on each engine of a fleet (a
// dry run: toPolicy refuses any other), each on its own copy of opts.
func pruneResult(ctx context.Context, f *Factory, opts *PruneOptions) (render.Result, error) {
	if !f.Fleet() {
		if err := reach(ctx, f); err != nil {
			return nil, err
		}
		return pruneRun(ctx, opts)
	}
	return fleetSections(ctx, f, "prune", opts.Format, func(ctx context.Context, env RunEnv) (render.Result, error) {
		o := *opts
		o.RunEnv = env
		return pruneRun(ctx, &o)
	})
}

// pruneRun is one prune: lock, plan, check, ask, apply, measure. Its
// result is nil when there is nothing to show (an error before the plan,
// a "no" at the prompt); a result comes with an error when the plan was
// refused (--max-remove) or some removals failed.
func pruneRun(ctx context.Context, opts *PruneOptions) (render.Result, error) {
	eng, ep, err := opts.Engine()
	if err != nil {
		return nil, err
	}
	if !opts.DryRun {
		release, err := lockForRemoval(ctx, opts.RunEnv, eng, ep.Host)
		if err != nil {
			return nil, err
		}
		defer release()
	}
	ro, err := pruneRenderOptions(opts.RunEnv, opts.Format)
	if err != nil {
		return nil, err
	}
	// The storage probe measures logs (for the plan) and the root dir
	// (for what the disk gets back), and reads the containerd image
	// store's graph for a plan made now. Where it can, it sizes the
	// plan's containers and volumes itself, so that no /system/df is
	// made (minutes on a big host); elsewhere it walks while the engine
	// answers.
	pctx, cancelProbe := context.WithCancel(ctx)
	defer cancelProbe()
	cache := opts.layerCache(opts.NoCache)
	p, reason := openLocalProbe(pctx, eng, ep.Host, nil)
	var sizing *inspect.LayerOptions
	if opts.ApplyFile == "" {
		sizing = &inspect.LayerOptions{Cache: cache}
	}
	pr := startProbe(pctx, eng, p, reason, sizing, opts.ApplyFile == "")
	plan, pol, before, err := planPrune(ctx, eng, opts, pr, cache)
	if err != nil {
		return nil, err
	}
	planned := render.PruneResult{Plan: plan, Options: ro}
	// The dry run makes the real run's checks and exits as it would.
	if err := plan.Check(pol); err != nil {
		var le *prune.LimitError
		if errors.As(err, &le) {
			return planned, &clierr.ThresholdError{Reason: limitReason(le)}
		}
		return nil, err
	}
	switch {
	case opts.DryRun && opts.ApplyFile != "":
		return dryRunSaved(ctx, eng, planned, opts)
	case opts.DryRun:
		return planned, nil
	case len(plan.Items) == 0:
		planned.Outcome = &render.PruneOutcome{MeasuredBytes: 0}
		return planned, nil
	}
	if !opts.Yes {
		ok, err := confirm(ctx, opts.IO, plan, ro)
		if err != nil {
			return nil, err
		}
		if !ok {
			fmt.Fprintln(opts.IO.ErrOut, "Nothing removed.")
			return nil, nil
		}
	}
	res, err := applyPlan(ctx, eng, plan, opts)
	if err != nil {
		return nil, err
	}
	planned.Outcome = &render.PruneOutcome{Result: res, MeasuredBytes: measureFreed(ctx, opts.RunEnv, eng, pr.disk(), cache, before, res), Disk: diskFreed(ctx, pr.disk(), res)}
	return planned, res.Err()
}

// lockForRemoval takes the engine's prune lock (see lockEngine) and
// returns its release.
func lockForRemoval(ctx context.Context, env RunEnv, eng Engine, host string) (release func(), err error) {
	l, err := lockEngine(ctx, env, eng, host)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("nothing removed: %w", clierr.ErrInterrupted)
		}
		return nil, err
	}
	return func() { l.Release() }, nil
}

// pruneRenderOptions are the rendering options of a plan: its format and
// the docker commands behind each type.
func pruneRenderOptions(env RunEnv, format string) (render.PruneOptions, error) {
	explained := map[prune.Type]render.Explained{}
	for _, k := range append(slices.Clone(inspect.Kinds), inspect.KindLogs) {
		var err error
		if explained[prune.TypeOf(k)], err = env.Explained("prune " + k.String()); err != nil {
			return render.PruneOptions{}, err
		}
	}
	return render.PruneOptions{Format: format, Explain: explained}, nil
}

// planPrune reads the saved plan (--apply) or builds one from the engine
// (writing it to --plan-out). It returns the policy the plan is checked
// against and docker's bytes before any removal (-1 when not measured).
func planPrune(ctx context.Context, eng Engine, opts *PruneOptions, pr probeRun, cache *inspect.LayerCache) (prune.Plan, prune.Policy, int64, error) {
	if opts.ApplyFile != "" {
		plan, err := readPlanFile(opts.ApplyFile)
		if err != nil {
			return plan, opts.policy, -1, err
		}
		plan.DryRun = opts.DryRun
		before := int64(-1)
		if !opts.DryRun {
			// The root dir before any removal, then docker's bytes.
			before = dockerBytes(ctx, opts.RunEnv, eng, pr.disk(), cache)
		}
		return plan, opts.policy, before, nil
	}
	inv, pol, err := collectForPrune(ctx, eng, opts, cache, pr.collect)
	if err != nil {
		return prune.Plan{}, pol, -1, err
	}
	d := pr.disk()
	usage.FillLogs(inv, d.m)
	// As the report does, so the plan frees what report's RECLAIMABLE
	// says.
	d.attach(inv)
	plan := prune.BuildPlan(inv, pol, opts.Now())
	if opts.PlanOut != "" {
		var buf bytes.Buffer
		if err := prune.WritePlan(&buf, plan); err != nil {
			return plan, pol, -1, err
		}
		if err := outfile.WriteFile(opts.PlanOut, buf.Bytes(), 0o644); err != nil {
			return plan, pol, -1, fmt.Errorf("writing plan: %w", err)
		}
	}
	return plan, pol, inv.DockerBytes(), nil
}

// readPlanFile reads the saved plan of --apply.
func readPlanFile(path string) (prune.Plan, error) {
	fh, err := os.Open(path)
	if err != nil {
		return prune.Plan{}, clierr.Usage("--apply", path, "%v", err)
	}
	defer fh.Close()
	plan, err := prune.ReadPlan(fh)
	if err != nil {
		return prune.Plan{}, clierr.Usage("--apply", path, "%v", err)
	}
	return plan, nil
}

// dockerBytes is what docker's objects take on disk now, or -1 when the
// engine cannot say. It is counted as the plan's inventory was, so that
// the figures before and after a prune are alike: on disk where the probe
// sizes from the lists (the layer cache has the images' layers already),
// else by the engine.
//
// On the containerd image store, where the probe reads containerd, the
// figure is the store's graph (each blob and snapshot once): read afresh
// here.
func dockerBytes(ctx context.Context, env RunEnv, eng Engine, d diskMeasure, cache *inspect.LayerCache) int64 {
	// Objects only: the root dir is measured apart (diskFreed).
	_, sized := sizeOnDisk(eng, d.p, inspect.LayerOptions{Cache: cache}, true)
	inv, err := inspect.Collect(ctx, eng, []inspect.Kind{inspect.KindImages, inspect.KindContainers, inspect.KindVolumes, inspect.KindBuildCache}, env.Now(), append(env.collectOptions(), sized...)...)
	if err != nil {
		return -1
	}
	if d.p != nil {
		g, err := d.p.Store(ctx)
		if err != nil {
			return -1
		}
		inv.Store = g
	}
	return inv.DockerBytes()
}

// applyPlan removes the plan's items, logging each to --log and drawing
// progress on a terminal.
func applyPlan(ctx context.Context, eng Engine, plan prune.Plan, opts *PruneOptions) (prune.Result, error) {
	ao := prune.ApplyOptions{Concurrency: opts.Concurrency, Now: opts.Now}
	if opts.LogFile != "" {
		lf, err := outfile.Append(opts.LogFile, 0o644)
		if err != nil {
			return prune.Result{}, clierr.Usage("--log", opts.LogFile, "%v", err)
		}
		defer lf.Close()
		ao.Log = prune.JSONLines(lf)
	}
	if opts.IO.ErrIsTTY {
		ao.Progress = progressBar(opts.IO.ErrOut)
	}
	var err error
	if ao.Logs, err = logFS(ctx, eng, plan); err != nil {
		return prune.Result{}, err
	}
	res := prune.Apply(ctx, eng, plan, ao)
	if opts.IO.ErrIsTTY {
		fmt.Fprintln(opts.IO.ErrOut)
	}
	return res, nil
}

// measureFreed is what docker's disk use dropped by since before (-1 when
// it cannot be measured). An engine that stopped answering (or Ctrl-C
// against a hung one, whose removals in flight ran into --timeout) is not
// asked again: measuring would make the wait a second --timeout.
func measureFreed(ctx context.Context, env RunEnv, eng Engine, d diskMeasure, cache *inspect.LayerCache, before int64, res prune.Result) int64 {
	if before < 0 || res.EngineGone != "" {
		return -1
	}
	mctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), env.Timeout)
	defer cancel()
	after := dockerBytes(mctx, env, eng, d, cache)
	if after < 0 {
		return -1
	}
	return before - after
}

// diskFreed measures the root dir again after the removals, unless the
// engine stopped answering (its removals in flight may still change the
// disk, so the figure would mean little).
func diskFreed(ctx context.Context, d diskMeasure, res prune.Result) *render.DiskFreed {
	if res.EngineGone != "" {
		return nil
	}
	return d.freed(context.WithoutCancel(ctx))
}

// dryRunSaved is --apply FILE --dry-run: every item of the saved plan
// re-checked against the engine now, as the real apply would, with nothing
// removed; the plan, then what the re-check would remove, skip and why,
// and the exit code the real apply would have, as far as a run that
// removes nothing can tell.
func dryRunSaved(ctx context.Context, eng Engine, planned render.PruneResult, opts *PruneOptions) (render.Result, error) {
	lfs, err := logFS(ctx, eng, planned.Plan)
	if err != nil {
		return nil, err
	}
	res := prune.Apply(ctx, eng, planned.Plan, prune.ApplyOptions{Concurrency: opts.Concurrency, Now: opts.Now, DryRun: true, Logs: lfs})
	planned.Outcome = &render.PruneOutcome{Result: res, MeasuredBytes: -1}
	return planned, res.Err()
}

// lockEngine takes the prune lock of the engine at host: one deleting
// prune per engine at a time, the second one planning after the first has
// finished, on what is left. The lock is keyed on the engine's own ID, so
// that every address of one engine (two spellings of its socket, a TCP
// port) shares it; an engine reporting no ID is known by its address.
func lockEngine(ctx context.Context, env RunEnv, eng Engine, host string) (*lock.Lock, error) {
	info, err := inspect.ReadEngineInfo(ctx, eng, host)
	if err != nil {
		return nil, err
	}
	key, who := host, host
	if info.ID != "" {
		key, who = "engine-id:"+info.ID, fmt.Sprintf("the engine %s (ID %s)", host, info.ID)
	}
	return lock.Acquire(ctx, env.LockDir, key, func(pid int) {
		fmt.Fprintf(env.IO.ErrOut, "dockctl: another dockctl prune (pid %d) is removing objects on %s; waiting for it (Ctrl-C to give up)\n", pid, who)
	})
}

// collectForPrune reads what the planner needs: every kind (containers
// decide what is in use), image layers for exact bytes, last tag times and
// the filesystem for budget mode. The policy it returns is opts.policy
// with this engine's filesystem; opts' policy is the flags' (each engine
// of a fleet run and each round of a scheduled one has a copy of opts whose
// policy shares the flags' slices and maps), so it is never written here.
func collectForPrune(ctx context.Context, eng Engine, opts *PruneOptions, cache *inspect.LayerCache, sizing []inspect.CollectOption) (*inspect.Inventory, prune.Policy, error) {
	pol := opts.policy
	p := &pol
	inv, err := inspect.Collect(ctx, eng, inspect.Kinds, opts.Now(), append(opts.collectOptions(), sizing...)...)
	if err != nil {
		return nil, pol, err
	}
	if slices.Contains(p.Kinds, inspect.KindLogs) {
		if err := collectLogs(ctx, eng, inv); err != nil {
			return nil, pol, err
		}
	}
	budget := p.TargetUsage > 0 || p.HighWatermark > 0
	if err := inspect.CollectLayers(ctx, eng, inv.Images, inspect.LayerOptions{Cache: cache, TagTimes: budget || p.OlderThan > 0}); err != nil {
		return nil, pol, err
	}
	if p.HighWatermark > 0 {
		_, ep, _ := opts.Engine()
		info, err := inspect.ReadEngineInfo(ctx, eng, ep.Host)
		if err != nil {
			return nil, pol, err
		}
		if info.FSSizeBytes < 0 {
			return nil, pol, fmt.Errorf("--high-watermark needs the Docker root filesystem, which is not on this machine (use --target-usage)")
		}
		// df's Use% is used/(used+available): blocks reserved for root
		// count in neither.
		p.FS = prune.FS{SizeBytes: info.FSUsedBytes + info.FSFreeBytes, FreeBytes: info.FSFreeBytes}
	}
	return inv, pol, nil
}

// confirm shows the plan on stderr, as the dry run renders it in a table
// (what will be removed, with bytes and reasons), then asks on the
// terminal: nobody should answer a question about objects they have not
// seen. stdout stays the one final result. Ctrl-C while it waits ends the
// command (exit 130), nothing removed.
func confirm(ctx context.Context, streams IOStreams, plan prune.Plan, ro render.PruneOptions) (bool, error) {
	if !(streams.InIsTTY && streams.ErrIsTTY) {
		return false, &clierr.UsageError{Reason: "refusing to delete without --yes: stdin is not a terminal"}
	}
	ro.Format = "table"
	if err := render.RenderPrune(streams.ErrOut, plan, nil, ro); err != nil {
		return false, err
	}
	fmt.Fprintln(streams.ErrOut)
	fmt.Fprintf(streams.ErrOut, "Remove %s, freeing %s? [y/N] ", render.Count(len(plan.Items), "object"), render.Size(plan.ReclaimBytes))
	type answer struct {
		line string
		err  error
	}
	ch := make(chan answer, 1)
	go func() {
		line, err := bufio.NewReader(streams.In).ReadString('\n')
		ch <- answer{line, err}
	}()
	var a answer
	select {
	case <-ctx.Done():
		fmt.Fprintln(streams.ErrOut)
		return false, fmt.Errorf("nothing removed: %w", clierr.ErrInterrupted)
	case a = <-ch:
	}
	if a.err != nil && a.err != io.EOF {
		return false, a.err
	}
	switch strings.ToLower(strings.TrimSpace(a.line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// progressBar draws items and bytes done on a terminal line.
func progressBar(w io.Writer) func(done, total int, bytes int64) {
	last := time.Time{}
	return func(done, total int, bytes int64) {
		if done < total && time.Since(last) < 100*time.Millisecond {
			return
		}
		last = time.Now()
		const width = 30
		filled := width * done / max(total, 1)
		fmt.Fprintf(w, "\r[%s%s] %d/%d items, %s freed", strings.Repeat("=", filled), strings.Repeat(" ", width-filled), done, total, render.Size(bytes))
	}
}

// trimmed drops the blanks users leave around KEY=VALUE.
func trimmed(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		k, v, hasValue := strings.Cut(s, "=")
		out[i] = strings.TrimSpace(k)
		if hasValue {
			out[i] += "=" + strings.TrimSpace(v)
		}
	}
	return out
}
