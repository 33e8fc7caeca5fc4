package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/system"

	"github.com/dockctl/dockctl/internal/engine"
	"github.com/dockctl/dockctl/internal/fake"
)

// runFleetFake runs dockctl with a fake engine per host: hosts missing from
// engines cannot be reached. It returns the hosts dialled too.
func runFleetFake(t *testing.T, engines map[string]*fake.Engine, env map[string]string, args ...string) (int, string, string, []string) {
	t.Helper()
	f, out, errOut := testFactory(t, env)
	dialled := make(chan string, 64)
	f.Dial = func(ep engine.Endpoint, _ engine.Env, _ time.Duration) (Engine, error) {
		dialled <- ep.Host
		if e, ok := engines[ep.Host]; ok {
			return e, nil
		}
		return nil, &engine.UnreachableError{Host: ep.Host, Err: errors.New("connection refused")}
	}
	code := Run(context.Background(), f, args)
	close(dialled)
	var hosts []string
	for h := range dialled {
		hosts = append(hosts, h)
	}
	return code, out.String(), errOut.String(), hosts
}

// identified is the fake engine answering /info with its ID (and, when
// root is given, that Docker root dir).
func identified(id string) *fake.Engine { return withInfo(fakeEngine(), id, "") }

func withInfo(e *fake.Engine, id, root string) *fake.Engine {
	info := e.InfoFn
	e.InfoFn = func(ctx context.Context) (system.Info, error) {
		i, err := info(ctx)
		i.ID = id
		if root != "" {
			i.DockerRootDir = root
		}
		return i, err
	}
	return e
}

type fleetJSON struct {
	Schema  string `json:"schema"`
	Command string `json:"command"`
	Engines []struct {
		Name   string          `json:"name"`
		Host   string          `json:"host"`
		Report json.RawMessage `json:"report"`
		Error  string          `json:"error"`
		Same   string          `json:"same_engine_as"`
	} `json:"engines"`
	Totals struct {
		Answered, Failed, Duplicates int
		TotalBytes                   int64 `json:"total_bytes"`
	} `json:"totals"`
}

