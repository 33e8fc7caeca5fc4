package cmd

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dockctl/dockctl/internal/clierr"
	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/probe"
	"github.com/dockctl/dockctl/internal/render"
	"github.com/dockctl/dockctl/internal/usage"
)

// InspectOptions are the flags of `dockctl inspect`.
type InspectOptions struct {
	RunEnv
	Kind inspect.Kind
	// Object is the NAME|ID given instead of a kind ("" with a kind).
	Object  string
	Filters []string
	Format  string
	Quiet   bool
	NoTrunc bool

	filter inspect.Filter
	now    time.Time
}

// parseKind reads a kind argument.
func parseKind(arg string) (inspect.Kind, error) {
	k, ok := inspect.ParseKind(arg)
	if !ok {
		return "", clierr.Usage("kind", arg, "must be one of %s", strings.Join(inspect.KindNames(), ", "))
	}
	return k, nil
}

// NewInspectCmd builds `dockctl inspect KIND`. runF, when not nil, is
// called with the checked options instead of running the command (tests
// of the flags use it).
func NewInspectCmd(f *Factory, runF func(*InspectOptions) error) *cobra.Command {
	opts := &InspectOptions{Format: "table"}
	c := &cobra.Command{
		Use:         "inspect " + strings.Join(inspect.KindNames(), "|") + "|NAME|ID",
		Annotations: map[string]string{fleetAnnotation: "true"},
		Short:       "List every object of one kind, or show one object, with what a disk cleaner needs to know",
		Long: `List every object of one kind with sizes, users and compose project.
Kinds and their aliases:
` + kindHelp() + `
An argument that is no kind is an object, looked up as docker inspect
does: an image reference or id (prefix), a container name or id, a volume
name, a network name or id. dockctl shows that object's view: its fields
and sizes, what uses it, and what dockctl prune and dockctl prune --all
--all-volumes would do to it and why (table or json). A name that matches
several objects is exit 2 listing them.

Filters use docker's syntax (--filter key=value, repeatable):
` + filterHelp() + `
Sizes the engine did not compute show as N/A (-1 in JSON), never 0.

images and networks never ask /system/df (which sizes every container and
volume). containers and volumes are sized on disk where the engine's root
dir is readable here (overlay2, fuse-overlayfs); buildcache is read from
the engine's BuildKit before Docker 23. Elsewhere they ask /system/df, for
their type only on Docker 23+ (see --timeout and --df-timeout in dockctl
--help).

--format takes a Go template over each object: {{json .}} is the object;
its fields are the JSON document's keys in Go's spelling (raw values:
{{.ID}}, {{.SizeBytes}}):
` + fieldHelp(render.TemplateFields) + `and the table's columns (as the table shows them: {{.Size}} is 1.2GB):
` + fieldHelp(render.TemplateColumns) + `'table …' prints a header row, as the default table does.

Several engines (repeat -H/--context, or --all-contexts): each engine's
listing under its own heading; with --format json, one document whose
engines[] hold each engine's listing or its error.`,
		Example: `  dockctl inspect images --filter dangling=true
  dockctl inspect containers --filter status=exited --format json
  dockctl inspect volumes -q --filter dangling=true
  dockctl inspect images --format '{{.ID}} {{.UniqueBytes}}'
  dockctl inspect images --format 'table {{.ImageID}}\t{{.Size}}\t{{.Unique}}'
  dockctl inspect img
  dockctl inspect postgres:16
  dockctl inspect shop_data --format json`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return clierr.Usage("kind", strings.Join(args, " "), "give exactly one of %s, or one object's name or id", strings.Join(inspect.KindNames(), ", "))
			}
			return nil
		},
		ValidArgs: inspect.KindNames(),
		RunE: func(c *cobra.Command, args []string) error {
			opts.RunEnv = f.runEnv()
			opts.now = opts.Now()
			k, ok := inspect.ParseKind(args[0])
			if !ok {
				opts.Object = args[0]
				if err := checkObjectArgs(opts, f); err != nil {
					return err
				}
				if runF != nil {
					return runF(opts)
				}
				return runInspect(c.Context(), f, opts)
			}
			opts.Kind = k
			var err error
			if opts.filter, err = inspect.ParseFilters(k, opts.Filters, opts.now); err != nil {
				return err
			}
			if err := render.ValidateInspectFormat(opts.Format, k); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return runInspect(c.Context(), f, opts)
		},
	}
	fl := c.Flags()
	fl.VarP(nonEmptyArray(&opts.Filters), "filter", "f", "filter output (key=value, docker syntax; repeatable)")
	fl.Var(formatEnum(&opts.Format, `'{{.ID}}' or 'table {{.ID}}\t{{.SizeBytes}}'`, render.InspectFormats...), "format", "table, json, or a Go template ('{{.ID}}\\t{{.SizeBytes}}', 'table {{.ID}}\\t{{.Name}}')")
	fl.BoolVarP(&opts.Quiet, "quiet", "q", false, "print ids only (names for volumes)")
	fl.BoolVar(&opts.NoTrunc, "no-trunc", false, "do not truncate ids, nor cut long cells to the terminal's width")
	return c
}

