package cmd

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/dockctl/dockctl/internal/clierr"
	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/outfile"
	"github.com/dockctl/dockctl/internal/render"
	"github.com/dockctl/dockctl/internal/usage"
)

// ReportOptions are the flags of `dockctl report`.
type ReportOptions struct {
	RunEnv
	Verbose           bool
	Top               int
	By                string
	Format            string
	Output            string
	FailIfReclaimable Size
	FailIfUsage       Size
	NoCache           bool
	// NoDisk leaves the engine's root dir unread even where it is
	// readable: the engine sizes everything, as for a remote engine.
	NoDisk  bool
	NoTrunc bool
	Filters []string
	Project string
	scope   usage.Scope
	Every   Duration
	every   time.Duration
	Swarm   SwarmOptions
}

// NewReportCmd builds `dockctl report`; runF as NewInspectCmd's.
func NewReportCmd(f *Factory, runF func(*ReportOptions) error) *cobra.Command {
	opts := &ReportOptions{Format: "table"}
	c := &cobra.Command{
		Use:         "report",
		Annotations: map[string]string{fleetAnnotation: "true"},
		Short:       "Summarise disk use like docker system df, with reclaimable figures that are true",
		Long: `Summarise what the engine holds: TOTAL, ACTIVE and SIZE as docker system df
counts them, and RECLAIMABLE as the bytes that pruning each type alone really
frees now (docker's own figure is shown beside it). Image figures come from
layer-level accounting: a layer shared with an image in use is not
reclaimable, and a layer BuildKit's cache also holds is freed only with the
cache. The Local Volumes row counts named volumes too; a line under the
table gives what a full cleanup (dockctl prune --all --volumes: anonymous
volumes only) would free, and with --all-volumes.

-v (or --top N, the N largest) lists the objects with the columns of
dockctl inspect, in every format; --by project gives each compose project's
SIZE (an image two projects use counts in both, marked *, and once in the
Total row) and RECLAIMABLE (its share of the full cleanup). On a terminal
the table fits its width (long cells end in …, notes wrap); --no-trunc
shows everything whole. JSON and HTML carry generated_at and the engine's
name.

Where the engine's root dir is readable here (dockctl on the engine's host,
or the root dir mounted read-only into its container at the same path),
dockctl also measures the disk itself, never writing: a Logs row (containers'
log files; RECLAIMABLE = the logs of the containers a prune removes, which
the Containers row's RECLAIMABLE includes too), an Unaccounted row (the root
dir's du less what the rows' objects take: orphaned layer dirs, tmp/,
BuildKit and containerd metadata; by directory with -v), and how much of the
root dir's du the rows account for. Without access the report says in one
line what it could not see and how to give access.

report only reads: it sends no request that changes the engine.

With --every DURATION report keeps running: a report now, then one every
DURATION from each report's start, each read anew, each logged as one line
on stderr (time, round, status, duration). Reports go to stdout with a
header line before each; --format json writes one compact JSON document
per line (JSON Lines, for log shippers); -o FILE is rewritten each round
(html needs -o). An unreachable engine is retried with backoff (1s, 2s,
4s… up to DURATION or 5m); a --fail-if-… gate that trips is logged and the
next round runs. SIGTERM or Ctrl-C stops it (a report in progress is
dropped): exit 0.

Several engines (repeat -H/--context, or --all-contexts): one section per
engine, a table of the engines with an error row for each that failed, and
totals over those that answered (an engine reached at two addresses counts
once). Exit 1 only when every engine failed, or any did with --strict.

With --swarm-service NAME, dockctl asks the swarm manager it talks to for
the logs of that service (the report service of deploy/swarm/stack.yml,
which writes a JSON report per round on each node) and shows the latest
report of each node as a fleet: a row per node, an error row for a node
with no report in the last --swarm-max-age, and totals.

` + exitCodesHelp,
		Example: `  dockctl report
  dockctl report -v --top 10
  dockctl report --by project
  dockctl report --project shop -v
  dockctl report --format markdown >> "$GITHUB_STEP_SUMMARY"
  dockctl report --format html -o report.html
  dockctl report --fail-if-usage-over 20GB
  dockctl report --every 1h --format json >> /var/log/dockctl-report.jsonl
  dockctl report --all-contexts
  dockctl report -H unix:///var/run/docker.sock -H tcp://build-1:2376 --format json
  dockctl report --swarm-service dockctl_report`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts.RunEnv = f.runEnv()
			if err := opts.validate(opts.Now()); err != nil {
				return err
			}
			if err := opts.checkEvery(c); err != nil {
				return err
			}
			if err := opts.Swarm.check(c, opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			if opts.every > 0 {
				return runReportEvery(c.Context(), f, opts)
			}
			return runReport(c.Context(), f, opts)
		},
	}
	fl := c.Flags()
	fl.BoolVarP(&opts.Verbose, "verbose", "v", false, "add per-object tables, largest first")
	fl.IntVar(&opts.Top, "top", 0, "list only the N largest objects of each type, saying how many are left out (implies -v)")
	fl.Var(nonEmpty(&opts.By), "by", "group by: project (compose project)")
	fl.Var(stringEnum(&opts.Format, render.ReportFormats...), "format", oneOf(render.ReportFormats))
	fl.VarP(filePath(&opts.Output), "output", "o", "write the report to FILE instead of stdout")
	fl.Var(&opts.FailIfReclaimable, "fail-if-reclaimable-over", "exit 4 if a full cleanup (the report's last line) would free more than SIZE (500MB, 2GiB; a unit is needed)")
	fl.Var(&opts.FailIfUsage, "fail-if-usage-over", "exit 4 if docker uses more than SIZE in all (20GB; a unit is needed)")
	fl.BoolVar(&opts.NoTrunc, "no-trunc", false, "do not cut ids, names and other long cells to the terminal's width")
	fl.BoolVar(&opts.NoCache, "no-cache", false, "do not use the layer cache in the user's cache dir")
	fl.BoolVar(&opts.NoDisk, "no-disk", false, "do not read the engine's root dir here: no Logs row, no on-disk accounting, and containers and volumes sized by the engine's /system/df (as for a remote engine)")
	fl.Var(&opts.Every, "every", "keep running: a report now, then one every DURATION (1h, 24h, 7d; at least 1s) until SIGTERM; --format json prints JSON Lines")
	fl.VarP(nonEmptyArray(&opts.Filters), "filter", "f", "report only on objects matching label=…, label!=…, until=… or id=… (an id prefix; volumes have none and drop out; repeatable); build cache has no labels and drops out under a label filter")
	addSwarmFlags(fl, &opts.Swarm)
	fl.Var(projectFlag(&opts.Project), "project", projectHelp)
	return c
}

