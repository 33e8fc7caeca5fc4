package cmd

import (
	"strings"
	"testing"
)

// A dry run makes every refusal the real run would make, with the same
// exit code: --max-remove without --force is exit 4 after the plan, dry
// run or not.
func TestDryRunRefusesAsTheRealRunDoes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"dry run over --max-remove", []string{"prune", "--no-cache", "--all", "--max-remove", "1", "--dry-run"}, 4},
		{"real run over --max-remove", []string{"prune", "--no-cache", "--all", "--max-remove", "1", "--yes"}, 4},
		{"dry run with --force", []string{"prune", "--no-cache", "--all", "--max-remove", "1", "--force", "--dry-run"}, 0},
		{"dry run under --max-remove", []string{"prune", "--no-cache", "--all", "--max-remove", "3", "--dry-run"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := fakeEngine()
			code, out, errOut := runFake(t, e, tt.args...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.want, errOut)
			}
			if !strings.Contains(out, "remove 3 objects") {
				t.Fatalf("stdout does not show the plan of 3 removals:\n%s", out)
			}
			if tt.want == 4 && !strings.Contains(errOut, "--max-remove 1") {
				t.Fatalf("stderr %q does not say why", errOut)
			}
			if n := e.Mutations(); n != 0 {
				t.Fatalf("%d mutating calls", n)
			}
		})
	}
}
