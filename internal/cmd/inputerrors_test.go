package cmd

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/dockctl/dockctl/internal/clierr"
	"github.com/dockctl/dockctl/internal/engine"
	"github.com/dockctl/dockctl/internal/explain"
	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/prune"
	"github.com/dockctl/dockctl/internal/render"
)

// The domain packages' bad-input errors become usage errors (exit 2)
// naming the flag, wrapped or not; other errors pass unchanged.
func TestUsageErrorNamesTheFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string // "" = unchanged, not a usage error
	}{
		{"policy", &prune.PolicyError{Field: prune.FieldKeep, Value: "[", Reason: "bad glob pattern"}, `invalid --keep "[": bad glob pattern`},
		{"policy, two flags", &prune.PolicyError{Field: prune.FieldLowWatermark, Value: "85%", Reason: "must not be above", With: prune.FieldHighWatermark, WithValue: "70%"},
			`invalid --low-watermark "85%": must not be above --high-watermark 70%`},
		{"policy, no value", &prune.PolicyError{Field: prune.FieldTargetUsage, Reason: "cannot be combined with the watermarks"}, `--target-usage: cannot be combined with the watermarks`},
		{"engine setting", &engine.SettingError{Setting: engine.SettingContext, Value: "x", Reason: "cannot be combined with", With: engine.SettingHost}, `invalid --context "x": cannot be combined with --host`},
		{"environment", &engine.SettingError{Setting: "DOCKER_HOST", Value: "ftp://x", Reason: "unsupported"}, `invalid DOCKER_HOST "ftp://x": unsupported`},
		{"filter, wrapped", fmt.Errorf("scope: %w", &inspect.FilterError{Value: "a", Reason: "expected key=value"}), `invalid --filter "a": expected key=value`},
		{"format", &render.FormatError{Format: "{{.X}}", Reason: "no such field"}, `invalid --format "{{.X}}": no such field`},
		{"topic", &explain.TopicError{Topic: "prun", Reason: "unknown topic"}, `invalid topic "prun": unknown topic`},
		{"other", errors.New("engine down"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := usageError(tt.err)
			if tt.want == "" {
				if got != tt.err {
					t.Fatalf("usageError(%v) = %v, want it unchanged", tt.err, got)
				}
				return
			}
			if clierr.Code(got) != clierr.ExitUsage || got.Error() != tt.want {
				t.Fatalf("usageError = %q (exit %d), want %q (exit 2)", got, clierr.Code(got), tt.want)
			}
		})
	}
}

// The engine's errors say what went wrong; cmd adds which flags fix it,
// also inside wrappers whose text was fixed when they were made.
func TestEngineErrorsGetTheFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"unreachable", &engine.UnreachableError{Host: "tcp://h:1"},
			"cannot reach the Docker engine at tcp://h:1: is the Docker daemon running? check --host, --context or DOCKER_HOST"},
		{"unreachable, wrapped", fmt.Errorf("listing: %w", &engine.UnreachableError{Host: "tcp://h:1"}),
			"listing: cannot reach the Docker engine at tcp://h:1: is the Docker daemon running? check --host, --context or DOCKER_HOST"},
		{"timed out", engine.Classify(fmt.Errorf("listing: %w", context.DeadlineExceeded), "tcp://h:1"),
			"the engine at tcp://h:1 did not answer in time (raise --timeout): listing: context deadline exceeded"},
		{"timed out, wrapped", fmt.Errorf("round 2: %w", engine.Classify(context.DeadlineExceeded, "tcp://h:1")),
			"round 2: the engine at tcp://h:1 did not answer in time (raise --timeout): context deadline exceeded"},
		{"df timed out", engine.Classify(fmt.Errorf("reading disk usage: %w", &engine.TimeoutError{DiskUsage: true, Limit: time.Second}), "tcp://h:1"),
			"the engine at tcp://h:1 did not finish sizing disks in time (raise or drop --df-timeout): reading disk usage: disk usage (/system/df) not answered within 1s"},
		{"other", errors.New("engine down"), "engine down"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := withFlagAdvice(tt.err); got != tt.want {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

// A plan over --max-remove is refused in the flags' words.
func TestLimitReasonNamesTheFlags(t *testing.T) {
	t.Parallel()
	const want = "refusing to remove 8 objects: more than --max-remove 3 (use --force to proceed)"
	if got := limitReason(&prune.LimitError{Planned: 8, Max: 3}); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
