package cmd

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/dockctl/dockctl/internal/clierr"
	"github.com/dockctl/dockctl/internal/render"
	"github.com/dockctl/dockctl/internal/swarm"
)

// defaultSwarmMaxAge is --swarm-max-age's default: the stack's report
// service writes a report every 15 minutes, so an hour is several missed
// rounds, not one slow one.
const defaultSwarmMaxAge = time.Hour

// SwarmOptions are report's flags that read a Swarm service's reports
// instead of reading an engine.
type SwarmOptions struct {
	Service string
	MaxAge  Duration
}

// addSwarmFlags adds --swarm-service and --swarm-max-age to fl.
func addSwarmFlags(fl *pflag.FlagSet, o *SwarmOptions) {
	o.MaxAge = Duration{Text: "1h", D: defaultSwarmMaxAge}
	fl.Var(nonEmpty(&o.Service), "swarm-service", "show the latest report of each node of this Swarm service (deploy/swarm/stack.yml), read from its logs on the manager")
	fl.Var(&o.MaxAge, "swarm-max-age", "with --swarm-service, a node whose latest report is older than DURATION is an error row")
}

// check refuses what --swarm-service cannot honour: the reports are made
// by the service's command, on the nodes, so flags that shape a report
// here would be silently ignored.
func (o *SwarmOptions) check(c *cobra.Command, r *ReportOptions) error {
	if o.Service == "" {
		if c.Flags().Changed("swarm-max-age") {
			return clierr.Usage("--swarm-max-age", o.MaxAge.Text, "needs --swarm-service")
		}
		return nil
	}
	if o.MaxAge.D <= 0 {
		return clierr.Usage("--swarm-max-age", o.MaxAge.Text, "must be more than 0")
	}
	for _, name := range []string{"filter", "verbose", "top", "no-cache", "no-disk"} {
		if c.Flags().Changed(name) {
			return clierr.Usage("--swarm-service", o.Service, "shows the reports the service made on each node: --%s would be ignored (set it in the service's command)", name)
		}
	}
	if !slices.Contains(render.FleetReportFormats, r.Format) {
		return clierr.Usage("--format", r.Format, "must be %s with --swarm-service (html is one page per engine)", oneOf(render.FleetReportFormats))
	}
	return nil
}

// swarmReport is `report --swarm-service NAME`: a fleet report with a row
// per node of the service, from the latest report line of each node's
// task; the error is the fleet's outcome, else a gate that tripped.
func swarmReport(ctx context.Context, f *Factory, opts *ReportOptions) (render.Result, error) {
	o := &opts.Swarm
	if f.Fleet() {
		return nil, clierr.Usage("--swarm-service", o.Service, "reads the logs of one swarm manager: name one engine, not several")
	}
	eng, _, err := f.Engine()
	if err != nil {
		return nil, err
	}
	sc, ok := eng.(swarm.Client)
	if !ok {
		return nil, errors.New("this engine client cannot read swarm services")
	}
	nodes, err := swarm.Read(ctx, sc, o.Service, f.Now(), o.MaxAge.D)
	if err != nil {
		return nil, err
	}
	results := make([]*fleetResult, len(nodes))
	for i, n := range nodes {
		res := &fleetResult{target: Target{Name: n.Hostname}, host: "node " + shortID(n.ID), report: n.Report}
		if n.Report == nil {
			res.errText = n.Error
			if !n.Time.IsZero() {
				res.errText += fmt.Sprintf(" (--swarm-max-age %s)", o.MaxAge.Text)
			}
			res.err = errors.New(res.errText)
		}
		results[i] = res
	}
	if len(results) == 0 {
		return nil, fmt.Errorf("service %q runs on no node and no node reported through it", o.Service)
	}
	return fleetReportResult(ctx, f, opts, results)
}

// shortID is a swarm ID as docker's tables show it.
func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
