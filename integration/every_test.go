package integration

// Scheduled runs (issue #7): `prune --every` survives an engine restart,
// simulated by the recording proxy (proxy_test.go) going away and coming
// back on the same socket (the real daemon is never restarted), and the
// real binary stops on SIGTERM with exit 0.
//
// Safety: the prune is scoped with scopeFilters(t), so each round only
// plans this test's own containers; the report only reads.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/dockctl/dockctl/internal/cmd"
	"github.com/dockctl/dockctl/internal/engine"
)

// stop makes the proxied engine go away as a stopping daemon does: the
// socket is closed (and its file removed) and every connection through it
// is cut; requests fail to connect until start.
func (p *recordingProxy) stop(t testing.TB) {
	t.Helper()
	p.mu.Lock()
	srv := p.srv
	p.mu.Unlock()
	if err := srv.Close(); err != nil {
		t.Fatalf("proxy: stopping: %v", err)
	}
	os.Remove(p.Sock)
}

// start brings a stopped proxy back on the same socket.
func (p *recordingProxy) start(t testing.TB) {
	t.Helper()
	l, err := net.Listen("unix", p.Sock)
	if err != nil {
		t.Fatalf("proxy: listening again on %s: %v", p.Sock, err)
	}
	srv := &http.Server{Handler: p}
	p.mu.Lock()
	p.srv = srv
	p.mu.Unlock()
	go srv.Serve(l)
}

// syncBuffer is a bytes.Buffer that a running dockctl writes to while the
// test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// bgDockctl is a dockctl running in-process in the background.
type bgDockctl struct {
	args        []string
	out, errOut *syncBuffer
	done        chan struct{} // closed when dockctl has returned code
	code        int
}

// startDockctlCtx runs dockctl in-process with env (over the process
// environment) until it returns or ctx is cancelled (as SIGTERM would).
func startDockctlCtx(t testing.TB, ctx context.Context, env map[string]string, args ...string) *bgDockctl {
	t.Helper()
	return startDockctlOn(t, ctx, env, nil, args...)
}

// startDockctlOn is startDockctlCtx with dockctl on a terminal reading
// stdin, when stdin is not nil (it can then ask before deleting).
func startDockctlOn(t testing.TB, ctx context.Context, env map[string]string, stdin io.Reader, args ...string) *bgDockctl {
	t.Helper()
	getenv := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
	r := &bgDockctl{args: args, out: &syncBuffer{}, errOut: &syncBuffer{}, done: make(chan struct{})}
	in := stdin
	if in == nil {
		in = strings.NewReader("")
	}
	f := cmd.NewFactory(in, r.out, r.errOut, getenv)
	f.IO.InIsTTY, f.IO.ErrIsTTY = stdin != nil, stdin != nil
	go func() {
		defer close(r.done)
		r.code = cmd.Run(ctx, f, args)
	}()
	return r
}

// wait returns the exit code, failing t if dockctl does not end within d.
func (r *bgDockctl) wait(t testing.TB, d time.Duration) int {
	t.Helper()
	select {
	case <-r.done:
		t.Logf("dockctl %s → exit %d", strings.Join(r.args, " "), r.code)
		return r.code
	case <-time.After(d):
		t.Fatalf("dockctl %s did not end within %v; stderr:\n%s", strings.Join(r.args, " "), d, r.errOut.String())
		return -1
	}
}

// waitUntil polls cond every 100ms until it holds, failing t after d.
func waitUntil(t testing.TB, d time.Duration, what string, cond func() bool, log func() string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s; stderr:\n%s", d, what, log())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// matchingLines returns the lines of s that match re.
func matchingLines(s string, re *regexp.Regexp) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if re.MatchString(l) {
			out = append(out, l)
		}
	}
	return out
}

var (
	everyOK          = regexp.MustCompile(`^time=\S+ cmd=prune round=\d+ (attempt=\d+ )?status=ok exit=0 `)
	everyUnreachable = regexp.MustCompile(`^time=\S+ cmd=prune round=\d+ attempt=\d+ status=unreachable exit=1 .* retry_in=\S+$`)
	everyStopped     = regexp.MustCompile(`^time=\S+ cmd=prune status=stopped rounds=\d+ msg="stopping after \d+ rounds?"$`)
)

