package clierr

import (
	"errors"
	"fmt"
)

// Exit codes, documented in `dockctl --help`.
const (
	ExitOK          = 0
	ExitError       = 1
	ExitUsage       = 2
	ExitPartial     = 3
	ExitThreshold   = 4
	ExitInterrupted = 130
)

// UsageError is bad input from the user: a flag, argument or environment
// variable with a value dockctl cannot use. It exits 2 and prints one line.
type UsageError struct {
	Flag   string // "--filter", "kind", "DOCKER_HOST"
	Value  string
	Reason string
}

func (e *UsageError) Error() string {
	if e.Flag == "" {
		return e.Reason
	}
	if e.Value == "" {
		return fmt.Sprintf("%s: %s", e.Flag, e.Reason)
	}
	return fmt.Sprintf("invalid %s %q: %s", e.Flag, e.Value, e.Reason)
}

// Usage builds a UsageError.
func Usage(flag, value, format string, args ...any) error {
	return &UsageError{Flag: flag, Value: value, Reason: fmt.Sprintf(format, args...)}
}

// PartialError says the command did part of its work: some removals failed.
type PartialError struct{ Failed, Total int }

func (e *PartialError) Error() string {
	return fmt.Sprintf("%d of %d removals failed", e.Failed, e.Total)
}

// ThresholdError says a CI gate (--fail-if-…) tripped after the output was
// written.
type ThresholdError struct{ Reason string }

func (e *ThresholdError) Error() string { return e.Reason }

// ErrInterrupted is returned when the user pressed Ctrl-C (SIGINT/SIGTERM).
var ErrInterrupted = errors.New("interrupted")

// ErrStopped is returned by a long-lived run (--every) that was asked to
// stop (SIGTERM, Ctrl-C) and has stopped: it did what it was asked, so it
// exits 0, and no error line is printed.
var ErrStopped = errors.New("scheduled run stopped on request")

// Code maps an error to dockctl's exit code.
func Code(err error) int {
	var (
		u *UsageError
		p *PartialError
		t *ThresholdError
	)
	switch {
	case err == nil, errors.Is(err, ErrStopped):
		return ExitOK
	case errors.As(err, &u):
		return ExitUsage
	case errors.Is(err, ErrInterrupted):
		return ExitInterrupted
	case errors.As(err, &p):
		return ExitPartial
	case errors.As(err, &t):
		return ExitThreshold
	default:
		return ExitError
	}
}
