package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/docker/docker/api/types"

	"github.com/dockctl/dockctl/internal/clierr"
	"github.com/dockctl/dockctl/internal/engine"
	"github.com/dockctl/dockctl/internal/render"
	"github.com/dockctl/dockctl/internal/usage"
)

// fleetResult is what one engine of a fleet run gave.
type fleetResult struct {
	target Target
	host   string
	err    error
	// errText is err as the single-engine command would print it.
	errText string
	report  *usage.Report
	// result is the engine's result, for commands other than report.
	result render.Result
}

// runFleet runs fn once per engine, at most --parallel at a time, each with
// its own RunEnv (its own engine, no stdout: results are values), and
// returns them in the order the engines were named. One engine failing
// does not stop the others.
func runFleet(ctx context.Context, f *Factory, fn func(ctx context.Context, env RunEnv, res *fleetResult) error) ([]*fleetResult, error) {
	targets, err := f.Targets()
	if err != nil {
		return nil, err
	}
	tuneGCForFleet()
	results := make([]*fleetResult, len(targets))
	sem := make(chan struct{}, max(f.Parallel, 1))
	var wg sync.WaitGroup
	for i, t := range targets {
		res := &fleetResult{target: t}
		results[i] = res
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			sub := f.forTarget(t)
			if res.err = reach(ctx, sub); res.err == nil {
				res.err = usageError(fn(ctx, sub.runEnv(), res))
			}
			eng, ep, dialErr := sub.Engine()
			res.host = ep.Host
			if dialErr == nil && eng != nil {
				defer eng.Close()
			}
			if res.err != nil {
				res.errText = render.Clean(oneLine(sub.describeError(res.err)))
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

// reach pings an engine once, within one --timeout, and settles the
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

// fleetReport reports on every engine and adds them up; the error is
// the fleet's outcome (see fleetOutcome), else a gate that tripped.
func fleetReport(ctx context.Context, f *Factory, opts *ReportOptions) (render.Result, error) {
	if !slices.Contains(render.FleetReportFormats, opts.Format) {
		return nil, clierr.Usage("--format", opts.Format, "must be %s when several engines are asked (html is one page per engine)", oneOf(render.FleetReportFormats))
	}
	results, err := runFleet(ctx, f, func(ctx context.Context, env RunEnv, res *fleetResult) error {
		o := *opts
		o.RunEnv = env
		r, err := buildReport(ctx, &o)
		if err == nil {
			res.report = &r
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return fleetReportResult(ctx, f, opts, results)
}

// fleetReportResult adds up the engines' reports; the error is the fleet's
// outcome (see fleetOutcome), else a gate that tripped on some engine.
func fleetReportResult(ctx context.Context, f *Factory, opts *ReportOptions, results []*fleetResult) (render.Result, error) {
	engines := make([]usage.FleetEngine, len(results))
	for i, r := range results {
		engines[i] = usage.FleetEngine{Name: r.target.Name, Host: r.host, Report: r.report, Error: r.errText}
	}
	ro, err := reportOptions(opts)
	if err != nil {
		return nil, err
	}
	res := render.FleetReportResult{Fleet: usage.NewFleet(engines), Options: ro}
	if err := fleetOutcome(ctx, f, results); err != nil {
		return res, err
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
		return res, &clierr.ThresholdError{Reason: strings.Join(over, "; ")}
	}
	return res, nil
}

// fleetSections runs a single-engine command on every engine: each
// engine's result, or its error, in a section of its own (one JSON
// document under json).
func fleetSections(ctx context.Context, f *Factory, command, format string, run func(ctx context.Context, env RunEnv) (render.Result, error)) (render.Result, error) {
	results, err := runFleet(ctx, f, func(ctx context.Context, env RunEnv, res *fleetResult) error {
		var err error
		res.result, err = run(ctx, env)
		return err
	})
	if err != nil {
		return nil, err
	}
	sections := make([]render.FleetSection, len(results))
	for i, r := range results {
		sections[i] = render.FleetSection{Name: r.target.Name, Host: r.host, Error: r.errText}
		if r.err == nil {
			sections[i].Result = r.result
		}
	}
	return render.FleetSectionsResult{Command: command, Format: format, Sections: sections}, fleetOutcome(ctx, f, results)
}

// show renders res once on w (when there is one), then returns err: a
// result is shown also when it exits non-zero (a threshold, a partial
// failure, some engines of a fleet failing).
func show(w io.Writer, res render.Result, err error) error {
	if res == nil {
		return err
	}
	if rerr := res.Render(w); rerr != nil {
		return rerr
	}
	return err
}
