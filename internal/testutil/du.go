package testutil

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// Du runs `du -s <flags> dir` and returns its figure: the independent
// oracle the storage probe's counting rules are checked against (-bx for
// apparent bytes on one filesystem, -B1 for allocated bytes).
func Du(t testing.TB, flags, dir string) int64 {
	t.Helper()
	out, err := exec.Command("du", "-s", flags, dir).Output()
	if err != nil {
		t.Fatalf("du -s %s %s: %v", flags, dir, err)
	}
	n, err := strconv.ParseInt(strings.Fields(string(out))[0], 10, 64)
	if err != nil {
		t.Fatalf("du -s %s %s: output %q: %v", flags, dir, out, err)
	}
	return n
}
