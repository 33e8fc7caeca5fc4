package prune

import (
	"encoding/json"
	"fmt"
	"io"
	"sync"
)

// JSONLines returns a Log function writing each outcome to w as one line
// of JSON (time, type, id, name, bytes, reason, result, error, status). It
// returns the write error: an audit log with holes is worse than a prune
// that stops.
func JSONLines(w io.Writer) func(Outcome) error {
	var mu sync.Mutex
	enc := json.NewEncoder(w)
	return func(o Outcome) error {
		mu.Lock()
		defer mu.Unlock()
		if err := enc.Encode(o); err != nil {
			return fmt.Errorf("writing %s %s to the log: %w", o.Type, o.Name, err)
		}
		return nil
	}
}
