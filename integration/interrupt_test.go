package integration

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestInterruptHungPruneWithinOneTimeout: Ctrl-C while a removal hangs on
// an engine that stopped answering ends dockctl within about one
// --timeout (the removal in flight runs into it), not two: the engine is
// not asked again to measure what was freed.
func TestInterruptHungPruneWithinOneTimeout(t *testing.T) {
	requireEngine(t)
	isolateLayerCache(t)
	scope := scopeFilters(t)
	ref := imageRef("interrupt-hung", "1")
	importImage(t, ref, nil, nil)
	for _, n := range []string{"a", "b"} {
		createContainer(t, ref, objName("interrupt-hung-"+n), containerOpts{State: stateExited})
	}
	p := startProxy(t)
	// The first DELETE is never answered, nor anything after it.
	p.VanishAfter(&vanishRule{Method: http.MethodDelete, After: 0, Hang: true})
	const timeout = 3 * time.Second
	ctx, interrupt := context.WithCancel(testContext(t, commandTimeout))
	defer interrupt()
	run := startDockctlCtx(t, ctx, p.Env(), pruneArgs(scope, "--all", "--yes", "--concurrency", "1", "--timeout", timeout.String(), "--format", "json")...)
	waitUntil(t, commandTimeout, "a removal hanging on the engine", p.Vanished, run.errOut.String)
	start := time.Now()
	interrupt() // Ctrl-C: Main's signal context is cancelled the same way
	code := run.wait(t, commandTimeout)
	took := time.Since(start)
	t.Logf("Ctrl-C with a removal hanging, --timeout %v: exit %d after %v; stderr %q; %s", timeout, code, took.Round(time.Millisecond), run.errOut.String(), requestSummary(p.Requests()))
	if code != 130 {
		t.Errorf("exit %d, want 130", code)
	}
	// One --timeout for the removal in flight, and some slack; a second
	// round of requests to the hung engine would take another --timeout.
	if limit := timeout * 3 / 2; took > limit {
		t.Errorf("exited %v after Ctrl-C with --timeout %v; want within about one --timeout (%v)", took.Round(time.Millisecond), timeout, limit)
	}
	// Another client's df on the engine (the plan waited for it) says so
	// in a line of its own before the command's one line.
	var ls []string
	for _, l := range lines(run.errOut.String()) {
		if !strings.Contains(l, "is sizing disks for another client") {
			ls = append(ls, l)
		}
	}
	if len(ls) != 1 || !strings.Contains(ls[0], "interrupted") {
		t.Errorf("stderr %q, want one line saying it was interrupted", run.errOut.String())
	}
}
