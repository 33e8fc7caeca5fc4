package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/client"

	"github.com/dockctl/dockctl/internal/clierr"
	"github.com/dockctl/dockctl/internal/engine"
	"github.com/dockctl/dockctl/internal/fake"
	"github.com/dockctl/dockctl/internal/prune"
)

// fakeClock is the time of a scheduled run under test: Now reads it, and
// the loop's sleeps advance it instead of waiting. Once stopAt sleeps have
// been asked for, the next one cancels the run (SIGTERM while waiting).
type fakeClock struct {
	mu     sync.Mutex
	t0     time.Time
	now    time.Time
	sleeps []time.Duration
	stopAt int // 0: never
	cancel context.CancelFunc
}

func newFakeClock(t *testing.T, cancel context.CancelFunc) *fakeClock {
	c := &fakeClock{t0: time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC), cancel: cancel}
	c.now = c.t0
	return c
}

// install makes c the clock of f: its Now, its Sleep, no jitter.
func (c *fakeClock) install(f *Factory) {
	f.Now, f.Sleep, f.Jitter = c.Now, c.sleep, func() float64 { return 0 }
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// since is the fake time elapsed since the start.
func (c *fakeClock) since() time.Duration { return c.Now().Sub(c.t0) }

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	c.mu.Lock()
	if c.stopAt > 0 && len(c.sleeps) >= c.stopAt {
		c.mu.Unlock()
		c.cancel()
		return ctx.Err()
	}
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	c.mu.Unlock()
	return nil
}

func (c *fakeClock) Sleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// step is one attempt of a scripted round: it takes took (fake time) and
// returns err.
type step struct {
	took time.Duration
	err  error
}

var (
	errDown     = &engine.UnreachableError{Host: "unix:///var/run/docker.sock", Err: &net.OpError{Op: "dial", Net: "unix", Err: syscall.ECONNREFUSED}}
	errAPI      = &engine.APIError{Status: 500, Message: "Error response from daemon: injected"}
	errPartial  = &clierr.PartialError{Failed: 2, Total: 9}
	errGate     = &clierr.ThresholdError{Reason: "docker uses 3GB, over --fail-if-usage-over 1GB"}
	errGoneMid  = prune.Result{EngineGone: "EOF", Total: 5, Removed: []prune.Outcome{{}}}.Err()
	errSomewhat = errors.New("decoding the answer: unexpected token")
)

func ds(ss ...float64) []time.Duration {
	out := make([]time.Duration, len(ss))
	for i, s := range ss {
		out[i] = time.Duration(s * float64(time.Second))
	}
	return out
}

func ok(took time.Duration) step { return step{took: took} }
func down() step                 { return step{err: errDown} }