func TestFleetRuns(t *testing.T) {
	t.Parallel()
	const a, b, dead = "unix:///a.sock", "tcp://127.0.0.1:2375", "tcp://127.0.0.1:1"
	two := func() map[string]*fake.Engine { return map[string]*fake.Engine{a: identified("A"), b: identified("B")} }
	tests := []struct {
		name     string
		engines  map[string]*fake.Engine
		args     []string
		code     int
		engineN  int    // engines in the JSON document
		failed   int    // of which failed
		stderr   string // part of stderr
		noStdout bool
	}{
		{name: "report, one engine down", engines: two(), args: []string{"report", "--no-cache", "--format", "json", "-H", a, "-H", b, "-H", dead}, code: 0, engineN: 3, failed: 1, stderr: "warning: 1 of 3 engines failed: " + dead},
		{name: "report, --strict", engines: two(), args: []string{"report", "--no-cache", "--format", "json", "--strict", "-H", a, "-H", dead}, code: 1, engineN: 2, failed: 1, stderr: "1 of 2 engines failed"},
		{name: "report, all down", engines: nil, args: []string{"report", "--no-cache", "--format", "json", "-H", a, "-H", dead}, code: 1, engineN: 2, failed: 2, stderr: "2 of 2 engines failed"},
		{name: "report, a gate exceeded on one engine", engines: two(), args: []string{"report", "--no-cache", "--format", "json", "-H", a, "-H", b, "--fail-if-usage-over", "1B"}, code: 4, engineN: 2, stderr: a + ": docker uses"},
		{name: "inspect", engines: two(), args: []string{"inspect", "images", "--format", "json", "-H", a, "-H", dead}, code: 0, engineN: 2, failed: 1},
		{name: "prune dry run", engines: two(), args: []string{"prune", "--dry-run", "--no-cache", "--all", "--format", "json", "-H", a, "-H", b}, code: 0, engineN: 2},
		{name: "prune without --dry-run", engines: two(), args: []string{"prune", "--yes", "-H", a, "-H", b}, code: 2, stderr: "dry run only", noStdout: true},
		{name: "prune --plan-out", engines: two(), args: []string{"prune", "--dry-run", "--plan-out", "p.json", "-H", a, "-H", b}, code: 2, stderr: "--plan-out", noStdout: true},
		{name: "version is one engine", engines: two(), args: []string{"version", "-H", a, "-H", b}, code: 2, stderr: "runs on one engine", noStdout: true},
		{name: "html is one engine", engines: two(), args: []string{"report", "--format", "html", "-H", a, "-H", b}, code: 2, stderr: "--format", noStdout: true},
		{name: "inspect -q", engines: two(), args: []string{"inspect", "images", "-q", "-H", a, "-H", b}, code: 2, stderr: "--quiet", noStdout: true},
		{name: "inspect -q --format json", engines: two(), args: []string{"inspect", "images", "-q", "--format", "json", "-H", a, "-H", b}, code: 2, stderr: "--quiet", noStdout: true},
		{name: "bad --parallel", engines: two(), args: []string{"report", "--parallel", "0", "-H", a, "-H", b}, code: 2, stderr: "--parallel", noStdout: true},
		{name: "bad host among several", engines: two(), args: []string{"report", "-H", a, "-H", "ftp://x"}, code: 2, stderr: "ftp://x", noStdout: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut, dialled := runFleetFake(t, tt.engines, nil, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.code, errOut)
			}
			if tt.stderr != "" && !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stderr %q lacks %q", errOut, tt.stderr)
			}
			if tt.noStdout {
				if out != "" || len(dialled) > 0 {
					t.Errorf("bad input wrote %q and dialled %v", out, dialled)
				}
				return
			}
			var doc fleetJSON
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("stdout is not one JSON document: %v\n%s", err, out)
			}
			if len(doc.Engines) != tt.engineN {
				t.Fatalf("%d engines, want %d", len(doc.Engines), tt.engineN)
			}
			failed := 0
			for i, e := range doc.Engines {
				if e.Error != "" {
					failed++
					if e.Report != nil {
						t.Errorf("engine %d has both a report and an error", i)
					}
				} else if len(e.Report) == 0 {
					t.Errorf("engine %d has neither a report nor an error", i)
				}
			}
			if failed != tt.failed {
				t.Errorf("%d engines failed, want %d", failed, tt.failed)
			}
			// Engines appear in the order given, whatever order they answer in.
			for i, e := range doc.Engines {
				if want := tt.args[indexOfNth(tt.args, "-H", i)+1]; e.Name != want {
					t.Errorf("engine %d is %q, want %q", i, e.Name, want)
				}
			}
		})
	}
}

// indexOfNth is the index of the n-th (from 0) occurrence of s in list.
func indexOfNth(list []string, s string, n int) int {
	for i, v := range list {
		if v == s {
			if n == 0 {
				return i
			}
			n--
		}
	}
	return -1
}

func TestFleetCountsAnEngineOnce(t *testing.T) {
	t.Parallel()
	const a, b = "unix:///a.sock", "tcp://127.0.0.1:2375"
	same := identified("SAME")
	code, out, errOut, _ := runFleetFake(t, map[string]*fake.Engine{a: same, b: same}, nil, "report", "--no-cache", "--format", "json", "-H", a, "-H", b)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc fleetJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	var one struct {
		TotalBytes int64 `json:"total_bytes"`
	}
	if err := json.Unmarshal(doc.Engines[0].Report, &one); err != nil {
		t.Fatal(err)
	}
	if doc.Engines[1].Same != a || doc.Totals.Duplicates != 1 || doc.Totals.TotalBytes != one.TotalBytes {
		t.Errorf("same %q, duplicates %d, total %d (one engine: %d)", doc.Engines[1].Same, doc.Totals.Duplicates, doc.Totals.TotalBytes, one.TotalBytes)
	}
}

