package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/docker/docker/api/types"

	"github.com/dockctl/dockctl/clierr"
	"github.com/dockctl/dockctl/engine"
	"github.com/dockctl/dockctl/report"
	"github.com/dockctl/dockctl/usage"
)

// fleetResult is what one engine of a fleet run gave.
type fleetResult struct {
	target Target
	host   string
	out    bytes.Buffer
	err    error
	// errText is err as the single-engine command would print it.
	errText string
	report  *usage.Report
}

// runFleet runs fn once per engine, at most --parallel at a time, each on
// its own Factory writing into its own buffer, and returns the results in
// the order the engines were named. One engine failing does not stop the
// others.
func runFleet(ctx context.Context, f *Factory, fn func(ctx context.Context, sub *Factory, res *fleetResult) error) ([]*fleetResult, error) {
	targets, err := f.Targets()
	if err != nil {
		return nil, err
	}
	results := make([]*fleetResult, len(targets))
	sem := make(chan struct{}, max(f.Parallel, 1))
	var wg sync.WaitGroup
	for i, t := range targets {
		res := &fleetResult{target: t}
		results[i] = res
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			sub := f.forTarget(t, &res.out)
			if res.err = reach(ctx, sub); res.err == nil {
				res.err = fn(ctx, sub, res)
			}
			eng, ep, dialErr := sub.Engine()
			res.host = ep.Host
			if dialErr == nil && eng != nil {
				defer eng.Close()
			}
			if res.err != nil {
				res.errText = report.Clean(oneLine(sub.describeError(res.err)))
			}
		})
	}
	wg.Wait()
	return results, nil
}

// pinger is the real engine client's ping and version negotiation (the
// unit tests' fakes need not have them).
type pinger interface {
	Ping(ctx context.Context) (types.Ping, error)
	NegotiateAPIVersionPing(types.Ping)
}

// reach pings a fleet engine once, within one --timeout, and settles the
// API version from its answer, so that an engine that accepts connections
// but never answers costs the run one timeout. Left to the client, each
// request negotiates until a ping succeeds, swallowing the failure: a
// ping by HEAD then by GET, each waiting out the timeout, before the
// report's /system/df and again before its /info — five timeouts. An
// engine that answers the ping with an HTTP error is there: its requests
// go ahead and negotiate as before.
func reach(ctx context.Context, sub *Factory) error {
	eng, _, err := sub.Engine()
	if err != nil {
		return err
	}
	p, ok := eng.(pinger)
	if !ok {
		return nil
	}
	pctx, cancel := context.WithTimeout(ctx, sub.Conn.Timeout)
	defer cancel()
	ping, err := p.Ping(pctx)
	if err != nil {
		if engine.Gone(err) {
			return err
		}
		return nil
	}
	p.NegotiateAPIVersionPing(ping)
	return nil
}

// fleetOutcome turns the engines' failures into the command's result: an
// error (exit 1) when every engine failed, or any did under --strict;
// otherwise a warning on stderr, the failures being in the output's rows.
func fleetOutcome(ctx context.Context, f *Factory, results []*fleetResult) error {
	var failed []string
	for _, r := range results {
		if r.err != nil {
			failed = append(failed, r.target.Name+": "+r.errText)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("%w: %d of %d engines did not finish", clierr.ErrInterrupted, len(failed), len(results))
	}
	summary := fmt.Sprintf("%d of %d engines failed: %s", len(failed), len(results), strings.Join(failed, "; "))
	switch {
	case len(failed) == len(results):
		return errors.New(summary)
	case f.Strict:
		return errors.New(summary + " (--strict)")
	}
	fmt.Fprintln(f.IO.ErrOut, "dockctl: warning: "+summary)
	return nil
}

// runFleetReport reports on every engine and adds them up.
func runFleetReport(ctx context.Context, f *Factory, opts *ReportOptions) error {
	if err := report.ValidateFleetReportFormat(opts.Format); err != nil {
		return clierr.Usage("--format", opts.Format, "%v", err)
	}
	results, err := runFleet(ctx, f, func(ctx context.Context, sub *Factory, res *fleetResult) error {
		r, err := buildReport(ctx, sub, opts)
		if err == nil {
			res.report = &r
		}
		return err
	})
	if err != nil {
		return err
	}
	engines := make([]usage.FleetEngine, len(results))
	for i, r := range results {
		engines[i] = usage.FleetEngine{Name: r.target.Name, Host: r.host, Report: r.report, Error: r.errText}
	}
	fl := usage.NewFleet(engines)
	ro, err := reportOptions(f, opts)
	if err != nil {
		return err
	}
	if err := writeReport(f, opts, func(w io.Writer) error { return report.RenderFleetReport(w, fl, ro) }); err != nil {
		return err
	}
	if err := fleetOutcome(ctx, f, results); err != nil {
		return err
	}
	// Thresholds hold per engine: a CI gate on one host's disk.
	var over []string
	for _, r := range results {
		if r.report == nil {
			continue
		}
		if err := gates(*r.report, opts); err != nil {
			over = append(over, r.target.Name+": "+err.Error())
		}
	}
	if len(over) > 0 {
		return &clierr.ThresholdError{Reason: strings.Join(over, "; ")}
	}
	return nil
}

// runFleetSections runs a single-engine command on every engine and shows
// each engine's output in its own section (one JSON document under json).
func runFleetSections(ctx context.Context, f *Factory, command, format string, run func(ctx context.Context, sub *Factory) error) error {
	results, err := runFleet(ctx, f, func(ctx context.Context, sub *Factory, _ *fleetResult) error {
		return run(ctx, sub)
	})
	if err != nil {
		return err
	}
	sections := make([]report.FleetSection, len(results))
	for i, r := range results {
		sections[i] = report.FleetSection{Name: r.target.Name, Host: r.host, Output: r.out.Bytes(), Error: r.errText}
	}
	if err := report.RenderFleetSections(f.IO.Out, command, format, sections); err != nil {
		return err
	}
	return fleetOutcome(ctx, f, results)
}
