package integration

// Faults during prune (issue "Prove it safe", item 4), injected by the
// recording proxy (proxy_test.go) between dockctl and the real engine:
// refusals of single removals, the engine vanishing mid-run, a hung engine.
//
// Item 5 (races: a plan made, then an image of it gets a container, then
// the saved plan is applied) is covered by TestPruneSavedPlanRechecks in
// prune_test.go: image I of the saved plan is used by a new container
// before `prune --apply plan --yes`; the apply skips it ("now used by
// container …") and the test checks it still exists.
//
// Safety: every prune is scoped with scopeFilters(t), so it only plans
// this test's own objects; the proxy only forwards what dockctl sends.

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// proxyPrune runs a scoped prune with --format json through p, wants exit
// code want (any of them) and decodes the document.
func proxyPrune(t *testing.T, p *recordingProxy, scope []string, want []int, args ...string) (pruneDoc, string, int) {
	t.Helper()
	full := pruneArgs(scope, append(args, "--format", "json")...)
	out, errOut, code := p.run(t, full...)
	ok := false
	for _, w := range want {
		ok = ok || code == w
	}
	if !ok {
		t.Fatalf("dockctl %s (through the proxy): exit %d, want one of %v; stderr %q\nstdout:\n%s", strings.Join(full, " "), code, want, errOut, out)
	}
	var doc pruneDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("dockctl %s: stdout is not JSON: %v\nstderr %q\n%s", strings.Join(full, " "), err, errOut, out)
	}
	return doc, errOut, code
}

// pathOf matches a path naming one of names (ids, names, references)
// under prefix: "^/<prefix>/(n1|n2…)$".
func pathOf(prefix string, names ...string) *regexp.Regexp {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = regexp.QuoteMeta(n)
	}
	return regexp.MustCompile("^/" + prefix + "/(" + strings.Join(q, "|") + ")$")
}

// imageNames are the ways a DELETE /images/… may name image id with tag ref.
func imageNames(id, ref string) []string {
	hex := strings.TrimPrefix(id, "sha256:")
	return []string{ref, id, hex, hex[:12]}
}

func faultsFired(p *recordingProxy) map[string]int {
	n := map[string]int{}
	for _, r := range p.Requests() {
		if r.Fault != "" {
			n[r.Fault]++
		}
	}
	return n
}

func keysOfResult(os []pruneOutcome, result string) []string {
	var out []string
	for _, o := range os {
		if o.Result == result {
			out = append(out, objKey(o.Type, o.ID))
		}
	}
	return sorted(out)
}

// ---------------------------------------------------------------------------