func TestAllContexts(t *testing.T) {
	t.Parallel()
	cfg := t.TempDir()
	writeDockerContext(t, cfg, "build", "tcp://10.0.0.2:2375")
	writeDockerContext(t, cfg, "edge", "unix:///edge.sock")
	writeDockerContext(t, cfg, "old", "ftp://old")
	writeDockerContext(t, cfg, "remote", "ssh://me@remote")
	// The ssh context reaches the default context's engine: one engine,
	// counted once.
	engines := map[string]*fake.Engine{"unix:///var/run/docker.sock": identified("D"), "unix:///edge.sock": identified("E"), "ssh://me@remote": identified("D")}
	code, out, errOut, _ := runFleetFake(t, engines, map[string]string{"DOCKER_CONFIG": cfg}, "report", "--no-cache", "--format", "json", "--all-contexts")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc fleetJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range doc.Engines {
		names = append(names, e.Name+"="+e.Host)
	}
	want := "default=unix:///var/run/docker.sock build=tcp://10.0.0.2:2375 edge=unix:///edge.sock old= remote=ssh://me@remote"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("engines %s, want %s", got, want)
	}
	// ssh:// contexts are engines like any other (issue 16 item 1).
	if e := doc.Engines[4]; e.Error != "" || e.Same != "default" || doc.Totals.Duplicates != 1 {
		t.Errorf("ssh context: error %q, same engine as %q, duplicates %d", e.Error, e.Same, doc.Totals.Duplicates)
	}
	// A found context that cannot be used (an unknown scheme) is its
	// engine's error row; the others still report.
	if doc.Totals.Answered != 3 || doc.Totals.Failed != 2 || !strings.Contains(doc.Engines[3].Error, "ftp") {
		t.Errorf("totals %+v, old's error %q", doc.Totals, doc.Engines[3].Error)
	}
	// Typed by the user, the same context fails the command before any engine
	// is asked, as it does alone (exit 1: the context exists, dockctl cannot
	// use it).
	code, out, errOut, dialled := runFleetFake(t, engines, map[string]string{"DOCKER_CONFIG": cfg}, "report", "--context", "old", "--context", "edge")
	if code != 1 || out != "" || len(dialled) != 0 || !strings.Contains(errOut, "ftp") {
		t.Errorf("typed unusable context: exit %d, stdout %q, dialled %v, stderr %s", code, out, dialled, errOut)
	}
	// A typed ssh context is dialled like the others.
	code, _, errOut, dialled = runFleetFake(t, engines, map[string]string{"DOCKER_CONFIG": cfg}, "report", "--no-cache", "--context", "remote", "--context", "edge")
	if code != 0 || !slices.Contains(dialled, "ssh://me@remote") {
		t.Errorf("typed ssh context: exit %d, dialled %v, stderr %s", code, dialled, errOut)
	}
}

