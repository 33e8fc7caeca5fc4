package cmd

// Scheduled runs (issue #7): `prune --every DURATION` and `report --every
// DURATION` run as a long-lived housekeeping process. A round runs now,
// then one every DURATION counted from the start of the round (as cron
// would), each planned anew from what the engine holds then. A round that
// overruns is followed at once, never overlapped. Each round logs one line
// on stderr; stdout carries each round's output (JSON Lines for --format
// json). An unreachable engine is retried with exponential backoff; other
// failures are logged and the next round runs on schedule. SIGTERM or
// Ctrl-C cancels the running round, which handles it as a single run would
// (prune hands out no new removal and completes those in flight; a report
// is dropped), and ends the loop: the process was asked to stop and did, so
// it exits 0. A round is cut short rather than finished because whoever
// sends SIGTERM (docker stop, systemd) sends SIGKILL a few seconds later.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/dockctl/dockctl/internal/clierr"
	"github.com/dockctl/dockctl/internal/engine"
	"github.com/dockctl/dockctl/internal/parse"
	"github.com/dockctl/dockctl/internal/prune"
	"github.com/dockctl/dockctl/internal/render"
)

const (
	// minEvery is the shortest --every: a round reads the whole engine
	// (one /system/df), so anything faster only loads it.
	minEvery = time.Second
	// firstBackoff is the first wait before retrying an unreachable
	// engine; each retry doubles it, up to min(--every, maxBackoff).
	firstBackoff = time.Second
	maxBackoff   = 5 * time.Minute
	// backoffJitter is the largest share of a backoff taken off at random,
	// so processes on many hosts do not retry in step.
	backoffJitter = 0.2
)

// sleepContext is the Factory's Sleep: it waits d or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// everyRound says which round (and which attempt of it) a round function
// runs.
type everyRound struct {
	N       int // 1, 2, …
	Attempt int // 1, then 2, 3, … while an unreachable engine is retried
	Start   time.Time
}

// runEvery runs round now, then every `every` after the start of the
// previous round, until ctx is cancelled; it logs each round on stderr.
// what names the command in the log ("prune", "report"). It returns
// clierr.ErrStopped: the loop only ends when it is asked to.
func runEvery(ctx context.Context, f *Factory, every time.Duration, what string, round func(context.Context, everyRound) error) error {
	l := &everyLog{w: f.IO.ErrOut, now: f.Now, what: what}
	started := []string{kv("status", "started"), kv("every", every),
		kv("msg", fmt.Sprintf("a round now, then one every %s; SIGTERM or Ctrl-C stops", parse.FormatDuration(every)))}
	// What a scheduled run stands for (crontab), unless --no-explain.
	if ex, err := f.explained("schedule"); err == nil {
		for _, e := range ex.Entries {
			started = append(started, kv("explain", e.Line(ex.Lang)))
		}
	}
	l.line(started...)
	rounds := 0
	for ctx.Err() == nil {
		rounds++
		next := runRound(ctx, f, l, every, rounds, round)
		if ctx.Err() != nil {
			break
		}
		if wait := next.Sub(f.Now()); wait > 0 {
			if f.Sleep(ctx, wait) != nil {
				break
			}
		}
	}
	l.line(kv("status", "stopped"), kv("rounds", rounds), kv("msg", "stopping after "+plural(rounds, "round")))
	return clierr.ErrStopped
}