// TestRunEverySchedule runs scripted rounds on a fake clock: the last step
// is followed by SIGTERM (the running round finishes, the loop stops).
func TestRunEverySchedule(t *testing.T) {
	t.Parallel()
	m := time.Minute
	tests := []struct {
		name  string
		every time.Duration
		steps []step
		// starts are the fake times each attempt started at.
		starts []time.Duration
		sleeps []time.Duration
		rounds int
		// log are patterns the round lines must match, in order.
		log []string
	}{
		{
			name: "on schedule", every: 10 * m,
			steps:  []step{ok(m), ok(2 * m), ok(30 * time.Second)},
			starts: []time.Duration{0, 10 * m, 20 * m},
			sleeps: []time.Duration{9 * m, 8 * m},
			rounds: 3,
			log: []string{
				`round=1 status=ok exit=0 took=1m next=2026-11-25T03:10:00.000Z$`,
				`round=2 status=ok exit=0 took=2m next=2026-11-25T03:20:00.000Z$`,
				`round=3 status=ok exit=0 took=30s$`,
			},
		},
		{
			name: "an overrun is followed at once, never overlapped", every: 10 * m,
			steps:  []step{ok(15 * m), ok(m), ok(0)},
			starts: []time.Duration{0, 15 * m, 25 * m},
			sleeps: []time.Duration{9 * m},
			rounds: 3,
			log: []string{
				`round=1 status=ok exit=0 took=15m next=now msg=`,
				`round=2 status=ok exit=0 took=1m next=2026-11-25T03:25:00.000Z$`,
				`round=3 status=ok`,
			},
		},
		{
			name: "unreachable engine: backoff doubles up to --every", every: 10 * time.Second,
			steps:  []step{down(), down(), down(), down(), down(), down(), ok(0), ok(0)},
			starts: ds(0, 1, 3, 7, 15, 25, 35, 45),
			sleeps: ds(1, 2, 4, 8, 10, 10, 10),
			rounds: 2,
			log: []string{
				`round=1 attempt=1 status=unreachable exit=1 took=0s error="cannot reach the Docker engine at unix:///var/run/docker.sock: .*" retry_in=1s$`,
				`round=1 attempt=2 status=unreachable .* retry_in=2s$`,
				`round=1 attempt=3 status=unreachable .* retry_in=4s$`,
				`round=1 attempt=4 status=unreachable .* retry_in=8s$`,
				`round=1 attempt=5 status=unreachable .* retry_in=10s$`,
				`round=1 attempt=6 status=unreachable .* retry_in=10s$`,
				`round=1 attempt=7 status=ok exit=0 took=0s next=2026-11-25T03:00:45.000Z$`,
				`round=2 status=ok`,
			},
		},
		{
			name: "backoff is capped at 5m", every: time.Hour,
			steps:  []step{down(), down(), down(), down(), down(), down(), down(), down(), down(), down(), ok(0)},
			starts: ds(0, 1, 3, 7, 15, 31, 63, 127, 255, 511, 811),
			sleeps: ds(1, 2, 4, 8, 16, 32, 64, 128, 256, 300),
			rounds: 1,
			log: []string{
				`round=1 attempt=1 status=unreachable .* retry_in=1s$`,
				`round=1 attempt=9 status=unreachable .* retry_in=4m16s$`,
				`round=1 attempt=10 status=unreachable .* retry_in=5m$`,
				`round=1 attempt=11 status=ok`,
			},
		},
		{
			name: "recovery resets the backoff", every: m,
			steps:  []step{down(), down(), ok(0), down(), ok(0), ok(0)},
			starts: ds(0, 1, 3, 63, 64, 124),
			sleeps: ds(1, 2, 60, 1, 60),
			rounds: 3,
			log: []string{
				`round=1 attempt=1 status=unreachable .* retry_in=1s$`,
				`round=1 attempt=2 status=unreachable .* retry_in=2s$`,
				`round=1 attempt=3 status=ok .* next=2026-11-25T03:01:03.000Z$`,
				`round=2 attempt=1 status=unreachable .* retry_in=1s$`,
				`round=2 attempt=2 status=ok`,
				`round=3 status=ok`,
			},
		},
		{
			name: "the engine vanishing mid-prune is retried", every: m,
			steps:  []step{{err: errGoneMid}, ok(0)},
			starts: ds(0, 1),
			sleeps: ds(1),
			rounds: 1,
			log: []string{
				`round=1 attempt=1 status=unreachable exit=1 took=0s error="the engine stopped answering after 1 of 5 items \(EOF\); .*" retry_in=1s$`,
				`round=1 attempt=2 status=ok`,
			},
		},
		{
			name: "other errors are logged and the loop goes on", every: m,
			steps:  []step{{err: errAPI}, {err: errPartial}, {err: errGate}, {err: errSomewhat}, ok(0)},
			starts: ds(0, 60, 120, 180, 240),
			sleeps: ds(60, 60, 60, 60),
			rounds: 5,
			log: []string{
				`round=1 status=error exit=1 took=0s error="engine answered 500 Internal Server Error: injected[^"]*" next=`,
				`round=2 status=partial exit=3 took=0s error="2 of 9 removals failed" next=`,
				`round=3 status=threshold exit=4 took=0s error="docker uses 3GB, over --fail-if-usage-over 1GB" next=`,
				`round=4 status=error exit=1 took=0s error="decoding the answer: unexpected token" next=`,
				`round=5 status=ok exit=0`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			clk := newFakeClock(t, cancel)
			var errOut bytes.Buffer
			f := NewFactory(strings.NewReader(""), io.Discard, &errOut, func(string) string { return "" })
			clk.install(f)
			var starts []time.Duration
			next := 0
			err := runEvery(ctx, f, tt.every, "prune", func(ctx context.Context, r everyRound) error {
				if !r.Start.Equal(clk.Now()) {
					t.Errorf("round %d attempt %d: Start %v, now %v", r.N, r.Attempt, r.Start, clk.Now())
				}
				starts = append(starts, clk.since())
				if next >= len(tt.steps) {
					t.Fatalf("round %d attempt %d: the script has only %d steps", r.N, r.Attempt, len(tt.steps))
				}
				s := tt.steps[next]
				next++
				clk.advance(s.took)
				if next == len(tt.steps) {
					cancel() // SIGTERM during the last round
				}
				return s.err
			})
			if !errors.Is(err, clierr.ErrStopped) {
				t.Fatalf("runEvery returned %v, want clierr.ErrStopped", err)
			}
			if fmt.Sprint(starts) != fmt.Sprint(tt.starts) {
				t.Errorf("attempts started at %v, want %v", starts, tt.starts)
			}
			if got := clk.Sleeps(); fmt.Sprint(got) != fmt.Sprint(tt.sleeps) {
				t.Errorf("slept %v, want %v", got, tt.sleeps)
			}
			lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
			checkLogLines(t, lines, tt.log)
			last := lines[len(lines)-1]
			want := fmt.Sprintf(`cmd=prune status=stopped rounds=%d msg="stopping after %s"`, tt.rounds, plural(tt.rounds, "round"))
			if !strings.HasSuffix(last, want) {
				t.Errorf("last line %q, want it to end with %q", last, want)
			}
			if !strings.HasPrefix(lines[0], "time=2026-11-25T03:00:00.000Z cmd=prune status=started every=") {
				t.Errorf("first line %q", lines[0])
			}
		})
	}
}

