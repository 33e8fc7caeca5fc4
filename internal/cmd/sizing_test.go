package cmd

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types"

	"github.com/dockctl/dockctl/internal/engine"
)

// While /system/df runs, a terminal gets one line, after 2 s, rewritten
// each second and cleared at the end (issue 12 item 3); a df answered
// sooner, or a stderr that is no terminal, gets nothing. The clock is the
// Factory's: each tick the engine sends lets one Sleep of the progress
// line end.
func TestSizingProgress(t *testing.T) {
	const line = "\rdockctl: sizing containers and volumes in the engine… "
	tests := []struct {
		name  string
		tty   bool
		ticks int
		want  string
	}{
		{"slow df on a terminal", true, 3, line + "2s" + line + "3s" + line + "4s" + "\r\033[K"},
		{"df within 2s", true, 0, ""},
		{"no terminal", false, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, out, errOut := testFactory(t, nil)
			f.IO.ErrIsTTY = tc.tty
			var mu sync.Mutex
			now := testNow
			f.Now = func() time.Time {
				mu.Lock()
				defer mu.Unlock()
				return now
			}
			ticks := make(chan struct{})
			sleeps := 0
			f.Sleep = func(ctx context.Context, d time.Duration) error {
				mu.Lock()
				sleeps++
				mu.Unlock()
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-ticks:
					mu.Lock()
					now = now.Add(d)
					mu.Unlock()
					return nil
				}
			}
			e := fakeEngine()
			df := e.DiskUsageFn
			e.DiskUsageFn = func(ctx context.Context, o types.DiskUsageOptions) (types.DiskUsage, error) {
				for range tc.ticks {
					ticks <- struct{}{}
				}
				return df(ctx, o)
			}
			f.Dial = func(ep engine.Endpoint, env engine.Env, _ time.Duration) (Engine, error) { return e, nil }
			if code := Run(context.Background(), f, []string{"inspect", "containers"}); code != 0 || out.Len() == 0 {
				t.Fatalf("exit %d, stdout %q, stderr %q", code, out, errOut)
			}
			if got := errOut.String(); got != tc.want {
				t.Errorf("stderr %q, want %q", got, tc.want)
			}
			if !tc.tty && sleeps != 0 {
				t.Errorf("%d sleeps off a terminal: nothing should wait to print", sleeps)
			}
		})
	}
}

// --df-timeout takes a positive duration; a bad one is a usage error
// naming it, before any engine call. Given, it bounds the wait for
// another client's df instead of --timeout.
func TestDFTimeoutFlag(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  string // part of stderr
	}{
		{"", "--df-timeout"},
		{"0s", `--df-timeout "0s"`},
		{"soon", `--df-timeout "soon"`},
		{"-5m", `--df-timeout "-5m"`},
	} {
		t.Run(tc.value, func(t *testing.T) {
			e := fakeEngine()
			code, out, errOut := runFake(t, e, "--df-timeout", tc.value, "report")
			if code != 2 || out != "" || !strings.Contains(errOut, tc.want) || strings.Count(errOut, "\n") != 1 {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 2, nothing on stdout, one line with %q", code, out, errOut, tc.want)
			}
			if e.Calls("DiskUsage")+e.Calls("Info") != 0 {
				t.Error("the engine was asked despite the bad flag")
			}
		})
	}
	t.Run("bounds the busy wait", func(t *testing.T) {
		e := fakeEngine()
		e.DiskUsageFn = func(context.Context, types.DiskUsageOptions) (types.DiskUsage, error) {
			return types.DiskUsage{}, errors.New("Error response from daemon: a disk usage operation is already running")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		f, _, errOut := testFactory(t, nil)
		f.Dial = func(engine.Endpoint, engine.Env, time.Duration) (Engine, error) { return e, nil }
		code := Run(ctx, f, []string{"--timeout", "1h", "--df-timeout", "200ms", "inspect", "volumes"})
		if code != 1 || !strings.Contains(errOut.String(), "at most 200ms (--df-timeout)") || !strings.Contains(errOut.String(), "still busy") {
			t.Fatalf("exit %d, stderr %q; want exit 1 after the --df-timeout bound, saying so", code, errOut)
		}
	})
}
