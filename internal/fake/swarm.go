package fake

import (
	"bytes"
	"context"
	"io"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/pkg/stdcopy"
)

// Swarm is a fake swarm manager: the calls that read a service's tasks,
// nodes and logs, one func field per method; a nil field fails the call.
type Swarm struct {
	ServiceInspectFn func(ctx context.Context, id string) (swarm.Service, error)
	TaskListFn       func(ctx context.Context, o swarm.TaskListOptions) ([]swarm.Task, error)
	NodeListFn       func(ctx context.Context, o swarm.NodeListOptions) ([]swarm.Node, error)
	ServiceLogsFn    func(ctx context.Context, id string, o container.LogsOptions) (io.ReadCloser, error)
}

// ServiceInspectWithRaw implements the manager call.
func (s *Swarm) ServiceInspectWithRaw(ctx context.Context, id string, _ swarm.ServiceInspectOptions) (swarm.Service, []byte, error) {
	if s.ServiceInspectFn == nil {
		return swarm.Service{}, nil, missing("ServiceInspectWithRaw")
	}
	svc, err := s.ServiceInspectFn(ctx, id)
	return svc, nil, err
}

// TaskList implements the manager call.
func (s *Swarm) TaskList(ctx context.Context, o swarm.TaskListOptions) ([]swarm.Task, error) {
	if s.TaskListFn == nil {
		return nil, missing("TaskList")
	}
	return s.TaskListFn(ctx, o)
}

// NodeList implements the manager call.
func (s *Swarm) NodeList(ctx context.Context, o swarm.NodeListOptions) ([]swarm.Node, error) {
	if s.NodeListFn == nil {
		return nil, missing("NodeList")
	}
	return s.NodeListFn(ctx, o)
}

// ServiceLogs implements the manager call.
func (s *Swarm) ServiceLogs(ctx context.Context, id string, o container.LogsOptions) (io.ReadCloser, error) {
	if s.ServiceLogsFn == nil {
		return nil, missing("ServiceLogs")
	}
	return s.ServiceLogsFn(ctx, id, o)
}

// ServiceLogLine is a line of a service's logs as the engine writes it when
// asked for timestamps and details: the time, the line's attributes, the
// text.
func ServiceLogLine(at time.Time, nodeID, taskID, text string) string {
	return at.Format("2006-01-02T15:04:05.000000000Z07:00") + " com.docker.swarm.node.id=" + nodeID +
		",com.docker.swarm.service.id=svc,com.docker.swarm.task.id=" + taskID + " " + text + "\n"
}

// MuxedLogs is a multiplexed log stream (a service without a TTY): a
// stdout frame per stdout line, each followed by a stderr frame of the
// stderr line at the same index, if any.
func MuxedLogs(stdout, stderr []string) io.ReadCloser {
	var b bytes.Buffer
	out, errw := stdcopy.NewStdWriter(&b, stdcopy.Stdout), stdcopy.NewStdWriter(&b, stdcopy.Stderr)
	for i := range max(len(stdout), len(stderr)) {
		// Writes to a bytes.Buffer do not fail.
		if i < len(stdout) {
			out.Write([]byte(stdout[i]))
		}
		if i < len(stderr) {
			errw.Write([]byte(stderr[i]))
		}
	}
	return io.NopCloser(&b)
}
