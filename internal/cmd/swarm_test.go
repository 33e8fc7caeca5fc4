package cmd

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

	"github.com/dockctl/dockctl/internal/engine"
	"github.com/dockctl/dockctl/internal/fake"
	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/usage"
)

// swarmManager is a fake engine that is a swarm manager; its engine calls,
// left unset, fail: a --swarm-service report must not read the manager's
// own disk.
type swarmManager struct {
	*fake.Engine
	*fake.Swarm
}

// swarmLog is the service's multiplexed log: a report line from each of
// the nodes named, written at the times given.
func swarmLog(t *testing.T, reports map[string]time.Time) io.ReadCloser {
	t.Helper()
	var lines []string
	for host, at := range reports {
		doc, err := json.Marshal(usage.Report{Schema: usage.Schema, Engine: inspect.EngineInfo{ID: "engine-" + host, Name: host}, TotalBytes: 1000, Accounting: usage.Accounting{FullCleanupBytes: 400}})
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, fake.ServiceLogLine(at, "node-"+host+"-0123456789", "task-"+host, string(doc)))
	}
	return fake.MuxedLogs(lines, nil)
}

// newSwarmManager is a manager whose service "dockctl_report" runs on the
// hosts named, which reported at the times given.
func newSwarmManager(t *testing.T, hosts []string, reports map[string]time.Time) *swarmManager {
	return &swarmManager{Engine: &fake.Engine{APIVersion: "1.41"}, Swarm: &fake.Swarm{
		ServiceInspectFn: func(_ context.Context, id string) (swarm.Service, error) {
			if id != "dockctl_report" {
				return swarm.Service{}, errors.New("service " + id + " not found")
			}
			return swarm.Service{ID: "svc"}, nil
		},
		TaskListFn: func(context.Context, swarm.TaskListOptions) ([]swarm.Task, error) {
			var ts []swarm.Task
			for _, h := range hosts {
				ts = append(ts, swarm.Task{ID: "task-" + h, NodeID: "node-" + h + "-0123456789", DesiredState: swarm.TaskStateRunning})
			}
			return ts, nil
		},
		NodeListFn: func(context.Context, swarm.NodeListOptions) ([]swarm.Node, error) {
			var ns []swarm.Node
			for _, h := range hosts {
				ns = append(ns, swarm.Node{ID: "node-" + h + "-0123456789", Description: swarm.NodeDescription{Hostname: h}})
			}
			return ns, nil
		},
		ServiceLogsFn: func(context.Context, string, container.LogsOptions) (io.ReadCloser, error) {
			return swarmLog(t, reports), nil
		},
	}}
}

func runSwarm(t *testing.T, eng Engine, args ...string) (int, string, string) {
	t.Helper()
	f, out, errOut := testFactory(t, nil)
	f.Dial = func(engine.Endpoint, engine.Env, time.Duration) (Engine, error) { return eng, nil }
	code := Run(context.Background(), f, args)
	return code, out.String(), errOut.String()
}

func TestReportSwarmService(t *testing.T) {
	fresh, stale := testNow.Add(-10*time.Minute), testNow.Add(-3*time.Hour)
	tests := []struct {
		name     string
		hosts    []string
		reports  map[string]time.Time
		args     []string
		wantCode int
		// wantOut are lines of the engines' table, wantErr in stderr.
		wantOut []string
		wantErr string
	}{
		{
			name: "every node fresh", hosts: []string{"b", "a"},
			reports:  map[string]time.Time{"a": fresh, "b": fresh},
			wantCode: 0,
			wantOut:  []string{"=== a (node node-a-01234) ===", "All engines: 2 of 2 answered", "would free 800B of 2kB"},
		},
		{
			name: "a stale node and a silent one are error rows", hosts: []string{"a", "b", "c"},
			reports:  map[string]time.Time{"a": fresh, "b": stale},
			wantCode: 0,
			wantOut:  []string{"All engines: 1 of 3 answered", "error: no report for 3h0m0s: the last was written at 2026-11-25T09:00:00Z (--swarm-max-age 1h)", "error: no report in the service's logs"},
			wantErr:  "2 of 3 engines failed",
		},
		{
			name: "max age", hosts: []string{"a", "b"},
			reports:  map[string]time.Time{"a": fresh, "b": stale},
			args:     []string{"--swarm-max-age", "4h"},
			wantCode: 0,
			wantOut:  []string{"All engines: 2 of 2 answered"},
		},
		{
			name: "no node reported", hosts: []string{"a"},
			wantCode: 1,
			wantOut:  []string{"error: no report in the service's logs"},
			wantErr:  "1 of 1 engines failed",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newSwarmManager(t, tt.hosts, tt.reports)
			code, out, errOut := runSwarm(t, m, append([]string{"report", "--swarm-service", "dockctl_report"}, tt.args...)...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.wantCode, errOut)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if !strings.Contains(errOut, tt.wantErr) {
				t.Errorf("stderr %q lacks %q", errOut, tt.wantErr)
			}
			if n := m.Calls("DiskUsage") + m.Calls("Info"); n != 0 {
				t.Errorf("the manager's own disk was read (%d calls)", n)
			}
		})
	}
}

func TestReportSwarmServiceJSON(t *testing.T) {
	m := newSwarmManager(t, []string{"a", "b"}, map[string]time.Time{"a": testNow.Add(-time.Minute)})
	code, out, errOut := runSwarm(t, m, "report", "--swarm-service", "dockctl_report", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var doc fleetJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if doc.Schema != usage.FleetSchema || len(doc.Engines) != 2 || doc.Totals.Answered != 1 || doc.Totals.Failed != 1 || doc.Totals.TotalBytes != 1000 {
		t.Fatalf("document %+v", doc)
	}
	if doc.Engines[0].Name != "a" || len(doc.Engines[0].Report) == 0 || doc.Engines[1].Name != "b" || doc.Engines[1].Error == "" {
		t.Errorf("engines %+v, want a with a report, b with an error", doc.Engines)
	}
}

func TestReportSwarmServiceErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"max age without service", []string{"--swarm-max-age", "2h"}, 2, `--swarm-max-age "2h"`},
		{"empty service", []string{"--swarm-service", ""}, 2, "--swarm-service"},
		{"empty max age", []string{"--swarm-service", "dockctl_report", "--swarm-max-age", ""}, 2, "--swarm-max-age"},
		{"zero max age", []string{"--swarm-service", "dockctl_report", "--swarm-max-age", "0s"}, 2, "must be more than 0"},
		{"filter", []string{"--swarm-service", "dockctl_report", "--filter", "label=a"}, 2, "--filter would be ignored"},
		{"verbose", []string{"--swarm-service", "dockctl_report", "-v"}, 2, "--verbose would be ignored"},
		{"no-disk", []string{"--swarm-service", "dockctl_report", "--no-disk"}, 2, "--no-disk would be ignored"},
		{"html", []string{"--swarm-service", "dockctl_report", "--format", "html", "-o", "x.html"}, 2, `--format "html"`},
		{"several engines", []string{"--swarm-service", "dockctl_report", "-H", "unix:///a.sock", "-H", "unix:///b.sock"}, 2, "name one engine"},
		{"unknown service", []string{"--swarm-service", "nope"}, 1, `finding service "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newSwarmManager(t, []string{"a"}, map[string]time.Time{"a": testNow})
			code, out, errOut := runSwarm(t, m, append([]string{"report"}, tt.args...)...)
			if code != tt.wantCode || out != "" || !strings.Contains(errOut, tt.wantErr) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, no stdout, one line with %q", code, out, errOut, tt.wantCode, tt.wantErr)
			}
		})
	}
}
