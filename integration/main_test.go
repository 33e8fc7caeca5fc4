// Package integration runs dockctl end to end, in-process, against a real
// Docker Engine.
//
// Safety: `go test ./...` must be harmless on a machine full of real data.
// Every object these tests create carries the label dockctl.test=<run id>
// (runID, random per test process) and a name or tag holding the run id;
// tests remove what they made (t.Cleanup), and TestMain sweeps whatever
// still carries this run's label when the run ends or is interrupted.
// Nothing without this run's label is ever removed or changed, and no
// unscoped prune is ever called. Comparisons look only at objects carrying
// the run's (and the test's) label.
//
// Engine: resolved exactly as dockctl resolves it (--host is not given, so
// DOCKER_HOST, DOCKER_CONTEXT, the docker CLI's current context, then the
// default socket). When it cannot be reached every test skips with a loud
// banner, or fails when CI=true. `go test -short` skips these tests.
//
// `go test ./...` shows nothing of a passing package but its "ok" line and
// caches its result; neither may hide that these tests did not run. Each
// skip (outside CI; under CI=true a skip is a failure) is announced after
// the run, one line per test, where the user sees it (see announce), and
// the package's result is never cached (see defeatTestCache).
package integration

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/dockctl/dockctl/internal/engine"
)

// Labels every fixture carries.
const (
	// runLabel's value is runID: it marks what this test process made, and
	// is the only thing cleanup and the sweep ever remove by.
	runLabel = "dockctl.test"
	// caseLabel's value is the name of the test that made the object, so
	// tests running side by side can each look only at their own objects.
	caseLabel = "dockctl.test.case"
)

// pingTimeout bounds the reachability check in TestMain.
const pingTimeout = 5 * time.Second

var (
	// runID is random per test process; names, tags and labels hold it.
	runID string

	// engineHost is the resolved engine address (for messages).
	engineHost string
	// engineClient is the client every test uses; nil when unreachable.
	engineClient *client.Client
	// engineDown says why the engine cannot be used ("" when it can).
	engineDown string
	// engineArch is the engine's GOARCH, for building the fixture binary.
	engineArch string

	// baseCtx is cancelled when the run is interrupted, so fixture calls in
	// flight stop before the sweep.
	baseCtx, cancelBase = context.WithCancel(context.Background())

	sweepOnce sync.Once
	sweepErr  error

	// skips are the tests skipped in this run, "TestName: why", for the
	// lines announced after the run.
	skipsMu sync.Mutex
	skips   []string

	noCacheOnce sync.Once
)

func TestMain(m *testing.M) {
	runID = newRunID()
	connect()
	if engineDown != "" {
		banner()
	}

	// Ctrl-C or SIGTERM: stop fixture calls, sweep, then exit like a
	// killed process would.
	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	go func() {
		sig := <-sigc
		fmt.Fprintf(os.Stderr, "\ndockctl integration: %v: sweeping objects labelled %s=%s\n", sig, runLabel, runID)
		cancelBase()
		finish()
		os.Exit(130)
	}()

	code := m.Run()
	signal.Stop(sigc)
	if err := finish(); err != nil && code == 0 {
		code = 1
	}
	announceSkips()
	os.Exit(code)
}

// skipf skips t, or fails it under CI=true: on a CI machine a missing
// engine, tool or socket is a broken machine, not a gap to pass over. The
// skip is announced after the run even without -v.
func skipf(t testing.TB, format string, args ...any) {
	t.Helper()
	why := fmt.Sprintf(format, args...)
	if inCI() {
		t.Fatalf("CI=true, so this test may not skip: %s", why)
	}
	first, _, _ := strings.Cut(why, "\n")
	skipsMu.Lock()
	skips = append(skips, t.Name()+": "+first)
	skipsMu.Unlock()
	t.Skip("SKIPPED: " + why)
}

// announceSkips writes one line per skipped test (one line in all when the
// engine is missing: every test skips for that one reason).
func announceSkips() {
	skipsMu.Lock()
	defer skipsMu.Unlock()
	if len(skips) == 0 {
		return
	}
	w := announce()
	if engineDown != "" {
		tests := "tests"
		if len(skips) == 1 {
			tests = "test"
		}
		fmt.Fprintf(w, "dockctl integration: %d %s SKIPPED (CI=true makes them fail): no usable Docker engine at %s: %s\n", len(skips), tests, engineHost, engineDown)
		return
	}
	for _, s := range skips {
		fmt.Fprintf(w, "dockctl integration: SKIPPED %s\n", s)
	}
}

// announce is where a line reaches the user even when go test hides the
// package's output. `go test ./...` prints only "ok" for a passing
// package and keeps what the test binary wrote (both its stdout and its
// stderr go to the go command) unless -v is given. So, without -v and when
// the go command started this binary, the line goes to that command's own
// stderr, the user's terminal or CI log (Linux: /proc/PPID/fd/2). Anywhere
// else the binary's stderr is already shown.
func announce() io.Writer {
	if testing.Verbose() || runtime.GOOS != "linux" {
		return os.Stderr
	}
	ppid := os.Getppid()
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", ppid))
	if err != nil || strings.TrimSpace(string(comm)) != "go" {
		return os.Stderr
	}
	f, err := os.OpenFile(fmt.Sprintf("/proc/%d/fd/2", ppid), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return os.Stderr
	}
	// Opening it anew makes another file offset. A terminal or a pipe has
	// none, but a file the go command writes without O_APPEND (`go test
	// ./... 2>log`) would overwrite the line with its next one: there the
	// line stays in the (hidden) output.
	if st, err := f.Stat(); err != nil || (st.Mode().IsRegular() && !appending(ppid, 2)) {
		f.Close()
		return os.Stderr
	}
	// The process exits right after the announcement; the file is not
	// worth closing.
	return f
}

