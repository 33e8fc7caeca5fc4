package integration

import (
	"encoding/json"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
)

// startTCPForwarder listens on 127.0.0.1 and forwards each connection to
// the engine's unix socket: the same engine, reached over TCP as a remote
// host would be. It stops when t ends.
func startTCPForwarder(t *testing.T) string {
	t.Helper()
	requireEngine(t)
	sock := engineSocketPath()
	if sock == "" {
		skipf(t, "the forwarder needs the engine on a unix socket; it is at %s", engineHost)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listening on 127.0.0.1: %v", err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("unix", sock)
			if err != nil {
				in.Close()
				continue
			}
			wg.Add(2)
			pipe := func(dst, src net.Conn) {
				defer wg.Done()
				io.Copy(dst, src)
				dst.Close()
				src.Close()
			}
			go pipe(out, in)
			go pipe(in, out)
		}
	}()
	return "tcp://" + l.Addr().String()
}

// dockctlJSON runs dockctl, wants exit 0, and decodes its stdout into doc;
// it returns stderr.
func dockctlJSON(t *testing.T, doc any, args ...string) string {
	t.Helper()
	out, errOut, code := runDockctl(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if err := json.Unmarshal([]byte(out), doc); err != nil {
		t.Fatalf("stdout is not one JSON document: %v\n%s", err, out)
	}
	return errOut
}

// deadEndpoint is a 127.0.0.1 address nothing listens on: a port that was
// free a moment ago.
func deadEndpoint(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "tcp://" + addr
}

// The fleet report over the engine's socket, a TCP listener in front of the
// same engine, and a dead endpoint: two good sections, one error row, the
// engine counted once in the totals, exit 0 (exit 1 under --strict).
func TestFleetReport(t *testing.T) {
	requireEngine(t)
	socket := engineHost
	tcp := startTCPForwarder(t)
	dead := deadEndpoint(t)
	vol := createVolume(t, objName("fleet-vol"), nil)
	scope := filterFlags(scopeFilters(t))
	hosts := []string{"-H", socket, "-H", tcp, "-H", dead}

	args := append(append([]string{"report", "--no-cache", "--timeout", "20s", "--format", "json"}, hosts...), scope...)
	var doc struct {
		Schema  string `json:"schema"`
		Engines []struct {
			Name   string `json:"name"`
			Host   string `json:"host"`
			Error  string `json:"error"`
			Same   string `json:"same_engine_as"`
			Report *struct {
				Engine  struct{ ID, Host string }
				Summary struct {
					Volumes struct {
						Total     int   `json:"total"`
						SizeBytes int64 `json:"size_bytes"`
					} `json:"volumes"`
				} `json:"summary"`
				TotalBytes int64 `json:"total_bytes"`
			} `json:"report"`
		} `json:"engines"`
		Totals struct {
			Answered, Failed, Duplicates int
			TotalBytes                   int64 `json:"total_bytes"`
		} `json:"totals"`
	}
	errOut := dockctlJSON(t, &doc, args...)
	if doc.Schema != "dockctl.fleet-report/v1" || len(doc.Engines) != 3 {
		t.Fatalf("schema %q, %d engines", doc.Schema, len(doc.Engines))
	}
	for i, want := range []string{socket, tcp} {
		e := doc.Engines[i]
		if e.Error != "" || e.Report == nil {
			t.Fatalf("engine %s: error %q", e.Name, e.Error)
		}
		if e.Host != want || e.Report.Engine.ID == "" {
			t.Errorf("engine %d: host %q id %q, want host %q", i, e.Host, e.Report.Engine.ID, want)
		}
		// Scoped to this test: the one volume it made, on either path.
		if e.Report.Summary.Volumes.Total != 1 {
			t.Errorf("engine %s sees %d volumes in scope, want 1 (%s)", e.Name, e.Report.Summary.Volumes.Total, vol)
		}
	}
	if doc.Engines[1].Same != socket || doc.Totals.Duplicates != 1 {
		t.Errorf("the TCP path is not recognised as the same engine: same %q, duplicates %d", doc.Engines[1].Same, doc.Totals.Duplicates)
	}
	if doc.Totals.TotalBytes != doc.Engines[0].Report.TotalBytes {
		t.Errorf("totals %d, want the engine's %d once", doc.Totals.TotalBytes, doc.Engines[0].Report.TotalBytes)
	}
	if e := doc.Engines[2]; e.Report != nil || !strings.Contains(e.Error, strings.TrimPrefix(dead, "tcp://")) {
		t.Errorf("dead engine: report %v, error %q", e.Report != nil, e.Error)
	}
	if doc.Totals.Answered != 2 || doc.Totals.Failed != 1 {
		t.Errorf("totals %+v", doc.Totals)
	}
	if !strings.Contains(errOut, "1 of 3 engines failed") {
		t.Errorf("stderr lacks the warning: %s", errOut)
	}

	// The table: two sections with the engine's figures, one error row.
	args = append(append([]string{"report", "--no-cache", "--timeout", "20s", "--no-explain"}, hosts...), scope...)
	out, _, code := runDockctl(t, args...)
	if code != 0 {
		t.Fatalf("table: exit %d", code)
	}
	if n := strings.Count(out, "\nLocal Volumes   1 "); n != 2 {
		t.Errorf("want 2 engine sections counting the volume, got %d:\n%s", n, out)
	}
	if !strings.Contains(out, "=== "+dead+" ===\nerror: cannot reach") {
		t.Errorf("no error section for %s:\n%s", dead, out)
	}
	var errorRows int
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, dead) && strings.Contains(line, "error: ") {
			errorRows++
		}
	}
	if errorRows != 1 {
		t.Errorf("want one error row for %s in the engines table, got %d:\n%s", dead, errorRows, out)
	}

	// --strict: any failed engine fails the command.
	args = append(append([]string{"report", "--no-cache", "--timeout", "20s", "--strict", "--format", "json"}, hosts...), scope...)
	if _, errOut, code := runDockctl(t, args...); code != 1 || !strings.Contains(errOut, "(--strict)") {
		t.Errorf("--strict: exit %d, stderr %s", code, errOut)
	}
}

