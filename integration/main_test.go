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
package integration

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/dockctl/dockctl/engine"
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
	os.Exit(code)
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
	engineClient, engineArch = c, v.Arch
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
	if engineDown != "" {
		if inCI() {
			t.Fatalf("CI=true and no usable Docker engine at %s: %s", engineHost, engineDown)
		}
		t.Skipf("SKIPPED: no usable Docker engine at %s: %s", engineHost, engineDown)
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
