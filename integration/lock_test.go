package integration

import (
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// holdsUntil polls cond until it holds or r ends; it reports whether cond
// held.
func (r *bgDockctl) holdsUntil(cond func() bool) bool {
	for !cond() {
		select {
		case <-r.done:
			return cond()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return true
}

// TestPruneLockIsTheEngines: two deleting prunes on one engine, reached by
// two spellings of its socket, from two users' environments (HOME,
// XDG_CACHE_HOME): the second waits for the first (and says so), then
// plans on what is left. Neither sees a 409 or a failure; both exit 0.
func TestPruneLockIsTheEngines(t *testing.T) {
	requireEngine(t)
	sock := engineSocketPath()
	if sock == "" {
		t.Skipf("SKIPPED: needs the engine on a unix socket; it is at %s", engineHost)
	}
	dir, base := filepath.Split(sock)
	hostA := "unix://" + sock
	hostB := "unix://" + strings.TrimSuffix(dir, "/") + "//" + base
	scope := scopeFilters(t)
	ref := imageRef("prune-lock", "1")
	importImage(t, ref, nil, nil)
	var ids []string
	for _, n := range []string{"a", "b", "c"} {
		ids = append(ids, createContainer(t, ref, objName("prune-lock-"+n), containerOpts{State: stateExited}))
	}
	envOf := func(user string) map[string]string {
		home := t.TempDir()
		return map[string]string{"HOME": home, "XDG_CACHE_HOME": filepath.Join(home, "cache-"+user)}
	}
	ctx := testContext(t, commandTimeout)

	// The first prune asks on its terminal: while it waits for the answer
	// it holds the lock, its plan made.
	answer, answerW := io.Pipe()
	defer answerW.Close()
	first := startDockctlOn(t, ctx, envOf("first"), answer, pruneArgs(scope, "--all", "-H", hostA, "--format", "json")...)
	if !first.holdsUntil(func() bool { return strings.Contains(first.errOut.String(), "[y/N]") }) {
		t.Fatalf("the first prune ended without asking: exit %d; stderr %q", first.code, first.errOut.String())
	}
	second := startDockctlCtx(t, ctx, envOf("second"), pruneArgs(scope, "--all", "--yes", "-H", hostB, "--format", "json")...)
	waited := second.holdsUntil(func() bool { return strings.Contains(second.errOut.String(), "another dockctl prune") })
	if _, err := io.WriteString(answerW, "y\n"); err != nil {
		t.Fatalf("answering the first prune: %v", err)
	}
	first.wait(t, commandTimeout)
	second.wait(t, commandTimeout)
	if !waited {
		t.Errorf("the second prune (-H %s) did not wait for the first (-H %s): stderr %q", hostB, hostA, second.errOut.String())
	}
	for name, r := range map[string]*bgDockctl{"first": first, "second": second} {
		if r.code != 0 {
			t.Errorf("%s prune: exit %d, want 0; stderr %q", name, r.code, r.errOut.String())
		}
		// The first prune's document follows its prompt's answer on stdout.
		var doc pruneDoc
		if err := json.Unmarshal([]byte(r.out.String()), &doc); err != nil {
			t.Errorf("%s prune: stdout is not its document: %v\n%s", name, err, r.out.String())
			continue
		}
		if len(doc.Failed) > 0 {
			t.Errorf("%s prune failed removals: %+v", name, doc.Failed)
		}
		t.Logf("%s prune: planned %d, removed %d, skipped %d; stderr %q", name, len(doc.Plan), len(doc.Removed), len(doc.Skipped), r.errOut.String())
		switch {
		case name == "first" && len(doc.Removed) != len(doc.Plan):
			t.Errorf("first prune removed %d of the %d items it planned", len(doc.Removed), len(doc.Plan))
		case name == "second" && len(doc.Plan) != 0:
			t.Errorf("second prune planned %d items, want none: it plans after the first, on what is left", len(doc.Plan))
		}
	}
	for _, id := range ids {
		if exists(t, "container", id) {
			t.Errorf("container %s still exists", short(id))
		}
	}
}