// inspect and prune --dry-run over two endpoints: each engine's own document
// under engines[], and nothing removed.
func TestFleetInspectAndDryRun(t *testing.T) {
	requireEngine(t)
	tcp := startTCPForwarder(t)
	vol := createVolume(t, objName("fleet-dry"), nil)
	scope := filterFlags(scopeFilters(t))
	for _, args := range [][]string{
		append([]string{"inspect", "volumes", "--format", "json", "-H", engineHost, "-H", tcp}, scope...),
		append([]string{"prune", "volumes", "--dry-run", "--all-volumes", "--no-cache", "--format", "json", "-H", engineHost, "-H", tcp}, scope...),
	} {
		t.Run(args[0], func(t *testing.T) {
			var doc struct {
				Schema  string `json:"schema"`
				Engines []struct {
					Name   string          `json:"name"`
					Report json.RawMessage `json:"report"`
					Error  string          `json:"error"`
				} `json:"engines"`
			}
			dockctlJSON(t, &doc, args...)
			if doc.Schema != "dockctl.fleet/v1" || len(doc.Engines) != 2 {
				t.Fatalf("schema %q, %d engines", doc.Schema, len(doc.Engines))
			}
			for _, e := range doc.Engines {
				if e.Error != "" || !strings.Contains(string(e.Report), vol) {
					t.Errorf("engine %s: error %q, document without %s: %s", e.Name, e.Error, vol, e.Report)
				}
			}
		})
	}
	if _, err := engineClient.VolumeInspect(testContext(t, fixtureTimeout), vol); err != nil {
		t.Errorf("the dry run removed %s: %v", vol, err)
	}
}
