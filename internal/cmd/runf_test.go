package cmd

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/dockctl/dockctl/internal/engine"
	"github.com/dockctl/dockctl/internal/inspect"
)

// noEngine is a Dial for tests in which the command must not run.
func noEngine(t *testing.T) func(engine.Endpoint, engine.Env, time.Duration) (Engine, error) {
	return func(engine.Endpoint, engine.Env, time.Duration) (Engine, error) {
		t.Error("the engine was dialled")
		return nil, errors.New("no engine in this test")
	}
}

// The flags of prune become a policy before anything runs: runF sees the
// checked options, and no engine is dialled.
func TestPruneFlagsMakeThePolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		args  []string
		check func(*testing.T, *PruneOptions)
	}{
		{"kinds in docker's order, once each", []string{"--dry-run", "images", "volume", "images"}, func(t *testing.T, o *PruneOptions) {
			if !slices.Equal(o.policy.Kinds, []inspect.Kind{inspect.KindImages, inspect.KindVolumes}) || !o.policy.Volumes {
				t.Errorf("kinds %v volumes %v", o.policy.Kinds, o.policy.Volumes)
			}
		}},
		{"a label filter leaves the build cache out", []string{"--dry-run", "--filter", "label=a"}, func(t *testing.T, o *PruneOptions) {
			if slices.Contains(o.policy.Kinds, inspect.KindBuildCache) || len(o.policy.Kinds) != 3 {
				t.Errorf("kinds %v", o.policy.Kinds)
			}
		}},
		{"budget and ages as values", []string{"--dry-run", "--all", "--older-than", "7d", "--high-watermark", "85%", "--low-watermark", "70"}, func(t *testing.T, o *PruneOptions) {
			p := o.policy
			if !p.All || p.OlderThan != 7*24*time.Hour || p.HighWatermark != 85 || p.LowWatermark != 70 {
				t.Errorf("policy %+v", p)
			}
		}},
		{"--keep-label trimmed", []string{"--dry-run", "--keep-label", " tier = prod "}, func(t *testing.T, o *PruneOptions) {
			if !slices.Equal(o.policy.KeepLabels, []string{"tier=prod"}) {
				t.Errorf("keep labels %q", o.policy.KeepLabels)
			}
		}},
		{"--every", []string{"--yes", "--every", "1h"}, func(t *testing.T, o *PruneOptions) {
			if o.every != time.Hour {
				t.Errorf("every %v", o.every)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, out, _ := testFactory(t, nil)
			f.Dial = noEngine(t)
			var got *PruneOptions
			c := NewPruneCmd(f, func(o *PruneOptions) error { got = o; return nil })
			c.SetArgs(tt.args)
			if err := c.Execute(); err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Fatal("runF was not called")
			}
			if out.Len() != 0 {
				t.Errorf("stdout %q", out)
			}
			tt.check(t, got)
		})
	}
}
