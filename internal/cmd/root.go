package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/dockctl/dockctl/internal/clierr"
	"github.com/dockctl/dockctl/internal/engine"
	"github.com/dockctl/dockctl/internal/render"
	"github.com/dockctl/dockctl/internal/version"
)

const exitCodesHelp = `Exit codes:
  0    success
  1    error (engine unreachable, engine error)
  2    bad usage (unknown flag, bad value); nothing was changed
  3    partial failure (some removals failed)
  4    a --fail-if-… threshold was exceeded (the output was still written)
  130  interrupted (Ctrl-C); what was done is reported`

// Main runs dockctl with the process's arguments and streams and returns its
// exit code. It is the only place that decides exit codes.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	tuneGC(os.Getenv)
	f := NewFactory(os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	return Run(ctx, f, os.Args[1:])
}

// Run executes one command line against f and returns the exit code. Tests
// call it in-process.
func Run(ctx context.Context, f *Factory, args []string) int {
	// The engine's connections end with the command, not the process: an
	// ssh:// engine's are ssh processes, and in-process runs (the
	// integration tests) would leave them behind.
	defer f.forgetEngine()
	root := NewRootCmd(f)
	root.SetArgs(args)
	err := usageError(root.ExecuteContext(ctx))
	if err == nil && ctx.Err() != nil {
		err = clierr.ErrInterrupted
	}
	if clierr.Code(err) == clierr.ExitOK {
		return clierr.ExitOK
	}
	if strings.HasPrefix(err.Error(), "unknown command") {
		err = &clierr.UsageError{Reason: unknownCommand(err.Error())}
	}
	if ctx.Err() != nil && !errors.Is(err, clierr.ErrInterrupted) {
		err = fmt.Errorf("%w: %v", clierr.ErrInterrupted, err)
	}
	fmt.Fprintln(f.IO.ErrOut, "dockctl: "+render.Clean(oneLine(f.describeError(err))))
	return clierr.Code(err)
}

// NewRootCmd builds the command tree.
func NewRootCmd(f *Factory) *cobra.Command {
	root := &cobra.Command{
		Use:   "dockctl",
		Short: "Inspect a Docker engine's disk use and clean it up with exact dry runs",
		Long: `dockctl lists images, containers, volumes, networks and build cache,
reports disk use with reclaimable figures that are true, and prunes with
guards and exact dry runs.

` + exitCodesHelp,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(c *cobra.Command, _ []string) error {
			// help and completion never need an engine, even a bad one.
			for p := c; p != nil; p = p.Parent() {
				switch p.Name() {
				case "help", "completion", cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd:
					return nil
				}
			}
			if err := f.validateGlobal(); err != nil {
				return err
			}
			if f.Fleet() && !fleetCapable(c) {
				return &clierr.UsageError{Reason: fmt.Sprintf("%s runs on one engine: give one --host or --context (several engines work with report, inspect and prune --dry-run)", c.CommandPath())}
			}
			return nil
		},
	}
	// --version (and -v on the root, as docker has it) prints dockctl's
	// version without an engine; cobra answers it before any hook runs.
	root.Version = version.Self().Version
	root.SetVersionTemplate(versionLine())
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return flagError(err)
	})
	pf := root.PersistentFlags()
	pf.VarP(nonEmptyArray(&f.Hosts), "host", "H", "engine address (unix:///var/run/docker.sock, tcp://host:2376, ssh://user@host); overrides DOCKER_HOST and contexts; more than one -H/--context in all is a fleet run")
	pf.Var(nonEmptyArray(&f.Contexts), "context", "docker context to use (see 'docker context ls'); overrides DOCKER_CONTEXT; more than one -H/--context in all is a fleet run")
	pf.BoolVar(&f.AllContexts, "all-contexts", false, "fleet run over every docker context (report, inspect, prune --dry-run)")
	pf.BoolVar(&f.Strict, "strict", false, "in a fleet run, fail (exit 1) when any engine fails, not only when all do")
	pf.IntVar(&f.Parallel, "parallel", DefaultParallel, "in a fleet run, query at most N engines at once")
	pf.DurationVar(&f.Conn.Timeout, "timeout", engine.DefaultTimeout, "give up on an engine request after this long (each request, not the whole command; not the disk sizing of /system/df, see --df-timeout)")
	pf.Var(&f.DFTimeout, "df-timeout", "give up on the engine's disk sizing (/system/df, minutes on a big host) after this long (default: wait for it, as docker does)")
	pf.Var(nonEmpty(&f.LangFlag), "lang", "language of explanations: en, zh or both (default from LC_ALL/LANG)")
	pf.BoolVar(&f.NoExplain, "no-explain", false, "hide the docker command and explanation behind each step")

	inspectCmd := NewInspectCmd(f, nil)
	// orphans is a word of its own, not a kind: it lists dirs, not objects.
	inspectCmd.AddCommand(NewInspectOrphansCmd(f, nil))
	root.AddCommand(
		inspectCmd,
		NewVersionCmd(f, nil),
		NewExplainCmd(f, nil),
		NewReportCmd(f, nil),
		NewPruneCmd(f, nil),
	)
	registerCompletions(root, f)
	return root
}

// fleetAnnotation marks the commands that run over several engines.
const fleetAnnotation = "dockctl/fleet"

func fleetCapable(c *cobra.Command) bool {
	for p := c; p != nil; p = p.Parent() {
		if p.Annotations[fleetAnnotation] == "true" {
			return true
		}
	}
	return false
}

// unknownCommand puts cobra's "unknown command" error, whose suggestions
// follow on lines of their own ("\n\nDid you mean this?\n\treport\n"),
// on the one line dockctl prints: unknown command "repot" for "dockctl"
// (did you mean report?).
func unknownCommand(msg string) string {
	head, rest, found := strings.Cut(msg, "\n")
	if !found {
		return msg
	}
	var suggestions []string
	for _, line := range strings.Split(rest, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "Did you mean") {
			continue
		}
		suggestions = append(suggestions, line)
	}
	if len(suggestions) == 0 {
		return head
	}
	return fmt.Sprintf("%s (did you mean %s?)", head, strings.Join(suggestions, " or "))
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.ReplaceAll(s, "\n", "; ")
}