// runRound runs round n, retrying it with backoff while the engine is
// unreachable, logs its outcome and returns when the next round is due:
// every after the start of its last attempt, or now if it overran.
func runRound(ctx context.Context, f *Factory, l *everyLog, every time.Duration, n int, round func(context.Context, everyRound) error) (next time.Time) {
	ceiling := min(every, maxBackoff)
	for attempt := 1; ; attempt++ {
		start := f.Now()
		err := usageError(round(ctx, everyRound{N: n, Attempt: attempt, Start: start}))
		end := f.Now()
		down := err != nil && ctx.Err() == nil && engineDown(err)
		fields := []string{kv("round", n)}
		if attempt > 1 || down {
			fields = append(fields, kv("attempt", attempt))
		}
		if down {
			// The engine is gone (stopped, restarting): try again soon
			// with a fresh client rather than wait a whole round.
			f.forgetEngine()
			wait := backoff(attempt, ceiling, f.Jitter())
			l.line(append(fields, kv("status", "unreachable"), kv("exit", clierr.ExitError), kv("took", end.Sub(start)),
				kv("error", l.describe(f, err)), kv("retry_in", wait))...)
			if f.Sleep(ctx, wait) != nil {
				return f.Now()
			}
			continue
		}
		status, code := "ok", clierr.ExitOK
		switch {
		case err == nil:
		case ctx.Err() != nil:
			status, code = "interrupted", clierr.ExitInterrupted
		default:
			code = clierr.Code(err)
			status = map[int]string{clierr.ExitUsage: "usage", clierr.ExitPartial: "partial", clierr.ExitThreshold: "threshold", clierr.ExitInterrupted: "interrupted"}[code]
			if status == "" {
				status = "error"
			}
		}
		if err != nil {
			// A failed client (say, a TLS file that could not be read)
			// is not cached for the next round.
			f.forgetFailedEngine()
		}
		fields = append(fields, kv("status", status), kv("exit", code), kv("took", end.Sub(start)))
		if err != nil {
			fields = append(fields, kv("error", l.describe(f, err)))
		}
		next = start.Add(every)
		if ctx.Err() == nil {
			if next.After(end) {
				fields = append(fields, kv("next", next))
			} else {
				next = end
				fields = append(fields, kv("next", "now"), kv("msg", "the round took longer than --every: the next one starts now"))
			}
		}
		l.line(fields...)
		return next
	}
}

// backoff is the wait before retry number attempt: firstBackoff doubled
// each attempt up to ceiling, less up to backoffJitter of it (jitter is in
// [0, 1)).
func backoff(attempt int, ceiling time.Duration, jitter float64) time.Duration {
	d := firstBackoff
	for i := 1; i < attempt && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	return d - time.Duration(float64(d)*backoffJitter*jitter)
}

// engineDown reports errors that mean the engine itself could not be
// reached or stopped answering (connection refused or dropped, socket
// gone, request timed out), as opposed to an answer about the request.
func engineDown(err error) bool {
	return engine.Gone(err) || errors.Is(err, prune.ErrEngineGone)
}

// forgetEngine closes the Factory's engine client and drops it, so the
// next f.Engine() builds a new one (which negotiates the API version
// again: the engine that comes back may be another version). Rounds never
// overlap, so nothing else uses the client meanwhile.
func (f *Factory) forgetEngine() {
	if f.eng != nil {
		f.eng.Close()
	}
	f.once = sync.Once{}
	f.eng, f.dialErr = nil, nil
}

// forgetFailedEngine drops a client that could not be built, so that the
// next round tries again instead of returning the cached error.
func (f *Factory) forgetFailedEngine() {
	if f.dialErr != nil {
		f.forgetEngine()
	}
}

// ---------------------------------------------------------------------------
// Flags

// parseEvery checks --every: a duration as --older-than takes it (24h,
// 7d), at least minEvery.
func parseEvery(v Duration) (time.Duration, error) {
	if v.D < minEvery {
		return 0, clierr.Usage("--every", v.Text, "must be at least %s", minEvery)
	}
	return v.D, nil
}

// checkEvery validates --every of prune before anything else runs.
func (o *PruneOptions) checkEvery(c *cobra.Command) error {
	if !c.Flags().Changed("every") {
		return nil
	}
	d, err := parseEvery(o.Every)
	if err != nil {
		return err
	}
	switch {
	case o.ApplyFile != "":
		return clierr.Usage("--every", o.Every.Text, "--apply runs one saved plan once; a scheduled prune plans anew each round (drop --apply)")
	case o.PlanOut != "":
		return clierr.Usage("--every", o.Every.Text, "--plan-out saves the plan of one run for review; a scheduled prune plans anew each round (drop --plan-out)")
	case !o.Yes && !o.DryRun:
		return clierr.Usage("--every", o.Every.Text, "a scheduled prune cannot ask before each round: add --yes to remove, or --dry-run to print each round's plan")
	}
	o.every = d
	return nil
}

// checkEvery validates --every of report before anything else runs.
func (o *ReportOptions) checkEvery(c *cobra.Command) error {
	if !c.Flags().Changed("every") {
		return nil
	}
	d, err := parseEvery(o.Every)
	if err != nil {
		return err
	}
	if o.Format == "html" && o.Output == "" {
		return clierr.Usage("--every", o.Every.Text, "an HTML report is one document: write it with -o FILE, which each round rewrites")
	}
	o.every = d
	return nil
}