// parseScope turns --filter into the report's scope.
func (o *ReportOptions) parseScope(now time.Time) error {
	filters, _, err := parseScopeFilters("report", withProject(o.Filters, o.Project), now)
	o.scope = usage.Scope{Filters: filters}
	return err
}

func (o *ReportOptions) validate(now time.Time) error {
	if err := checkOutputPath("--output", o.Output); err != nil {
		return err
	}
	if o.By != "" && o.By != "project" {
		return clierr.Usage("--by", o.By, "must be project")
	}
	if err := o.parseScope(now); err != nil {
		return err
	}
	if o.Top < 0 {
		return clierr.Usage("--top", fmt.Sprint(o.Top), "must not be negative")
	}
	// --top without -v would be silently ignored: it asks for the lists.
	if o.Top > 0 {
		o.Verbose = true
	}
	return nil
}

// runReport is `dockctl report`: the report, rendered once on stdout or
// into --output, then the gates' verdict.
func runReport(ctx context.Context, f *Factory, opts *ReportOptions) error {
	res, err := reportResult(ctx, f, opts)
	return showReport(opts, res, err)
}

// reportResult reports on the engine, on each engine of a fleet, or on
// each node of a swarm service; the error is a --fail-if-… gate that
// tripped when the result is not nil.
func reportResult(ctx context.Context, f *Factory, opts *ReportOptions) (render.Result, error) {
	if opts.Swarm.Service != "" {
		return swarmReport(ctx, f, opts)
	}
	if f.Fleet() {
		return fleetReport(ctx, f, opts)
	}
	if err := reach(ctx, f); err != nil {
		return nil, err
	}
	return reportRun(ctx, opts)
}

// reportRun reports on opts' engine; the error is a --fail-if-… gate
// that tripped when the result is not nil.
func reportRun(ctx context.Context, opts *ReportOptions) (render.Result, error) {
	r, err := buildReport(ctx, opts)
	if err != nil {
		return nil, err
	}
	ro, err := reportOptions(opts)
	if err != nil {
		return nil, err
	}
	return render.ReportResult{Report: r, Options: ro}, gates(r, opts)
}

// showReport writes res (when there is one) to --output or stdout, then
// returns err.
func showReport(opts *ReportOptions, res render.Result, err error) error {
	if res == nil {
		return err
	}
	if werr := writeReport(opts, res.Render); werr != nil {
		return werr
	}
	return err
}

