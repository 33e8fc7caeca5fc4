package cmd

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dockctl/dockctl/internal/clierr"
	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/render"
)

// InspectOptions are the flags of `dockctl inspect`.
type InspectOptions struct {
	RunEnv
	Kind    inspect.Kind
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
		Use:         "inspect " + strings.Join(inspect.KindNames(), "|"),
		Annotations: map[string]string{fleetAnnotation: "true"},
		Short:       "List every object of one kind with what a disk cleaner needs to know",
		Long: `List every object of one kind with sizes, users and compose project.

Filters use docker's syntax (--filter key=value, repeatable):
` + filterHelp() + `
Sizes the engine did not compute show as N/A (-1 in JSON), never 0.

images and networks never ask /system/df (which sizes every container and
volume); containers, volumes and buildcache do, for their type only on
Docker 23+ (see --timeout and --df-timeout in dockctl --help).

--format takes a Go template over each object: its fields (the JSON
document's keys in Go's spelling: {{.ID}}, {{.SizeBytes}}; {{json .}} is
the object) and the table's columns:
` + columnHelp() + `'table …' prints a header row, as the default table does.

Several engines (repeat -H/--context, or --all-contexts): each engine's
listing under its own heading; with --format json, one document whose
engines[] hold each engine's listing or its error.`,
		Example: `  dockctl inspect images --filter dangling=true
  dockctl inspect containers --filter status=exited --format json
  dockctl inspect volumes -q --filter dangling=true
  dockctl inspect images --format '{{.ID}} {{.UniqueBytes}}'
  dockctl inspect images --format 'table {{.ImageID}}\t{{.Size}}\t{{.Unique}}'`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) != 1 {
				return clierr.Usage("kind", strings.Join(args, " "), "give exactly one of %s", strings.Join(inspect.KindNames(), ", "))
			}
			return nil
		},
		ValidArgs: inspect.KindNames(),
		RunE: func(c *cobra.Command, args []string) error {
			k, err := parseKind(args[0])
			if err != nil {
				return err
			}
			opts.Kind = k
			opts.RunEnv = f.runEnv()
			opts.now = opts.Now()
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
		res, err := inspectRun(ctx, opts)
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
	eng, _, err := opts.Engine()
	if err != nil {
		return nil, err
	}
	// Images are listed from their layer data, not /system/df, which
	// would size every container and volume for figures this does not show.
	copts := append(opts.collectOptions(), inspect.ImageLayers(eng, inspect.LayerOptions{Cache: opts.layerCache(false)}))
	inv, err := inspect.Collect(ctx, eng, []inspect.Kind{opts.Kind}, opts.now, copts...)
	if err != nil {
		return nil, fmt.Errorf("inspecting %s: %w", opts.Kind, err)
	}
	opts.filter.Apply(inv)
	ex, err := opts.Explained("inspect " + string(opts.Kind))
	if err != nil {
		return nil, err
	}
	return render.InspectResult{Kind: opts.Kind, Inv: inv, Options: render.InspectOptions{
		Format: opts.Format, Quiet: opts.Quiet, NoTrunc: opts.NoTrunc, Width: opts.tableWidth(opts.Format, "", opts.NoTrunc), Explain: ex, Now: opts.now,
	}}, nil
}

// columnHelp lists each kind's template columns from the renderer's rows,
// so the help cannot drift from them.
func columnHelp() string {
	var b strings.Builder
	for _, k := range inspect.ListingOrder {
		fmt.Fprintf(&b, "  %-11s %s\n", k, strings.Join(render.TemplateColumns(k), ", "))
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
