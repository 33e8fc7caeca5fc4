package clierr

import (
	"errors"
	"fmt"
	"testing"
)

func TestCode(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want int
	}{
		{"nil", nil, ExitOK},
		{"plain", errors.New("boom"), ExitError},
		{"usage", Usage("--filter", "x", "bad"), ExitUsage},
		{"wrapped usage", fmt.Errorf("ctx: %w", Usage("--top", "-1", "bad")), ExitUsage},
		{"partial", &PartialError{Failed: 1, Total: 3}, ExitPartial},
		{"threshold", &ThresholdError{Reason: "too big"}, ExitThreshold},
		{"interrupted", fmt.Errorf("stopped: %w", ErrInterrupted), ExitInterrupted},
		{"a scheduled run asked to stop", fmt.Errorf("after 3 rounds: %w", ErrStopped), ExitOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Code(tt.err); got != tt.want {
				t.Fatalf("Code(%v) = %d, want %d", tt.err, got, tt.want)
			}
		})
	}
}

func TestUsageMessageNamesFlagAndValue(t *testing.T) {
	if got := Usage("--top", "-1", "must not be negative").Error(); got != `invalid --top "-1": must not be negative` {
		t.Fatalf("got %q", got)
	}
	if got := (&UsageError{Reason: "unknown flag: --x"}).Error(); got != "unknown flag: --x" {
		t.Fatalf("got %q", got)
	}
}