// TestFaultRefusalsDuringPrune: the engine refuses single removals (409 on
// one image, 404 on one container, 500 on one volume); the rest goes on,
// dockctl exits 3, the summary and the --log list exactly what was removed
// and what failed (the 404 is "gone", not a failure), and the same prune
// run again without faults finishes the job.
func TestFaultRefusalsDuringPrune(t *testing.T) {
	requireEngine(t)
	isolateLayerCache(t)
	scope := scopeFilters(t)

	refA, refB, refC := imageRef("fault-a", "1"), imageRef("fault-b", "1"), imageRef("fault-c", "1")
	imgA := importImage(t, refA, map[string][]byte{"/opt/a.bin": randomBytes(t, 20<<10)}, nil)
	imgB := importImage(t, refB, map[string][]byte{"/opt/b.bin": randomBytes(t, 20<<10)}, nil)
	imgC := importImage(t, refC, map[string][]byte{"/opt/c.bin": randomBytes(t, 20<<10)}, nil)
	n1, n2, n3 := objName("fault-c1"), objName("fault-c2"), objName("fault-c3")
	c1 := createContainer(t, refA, n1, containerOpts{State: stateExited})
	c2 := createContainer(t, refA, n2, containerOpts{State: stateExited})
	c3 := createContainer(t, refA, n3, containerOpts{State: stateExited})
	v1 := createVolume(t, objName("fault-v1"), nil)
	v2 := createVolume(t, objName("fault-v2"), nil)
	v3 := createVolume(t, objName("fault-v3"), nil)

	flags := []string{"--all", "--all-volumes"}
	dry, _ := prunePlan(t, scope, 0, append(flags, "--dry-run")...)
	all := sorted([]string{
		objKey("container", c1), objKey("container", c2), objKey("container", c3),
		objKey("volume", v1), objKey("volume", v2), objKey("volume", v3),
		objKey("image", imgA), objKey("image", imgB), objKey("image", imgC),
	})
	if got := dry.planKeys(); !equalSlices(got, all) {
		t.Fatalf("plan %v, want %v", got, all)
	}

	p := startProxy(t)
	p.AddFault(&faultRule{Name: "409-image", Method: http.MethodDelete, Path: pathOf("images", imageNames(imgB, refB)...),
		Status: http.StatusConflict, Message: "conflict: unable to delete " + short(imgB) + " (injected by the test proxy)"})
	p.AddFault(&faultRule{Name: "404-container", Method: http.MethodDelete, Path: pathOf("containers", c2, n2, short(c2)),
		Status: http.StatusNotFound, Message: "No such container: " + c2})
	p.AddFault(&faultRule{Name: "500-volume", Method: http.MethodDelete, Path: pathOf("volumes", v2),
		Status: http.StatusInternalServerError, Message: "injected: removing volume " + v2 + " failed"})
	logFile := filepath.Join(t.TempDir(), "prune.log")

	doc, errOut, _ := proxyPrune(t, p, scope, []int{3}, append(flags, "--yes", "--log", logFile)...)
	fired := faultsFired(p)
	t.Logf("faults fired: %v; %s", fired, requestSummary(p.Requests()))
	for _, f := range []string{"409-image", "404-container", "500-volume"} {
		if fired[f] == 0 {
			t.Errorf("fault %s never fired: requests %v", f, p.Requests())
		}
	}
	checkOneLine(t, errOut, "2 of 9")

	wantRemoved := sorted([]string{objKey("container", c1), objKey("container", c3), objKey("volume", v1), objKey("volume", v3), objKey("image", imgC)})
	wantFailed := sorted([]string{objKey("image", imgB), objKey("volume", v2)})
	wantGone := []string{objKey("container", c2)}
	// A's last container, c2, was "gone" but is still there: A is skipped.
	wantSkipped := sorted([]string{objKey("container", c2), objKey("image", imgA)})
	if got := outcomeKeys(doc.Removed); !equalSlices(got, wantRemoved) {
		t.Errorf("removed %v, want %v", got, wantRemoved)
	}
	if got := outcomeKeys(doc.Failed); !equalSlices(got, wantFailed) {
		t.Errorf("failed %v, want %v", got, wantFailed)
	}
	if got := outcomeKeys(doc.Skipped); !equalSlices(got, wantSkipped) {
		t.Errorf("skipped %v, want %v", got, wantSkipped)
	}
	if got := keysOfResult(doc.Skipped, "gone"); !equalSlices(got, wantGone) {
		t.Errorf("skipped as gone %v, want %v (a 404 counts as gone)", got, wantGone)
	}
	wantStatus := map[string]int{objKey("image", imgB): 409, objKey("volume", v2): 500}
	for _, o := range doc.Failed {
		k := objKey(o.Type, o.ID)
		if o.Status != wantStatus[k] {
			t.Errorf("failed %s: status %d, want %d (error %q)", k, o.Status, wantStatus[k], o.Error)
		}
		if o.Error == "" {
			t.Errorf("failed %s: no error", k)
		}
	}
	for _, o := range doc.Skipped {
		if o.Type == "image" && o.ID == imgA && !strings.Contains(o.Reason, n2) {
			t.Errorf("skipped image A: reason %q, want it to name %s", o.Reason, n2)
		}
	}
	if doc.Interrupted {
		t.Errorf("interrupted: true, want false")
	}

	// The --log lines say the same.
	logged := readPruneLog(t, logFile)
	if got := uniq(append(keysOfResult(logged, "removed"), keysOfResult(logged, "untagged")...)); !equalSlices(got, wantRemoved) {
		t.Errorf("--log removed %v, want %v", got, wantRemoved)
	}
	if got := keysOfResult(logged, "failed"); !equalSlices(got, wantFailed) {
		t.Errorf("--log failed %v, want %v", got, wantFailed)
	}
	if got := keysOfResult(logged, "gone"); !equalSlices(got, wantGone) {
		t.Errorf("--log gone %v, want %v", got, wantGone)
	}
	for _, o := range logged {
		if k := objKey(o.Type, o.ID); o.Result == "failed" && o.Status != wantStatus[k] {
			t.Errorf("--log failed %s: status %d, want %d", k, o.Status, wantStatus[k])
		}
	}

	// The engine agrees.
	for _, k := range all {
		typ, id, _ := strings.Cut(k, ":")
		removed := contains(wantRemoved, k)
		if got := exists(t, typ, id); got == removed {
			t.Errorf("%s: exists %v after the faulted prune, removed per the summary %v", k, got, removed)
		}
	}

	// The same prune without faults finishes the job.
	again, _ := prunePlan(t, scope, 0, append(flags, "--yes")...)
	rest := sorted([]string{objKey("container", c2), objKey("image", imgA), objKey("image", imgB), objKey("volume", v2)})
	if got := outcomeKeys(again.Removed); !equalSlices(got, rest) {
		t.Errorf("second prune removed %v, want %v", got, rest)
	}
	checkRemoved(t, all, "the second prune")
}