// checkLogLines wants each pattern to match a round line, in order.
func checkLogLines(t *testing.T, lines, patterns []string) {
	t.Helper()
	i := 0
	for _, p := range patterns {
		re := regexp.MustCompile(p)
		for i < len(lines) && !re.MatchString(lines[i]) {
			i++
		}
		if i == len(lines) {
			t.Errorf("no log line (in order) matches %q; log:\n%s", p, strings.Join(lines, "\n"))
			return
		}
		if !strings.HasPrefix(lines[i], "time=") {
			t.Errorf("log line %q does not start with time=", lines[i])
		}
		i++
	}
}

// SIGTERM while waiting for the next round, or while waiting to retry,
// ends the loop at once; SIGTERM during a round lets it finish first (its
// own interruption handling) and logs it as interrupted.
func TestRunEveryStops(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		stopAt int  // sleeps before the stop (-1: stop before the start)
		inside bool // the round is interrupted (it returns an interrupted error)
		steps  []error
		rounds int
		log    string
	}{
		{name: "while waiting", stopAt: 2, steps: []error{nil, nil, nil, nil}, rounds: 3, log: `round=3 status=ok`},
		{name: "while waiting to retry", stopAt: 1, steps: []error{errDown, errDown, nil}, rounds: 1, log: `round=1 attempt=2 status=unreachable`},
		{name: "during a round", stopAt: 0, inside: true, steps: []error{fmt.Errorf("prune stopped after 1 of 3 items: %w", clierr.ErrInterrupted)}, rounds: 1,
			log: `round=1 status=interrupted exit=130 took=0s error="prune stopped after 1 of 3 items: interrupted"$`},
		{name: "before the first round", stopAt: -1, rounds: 0, log: `status=started`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			clk := newFakeClock(t, cancel)
			clk.stopAt = tt.stopAt
			if tt.stopAt < 0 {
				cancel()
			}
			var errOut bytes.Buffer
			f := NewFactory(strings.NewReader(""), io.Discard, &errOut, func(string) string { return "" })
			clk.install(f)
			n := 0
			err := runEvery(ctx, f, time.Hour, "report", func(ctx context.Context, r everyRound) error {
				if n >= len(tt.steps) {
					t.Fatalf("round %d attempt %d ran after the stop", r.N, r.Attempt)
				}
				n++
				if tt.inside {
					cancel()
				}
				return tt.steps[n-1]
			})
			if !errors.Is(err, clierr.ErrStopped) {
				t.Fatalf("runEvery returned %v, want clierr.ErrStopped", err)
			}
			lines := strings.Split(strings.TrimSpace(errOut.String()), "\n")
			checkLogLines(t, lines, []string{tt.log})
			if last := lines[len(lines)-1]; !strings.Contains(last, "stopping after "+plural(tt.rounds, "round")) {
				t.Errorf("last line %q, want stopping after %d rounds", last, tt.rounds)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		attempt int
		ceiling time.Duration
		jitter  float64
		want    time.Duration
	}{
		{1, time.Hour, 0, time.Second},
		{2, time.Hour, 0, 2 * time.Second},
		{3, time.Hour, 0, 4 * time.Second},
		{9, time.Hour, 0, 256 * time.Second},
		{10, 5 * time.Minute, 0, 5 * time.Minute},
		{1000, 5 * time.Minute, 0, 5 * time.Minute},
		{3, 2 * time.Second, 0, 2 * time.Second},
		{1, time.Hour, 0.5, 900 * time.Millisecond},
		{3, time.Hour, 0.999999, 3200 * time.Millisecond},
	} {
		got := backoff(tt.attempt, tt.ceiling, tt.jitter)
		if d := got - tt.want; d > time.Microsecond || d < -time.Microsecond {
			t.Errorf("backoff(%d, %v, %v) = %v, want %v", tt.attempt, tt.ceiling, tt.jitter, got, tt.want)
		}
	}
}

func TestEngineDown(t *testing.T) {
	t.Parallel()
	dial := &net.OpError{Op: "dial", Net: "unix", Err: &os.SyscallError{Syscall: "connect", Err: syscall.ENOENT}}
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"unreachable", errDown, true},
		{"classified dial error", engine.Classify(fmt.Errorf("listing: %w", dial), "unix:///x.sock"), true},
		{"client connection failed", client.ErrorConnectionFailed("unix:///x.sock"), true},
		{"request timed out", engine.Classify(fmt.Errorf("inspect: %w", context.DeadlineExceeded), "unix:///x.sock"), true},
		{"connection dropped", fmt.Errorf("reading: %w", io.ErrUnexpectedEOF), true},
		{"connection refused", fmt.Errorf("x: %w", syscall.ECONNREFUSED), true},
		{"gone during prune", errGoneMid, true},
		{"engine answer", errAPI, false},
		{"engine answer 409", &engine.APIError{Status: 409, Message: "conflict"}, false},
		{"partial", errPartial, false},
		{"threshold", errGate, false},
		{"usage", clierr.Usage("--log", "x", "no such folder"), false},
		{"interrupted", fmt.Errorf("nothing removed: %w", clierr.ErrInterrupted), false},
		{"cancelled", fmt.Errorf("x: %w", context.Canceled), false},
		{"other", errSomewhat, false},
		{"nil", nil, false},
	} {
		if got := engineDown(tt.err); got != tt.want {
			t.Errorf("%s: engineDown(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

// ---------------------------------------------------------------------------
// Through the command line, on the fake engine

// everyCLI runs dockctl on e with a fake clock; the run is stopped
// (SIGTERM) when the loop asks for sleep number stopAt+1.
func everyCLI(t *testing.T, e *fake.Engine, stopAt int, args ...string) (code int, stdout, stderr string, clk *fakeClock, dials int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk = newFakeClock(t, cancel)
	clk.stopAt = stopAt
	f, out, errOut := testFactory(t, nil)
	clk.install(f)
	f.Dial = func(engine.Endpoint, engine.Env, time.Duration) (Engine, error) {
		dials++
		return e, nil
	}
	done := make(chan int, 1)
	go func() { done <- Run(ctx, f, args) }()
	select {
	case code = <-done:
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatalf("dockctl %s did not stop; stderr so far: %s", strings.Join(args, " "), errOut.String())
	}
	return code, out.String(), errOut.String(), clk, dials
}

// wantStopped checks a scheduled run stopped by SIGTERM: exit 0 and the
// final line.
func wantStopped(t *testing.T, code int, stderr string, rounds int) {
	t.Helper()
	if code == clierr.ExitInterrupted && strings.Contains(stderr, clierr.ErrStopped.Error()) {
		t.Fatalf("exit 130: cmd.Run does not map clierr.ErrStopped to exit 0 (see clierr.ErrStopped in every.go); stderr:\n%s", stderr)
	}
	if code != 0 {
		t.Fatalf("exit %d, want 0 (a scheduled run asked to stop has done nothing wrong); stderr:\n%s", code, stderr)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if last := lines[len(lines)-1]; !strings.Contains(last, "status=stopped rounds="+fmt.Sprint(rounds)) || !strings.Contains(last, "stopping after "+plural(rounds, "round")) {
		t.Fatalf("last stderr line %q, want stopping after %d rounds", last, rounds)
	}
}

func TestEveryUsageErrors(t *testing.T) {
	t.Parallel()
	plan := filepath.Join(t.TempDir(), "plan.json")
	if err := os.WriteFile(plan, []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		args []string
		want []string // in the one stderr line
	}{
		{[]string{"prune", "--yes", "--every", "0"}, []string{`--every "0"`, "at least 1s"}},
		{[]string{"prune", "--yes", "--every", "-5m"}, []string{`--every "-5m"`, "negative"}},
		{[]string{"prune", "--yes", "--every", "soon"}, []string{`--every "soon"`}},
		{[]string{"prune", "--yes", "--every", ""}, []string{`--every`, "empty"}},
		{[]string{"prune", "--yes", "--every", "500ms"}, []string{`--every "500ms"`, "at least 1s"}},
		{[]string{"prune", "--every", "1h"}, []string{`--every "1h"`, "--yes", "--dry-run"}},
		{[]string{"prune", "--every", "1h", "--yes", "--apply", plan}, []string{`--every "1h"`, "--apply"}},
		{[]string{"prune", "--every", "1h", "--dry-run", "--plan-out", filepath.Join(t.TempDir(), "p.json")}, []string{`--every "1h"`, "--plan-out"}},
		{[]string{"prune", "--every", "1h", "--yes", "--format", "yaml"}, []string{`--format "yaml"`}},
		{[]string{"report", "--every", "0"}, []string{`--every "0"`, "at least 1s"}},
		{[]string{"report", "--every", "7x"}, []string{`--every "7x"`, "unknown unit"}},
		{[]string{"report", "--every", "1h", "--format", "html"}, []string{`--every "1h"`, "-o FILE"}},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			e := fakeEngine()
			code, out, errOut, clk, dials := everyCLI(t, e, 0, tt.args...)
			if code != clierr.ExitUsage {
				t.Fatalf("exit %d, want 2; stderr %q", code, errOut)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if n := strings.Count(strings.TrimSpace(errOut), "\n"); n != 0 {
				t.Errorf("stderr has %d lines, want 1: %q", n+1, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q does not say %q", errOut, w)
				}
			}
			if dials != 0 || e.Calls("DiskUsage") != 0 || len(clk.Sleeps()) != 0 {
				t.Errorf("a usage error reached the engine or the loop: %d dials, %d df calls, sleeps %v", dials, e.Calls("DiskUsage"), clk.Sleeps())
			}
		})
	}
}

// report --every --format json: one compact JSON document per round and
// line, the engine read anew each round, a log line per round.
func TestReportEveryJSONLines(t *testing.T) {
	t.Parallel()
	e := fakeEngine()
	code, out, errOut, clk, _ := everyCLI(t, e, 2, "report", "--every", "10m", "--no-cache", "--format", "json")
	wantStopped(t, code, errOut, 3)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("stdout has %d lines, want 3 (one JSON document per round):\n%s", len(lines), out)
	}
	for i, l := range lines {
		var doc struct {
			Schema string `json:"schema"`
		}
		if err := json.Unmarshal([]byte(l), &doc); err != nil || doc.Schema == "" {
			t.Errorf("line %d is not a report document (%v): %.200s", i+1, err, l)
		}
	}
	if n := e.Calls("DiskUsage"); n != 3 {
		t.Errorf("/system/df called %d times in 3 rounds, want 3", n)
	}
	if got := clk.Sleeps(); fmt.Sprint(got) != fmt.Sprint(ds(600, 600)) {
		t.Errorf("slept %v, want [10m 10m]", got)
	}
	checkLogLines(t, strings.Split(errOut, "\n"), []string{
		`cmd=report status=started every=10m`,
		`cmd=report round=1 status=ok exit=0 took=0s next=2026-11-25T03:10:00.000Z$`,
		`cmd=report round=2 status=ok`,
		`cmd=report round=3 status=ok`,
	})
}

// A gate that trips is logged (exit class 4) and the loop goes on; each
// table report gets a header line.
func TestReportEveryGateAndHeaders(t *testing.T) {
	t.Parallel()
	code, out, errOut, _, _ := everyCLI(t, fakeEngine(), 1, "report", "--every", "1h", "--no-cache", "--fail-if-usage-over", "1kB")
	wantStopped(t, code, errOut, 2)
	checkLogLines(t, strings.Split(errOut, "\n"), []string{
		`round=1 status=threshold exit=4 took=0s error="docker uses .*over --fail-if-usage-over 1kB" next=`,
		`round=2 status=threshold exit=4`,
	})
	for _, h := range []string{"=== dockctl report: round 1 at 2026-11-25T03:00:00.000Z ===\n", "\n\n=== dockctl report: round 2 at 2026-11-25T04:00:00.000Z ===\n"} {
		if !strings.Contains(out, h) {
			t.Errorf("stdout lacks header %q:\n%s", h, out)
		}
	}
	if !strings.HasPrefix(out, "=== dockctl report: round 1") {
		t.Errorf("stdout does not start with the first header:\n%.300s", out)
	}
}

// prune --every --yes: a partial failure (the fake cannot re-check the
// container, so its removal fails: exit class 3) is logged and the next
// round plans anew; markdown rounds are separated by a rule.
func TestPruneEveryGoesOnAfterAPartialFailure(t *testing.T) {
	t.Parallel()
	e := fakeEngine()
	code, out, errOut, _, _ := everyCLI(t, e, 1, "prune", "--every", "1d", "--yes", "--no-cache", "--all", "--format", "markdown")
	wantStopped(t, code, errOut, 2)
	checkLogLines(t, strings.Split(errOut, "\n"), []string{
		`round=1 status=partial exit=3 took=0s error=".*removals failed" next=2026-11-26T03:00:00.000Z$`,
		`round=2 status=partial exit=3`,
	})
	if n := e.Calls("DiskUsage"); n < 2 {
		t.Errorf("/system/df called %d times, want the inventory read anew each round", n)
	}
	if n := e.Calls("ContainerInspect"); n < 2 {
		t.Errorf("ContainerInspect called %d times, want a removal attempted each round", n)
	}
	if !strings.HasPrefix(out, "_dockctl prune: round 1 at 2026-11-25T03:00:00.000Z_\n\n") || !strings.Contains(out, "\n---\n\n_dockctl prune: round 2 at 2026-11-26T03:00:00.000Z_\n\n") {
		t.Errorf("markdown rounds are not headed and separated:\n%s", out)
	}
}

// The engine is unreachable for three attempts, then answers: retried with
// 1s, 2s, 4s, each with a new client; then the rounds go on on schedule
// with the client that worked.
func TestPruneEveryRetriesAnUnreachableEngine(t *testing.T) {
	t.Parallel()
	e := fakeEngine()
	answer := e.DiskUsageFn
	var calls int
	e.DiskUsageFn = func(ctx context.Context, o types.DiskUsageOptions) (types.DiskUsage, error) {
		calls++
		if calls <= 3 {
			return types.DiskUsage{}, client.ErrorConnectionFailed("unix:///var/run/docker.sock")
		}
		return answer(ctx, o)
	}
	code, out, errOut, clk, dials := everyCLI(t, e, 5, "prune", "--every", "2m", "--dry-run", "--no-cache", "--format", "json")
	wantStopped(t, code, errOut, 3)
	if got := clk.Sleeps(); fmt.Sprint(got) != fmt.Sprint(ds(1, 2, 4, 120, 120)) {
		t.Errorf("slept %v, want [1s 2s 4s 2m 2m]", got)
	}
	checkLogLines(t, strings.Split(errOut, "\n"), []string{
		`round=1 attempt=1 status=unreachable exit=1 took=0s error="[^"]*Docker daemon[^"]*" retry_in=1s$`,
		`round=1 attempt=2 status=unreachable .* retry_in=2s$`,
		`round=1 attempt=3 status=unreachable .* retry_in=4s$`,
		`round=1 attempt=4 status=ok exit=0 took=0s next=2026-11-25T03:02:07.000Z$`,
		`round=2 status=ok`,
		`round=3 status=ok`,
	})
	if dials != 4 {
		t.Errorf("%d clients made, want 4: one per unreachable attempt and one that stays", dials)
	}
	if n := len(strings.Split(strings.TrimSpace(out), "\n")); n != 3 {
		t.Errorf("stdout has %d lines, want 3 plans:\n%s", n, out)
	}
}

// A client that could not be made is not cached: the next round tries
// again.
func TestEveryDoesNotCacheAFailedClient(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clk := newFakeClock(t, cancel)
	clk.stopAt = 1
	f, _, errOut := testFactory(t, nil)
	clk.install(f)
	dials := 0
	f.Dial = func(engine.Endpoint, engine.Env, time.Duration) (Engine, error) {
		dials++
		if dials == 1 {
			return nil, errors.New("loading TLS material for tcp://h:2376: open ca.pem: no such file or directory")
		}
		return fakeEngine(), nil
	}
	code := Run(ctx, f, []string{"report", "--every", "1h", "--no-cache", "--format", "json"})
	wantStopped(t, code, errOut.String(), 2)
	checkLogLines(t, strings.Split(errOut.String(), "\n"), []string{
		`round=1 status=error exit=1 took=0s error="loading TLS material`,
		`round=2 status=ok`,
	})
	if dials != 2 {
		t.Errorf("%d clients made, want 2", dials)
	}
}

// The until filter is relative to each round, not to the start.
func TestPruneEveryUntilFollowsTheRounds(t *testing.T) {
	t.Parallel()
	code, out, errOut, _, _ := everyCLI(t, fakeEngine(), 1, "prune", "--every", "1h", "--dry-run", "--no-cache", "--format", "json", "--filter", "until=1h")
	wantStopped(t, code, errOut, 2)
	if n := len(strings.Split(strings.TrimSpace(out), "\n")); n != 2 {
		t.Fatalf("stdout has %d lines, want 2:\n%s", n, out)
	}
}

func TestKV(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		value any
		want  string
	}{
		{"ok", `k=ok`},
		{"", `k=""`},
		{"two words", `k="two words"`},
		{`say "hi"`, `k="say \"hi\""`},
		{"a=b", `k="a=b"`},
		{"line\nbreak", `k="line\nbreak"`},
		{1500 * time.Microsecond, `k=2ms`},
		{24 * time.Hour, `k=24h`},
		{90 * time.Minute, `k=1h30m`},
		{time.Minute, `k=1m`},
		{61 * time.Second, `k=1m1s`},
		{3 * time.Hour, `k=3h`},
		{time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC), `k=2026-01-02T03:04:05.006Z`},
		{42, `k=42`},
	} {
		if got := kv("k", tt.value); got != tt.want {
			t.Errorf("kv(%#v) = %s, want %s", tt.value, got, tt.want)
		}
	}
}

