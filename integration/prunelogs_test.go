package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"

	"github.com/dockctl/dockctl/internal/probe"
)

// logFixtureSource prints LOG_BYTES bytes of filler lines, writes /done,
// then a numbered "tick N" line every 100ms until killed: the lines that
// must still arrive, and be read by docker logs -f, after the prune.
const logFixtureSource = `package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	n, _ := strconv.Atoi(os.Getenv("LOG_BYTES"))
	line := strings.Repeat("x", 199) + "\n"
	for w := 0; w < n; w += len(line) {
		fmt.Print(line)
	}
	if err := os.WriteFile("/done", []byte("done"), 0o644); err != nil {
		os.Exit(3)
	}
	for i := 0; ; i++ {
		fmt.Printf("tick %d\n", i)
		time.Sleep(100 * time.Millisecond)
	}
}
`

// TestPruneLogs is issue 11's done-when for log cleanup: `prune logs
// --larger-than 10MB` frees what its dry run said (the rotated files'
// bytes on disk), never shrinks a live file, docker logs -f opened
// afterwards shows lines written after the prune, and neither a
// local-driver log nor a small json-file log is touched. A json-file log
// without max-size is kept with the reason and left whole, and docker logs
// still shows its new lines: emptying it would blind docker logs (moby's
// loggerutils reads a live file up to the size it last wrote). Where the
// daemon's log-opts set max-size for every json-file log (this machine's
// 20.10), a log without it cannot be made: moby refuses max-size "-1" or
// "" (jsonfilelog.New: units.FromHumanSize fails), so that part is
// skipped there and runs on an engine without them (engine29).
func TestPruneLogs(t *testing.T) {
	c := requireEngine(t)
	ctx := testContext(t, 5*time.Minute)
	_, p := requireProbe(t, ctx)
	dir := t.TempDir()
	bin, err := buildProgram(dir, logFixtureSource)
	if err != nil {
		t.Fatalf("building the log fixture: %v", err)
	}
	img := importArchive(t, imageRef("logfix", "v1"), tarArchive(t, []tarEntry{{Path: "bin/logfix", Data: bin, Mode: 0o755}}),
		fixtureChanges(t, nil, "/bin/logfix"), "dockctl log fixture")
	run := func(name string, logBytes int, lc container.LogConfig) string {
		id := createContainer(t, img, objName(name), containerOpts{State: stateRunning, Env: []string{"LOG_BYTES=" + strconv.Itoa(logBytes)}, LogConfig: lc})
		waitForFile(t, id, objName(name), "/done", 4)
		return id
	}
	big := run("logs-big", 11_000_000, container.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "10m", "max-file": "3"}})
	// No log options: unlimited, unless the daemon's log-opts set max-size.
	unlimited := run("logs-unlimited", 11_000_000, container.LogConfig{Type: "json-file"})
	small := run("logs-small", 100_000, container.LogConfig{Type: "json-file"})
	local := run("logs-local", 11_000_000, container.LogConfig{Type: "local"})
	ci, err := c.ContainerInspect(ctx, unlimited)
	if err != nil {
		t.Fatal(err)
	}
	daemonMaxSize := ci.HostConfig.LogConfig.Config["max-size"]

	// Ticks have reached the logs: the ticks after the prune are told
	// apart by number.
	bigLog := filepath.Join(p.ContainersDir(), big, big+"-json.log")
	unlimitedLog := filepath.Join(p.ContainersDir(), unlimited, unlimited+"-json.log")
	for maxTick(t, bigLog) < 2 || maxTick(t, unlimitedLog) < 2 {
		select {
		case <-ctx.Done():
			t.Fatalf("no tick reached %s or %s", bigLog, unlimitedLog)
		case <-time.After(100 * time.Millisecond):
		}
	}

	scope := []string{}
	for _, f := range scopeFilters(t) {
		scope = append(scope, "--filter", f)
	}
	args := append([]string{"prune", "logs", "--larger-than", "10MB", "--no-cache", "--format", "json"}, scope...)

	out, errOut, code := runDockctl(t, append(args, "--dry-run")...)
	if code != 0 {
		t.Fatalf("dry run: exit %d: %s", code, errOut)
	}
	var plan struct {
		Items []struct {
			Type, ID string
			Bytes    int64
			Files    []struct {
				Path  string
				Bytes int64
			}
		} `json:"plan"`
		Kept []struct{ Type, ID, Reason string } `json:"kept"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("dry run output: %v\n%s", err, out)
	}
	wantItems := 1
	if daemonMaxSize != "" {
		wantItems = 2 // the daemon bounds "unlimited" too: its rotation is planned
	}
	if len(plan.Items) != wantItems || plan.Items[0].ID != big || plan.Items[0].Type != "log" || len(plan.Items[0].Files) < 2 {
		t.Fatalf("dry run plans %+v, want %.12s's log with its rotation (and %d items)", plan.Items, big, wantItems)
	}
	predicted := plan.Items[0].Bytes
	live := plan.Items[0].Files[0].Path
	if predicted < 9_000_000 {
		t.Fatalf("dry run: %d bytes, want the ~10MB rotation", predicted)
	}
	kept := map[string]string{}
	for _, k := range plan.Kept {
		kept[k.ID] = k.Reason
	}
	if !strings.HasPrefix(kept[small], "log ") || !strings.HasPrefix(kept[local], "log driver local") {
		t.Errorf("kept: small %q, local %q", kept[small], kept[local])
	}
	if daemonMaxSize == "" {
		want := "without max-size: emptying the live file would stop docker logs showing new lines"
		if !strings.HasPrefix(kept[unlimited], "json-file log ") || !strings.Contains(kept[unlimited], want) {
			t.Errorf("the log without max-size: kept %q, want %q", kept[unlimited], want)
		}
	}
	localFile := filepath.Join(p.ContainersDir(), local, "local-logs", "container.log")
	localBefore := fileSize(t, localFile)
	liveBefore := fileSize(t, live)
	unlimitedBefore := fileSize(t, unlimitedLog)
	lastTick, lastUnlimitedTick := maxTick(t, live), maxTick(t, unlimitedLog)

	before := logDirBytes(t, p, big)
	out, errOut, code = runDockctl(t, append(args, "--yes")...)
	after := logDirBytes(t, p, big)
	if code != 0 {
		t.Fatalf("prune logs: exit %d: %s\n%s", code, errOut, out)
	}
	freed := before - after
	t.Logf("dry run %d bytes; the log files held %d before, %d after: freed %d; last tick before %d", predicted, before, after, freed, lastTick)
	// The live file grows by a tick line (~50 bytes) every 100ms between
	// the measurements and the removal.
	const slack = 64 << 10
	if freed < predicted-slack || freed > predicted+slack {
		t.Errorf("freed %d bytes on disk, the dry run said %d (±%d)", freed, predicted, slack)
	}
	if got := fileSize(t, localFile); got < localBefore {
		t.Errorf("the local driver's log shrank: %d → %d", localBefore, got)
	}
	if got := fileSize(t, live); got < liveBefore {
		t.Errorf("the live log shrank: %d → %d bytes (a live file is never emptied)", liveBefore, got)
	}
	for _, f := range plan.Items[0].Files[1:] {
		if _, err := os.Lstat(f.Path); !os.IsNotExist(err) {
			t.Errorf("rotated log %s still there: %v", f.Path, err)
		}
	}
	followsNewTick(t, ctx, c, big, lastTick)

	t.Run("no max-size: kept whole, docker logs shows new lines", func(t *testing.T) {
		if daemonMaxSize != "" {
			t.Skipf("the daemon's log-opts give every json-file log max-size %s; moby refuses max-size -1 or empty, so no log without max-size can be made on this engine", daemonMaxSize)
		}
		got := fileSize(t, unlimitedLog)
		t.Logf("the live log without max-size: %d bytes before the prune, %d after", unlimitedBefore, got)
		if got < unlimitedBefore {
			t.Errorf("the log without max-size shrank: %d → %d bytes", unlimitedBefore, got)
		}
		followsNewTick(t, ctx, c, unlimited, lastUnlimitedTick)
		// docker logs without -f, once a later tick is in the file.
		for maxTick(t, unlimitedLog) <= lastUnlimitedTick+1 {
			select {
			case <-ctx.Done():
				t.Fatal("no new tick reached the log")
			case <-time.After(100 * time.Millisecond):
			}
		}
		rc, err := c.ContainerLogs(ctx, unlimited, container.LogsOptions{ShowStdout: true, Tail: "1"})
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, _ := io.ReadAll(rc)
		if n, ok := tickOf(string(b)); !ok || n <= lastUnlimitedTick {
			t.Errorf("docker logs --tail 1 shows %q, want a tick after %d", b, lastUnlimitedTick)
		}
	})
}

// followsNewTick checks that docker logs -f --tail 0, opened now, shows a
// tick written after lastTick, and none from before.
func followsNewTick(t *testing.T, ctx context.Context, c *client.Client, id string, lastTick int) {
	t.Helper()
	fctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	rc, err := c.ContainerLogs(fctx, id, container.LogsOptions{ShowStdout: true, Follow: true, Tail: "0"})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	for sc.Scan() {
		line := sc.Text()
		if n, ok := tickOf(line); ok {
			if n <= lastTick {
				t.Fatalf("docker logs -f shows tick %d, written before the prune (last %d)", n, lastTick)
			}
			t.Logf("docker logs -f %.12s: %q", id, strings.TrimSpace(line[strings.Index(line, "tick"):]))
			return
		}
	}
	t.Fatalf("docker logs -f %.12s showed no tick after %d (the last before the prune): %v", id, lastTick, sc.Err())
}

var tickRE = regexp.MustCompile(`tick (\d+)`)

func tickOf(s string) (int, bool) {
	m := tickRE.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

// maxTick is the highest tick in a json-file log.
func maxTick(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	best := -1
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if n, ok := tickOf(sc.Text()); ok && n > best {
			best = n
		}
	}
	return best
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

// logDirBytes is the apparent size of a container's json-file log files,
// as the probe finds them.
func logDirBytes(t *testing.T, p *probe.Probe, id string) int64 {
	t.Helper()
	lp := filepath.Join(p.ContainersDir(), id, id+"-json.log")
	files, _ := p.JSONLogFiles(probe.Container{ID: id, LogPath: lp, LogDriver: "json-file"})
	var n int64
	for _, f := range files {
		n += f.Bytes
	}
	return n
}