// TestFaultEngineVanishes: the engine goes away during the apply (after
// two removals): dockctl ends, the summary lists exactly what was
// removed, and the same prune run again without faults finishes the job.
//
// The issue says "exit code 3 (or 1 when the engine is gone)": dockctl
// stops handing out removals once the engine stops answering and exits 1.
func TestFaultEngineVanishes(t *testing.T) {
	for _, mode := range []string{"drop", "hang"} {
		t.Run(mode, func(t *testing.T) {
			requireEngine(t)
			isolateLayerCache(t)
			scope := scopeFilters(t)
			ref := imageRef("vanish-"+mode, "1")
			img := importImage(t, ref, map[string][]byte{"/opt/v.bin": randomBytes(t, 20<<10)}, nil)
			all := []string{objKey("image", img)}
			for i := range 4 {
				c := createContainer(t, ref, objName("vanish-"+mode+"-c"+string(rune('1'+i))), containerOpts{State: stateExited})
				all = append(all, objKey("container", c))
			}
			for i := range 2 {
				v := createVolume(t, objName("vanish-"+mode+"-v"+string(rune('1'+i))), nil)
				all = append(all, objKey("volume", v))
			}
			all = sorted(all)
			flags := []string{"--all", "--all-volumes"}
			dry, _ := prunePlan(t, scope, 0, append(flags, "--dry-run")...)
			if got := dry.planKeys(); !equalSlices(got, all) {
				t.Fatalf("plan %v, want %v", got, all)
			}

			p := startProxy(t)
			const after = 2
			p.VanishAfter(&vanishRule{Method: http.MethodDelete, After: after, Hang: mode == "hang"})
			args := append(flags, "--yes", "--timeout", "3s")
			start := time.Now()
			doc, errOut, code := proxyPrune(t, p, scope, []int{1, 3}, args...)
			took := time.Since(start)
			t.Logf("engine vanished (%s) after %d DELETEs: exit %d in %v; stderr %q; %s", mode, after, code, took.Round(time.Millisecond), errOut, requestSummary(p.Requests()))
			for _, o := range doc.Failed {
				t.Logf("failed %s %s: status %d: %s", o.Type, o.Name, o.Status, o.Error)
			}
			t.Logf("interrupted %v, reclaimed_bytes %s", doc.Interrupted, ptrString(doc.ReclaimedBytes))
			if !p.Vanished() {
				t.Fatalf("the engine never vanished: %v", p.Requests())
			}
			if code != 1 {
				t.Errorf("the engine vanished mid-prune and dockctl exited %d, want 1", code)
			}
			if !strings.Contains(errOut, "engine stopped answering") {
				t.Errorf("stderr %q does not say the engine stopped answering", errOut)
			}
			if ls := lines(errOut); len(ls) != 1 {
				t.Errorf("stderr has %d lines, want 1:\n%s", len(ls), errOut)
			}
			if strings.Contains(errOut, "goroutine") || strings.Contains(errOut, "panic") {
				t.Errorf("stderr holds a stack trace: %s", errOut)
			}
			if len(doc.Removed) != after {
				t.Errorf("removed %v, want exactly the %d removals the engine answered", outcomeKeys(doc.Removed), after)
			}
			if n := len(doc.Removed) + len(doc.Failed) + len(doc.Skipped); n != len(all) {
				t.Errorf("removed+failed+skipped = %d outcomes, the plan has %d items", n, len(all))
			}
			removed := outcomeKeys(doc.Removed)
			for _, k := range all {
				typ, id, _ := strings.Cut(k, ":")
				if got := exists(t, typ, id); got == contains(removed, k) {
					t.Errorf("%s: exists %v after the engine vanished, removed per the summary %v", k, got, contains(removed, k))
				}
			}

			// Back again: the same prune finishes the job.
			again, _ := prunePlan(t, scope, 0, append(flags, "--yes")...)
			var rest []string
			for _, k := range all {
				if !contains(removed, k) {
					rest = append(rest, k)
				}
			}
			if got := outcomeKeys(again.Removed); !equalSlices(got, sorted(rest)) {
				t.Errorf("second prune removed %v, want %v", got, rest)
			}
			checkRemoved(t, all, "the second prune")
		})
	}
}

// TestFaultHungEngine: an engine that never answers ends a command after
// one --timeout with exit 1 and one line, no stack trace. The engine is
// pinged once before the command's first request: left to the client,
// each request would negotiate the API version again, each waiting out
// the timeout (three timeouts for inspect, five for report).
func TestFaultHungEngine(t *testing.T) {
	for _, args := range [][]string{
		{"inspect", "images"},
		{"report"},
		{"prune", "--dry-run", "--filter", "label=" + runLabel + "=" + runID},
	} {
		t.Run(args[0], func(t *testing.T) {
			p := startProxy(t)
			p.AddFault(&faultRule{Name: "hang", Hang: true})
			start := time.Now()
			out, errOut, code := p.run(t, append([]string{"--timeout", "2s"}, args...)...)
			took := time.Since(start)
			t.Logf("hung engine: exit %d after %v; stderr %q; %s: %v", code, took.Round(time.Millisecond), errOut, requestSummary(p.Requests()), p.Requests())
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if took > 3500*time.Millisecond {
				t.Errorf("took %v with --timeout 2s, want about one timeout", took)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
			if ls := lines(errOut); len(ls) != 1 {
				t.Errorf("stderr has %d lines, want 1:\n%s", len(ls), errOut)
			}
			if strings.Contains(errOut, "goroutine") || strings.Contains(errOut, "panic") {
				t.Errorf("stderr holds a stack trace: %s", errOut)
			}
			if !strings.Contains(errOut, "time") {
				t.Errorf("stderr does not say the engine timed out: %q", errOut)
			}
		})
	}
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}