// runPruneEvery is `prune --every`: each round collects the inventory
// anew and plans from it with the policy the flags made once.
func runPruneEvery(ctx context.Context, f *Factory, opts *PruneOptions) error {
	out := &roundOutput{f: f, what: "prune", format: opts.Format}
	return runEvery(ctx, f, opts.every, "prune", func(ctx context.Context, r everyRound) error {
		o := *opts // this round's options: the flags' values, read anew
		if len(o.Filters) > 0 {
			// until=24h means 24 hours before this round, not before
			// the process started.
			filters, _, err := parseScopeFilters("prune", withProject(o.Filters, o.Project), f.Now())
			if err != nil {
				return err
			}
			o.policy.Filters = filters
		}
		return out.round(r, func() (render.Result, error) { return pruneResult(ctx, f, &o) })
	})
}

// runReportEvery is `report --every`.
func runReportEvery(ctx context.Context, f *Factory, opts *ReportOptions) error {
	out := &roundOutput{f: f, what: "report", format: opts.Format}
	return runEvery(ctx, f, opts.every, "report", func(ctx context.Context, r everyRound) error {
		o := *opts // this round's options, its scope read anew
		if err := o.parseScope(f.Now()); err != nil {
			return err
		}
		return out.round(r, func() (render.Result, error) {
			res, err := reportResult(ctx, f, &o)
			if opts.Output != "" {
				// -o FILE: each round rewrites the file.
				return nil, showReport(opts, res, err)
			}
			return res, err
		})
	})
}

// ---------------------------------------------------------------------------
// Output

// roundOutput frames each round's result on stdout: JSON Lines for
// --format json (each document on one line, ready for a log shipper), a
// header line before each round's table or markdown. Nothing is written
// for a round without a result (an unreachable engine).
type roundOutput struct {
	f            *Factory
	what, format string
	printed      int // rounds that printed something
}

// round runs one round and shows its result, if any; the error is the
// round's, or else the one writing its result met.
func (o *roundOutput) round(r everyRound, run func() (render.Result, error)) error {
	res, err := run()
	if res == nil {
		return err
	}
	var werr error
	if o.format == "json" {
		// An Encoder without indent writes the document on one line.
		werr = json.NewEncoder(o.f.IO.Out).Encode(res.Document())
	} else {
		var buf bytes.Buffer
		buf.WriteString(o.header(r))
		if werr = res.Render(&buf); werr == nil {
			_, werr = o.f.IO.Out.Write(buf.Bytes())
		}
	}
	o.printed++
	if err == nil {
		err = werr
	}
	return err
}

// header goes before a round's table or markdown output.
func (o *roundOutput) header(r everyRound) string {
	what := fmt.Sprintf("dockctl %s: round %d", o.what, r.N)
	if r.Attempt > 1 {
		what += fmt.Sprintf(" (attempt %d)", r.Attempt)
	}
	what += " at " + r.Start.Format(logTime)
	if o.format == "markdown" {
		sep := ""
		if o.printed > 0 {
			sep = "\n---\n\n"
		}
		return sep + "_" + what + "_\n\n"
	}
	sep := ""
	if o.printed > 0 {
		sep = "\n"
	}
	return sep + "=== " + what + " ===\n"
}

// ---------------------------------------------------------------------------
// Log

// logTime is the time format of the log: RFC 3339 with milliseconds.
const logTime = "2006-01-02T15:04:05.000Z07:00"

// everyLog writes the loop's log lines on stderr, logfmt style:
//
//	time=2026-11-25T03:00:00.000Z cmd=prune round=3 status=ok exit=0 took=1.2s next=2026-11-26T03:00:00.000Z
//
// status is ok, unreachable (retried), error, partial, threshold, usage or
// interrupted; exit is the exit code a single run would have had.
type everyLog struct {
	w    io.Writer
	now  func() time.Time
	what string
}

func (l *everyLog) line(fields ...string) {
	s := "time=" + l.now().Format(logTime) + " cmd=" + l.what
	for _, f := range fields {
		s += " " + f
	}
	fmt.Fprintln(l.w, s)
}

// describe renders err as dockctl's one-line error message.
func (l *everyLog) describe(f *Factory, err error) string {
	return render.Clean(oneLine(f.describeError(err)))
}

// kv renders one key=value field, quoting the value when it needs it.
func kv(key string, value any) string {
	var s string
	switch v := value.(type) {
	case time.Time:
		s = v.Format(logTime)
	case time.Duration:
		s = parse.FormatDuration(v.Round(time.Millisecond))
	default:
		s = fmt.Sprint(v)
	}
	if s == "" || strings.ContainsAny(s, " \t\"=\\") || strconv.Quote(s) != `"`+s+`"` {
		s = strconv.Quote(s)
	}
	return key + "=" + s
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
