package integration

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/dockctl/dockctl/internal/probe"
)

// logFixtureSource prints LOG_BYTES bytes of filler lines, writes /done,
// then a numbered "tick N" line every 100ms until killed: the lines that
// must still arrive, and be read by docker logs -f, after a truncation.
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
// --larger-than 10MB` frees what its dry run said (the log files' bytes on
// disk, within the ticks written in between), the live file starts with a
// JSON line (no hole), docker logs -f opened afterwards shows lines
// written after the prune and none from before, and neither a
// local-driver log nor a small json-file log is touched. The container
// takes the daemon's log options: where they set max-size, the rotations
// are removed and the live file kept; otherwise the live file is
// truncated.
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
	big := run("logs-big", 11_000_000, container.LogConfig{Type: "json-file"})
	small := run("logs-small", 100_000, container.LogConfig{Type: "json-file"})
	local := run("logs-local", 11_000_000, container.LogConfig{Type: "local"})

	// Ticks have reached the log: the truncation then cuts some, and the
	// ticks after it are told apart by number.
	bigLog := filepath.Join(p.ContainersDir(), big, big+"-json.log")
	for maxTick(t, bigLog) < 2 {
		select {
		case <-ctx.Done():
			t.Fatalf("no tick reached %s", bigLog)
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
			Type, ID     string
			Bytes        int64
			TruncateLive bool `json:"truncate_live"`
			Files        []struct {
				Path  string
				Bytes int64
			}
		} `json:"plan"`
		Kept []struct{ Type, ID, Reason string } `json:"kept"`
	}
	if err := json.Unmarshal([]byte(out), &plan); err != nil {
		t.Fatalf("dry run output: %v\n%s", err, out)
	}
	if len(plan.Items) != 1 || plan.Items[0].ID != big || plan.Items[0].Type != "log" || len(plan.Items[0].Files) == 0 {
		t.Fatalf("dry run plans %+v, want only %.12s's log", plan.Items, big)
	}
	predicted := plan.Items[0].Bytes
	live := plan.Items[0].Files[0].Path
	if predicted <= 10_000_000 {
		t.Fatalf("dry run: %d bytes, want over 10MB", predicted)
	}
	kept := map[string]string{}
	for _, k := range plan.Kept {
		kept[k.ID] = k.Reason
	}
	if !strings.HasPrefix(kept[small], "log ") || !strings.HasPrefix(kept[local], "log driver local") {
		t.Errorf("kept: small %q, local %q", kept[small], kept[local])
	}
	localFile := filepath.Join(p.ContainersDir(), local, "local-logs", "container.log")
	localBefore := fileSize(t, localFile)
	lastTick := maxTick(t, live)

	before := logDirBytes(t, p, big)
	out, errOut, code = runDockctl(t, append(args, "--yes")...)
	after := logDirBytes(t, p, big)
	if code != 0 {
		t.Fatalf("prune logs: exit %d: %s\n%s", code, errOut, out)
	}
	freed := before - after
	t.Logf("dry run %d bytes; the log files held %d before, %d after: freed %d; last tick before %d", predicted, before, after, freed, lastTick)
	// The files grow by a tick line (~50 bytes) every 100ms between the
	// dry run, the measurements and the truncation.
	const slack = 64 << 10
	if freed < predicted-slack || freed > predicted+slack {
		t.Errorf("freed %d bytes on disk, the dry run said %d (±%d)", freed, predicted, slack)
	}
	if got := fileSize(t, localFile); got < localBefore {
		t.Errorf("the local driver's log shrank: %d → %d", localBefore, got)
	}
	head := make([]byte, 64)
	if f, err := os.Open(live); err == nil {
		n, _ := f.Read(head)
		head = head[:n]
		f.Close()
	}
	if len(head) == 0 || head[0] != '{' {
		t.Errorf("live log starts %q: want a JSON line (a hole means the writer was not appending)", head)
	}
	if plan.Items[0].TruncateLive {
		// No max-size: the writer appends, so the file is the ticks since.
		if got := fileSize(t, live); got > slack {
			t.Errorf("live log %d bytes after the truncation", got)
		}
	} else {
		// max-size (this engine's daemon.json may set it for every
		// container): the rotations went, the live file stays whole.
		if len(plan.Items[0].Files) < 2 {
			t.Errorf("a max-size log planned with no rotation: %+v", plan.Items[0])
		}
		for _, f := range plan.Items[0].Files[1:] {
			if _, err := os.Lstat(f.Path); !os.IsNotExist(err) {
				t.Errorf("rotated log %s still there: %v", f.Path, err)
			}
		}
	}

	// docker logs -f --tail 0, opened now, shows the ticks written since.
	fctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	rc, err := c.ContainerLogs(fctx, big, container.LogsOptions{ShowStdout: true, Follow: true, Tail: "0"})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	sc := bufio.NewScanner(rc)
	seen := false
	for sc.Scan() {
		line := sc.Text()
		if n, ok := tickOf(line); ok {
			if n <= lastTick {
				t.Fatalf("docker logs -f shows tick %d, written before the truncation (last %d)", n, lastTick)
			}
			t.Logf("docker logs -f: %q", strings.TrimSpace(line[strings.Index(line, "tick"):]))
			seen = true
			break
		}
	}
	if !seen {
		t.Fatalf("docker logs -f showed no tick after %d (the last before the truncation): %v", lastTick, sc.Err())
	}
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
