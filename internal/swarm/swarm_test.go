package swarm

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/swarm"

	"github.com/dockctl/dockctl/internal/fake"
	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/usage"
)

var now = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

// reportLine is the JSON line `report --format json` writes for an engine
// named name holding total bytes.
func reportLine(t testing.TB, name string, total int64) string {
	t.Helper()
	b, err := json.Marshal(usage.Report{Schema: usage.Schema, Engine: inspect.EngineInfo{ID: "id-" + name, Name: name}, TotalBytes: total})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var logLine = fake.ServiceLogLine

// muxed frames lines as the engine's multiplexed log stream, a stderr
// frame holding a report after each, which must be left out.
func muxed(t testing.TB, lines ...string) io.ReadCloser {
	t.Helper()
	stderr := make([]string, len(lines))
	for i := range stderr {
		stderr[i] = logLine(now, "n1", "t1", reportLine(t, "from-stderr", 1))
	}
	return fake.MuxedLogs(lines, stderr)
}

func TestParseLine(t *testing.T) {
	at := time.Date(2026, 11, 25, 11, 59, 0, 123, time.UTC)
	tests := []struct {
		name, in string
		want     Line
		wantErr  bool
	}{
		{"engine format", strings.TrimSuffix(logLine(at, "n1", "t1", `{"a": 1}`), "\n"), Line{Time: at, NodeID: "n1", TaskID: "t1", Text: `{"a": 1}`}, false},
		{"escaped values", at.Format(time.RFC3339Nano) + " com.docker.swarm.node.id=n%2C1,com.docker.swarm.task.id=t1,x=a+b text", Line{Time: at, NodeID: "n,1", TaskID: "t1", Text: "text"}, false},
		{"empty text", at.Format(time.RFC3339Nano) + " com.docker.swarm.node.id=n1 ", Line{Time: at, NodeID: "n1"}, false},
		{"no timestamp", "com.docker.swarm.node.id=n1 text", Line{}, true},
		{"no details", at.Format(time.RFC3339Nano) + " text", Line{}, true},
		{"bad escape", at.Format(time.RFC3339Nano) + " com.docker.swarm.node.id=%zz text", Line{}, true},
		{"one word", "text", Line{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseLine(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseLine(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			}
			if !got.Time.Equal(tt.want.Time) || got.NodeID != tt.want.NodeID || got.TaskID != tt.want.TaskID || got.Text != tt.want.Text {
				t.Errorf("ParseLine(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseReport(t *testing.T) {
	tests := []struct {
		name, in string
		wantErr  bool
	}{
		{"report", reportLine(t, "a", 5), false},
		{"other schema", `{"schema":"dockctl.fleet-report/v1"}`, true},
		{"not json", "=== report 1 ===", true},
		{"empty", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseReport(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if err == nil && (r.Engine.Name != "a" || r.TotalBytes != 5) {
				t.Errorf("report = %+v", r)
			}
		})
	}
}

func TestReadLinesAndLatest(t *testing.T) {
	older, newer := now.Add(-2*time.Minute), now.Add(-time.Minute)
	tests := []struct {
		name   string
		stream func() io.ReadCloser
		tty    bool
		// want is each node's total bytes of its latest report.
		want map[string]int64
	}{
		{"multiplexed, newest wins, stderr left out", func() io.ReadCloser {
			return muxed(t,
				logLine(older, "n1", "t1", reportLine(t, "a", 1)),
				logLine(newer, "n1", "t1", reportLine(t, "a", 2)),
				logLine(older, "n2", "t2", reportLine(t, "b", 3)),
				logLine(newer, "n2", "t2", "a line that is no report"),
			)
		}, false, map[string]int64{"n1": 2, "n2": 3}},
		{"out of order across tasks", func() io.ReadCloser {
			return muxed(t,
				logLine(newer, "n1", "t2", reportLine(t, "a", 7)),
				logLine(older, "n1", "t1", reportLine(t, "a", 6)),
			)
		}, false, map[string]int64{"n1": 7}},
		{"tty: raw stream", func() io.ReadCloser {
			return io.NopCloser(strings.NewReader(logLine(older, "n1", "t1", reportLine(t, "a", 4)) + "garbage\r\n"))
		}, true, map[string]int64{"n1": 4}},
		{"nothing", func() io.ReadCloser { return muxed(t) }, false, map[string]int64{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lines, err := ReadLines(tt.stream(), tt.tty)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int64{}
			for id, f := range Latest(lines) {
				got[id] = f.Report.TotalBytes
			}
			if len(got) != len(tt.want) {
				t.Fatalf("latest = %v, want %v", got, tt.want)
			}
			for id, b := range tt.want {
				if got[id] != b {
					t.Errorf("node %s: %d bytes, want %d", id, got[id], b)
				}
			}
		})
	}
}

func node(id, host string) swarm.Node {
	return swarm.Node{ID: id, Description: swarm.NodeDescription{Hostname: host}}
}

func task(id, nodeID string, desired swarm.TaskState) swarm.Task {
	return swarm.Task{ID: id, NodeID: nodeID, DesiredState: desired}
}

func TestRead(t *testing.T) {
	const maxAge = 30 * time.Minute
	stale := now.Add(-time.Hour)
	fresh := now.Add(-time.Minute)
	var asked container.LogsOptions
	var askedTasks swarm.TaskListOptions
	c := &fake.Swarm{
		ServiceInspectFn: func(_ context.Context, id string) (swarm.Service, error) {
			if id != "dockctl_report" {
				return swarm.Service{}, errors.New("service " + id + " not found")
			}
			return swarm.Service{ID: "svc1", Spec: swarm.ServiceSpec{TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{}}}}, nil
		},
		TaskListFn: func(_ context.Context, o swarm.TaskListOptions) ([]swarm.Task, error) {
			askedTasks = o
			return []swarm.Task{
				task("t1", "n1", swarm.TaskStateRunning),
				task("t2", "n2", swarm.TaskStateRunning),
				task("t3", "n3", swarm.TaskStateRunning),
				task("t0", "n4", swarm.TaskStateShutdown), // drained: no row
			}, nil
		},
		NodeListFn: func(context.Context, swarm.NodeListOptions) ([]swarm.Node, error) {
			return []swarm.Node{node("n1", "beta"), node("n2", "alpha"), node("n3", "gamma"), node("n4", "delta")}, nil
		},
		ServiceLogsFn: func(_ context.Context, id string, o container.LogsOptions) (io.ReadCloser, error) {
			asked = o
			return muxed(t,
				logLine(fresh, "n1", "t1", reportLine(t, "beta", 10)),
				logLine(stale, "n2", "t2", reportLine(t, "alpha", 20)),
				logLine(fresh, "n3", "t3", "not a report"),
			), nil
		},
	}
	got, err := Read(context.Background(), c, "dockctl_report", now, maxAge)
	if err != nil {
		t.Fatal(err)
	}
	if !asked.ShowStdout || asked.ShowStderr || !asked.Timestamps || !asked.Details || asked.Tail == "" || asked.Tail == "all" {
		t.Errorf("logs asked with %+v, want stdout only, timestamps, details and a tail", asked)
	}
	if v := askedTasks.Filters.Get("service"); len(v) != 1 || v[0] != "svc1" {
		t.Errorf("tasks asked with service filter %v, want [svc1]", v)
	}
	want := []struct {
		host    string
		bytes   int64
		errPart string
	}{
		{"alpha", 0, "no report for 1h0m0s"},
		{"beta", 10, ""},
		{"gamma", 0, "no report in the service's logs"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d nodes %+v, want %d", len(got), got, len(want))
	}
	for i, w := range want {
		t.Run(w.host, func(t *testing.T) {
			g := got[i]
			if g.Hostname != w.host {
				t.Fatalf("row %d is %q, want %q", i, g.Hostname, w.host)
			}
			if w.errPart != "" {
				if g.Report != nil || !strings.Contains(g.Error, w.errPart) {
					t.Errorf("report %v error %q, want no report and an error with %q", g.Report, g.Error, w.errPart)
				}
				return
			}
			if g.Report == nil || g.Report.TotalBytes != w.bytes || g.Error != "" {
				t.Errorf("report %+v error %q, want %d bytes", g.Report, g.Error, w.bytes)
			}
		})
	}

	t.Run("unknown service", func(t *testing.T) {
		_, err := Read(context.Background(), c, "nope", now, maxAge)
		if err == nil || !strings.Contains(err.Error(), `finding service "nope"`) {
			t.Errorf("error %v, want one naming the service", err)
		}
	})
}

func TestAssembleNodeGone(t *testing.T) {
	// A node that left the swarm still has its lines in the logs: its row
	// is named after its report.
	latest := map[string]Found{"gone": {Time: now, Report: &usage.Report{Engine: inspect.EngineInfo{Name: "old-host"}}}}
	got := Assemble(nil, nil, latest, now, time.Minute)
	if len(got) != 1 || got[0].Hostname != "old-host" || got[0].Report == nil {
		t.Errorf("got %+v, want one row old-host with its report", got)
	}
}
