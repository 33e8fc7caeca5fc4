package prune

import (
	"errors"
	"fmt"
	"time"

	"github.com/dockctl/dockctl/internal/clierr"
)

// Outcome results.
const (
	ResultRemoved  = "removed"
	ResultUntagged = "untagged"
	// ResultGone is an object already gone (404) when Apply came to it.
	ResultGone    = "gone"
	ResultSkipped = "skipped"
	ResultFailed  = "failed"
)

// Outcome is what happened to one plan item (or to an object the engine
// removed along with one).
type Outcome struct {
	Time  time.Time `json:"time"`
	Type  Type      `json:"type"`
	ID    string    `json:"id"`
	Name  string    `json:"name"`
	Bytes int64     `json:"bytes"`
	// Reason is the plan's reason for removed items, or why an item was
	// skipped.
	Reason string `json:"reason,omitempty"`
	// Result is one of the Result* constants.
	Result string `json:"result"`
	// Error and Status (the engine's HTTP status, 0 if none) for failures.
	Error  string `json:"error,omitempty"`
	Status int    `json:"status,omitempty"`

	index, seq int
}

// Result is what Apply did. Removed holds removals and untags, Skipped
// items left alone (changed since the plan, already gone, or not reached
// because of an interruption), Failed the engine's refusals and errors.
type Result struct {
	Removed     []Outcome `json:"removed"`
	Skipped     []Outcome `json:"skipped"`
	Failed      []Outcome `json:"failed"`
	Interrupted bool      `json:"interrupted"`
	// EngineGone is the error that showed the engine had stopped
	// answering; the items after it were not attempted.
	EngineGone string `json:"engine_gone,omitempty"`
	// LogError is the error that stopped the run because an outcome could
	// not be logged; the items after it were not attempted.
	LogError string `json:"log_error,omitempty"`
	// ReclaimedBytes sums the removed outcomes' bytes (the plan's
	// prediction for each).
	ReclaimedBytes int64 `json:"reclaimed_bytes"`
	// Total is the plan's item count.
	Total int `json:"total"`

	logErr error
}

// ErrEngineGone is wrapped by Result.Err when the engine stopped answering
// during the removals: callers that retry (scheduled runs) look for it.
var ErrEngineGone = errors.New("the engine stopped answering")

// Err maps the result to dockctl's errors: clierr.ErrInterrupted (wrapped)
// when interrupted, a *clierr.PartialError when some removals failed, nil
// otherwise.
func (r Result) Err() error {
	switch {
	case r.logErr != nil:
		return fmt.Errorf("stopped after %d of %d items: the log could not be written: %w", len(r.Removed)+len(r.Failed), r.Total, r.logErr)
	case r.EngineGone != "":
		return fmt.Errorf("%w after %d of %d items (%s); run the same prune again to finish", ErrEngineGone, len(r.Removed), r.Total, r.EngineGone)
	case r.Interrupted:
		return fmt.Errorf("prune stopped after %d of %d items: %w", len(r.Removed)+len(r.Failed), r.Total, clierr.ErrInterrupted)
	case len(r.Failed) > 0:
		return &clierr.PartialError{Failed: len(r.Failed), Total: r.Total}
	}
	return nil
}

func (r *run) outcome(it Item, result, reason string) Outcome {
	return Outcome{Time: r.opts.Now(), Type: it.Type, ID: it.ID, Name: it.Name, Reason: reason, Result: result}
}

func (r *run) removed(it Item) Outcome {
	o := r.outcome(it, ResultRemoved, it.Reason)
	o.Bytes = it.Bytes
	if it.Action == ActionUntag {
		o.Result = ResultUntagged
		o.Bytes = 0
	}
	return o
}

func (r *run) skipped(it Item, format string, a ...any) Outcome {
	return r.outcome(it, ResultSkipped, fmt.Sprintf(format, a...))
}

func (r *run) gone(it Item, reason string) Outcome {
	return r.outcome(it, ResultGone, reason)
}

func (r *run) failed(it Item, err error) Outcome {
	if engineGone(err) {
		r.mu.Lock()
		if r.goneErr == nil {
			r.goneErr = err
		}
		r.mu.Unlock()
		r.stopDispatch()
	}
	o := r.outcome(it, ResultFailed, it.Reason)
	o.Error = err.Error()
	o.Status = statusOf(err)
	return o
}