// TestGoClientSurvivesAnEngineRestart: the docker Go client that dockctl
// caches dials per connection, so a client made before the engine went
// away works again once it is back on the same socket.
func TestGoClientSurvivesAnEngineRestart(t *testing.T) {
	p := startProxy(t)
	c, err := engine.New(engine.Endpoint{Host: "unix://" + p.Sock}, os.Getenv, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := testContext(t, time.Minute)
	if _, err := c.ServerVersion(ctx); err != nil {
		t.Fatalf("before the restart: %v", err)
	}
	p.stop(t)
	_, err = c.ServerVersion(ctx)
	var ue *engine.UnreachableError
	if err == nil || !errors.As(engine.Classify(err, "unix://"+p.Sock), &ue) {
		t.Fatalf("engine stopped: err %v, want it classified unreachable", err)
	}
	t.Logf("engine stopped: %v", engine.Classify(err, "unix://"+p.Sock))
	p.start(t)
	if _, err := c.ServerVersion(ctx); err != nil {
		t.Fatalf("after the restart, the same client: %v", err)
	}
}

// TestPruneEverySurvivesAnEngineRestart: prune --every 2s removes a
// stopped container in its first round; the engine goes away (the proxy
// stops), the rounds retry with backoff and say so; the engine comes back
// on the same socket with another stopped container, which a later round
// removes; cancelling (SIGTERM) ends the run with exit 0 and a last line.
func TestPruneEverySurvivesAnEngineRestart(t *testing.T) {
	requireEngine(t)
	isolateLayerCache(t)
	scope := scopeFilters(t)
	ref := imageRef("every", "1")
	img := importImage(t, ref, map[string][]byte{"/opt/every.bin": randomBytes(t, 8<<10)}, nil)
	c1 := createContainer(t, ref, objName("every-c1"), containerOpts{State: stateExited})
	p := startProxy(t)
	logFile := filepath.Join(t.TempDir(), "prune.jsonl")

	ctx, cancel := context.WithCancel(baseCtx)
	defer cancel()
	start := time.Now()
	run := startDockctlCtx(t, ctx, p.Env(), pruneArgs(scope, "--every", "2s", "--yes", "--format", "json", "--timeout", "5s", "--log", logFile)...)
	stderr := run.errOut.String
	defer func() {
		cancel()
		select {
		case <-run.done:
		case <-time.After(30 * time.Second):
		}
		t.Logf("dockctl stderr:\n%s", stderr())
	}()

	waitUntil(t, time.Minute, "round 1 to remove "+short(c1), func() bool {
		return len(matchingLines(stderr(), everyOK)) > 0 && !exists(t, "container", c1)
	}, stderr)
	t.Logf("round 1 removed %s after %v", short(c1), time.Since(start).Round(time.Millisecond))

	// The engine "restarts": it is gone for a while.
	p.stop(t)
	stopped := time.Now()
	waitUntil(t, 30*time.Second, "two retries to be logged", func() bool {
		return len(matchingLines(stderr(), everyUnreachable)) >= 2
	}, stderr)
	// Made while the engine is away from dockctl, so that no round sees
	// it half made.
	c2 := createContainer(t, ref, objName("every-c2"), containerOpts{State: stateExited})
	okBefore := len(matchingLines(stderr(), everyOK))
	p.start(t)
	t.Logf("engine away for %v", time.Since(stopped).Round(time.Millisecond))

	waitUntil(t, time.Minute, "a round after the restart to remove "+short(c2), func() bool {
		return len(matchingLines(stderr(), everyOK)) > okBefore && !exists(t, "container", c2)
	}, stderr)
	if !exists(t, "image", img) {
		t.Errorf("image %s (tagged, not dangling) was removed", ref)
	}

	cancel() // SIGTERM
	code := run.wait(t, 30*time.Second)
	log := stderr()
	lines := strings.Split(strings.TrimSpace(log), "\n")
	if code != 0 {
		t.Errorf("exit %d after the stop, want 0", code)
	}
	if last := lines[len(lines)-1]; !everyStopped.MatchString(last) {
		t.Errorf("last stderr line %q, want the stopping line", last)
	}
	retries := matchingLines(log, everyUnreachable)
	t.Logf("%d retries logged, e.g. %s", len(retries), retries[0])
	// The first retry waits 1s less up to 20% jitter.
	if m := regexp.MustCompile(`retry_in=(\S+)$`).FindStringSubmatch(retries[0]); m == nil {
		t.Errorf("first retry %q has no retry_in", retries[0])
	} else if d, err := time.ParseDuration(m[1]); err != nil || d < 800*time.Millisecond || d > time.Second {
		t.Errorf("first retry %q: retry_in %s, want 0.8s to 1s", retries[0], m[1])
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "time=") {
			t.Errorf("stderr line %q is not a log line", l)
		}
	}

	// stdout: one JSON document per round that reached the engine; the
	// removals are exactly c1 and c2.
	var removed []string
	for i, l := range strings.Split(strings.TrimSpace(run.out.String()), "\n") {
		var doc pruneDoc
		if err := json.Unmarshal([]byte(l), &doc); err != nil {
			t.Fatalf("stdout line %d is not a prune document: %v\n%s", i+1, err, l)
		}
		removed = append(removed, outcomeKeys(doc.Removed)...)
	}
	want := sorted([]string{objKey("container", c1), objKey("container", c2)})
	if got := sorted(removed); !equalSlices(got, want) {
		t.Errorf("removed %v over the rounds, want %v", got, want)
	}
	if got := sorted(keysOfResult(readPruneLog(t, logFile), "removed")); !equalSlices(got, want) {
		t.Errorf("--log lists removed %v, want %v", got, want)
	}
}

