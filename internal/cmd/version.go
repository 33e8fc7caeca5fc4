package cmd

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/dockctl/dockctl/internal/clierr"
	"github.com/dockctl/dockctl/internal/engine"
	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/render"
	"github.com/dockctl/dockctl/internal/version"
)

// VersionOptions are the flags of `dockctl version`.
type VersionOptions struct {
	RunEnv
	Format string
	// Template is Format parsed, when it is a Go template.
	Template *render.VersionTemplate
}

// NewVersionCmd builds `dockctl version`; runF as NewInspectCmd's.
func NewVersionCmd(f *Factory, runF func(*VersionOptions) error) *cobra.Command {
	opts := &VersionOptions{Format: "table"}
	c := &cobra.Command{
		Use:   "version",
		Short: "Show dockctl's version, the engine's, and the negotiated API version",
		Long: `Show dockctl's version, the engine's, and the negotiated API version.

dockctl's own version needs no engine: without one, the engine part says why
it could not be asked and the command exits 0, unless --format names a field
only the engine fills in ({{.Engine.Version}}, {{.NegotiatedAPIVersion}}),
which is then an error (exit 1). 'dockctl --version' prints dockctl's version
alone and never contacts the engine.`,
		Example: `  dockctl version
  dockctl version --format json
  dockctl version --format '{{.Client.Version}}'
  dockctl version --format '{{.Engine.Version}}'`,
		Args: noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts.RunEnv = f.runEnv()
			if !slices.Contains(render.VersionFormats, opts.Format) {
				var err error
				if opts.Template, err = render.ParseVersionTemplate(opts.Format); err != nil {
					return err
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return runVersion(c.Context(), opts)
		},
	}
	c.Flags().Var(formatEnum(&opts.Format, "'{{.Client.Version}}'", render.VersionFormats...), "format", "table, json, or a Go template ('{{.Client.Version}}', '{{.Engine.Version}}')")
	return c
}

// runVersion prints the client's version in any case and the engine's
// when it answers.
func runVersion(ctx context.Context, opts *VersionOptions) error {
	res, err := versionRun(ctx, opts)
	return show(opts.IO.Out, res, err)
}

// versionRun reads dockctl's version and, when it answers, the engine's.
func versionRun(ctx context.Context, opts *VersionOptions) (render.Result, error) {
	tmpl := opts.Template
	eng, ep, err := opts.Engine()
	v := inspect.Version{Client: version.Self(), Engine: inspect.EngineVersion{Host: ep.Host}}
	if err == nil {
		var read inspect.Version
		if read, err = inspect.ReadVersion(ctx, eng, ep.Host); err == nil {
			v = read
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		if tmpl != nil && tmpl.NeedsEngine {
			return nil, err
		}
		err = engine.Classify(err, ep.Host)
		// The engine part names the host already; what could not be
		// read is the version.
		var ue *engine.UnreachableError
		if errors.As(err, &ue) {
			err = ue
		}
		v.Engine.Error = withFlagAdvice(err)
	}
	res := render.VersionResult{Version: v, Format: opts.Format, Template: tmpl}
	if tmpl != nil {
		return res, nil
	}
	res.Explain, err = opts.Explained("version")
	if err != nil {
		return nil, err
	}
	return res, nil
}

// versionLine is what `dockctl --version` prints: no engine is asked.
func versionLine() string {
	c := version.Self()
	return fmt.Sprintf("dockctl version %s (%s %s/%s)\n", c.Version, c.GoVersion, c.OS, c.Arch)
}

// noArgs refuses arguments with a usage error (exit 2).
func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return clierr.Usage("argument", args[0], "%s takes no arguments", c.CommandPath())
	}
	return nil
}