// buildReport reads one engine and accounts for its disk use.
//
// Where the engine's root dir is readable here and its containers'
// layer dirs are named by its layer store (overlay2, fuse-overlayfs), the
// storage probe's one walk sizes containers and volumes as /system/df
// would, BuildKit lists the build cache and the image list and layers
// give the images: no /system/df at all, which on a big host takes
// minutes. Elsewhere the engine sizes them, and the probe walks the disk
// meanwhile.
func buildReport(ctx context.Context, opts *ReportOptions) (usage.Report, error) {
	eng, ep, err := opts.Engine()
	if err != nil {
		return usage.Report{}, err
	}
	rawInfo, err := eng.Info(ctx)
	if err != nil {
		return usage.Report{}, fmt.Errorf("reading engine info: %w", err)
	}
	info := inspect.EngineInfoFrom(rawInfo, eng.ClientVersion(), ep.Host)
	cache := opts.layerCache(opts.NoCache)
	pctx, cancelProbe := context.WithCancel(ctx)
	defer cancelProbe()
	p, reason := openLocalProbe(ctx, eng, ep.Host, &rawInfo)
	if opts.NoDisk {
		p, reason = nil, "the disk was not measured (--no-disk)"
	}
	pr := startProbe(pctx, eng, p, reason, &inspect.LayerOptions{Cache: cache}, true)
	inv, err := inspect.Collect(ctx, eng, inspect.Kinds, opts.Now(), append(opts.collectOptions(), pr.collect...)...)
	if err != nil {
		return usage.Report{}, err
	}
	if err := inspect.CollectLayers(ctx, eng, inv.Images, inspect.LayerOptions{Cache: cache}); err != nil {
		return usage.Report{}, err
	}
	d := pr.disk()
	if opts.Verbose {
		// The containers without a log size limit, from inspect's
		// LogConfig: the probe inspected every container already where it
		// ran; elsewhere they are inspected here. A hint, so an engine
		// that will not answer leaves it out rather than failing the
		// report.
		if d.containers != nil {
			fillLogConfig(inv, d.containers)
		} else {
			_, _ = collectLogConfig(ctx, eng, inv)
		}
	}
	local := d.attach(inv)
	r := usage.Build(inv, info, usage.Options{Verbose: opts.Verbose, Top: opts.Top, Scope: opts.scope, Disk: d.m, DiskUnavailable: d.reason})
	r.Notes = append(r.Notes, d.storeNotes()...)
	if opts.Verbose {
		r.Notes = append(r.Notes, sizingNotes(inv.Sizing)...)
	}
	if opts.Verbose && local != nil {
		// A listing the disk could not give leaves the section out
		// rather than failing the report.
		if list, err := local.orphans(ctx, inv); err == nil {
			r.Orphans = list
		}
	}
	return r, nil
}

// reportOptions are the rendering options and explanations of a report.
func reportOptions(opts *ReportOptions) (render.ReportOptions, error) {
	ro := render.ReportOptions{Format: opts.Format, ByProject: opts.By == "project", Now: opts.Now(), Explain: map[string]render.Explained{}}
	for section, op := range map[string]string{"summary": "report", "host": "report host"} {
		var err error
		if ro.Explain[section], err = opts.Explained(op); err != nil {
			return ro, err
		}
	}
	ro.Color = opts.Output == "" && opts.IO.OutIsTTY && !opts.NoColor && opts.Format == "table"
	ro.NoTrunc, ro.Width = opts.NoTrunc, opts.tableWidth(opts.Format, opts.Output, opts.NoTrunc)
	return ro, nil
}

// writeReport renders to stdout, or to --output once rendering succeeded:
// whoever reads the file (a web server, a dashboard, while --every
// rewrites it each round) never sees half a report (see outfile for what
// is replaced and what is written in place).
func writeReport(opts *ReportOptions, write func(io.Writer) error) error {
	if opts.Output == "" {
		return write(opts.IO.Out)
	}
	var buf bytes.Buffer
	if err := write(&buf); err != nil {
		return err
	}
	if err := outfile.WriteFile(opts.Output, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	return nil
}

// gates applies the CI thresholds after the report is out.
func gates(r usage.Report, opts *ReportOptions) error {
	if reclaimable := r.FullCleanupBytes; opts.FailIfReclaimable.Text != "" && reclaimable > opts.FailIfReclaimable.Bytes {
		return &clierr.ThresholdError{Reason: fmt.Sprintf("a full cleanup would free %s, over --fail-if-reclaimable-over %s", render.Size(reclaimable), opts.FailIfReclaimable.Text)}
	}
	if opts.FailIfUsage.Text != "" && r.TotalBytes > opts.FailIfUsage.Bytes {
		return &clierr.ThresholdError{Reason: fmt.Sprintf("docker uses %s, over --fail-if-usage-over %s", render.Size(r.TotalBytes), opts.FailIfUsage.Text)}
	}
	return nil
}

// sizingNotes say, in -v, who measured each kind: dockctl on disk (no
// /system/df), BuildKit, or the engine, and why the engine where dockctl
// could not.
func sizingNotes(sizing []inspect.SizeSource) []usage.Note {
	var out []usage.Note
	for _, s := range sizing {
		var text string
		switch s.By {
		case inspect.SizedByDisk:
			text = "sized by dockctl on disk, counting as the engine counts (no /system/df)"
		case inspect.SizedByBuildKit:
			text = "listed by the engine's BuildKit (/grpc), the records /system/df would list"
		case inspect.SizedByLayers:
			text = "sized from the image list and each image's layers (no /system/df)"
		default:
			text = "sized by the engine's /system/df"
			if s.Why != "" {
				text += "; dockctl could not: " + s.Why
			}
		}
		row := string(s.Kind)
		if s.Kind == inspect.KindBuildCache {
			row = "build_cache" // the row's name in the summary
		}
		out = append(out, usage.Note{Row: row, Text: text})
	}
	return out
}
