package cmd

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/dockctl/dockctl/clierr"
	"github.com/dockctl/dockctl/inspect"
	"github.com/dockctl/dockctl/report"
)

// VersionOptions are the flags of `dockctl version`.
type VersionOptions struct {
	Format string
}

// NewVersionCmd builds `dockctl version`.
func NewVersionCmd(f *Factory) *cobra.Command {
	opts := &VersionOptions{Format: "table"}
	c := &cobra.Command{
		Use:   "version",
		Short: "Show dockctl's version, the engine's, and the negotiated API version",
		Args:  noArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if opts.Format != "table" && opts.Format != "json" {
				return clierr.Usage("--format", opts.Format, "must be table or json")
			}
			return runVersion(c.Context(), f, opts)
		},
	}
	c.Flags().Var(nonEmpty(&opts.Format), "format", "table or json")
	return c
}

func runVersion(ctx context.Context, f *Factory, opts *VersionOptions) error {
	eng, ep, err := f.Engine()
	if err != nil {
		return err
	}
	v, err := inspect.ReadVersion(ctx, eng, ep.Host)
	if err != nil {
		return err
	}
	ex, err := f.explained("version")
	if err != nil {
		return err
	}
	return report.RenderVersion(f.IO.Out, v, opts.Format, ex)
}

// noArgs refuses arguments with a usage error (exit 2).
func noArgs(c *cobra.Command, args []string) error {
	if len(args) > 0 {
		return clierr.Usage("argument", args[0], "%s takes no arguments", c.CommandPath())
	}
	return nil
}
