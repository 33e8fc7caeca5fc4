package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types"

	"github.com/dockctl/dockctl/internal/cmd"
)

// commandTimeout bounds one dockctl or docker CLI run.
const commandTimeout = 2 * time.Minute

// runDockctl runs dockctl in-process with args, an empty stdin and the
// process environment, and returns what it wrote and its exit code.
func runDockctl(t testing.TB, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	return runDockctlEnv(t, nil, args...)
}

// runDockctlEnv is runDockctl with env overriding the process environment
// (a key mapped to "" is unset).
func runDockctlEnv(t testing.TB, env map[string]string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	getenv := func(k string) string {
		if v, ok := env[k]; ok {
			return v
		}
		return os.Getenv(k)
	}
	var out, errOut bytes.Buffer
	f := cmd.NewFactory(strings.NewReader(""), &out, &errOut, getenv)
	ctx, cancel := context.WithTimeout(baseCtx, commandTimeout)
	defer cancel()
	code = cmd.Run(ctx, f, args)
	t.Logf("dockctl %s → exit %d", strings.Join(args, " "), code)
	return out.String(), errOut.String(), code
}

// Engines before Docker 23 refuse a /system/df call while another one runs
// ("a disk usage operation is already running"); any client sizing the
// engine at the same moment (docker system df, Docker Desktop, another
// test process) makes the call fail then. dockctl retries that itself (and
// is not helped here, so a regression shows); the harness's own ground
// truth (the docker CLI, DiskUsage) retries exactly that failure and logs it.
const (
	dfBusyMessage = "a disk usage operation is already running"
	busyAttempts  = 20
)

func dfBusy(s string) bool { return strings.Contains(s, dfBusyMessage) }

func busyPause(attempt int) {
	d := time.Duration(attempt) * 250 * time.Millisecond
	if d > 2*time.Second {
		d = 2 * time.Second
	}
	time.Sleep(d)
}

// dockerCLIPath is the docker CLI the comparisons use, or "" when there is
// none (tests then fall back to the Go client and say so).
// DOCKCTL_IT_DOCKER_CLI picks another one; "none" forces the fallback.
func dockerCLIPath() string {
	switch v := os.Getenv("DOCKCTL_IT_DOCKER_CLI"); v {
	case "":
	case "none":
		return ""
	default:
		return v
	}
	const preferred = "/usr/local/bin/docker"
	if st, err := os.Stat(preferred); err == nil && !st.IsDir() {
		return preferred
	}
	p, err := exec.LookPath("docker")
	if err != nil {
		return ""
	}
	return p
}

// dockerCLI runs the docker CLI (same environment, hence the same engine as
// dockctl) and returns its stdout. ok is false when there is no CLI; a
// failing run fails the test.
func dockerCLI(t testing.TB, args ...string) (stdout string, ok bool) {
	t.Helper()
	p := dockerCLIPath()
	if p == "" {
		return "", false
	}
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(baseCtx, commandTimeout)
		var out, errOut bytes.Buffer
		c := exec.CommandContext(ctx, p, args...)
		c.Stdout, c.Stderr = &out, &errOut
		err := c.Run()
		cancel()
		if err != nil && dfBusy(errOut.String()) && attempt < busyAttempts {
			t.Logf("RETRYING docker %s: %s", strings.Join(args, " "), strings.TrimSpace(errOut.String()))
			busyPause(attempt)
			continue
		}
		if err != nil {
			t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
		}
		return out.String(), true
	}
}

// diskUsage is the Go client's /system/df, retried while the engine is busy
// sizing for another client (see dfBusyMessage).
func diskUsage(t testing.TB) types.DiskUsage {
	t.Helper()
	c := requireEngine(t)
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(baseCtx, commandTimeout)
		du, err := c.DiskUsage(ctx, types.DiskUsageOptions{})
		cancel()
		if err != nil && dfBusy(err.Error()) && attempt < busyAttempts {
			t.Logf("RETRYING DiskUsage: %v", err)
			busyPause(attempt)
			continue
		}
		if err != nil {
			t.Fatalf("DiskUsage: %v", err)
		}
		return du
	}
}

// jsonLines decodes one JSON value per non-empty line (docker's
// --format json output of ls commands).
func jsonLines[T any](t testing.TB, s string) []T {
	t.Helper()
	var out []T
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		var v T
		if err := json.Unmarshal([]byte(line), &v); err != nil {
			t.Fatalf("decoding %q: %v", line, err)
		}
		out = append(out, v)
	}
	return out
}

// filterFlags turns filters into repeated --filter flags.
func filterFlags(fs []string) []string {
	var out []string
	for _, f := range fs {
		out = append(out, "--filter", f)
	}
	return out
}

// requireKeys decodes a JSON object (failing t if it is not one), checks
// that it has every key, and returns its members.
func requireKeys(t testing.TB, what string, doc []byte, keys []string) map[string]json.RawMessage {
	t.Helper()
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(doc, &raw); err != nil {
		t.Fatalf("%s: not a JSON object: %v\n%s", what, err, doc)
	}
	for _, k := range keys {
		if _, ok := raw[k]; !ok {
			t.Errorf("%s: no %q key", what, k)
		}
	}
	return raw
}
