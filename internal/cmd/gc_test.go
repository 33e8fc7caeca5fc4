package cmd

import (
	"runtime/debug"
	"testing"
)

// The collector target is dockctl's unless the user set GOGC or
// GOMEMLIMIT (issue 12 item 4).
func TestTuneGC(t *testing.T) {
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })
	tests := []struct {
		name string
		env  map[string]string
		want int
	}{
		{"default", nil, gcPercent},
		{"GOGC set", map[string]string{"GOGC": "200"}, 100},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB"}, 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			debug.SetGCPercent(100)
			gcTuned.Store(false)
			tuneGC(func(k string) string { return tc.env[k] })
			if got := debug.SetGCPercent(100); got != tc.want {
				t.Fatalf("GC percent %d, want %d", got, tc.want)
			}
			// A fleet run relaxes dockctl's target, never the user's.
			want := fleetGCPercent
			if tc.want == 100 {
				want = 100
			}
			tuneGCForFleet()
			if got := debug.SetGCPercent(100); got != want {
				t.Fatalf("fleet GC percent %d, want %d", got, want)
			}
		})
	}
	gcTuned.Store(false)
}
