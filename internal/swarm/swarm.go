package swarm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/dockctl/dockctl/internal/usage"
)

// Client is what reading a service's reports asks of the engine, which must
// be a Swarm manager.
type Client interface {
	ServiceInspectWithRaw(ctx context.Context, serviceID string, opts swarm.ServiceInspectOptions) (swarm.Service, []byte, error)
	TaskList(ctx context.Context, opts swarm.TaskListOptions) ([]swarm.Task, error)
	NodeList(ctx context.Context, opts swarm.NodeListOptions) ([]swarm.Node, error)
	ServiceLogs(ctx context.Context, serviceID string, opts container.LogsOptions) (io.ReadCloser, error)
}

var _ Client = (*client.Client)(nil)

// Tail is how many of the last stdout lines of each task are read: the
// service writes nothing but its reports there, so a few rounds' worth is
// plenty, and the engine need not read a long-running task's whole log.
const Tail = 10

// maxLine bounds one log line. Log drivers split lines longer than 16 KiB
// into parts, which no longer parse; a report without -v is far shorter.
const maxLine = 1 << 20

// Line is one line of a service's logs, read with timestamps and details.
type Line struct {
	Time   time.Time
	NodeID string
	TaskID string
	Text   string
}

// ParseLine reads a line of service logs asked for with Timestamps and
// Details: "TIME ATTRS TEXT", where ATTRS are the line's key=value pairs,
// query-escaped, comma-separated (the engine's log stream writer), among
// them com.docker.swarm.node.id and com.docker.swarm.task.id.
func ParseLine(s string) (Line, error) {
	ts, rest, ok := strings.Cut(s, " ")
	if !ok {
		return Line{}, fmt.Errorf("log line without details: %.40q", s)
	}
	t, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil {
		return Line{}, fmt.Errorf("log line without a timestamp: %.40q", s)
	}
	attrs, text, _ := strings.Cut(rest, " ")
	l := Line{Time: t, Text: text}
	for _, kv := range strings.Split(attrs, ",") {
		k, v, _ := strings.Cut(kv, "=")
		k, kerr := url.QueryUnescape(k)
		v, verr := url.QueryUnescape(v)
		if kerr != nil || verr != nil {
			return Line{}, fmt.Errorf("log line with malformed details: %.40q", attrs)
		}
		switch k {
		case "com.docker.swarm.node.id":
			l.NodeID = v
		case "com.docker.swarm.task.id":
			l.TaskID = v
		}
	}
	if l.NodeID == "" {
		return Line{}, fmt.Errorf("log line without a node: %.40q", s)
	}
	return l, nil
}

// ParseReport reads text as a report document: the JSON that
// `dockctl report --format json` writes on one line. Anything else (a
// line of some other program, a report of another schema) is an error.
func ParseReport(text string) (*usage.Report, error) {
	var r usage.Report
	if err := json.Unmarshal([]byte(text), &r); err != nil {
		return nil, fmt.Errorf("not a report: %w", err)
	}
	if r.Schema != usage.Schema {
		return nil, fmt.Errorf("not a report: schema %q, want %q", r.Schema, usage.Schema)
	}
	return &r, nil
}

// Latest is the newest report each node's lines hold, by node ID; a node
// whose lines hold none is missing. Lines that are no report are skipped.
func Latest(lines []Line) map[string]Found {
	out := map[string]Found{}
	for _, l := range lines {
		r, err := ParseReport(l.Text)
		if err != nil {
			continue
		}
		if prev, ok := out[l.NodeID]; ok && !l.Time.After(prev.Time) {
			continue
		}
		out[l.NodeID] = Found{Time: l.Time, TaskID: l.TaskID, Report: r}
	}
	return out
}

// Found is a node's latest report and when its task wrote it.
type Found struct {
	Time   time.Time
	TaskID string
	Report *usage.Report
}