// runInspect is `dockctl inspect`: the listing of the engine, or of each
// engine of a fleet, rendered once on stdout.
func runInspect(ctx context.Context, f *Factory, opts *InspectOptions) error {
	if !f.Fleet() {
		if err := reach(ctx, f); err != nil {
			return err
		}
		run := inspectRun
		if opts.Object != "" {
			run = inspectObjectRun
		}
		res, err := run(ctx, opts)
		return show(opts.IO.Out, res, err)
	}
	if opts.Quiet {
		// Bare ids of several engines in one list could be fed to a
		// removal on the wrong engine.
		return clierr.Usage("--quiet", "true", "lists the ids of one engine: give one --host or --context")
	}
	res, err := fleetSections(ctx, f, "inspect "+string(opts.Kind), opts.Format, func(ctx context.Context, env RunEnv) (render.Result, error) {
		o := *opts
		o.RunEnv = env
		return inspectRun(ctx, &o)
	})
	return show(opts.IO.Out, res, err)
}

// inspectRun lists one kind on opts' engine.
func inspectRun(ctx context.Context, opts *InspectOptions) (render.Result, error) {
	eng, ep, err := opts.Engine()
	if err != nil {
		return nil, err
	}
	// Images are listed from their layer data, and the build cache from
	// BuildKit before API 1.42, not from /system/df, which would size
	// every container and volume for figures this does not show.
	layers := inspect.LayerOptions{Cache: opts.layerCache(false)}
	copts := append(opts.collectOptions(), inspect.ImageLayers(eng, layers), buildKitCache(eng))
	sized, disk := inspectSizing(ctx, eng, ep.Host, opts.Kind, layers)
	inv, err := inspect.Collect(ctx, eng, []inspect.Kind{opts.Kind}, opts.now, append(copts, sized...)...)
	if err != nil {
		return nil, fmt.Errorf("inspecting %s: %w", opts.Kind, err)
	}
	logSizes := disk() != nil
	usage.FillLogs(inv, disk())
	opts.filter.Apply(inv)
	ex, err := opts.Explained("inspect " + string(opts.Kind))
	if err != nil {
		return nil, err
	}
	return render.InspectResult{Kind: opts.Kind, Inv: inv, Options: render.InspectOptions{
		Format: opts.Format, Quiet: opts.Quiet, NoTrunc: opts.NoTrunc, Width: opts.tableWidth(opts.Format, "", opts.NoTrunc), Explain: ex, Now: opts.now, LogSizes: logSizes,
	}}, nil
}

// inspectSizing is the storage probe's part in listing containers or
// volumes (other kinds need none of it): where it sizes from the lists,
// Collect options that size them on disk, objects only (no root-dir
// walk: a listing shows nothing of the whole disk), instead of
// /system/df; and, for containers, the wait for the measurement that
// gives their logs' sizes (nil when there is none): the sizing walk, or
// one made beside the engine.
func inspectSizing(ctx context.Context, eng Engine, host string, k inspect.Kind, layers inspect.LayerOptions) ([]inspect.CollectOption, func() *probe.Measurement) {
	none := func() *probe.Measurement { return nil }
	if k != inspect.KindContainers && k != inspect.KindVolumes {
		return nil, none
	}
	p, reason := openLocalProbe(ctx, eng, host, nil)
	s, sized := sizeOnDisk(eng, p, layers, true)
	switch {
	case k != inspect.KindContainers:
		return sized, none
	case s != nil:
		return sized, func() *probe.Measurement { return s.result(ctx, eng).m }
	}
	pr := startProbe(ctx, eng, p, reason, nil, false)
	return nil, func() *probe.Measurement { return pr.disk().m }
}

// kindHelp lists each kind with the other names it takes, from the kinds
// enum, so the help cannot drift from the parser.
func kindHelp() string {
	var b strings.Builder
	for _, k := range inspect.ListingOrder {
		fmt.Fprintf(&b, "  %-11s %s\n", k, strings.Join(k.Aliases(), ", "))
	}
	return b.String()
}

// fieldHelp lists each kind's template fields or columns from the
// renderer's rows, so the help cannot drift from them.
func fieldHelp(names func(inspect.Kind) []string) string {
	var b strings.Builder
	for _, k := range inspect.ListingOrder {
		fmt.Fprintf(&b, "  %-11s %s\n", k, strings.Join(names(k), ", "))
	}
	return b.String()
}

// filterHelp lists each kind's filter keys from the ones inspect accepts,
// so the help cannot drift from the parser.
func filterHelp() string {
	var b strings.Builder
	for _, k := range inspect.ListingOrder {
		fmt.Fprintf(&b, "  %-11s %s\n", k, strings.Join(k.FilterKeys(), ", "))
	}
	return b.String()
}