// appending reports whether process pid's descriptor fd was opened with
// O_APPEND (the "flags:" line of /proc/PID/fdinfo/FD, in octal).
func appending(pid, fd int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%d", pid, fd))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "flags:"); ok {
			flags, err := strconv.ParseUint(strings.TrimSpace(v), 8, 64)
			return err == nil && flags&syscall.O_APPEND != 0
		}
	}
	return false
}

// noCacheFile is opened by every run that reaches the engine; see
// defeatTestCache.
const noCacheFile = ".nocache"

// defeatTestCache keeps go test from caching this package's result: a
// cached "ok" would say the tests passed against an engine nobody asked.
// go test keys a cached result on the files a test opened inside the
// module (by size and modification time) and does not cache at all when
// one of them was modified less than 2 s before it looks
// (cmd/go/internal/test: hashOpen, modTimeCutoff). A file in the package
// directory whose modification time lies in the future is always "too
// new", so no run is ever cached, whatever the machine's speed. The open
// must happen while a test runs: go test records only the files opened
// between the start and the end of m.Run.
func defeatTestCache() {
	noCacheOnce.Do(func() {
		if err := os.WriteFile(noCacheFile, []byte("written by dockctl's integration tests so that go test never caches their result\n"), 0o644); err != nil {
			fmt.Fprintf(os.Stderr, "dockctl integration: %s: %v (go test may cache this run)\n", noCacheFile, err)
			return
		}
		future := time.Now().Add(24 * time.Hour)
		if err := os.Chtimes(noCacheFile, future, future); err != nil {
			fmt.Fprintf(os.Stderr, "dockctl integration: %s: %v (go test may cache this run)\n", noCacheFile, err)
		}
	})
}

// finish sweeps the engine and removes the fixture binary; it runs once.
func finish() error {
	sweepOnce.Do(func() {
		if engineClient != nil {
			sweepErr = sweep()
			if sweepErr != nil {
				fmt.Fprintf(os.Stderr, "dockctl integration: SWEEP INCOMPLETE: %v\n", sweepErr)
				fmt.Fprintf(os.Stderr, "  left-overs carry the label %s=%s and names with dockctl-it-%s\n", runLabel, runID, runID)
			}
			engineClient.Close()
		}
		removeAppBinary()
	})
	return sweepErr
}

func newRunID() string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// connect resolves the engine the way dockctl does and pings it.
func connect() {
	ep, err := engine.Resolve(engine.Options{}, os.Getenv)
	if err != nil {
		engineHost = os.Getenv("DOCKER_HOST")
		if engineHost == "" {
			engineHost = client.DefaultDockerHost
		}
		engineDown = fmt.Sprintf("resolving the engine: %v", err)
		return
	}
	engineHost = ep.Host
	c, err := engine.New(ep, os.Getenv, 0)
	if err != nil {
		engineDown = err.Error()
		return
	}
	ctx, cancel := context.WithTimeout(baseCtx, pingTimeout)
	defer cancel()
	if _, err := c.Ping(ctx); err != nil {
		c.Close()
		engineDown = engine.Classify(err, ep.Host).Error()
		return
	}
	v, err := c.ServerVersion(ctx)
	if err != nil {
		c.Close()
		engineDown = engine.Classify(err, ep.Host).Error()
		return
	}
	if v.Os != "" && v.Os != "linux" {
		c.Close()
		engineDown = fmt.Sprintf("the engine runs %s containers; these tests need a Linux engine", v.Os)
		return
	}
	engineClient, engineArch = c.Client, v.Arch
}

func inCI() bool { return strings.EqualFold(os.Getenv("CI"), "true") }

func banner() {
	line := strings.Repeat("=", 78)
	what := "EVERY INTEGRATION TEST IS SKIPPED (set CI=true to make them fail)"
	if inCI() {
		what = "CI=true: EVERY INTEGRATION TEST FAILS"
	}
	fmt.Fprintf(os.Stderr, "%s\ndockctl integration: NO USABLE DOCKER ENGINE at %s\n  %s\n  %s\n%s\n",
		line, engineHost, engineDown, what, line)
}

// requireEngine is the first call of every integration test: it returns the
// engine client, or skips the test (fails it when CI=true) if the engine is
// unreachable. In -short mode it skips.
func requireEngine(t testing.TB) *client.Client {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: skipped in -short mode")
	}
	defeatTestCache()
	if engineDown != "" {
		skipf(t, "no usable Docker engine at %s: %s", engineHost, engineDown)
	}
	return engineClient
}

// testContext returns a context for engine calls of t, bounded by d and
// cancelled when the run is interrupted or t ends.
func testContext(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(baseCtx, d)
	t.Cleanup(cancel)
	return ctx
}