// ReadLines splits a service's log stream into lines. The stream is
// multiplexed (stdout and stderr frames) unless the service runs with a
// TTY.
func ReadLines(stream io.Reader, tty bool) ([]Line, error) {
	var buf bytes.Buffer
	if tty {
		if _, err := io.Copy(&buf, stream); err != nil {
			return nil, err
		}
	} else if _, err := stdcopy.StdCopy(&buf, io.Discard, stream); err != nil {
		return nil, err
	}
	sc := bufio.NewScanner(&buf)
	sc.Buffer(nil, maxLine)
	var lines []Line
	for sc.Scan() {
		if l, err := ParseLine(strings.TrimSuffix(sc.Text(), "\r")); err == nil {
			lines = append(lines, l)
		}
	}
	return lines, sc.Err()
}

// Node is one node of the service: its latest report, or why there is
// none recent enough.
type Node struct {
	ID       string
	Hostname string
	// Time is when the report was written (zero without one).
	Time   time.Time
	Report *usage.Report
	// Error says why there is no Report: the node's latest report is
	// older than the maximum age, or there is none.
	Error string
}

// Read finds the service (by name or ID) and returns a Node for each node
// that runs a task of it, or has reported through it, in hostname order.
// A node whose latest report is older than maxAge at now, or which has
// none, has an Error and no Report.
func Read(ctx context.Context, c Client, service string, now time.Time, maxAge time.Duration) ([]Node, error) {
	svc, _, err := c.ServiceInspectWithRaw(ctx, service, swarm.ServiceInspectOptions{})
	if err != nil {
		return nil, fmt.Errorf("finding service %q: %w", service, err)
	}
	tasks, err := c.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", svc.ID))})
	if err != nil {
		return nil, fmt.Errorf("listing the tasks of service %q: %w", service, err)
	}
	nodes, err := c.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing the swarm's nodes: %w", err)
	}
	tty := svc.Spec.TaskTemplate.ContainerSpec != nil && svc.Spec.TaskTemplate.ContainerSpec.TTY
	logs, err := c.ServiceLogs(ctx, svc.ID, container.LogsOptions{ShowStdout: true, Timestamps: true, Details: true, Tail: strconv.Itoa(Tail)})
	if err != nil {
		return nil, fmt.Errorf("reading the logs of service %q: %w", service, err)
	}
	defer logs.Close()
	lines, err := ReadLines(logs, tty)
	if err != nil {
		return nil, fmt.Errorf("reading the logs of service %q: %w", service, err)
	}
	return Assemble(tasks, nodes, Latest(lines), now, maxAge), nil
}

// Assemble makes the rows: a node is in when a task of the service is
// meant to run on it, or it reported. Pure, for tests.
func Assemble(tasks []swarm.Task, nodes []swarm.Node, latest map[string]Found, now time.Time, maxAge time.Duration) []Node {
	hostname := map[string]string{}
	for _, n := range nodes {
		hostname[n.ID] = n.Description.Hostname
	}
	byID := map[string]*Node{}
	add := func(id string) *Node {
		if n, ok := byID[id]; ok {
			return n
		}
		n := &Node{ID: id, Hostname: hostname[id]}
		byID[id] = n
		return n
	}
	for _, t := range tasks {
		if t.NodeID != "" && t.DesiredState == swarm.TaskStateRunning {
			add(t.NodeID)
		}
	}
	for id := range latest {
		add(id)
	}
	out := make([]Node, 0, len(byID))
	for _, n := range byID {
		f, ok := latest[n.ID]
		switch {
		case !ok:
			n.Error = "no report in the service's logs"
		case now.Sub(f.Time) > maxAge:
			n.Time = f.Time
			n.Error = fmt.Sprintf("no report for %s: the last was written at %s", now.Sub(f.Time).Round(time.Second), f.Time.UTC().Format(time.RFC3339))
		default:
			n.Time, n.Report = f.Time, f.Report
		}
		if n.Hostname == "" && ok {
			// A node that left the swarm: its report still names it.
			n.Hostname = f.Report.Engine.Name
		}
		out = append(out, *n)
	}
	slices.SortFunc(out, func(a, b Node) int {
		return strings.Compare(a.Hostname+"\x00"+a.ID, b.Hostname+"\x00"+b.ID)
	})
	return out
}