// --parallel bounds the engines in flight; all of them are still asked.
func TestFleetParallelBound(t *testing.T) {
	t.Parallel()
	for _, parallel := range []int{1, 2, 4} {
		t.Run(fmt.Sprint(parallel), func(t *testing.T) {
			var mu sync.Mutex
			inFlight, peak, calls := 0, 0, 0
			engines := map[string]*fake.Engine{}
			args := []string{"report", "--no-cache", "--format", "json", "--parallel", fmt.Sprint(parallel)}
			for i := range 6 {
				e := identified(fmt.Sprint("E", i))
				du := e.DiskUsageFn
				e.DiskUsageFn = func(ctx context.Context, o types.DiskUsageOptions) (types.DiskUsage, error) {
					mu.Lock()
					inFlight++
					calls++
					peak = max(peak, inFlight)
					mu.Unlock()
					time.Sleep(20 * time.Millisecond)
					mu.Lock()
					inFlight--
					mu.Unlock()
					return du(ctx, o)
				}
				host := fmt.Sprintf("unix:///e%d.sock", i)
				engines[host] = e
				args = append(args, "-H", host)
			}
			code, _, errOut, _ := runFleetFake(t, engines, nil, args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if calls != 6 || peak > parallel {
				t.Errorf("calls %d, peak in flight %d, want 6 calls and at most %d at once", calls, peak, parallel)
			}
		})
	}
}

// Each engine of a fleet prune plans against its own filesystem: the
// watermarks of one are never computed from another's disk (the engines
// run at once and share the command's options).
func TestFleetPruneBudgetPerEngine(t *testing.T) {
	t.Parallel()
	rooted := func(id, root string) *fake.Engine { return withInfo(fakeEngine(), id, root) }
	const a, b = "unix:///a.sock", "unix:///b.sock"
	roots := map[string]string{a: "/", b: "/dev/shm"}
	args := []string{"prune", "--dry-run", "--no-cache", "--all", "--high-watermark", "1%", "--low-watermark", "0%", "--format", "json"}
	trigger := func(out string) int64 {
		var doc struct {
			Budget struct {
				TriggerBytes int64 `json:"trigger_bytes"`
			} `json:"budget"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return doc.Budget.TriggerBytes
	}
	alone := map[string]int64{}
	for host, root := range roots {
		code, out, errOut, _ := runFleetFake(t, map[string]*fake.Engine{host: rooted(host, root)}, nil, append(args, "-H", host)...)
		if code != 0 {
			t.Fatalf("%s alone: exit %d: %s", host, code, errOut)
		}
		alone[host] = trigger(out)
	}
	if alone[a] == alone[b] {
		t.Skipf("SKIPPED: / and /dev/shm have the same size here (%d bytes): nothing tells the engines apart", alone[a])
	}
	for range 5 {
		code, out, errOut, _ := runFleetFake(t, map[string]*fake.Engine{a: rooted("A", roots[a]), b: rooted("B", roots[b])}, nil, append(args, "-H", a, "-H", b)...)
		if code != 0 {
			t.Fatalf("fleet: exit %d: %s", code, errOut)
		}
		var doc fleetJSON
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatal(err)
		}
		for _, e := range doc.Engines {
			if got := trigger(string(e.Report)); got != alone[e.Name] {
				t.Fatalf("engine %s planned with a trigger of %d bytes, alone %d: another engine's filesystem", e.Name, got, alone[e.Name])
			}
		}
	}
}

// report -o replaces the file whole (a temporary file renamed over it) and
// leaves nothing else in its folder; one engine or several.
func TestReportOutputReplacesTheFile(t *testing.T) {
	t.Parallel()
	for _, hosts := range [][]string{{"-H", "unix:///a.sock"}, {"-H", "unix:///a.sock", "-H", "unix:///b.sock"}} {
		t.Run(fmt.Sprint(len(hosts)/2), func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "report.json")
			if err := os.WriteFile(path, []byte("old report"), 0o600); err != nil {
				t.Fatal(err)
			}
			engines := map[string]*fake.Engine{"unix:///a.sock": identified("A"), "unix:///b.sock": identified("B")}
			code, out, errOut, _ := runFleetFake(t, engines, nil, append([]string{"report", "--no-cache", "--format", "json", "-o", path}, hosts...)...)
			if code != 0 || out != "" {
				t.Fatalf("exit %d, stdout %q: %s", code, out, errOut)
			}
			b, err := os.ReadFile(path)
			if err != nil || !json.Valid(b) {
				t.Fatalf("report file: %v, %q", err, b)
			}
			st, _ := os.Stat(path)
			entries, _ := os.ReadDir(dir)
			if st.Mode().Perm() != 0o644 || len(entries) != 1 {
				t.Errorf("mode %v, %d entries in the folder (a temporary file left?)", st.Mode().Perm(), len(entries))
			}
		})
	}
}

// pingingEngine is a fake engine with the real client's ping and version
// negotiation, which a fleet run uses to find a dead engine in one request.
type pingingEngine struct {
	*fake.Engine
	ping func(ctx context.Context) (types.Ping, error)

	mu          sync.Mutex
	pings       int
	hadDeadline bool   // the first ping's context had a deadline
	negotiated  string // the version NegotiateAPIVersionPing was handed
}

func (e *pingingEngine) Ping(ctx context.Context) (types.Ping, error) {
	_, ok := ctx.Deadline()
	e.mu.Lock()
	if e.pings == 0 {
		// The first ping is the run's probe; later ones (Collect's) run
		// under the command's context, the transport bounding them.
		e.hadDeadline = ok
	}
	e.pings++
	e.mu.Unlock()
	return e.ping(ctx)
}

func (e *pingingEngine) NegotiateAPIVersionPing(p types.Ping) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.negotiated = p.APIVersion
}

// An engine that accepts connections and never answers costs a fleet run
// one --timeout: one bounded ping, then no more requests to it. (Left to
// the client's version negotiation, each request pinged again, HEAD then
// GET, each waiting out the timeout: five timeouts for one report.)
func TestFleetPingsEachEngineOnce(t *testing.T) {
	const good, probed = "unix:///good.sock", "unix:///probed.sock"
	tests := []struct {
		name       string
		ping       func(ctx context.Context) (types.Ping, error)
		wantError  string // the probed engine's error row; "" for a report
		wantCalls  int    // /system/df calls the probed engine got
		negotiated string
	}{
		{"hung", func(context.Context) (types.Ping, error) {
			return types.Ping{}, fmt.Errorf("Head \"http://%%2Fprobed.sock/_ping\": %w", context.DeadlineExceeded)
		}, "did not answer in time", 0, ""},
		{"refused", func(context.Context) (types.Ping, error) {
			return types.Ping{}, &engine.UnreachableError{Host: probed, Err: errors.New("connection refused")}
		}, "cannot reach the Docker engine", 0, ""},
		{"answers", func(context.Context) (types.Ping, error) { return types.Ping{APIVersion: "1.41"}, nil }, "", 1, "1.41"},
		// An HTTP answer (a proxy without /_ping) is an engine that is
		// there: its requests go ahead and negotiate as before.
		{"answers 404", func(context.Context) (types.Ping, error) {
			return types.Ping{}, cerrdefs.ErrNotFound.WithMessage("page not found")
		}, "", 1, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			engines := map[string]*pingingEngine{
				good:   {Engine: identified("GOOD"), ping: func(context.Context) (types.Ping, error) { return types.Ping{APIVersion: "1.41"}, nil }},
				probed: {Engine: identified("PROBED"), ping: tc.ping},
			}
			f, out, errOut := testFactory(t, nil)
			f.Dial = func(ep engine.Endpoint, _ engine.Env, _ time.Duration) (Engine, error) { return engines[ep.Host], nil }
			code := Run(context.Background(), f, []string{"report", "--no-cache", "--format", "json", "-H", good, "-H", probed})
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			var doc fleetJSON
			if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Engines) != 2 || doc.Engines[0].Error != "" {
				t.Fatalf("engines %+v, want the good one answered", doc.Engines)
			}
			if got := doc.Engines[1].Error; (tc.wantError == "") != (got == "") || !strings.Contains(got, tc.wantError) {
				t.Errorf("probed engine's error %q, want %q", got, tc.wantError)
			}
			p := engines[probed]
			if got := p.Calls("DiskUsage"); got != tc.wantCalls {
				t.Errorf("/system/df calls to the probed engine %d, want %d", got, tc.wantCalls)
			}
			if !p.hadDeadline || p.negotiated != tc.negotiated {
				t.Errorf("ping had a deadline %v, negotiated %q; want a deadline (one --timeout) and %q", p.hadDeadline, p.negotiated, tc.negotiated)
			}
		})
	}
}