// SIGTERM in the middle of a report round drops that round: nothing on
// stdout for it, the round logged as interrupted, exit 0.
func TestReportEverySIGTERMDropsTheRound(t *testing.T) {
	t.Parallel()
	e := fakeEngine()
	started := make(chan struct{})
	e.DiskUsageFn = func(ctx context.Context, o types.DiskUsageOptions) (types.DiskUsage, error) {
		close(started)
		<-ctx.Done() // the engine is slow; SIGTERM comes first
		return types.DiskUsage{}, fmt.Errorf("reading disk usage: %w", ctx.Err())
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f, out, errOut := testFactory(t, nil)
	f.Dial = func(engine.Endpoint, engine.Env, time.Duration) (Engine, error) { return e, nil }
	done := make(chan int, 1)
	go func() { done <- Run(ctx, f, []string{"report", "--every", "1h", "--no-cache", "--format", "json"}) }()
	<-started
	cancel()
	var code int
	select {
	case code = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the scheduled report did not stop")
	}
	wantStopped(t, code, errOut.String(), 1)
	if out.Len() != 0 {
		t.Errorf("a dropped round wrote stdout: %q", out.String())
	}
	if !strings.Contains(errOut.String(), "round=1 status=interrupted") {
		t.Errorf("round 1 not logged as interrupted:\n%s", errOut.String())
	}
}

// The first line of a scheduled run says what it stands for (crontab, with
// the document's explanation), unless --no-explain.
func TestEveryStartLineExplains(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		args []string
		want bool
	}{
		{[]string{"report", "--every", "1h", "--no-cache", "--format", "json", "--lang", "both"}, true},
		{[]string{"report", "--every", "1h", "--no-cache", "--format", "json", "--no-explain"}, false},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, _, stderr, _, _ := everyCLI(t, fakeEngine(), 1, tt.args...)
			wantStopped(t, code, stderr, 2)
			first := strings.SplitN(stderr, "\n", 2)[0]
			has := strings.Contains(first, `explain="≈ crontab — 设置定时任务 (set up scheduled tasks)"`)
			if has != tt.want {
				t.Errorf("start line %q: explanation present %v, want %v", first, has, tt.want)
			}
		})
	}
}