// TestReportEveryStopsOnSIGTERM: the real binary, `report --every 1s`,
// gets SIGTERM after its first round: it exits 0 at once with the last
// line, and stdout holds one JSON document per round.
func TestReportEveryStopsOnSIGTERM(t *testing.T) {
	requireEngine(t)
	scope := scopeFilters(t)
	bin := filepath.Join(t.TempDir(), "dockctl")
	ctx := testContext(t, 5*time.Minute)
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/dockctl")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	args := append([]string{"report", "--every", "1s", "--format", "json", "--no-cache"}, filterFlags(scope)...)
	c := exec.CommandContext(ctx, bin, args...)
	c.Env = append(os.Environ(), "XDG_CACHE_HOME="+t.TempDir())
	var out bytes.Buffer
	c.Stdout = &out
	errPipe, err := c.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var log []string
	firstRound := regexp.MustCompile(`^time=\S+ cmd=report round=1 status=ok exit=0 `)
	deadline := time.After(time.Minute)
wait:
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				c.Wait()
				t.Fatalf("dockctl ended before its first round:\n%s", strings.Join(log, "\n"))
			}
			log = append(log, l)
			if firstRound.MatchString(l) {
				break wait
			}
		case <-deadline:
			c.Process.Kill()
			t.Fatalf("no first round within a minute:\n%s", strings.Join(log, "\n"))
		}
	}
	sent := time.Now()
	if err := c.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for l := range lines {
		log = append(log, l)
	}
	err = c.Wait()
	took := time.Since(sent)
	t.Logf("SIGTERM → exit after %v; stderr:\n%s", took.Round(time.Millisecond), strings.Join(log, "\n"))
	if err != nil {
		t.Errorf("dockctl report --every after SIGTERM: %v (exit %d), want exit 0", err, c.ProcessState.ExitCode())
	}
	if took > 5*time.Second {
		t.Errorf("took %v to stop after SIGTERM, want well under 5s", took)
	}
	if last := log[len(log)-1]; !regexp.MustCompile(`^time=\S+ cmd=report status=stopped rounds=\d+ msg="stopping after \d+ rounds?"$`).MatchString(last) {
		t.Errorf("last stderr line %q, want the stopping line", last)
	}
	docs := strings.Split(strings.TrimSpace(out.String()), "\n")
	for i, l := range docs {
		var doc struct {
			Schema string `json:"schema"`
		}
		if err := json.Unmarshal([]byte(l), &doc); err != nil || doc.Schema == "" {
			t.Errorf("stdout line %d is not a report document (%v): %.200s", i+1, err, l)
		}
	}
	if rounds := len(matchingLines(strings.Join(log, "\n"), regexp.MustCompile(`cmd=report round=\d+ status=ok`))); rounds != len(docs) {
		t.Errorf("%d rounds logged ok, %d documents on stdout", rounds, len(docs))
	}
}
