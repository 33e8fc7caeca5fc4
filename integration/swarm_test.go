package integration

// The Swarm stack (deploy/swarm/stack.yml) and `report --swarm-service`:
// the stack as the docker CLI reads it, and its report service run as a
// global service on a single-node swarm of this engine, read back from the
// service's logs through the manager.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"

	dockctlcmd "github.com/dockctl/dockctl/internal/cmd"
)

// swarmWait bounds waiting for a service's task to run and report.
const swarmWait = 2 * time.Minute

// stackServices reads deploy/swarm/stack.yml as `docker stack deploy`
// would (`docker stack config` resolves and validates it).
func stackServices(t *testing.T, docker string, env []string) map[string]composeService {
	t.Helper()
	config, _ := runTool(t, commandTimeout, repoRoot(t), env, docker, "stack", "config", "-c", filepath.Join("deploy", "swarm", "stack.yml"))
	services, err := composeServices(config)
	if err != nil {
		t.Fatal(err)
	}
	return services
}

// TestSwarmStackFile checks the stack: the housekeeping service prunes with
// the compose housekeeping profile's policy, the report service writes JSON
// reports on a schedule, and both command lines parse in dockctl.
func TestSwarmStackFile(t *testing.T) {
	requireEngine(t)
	docker := requireDockerCLI(t)
	services := stackServices(t, docker, nil)
	p := newComposeProject(t, "dockctl-it-"+runID+"-stack", nil, "housekeeping")
	compose, err := composeServices(p.run(t, commandTimeout, "config"))
	if err != nil {
		t.Fatal(err)
	}
	hk, report := services["housekeeping"].Lists["command"], services["report"].Lists["command"]
	if want := compose["housekeeping"].Lists["command"]; len(want) == 0 || !slices.Equal(hk, want) {
		t.Errorf("stack housekeeping command %q, want compose's %q", hk, want)
	}
	for _, s := range []string{"housekeeping", "report"} {
		if img := services[s].Scalars["image"]; img != "dockctl:dev" {
			t.Errorf("%s image %q, want ${DOCKCTL_IMAGE:-dockctl:dev}", s, img)
		}
	}
	if i := slices.Index(report, "report"); i < 0 || !slices.Contains(report, "--every") || !slices.Contains(report, "json") {
		t.Fatalf("report command %q, want report --every DURATION --format json", report)
	}
	f := dockctlcmd.NewFactory(strings.NewReader(""), io.Discard, io.Discard, os.Getenv)
	root := dockctlcmd.NewRootCmd(f)
	for _, c := range [][]string{hk, report} {
		sub, args, err := root.Find(c)
		if err == nil {
			err = sub.ParseFlags(args)
		}
		if err != nil {
			t.Errorf("command %q: %v", c, err)
		}
	}
}

// joinSwarm makes the engine a swarm manager for t: a single-node swarm
// the test initialises and leaves at cleanup, or the swarm the engine is
// already a manager of, which it leaves alone.
func joinSwarm(t *testing.T) {
	t.Helper()
	c := requireEngine(t)
	ctx := testContext(t, time.Minute)
	info, err := c.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	switch info.Swarm.LocalNodeState {
	case swarm.LocalNodeStateActive:
		if !info.Swarm.ControlAvailable {
			skipf(t, "the engine is a worker of a swarm: the test needs a manager and leaves others' swarms alone")
		}
		t.Logf("using the swarm the engine is already a manager of")
		return
	case swarm.LocalNodeStateInactive:
	default:
		skipf(t, "the engine's swarm state is %q: neither in a swarm nor out of one", info.Swarm.LocalNodeState)
	}
	hadGWBridge := networkExists(ctx, t, "docker_gwbridge")
	if _, err := c.SwarmInit(ctx, swarm.InitRequest{ListenAddr: "127.0.0.1:2377", AdvertiseAddr: "127.0.0.1"}); err != nil {
		t.Fatalf("swarm init: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.SwarmLeave(ctx, true); err != nil {
			t.Errorf("cleanup: leaving the swarm the test made: %v", err)
		}
		if hadGWBridge {
			return
		}
		// Swarm made docker_gwbridge; it stays after the swarm is left.
		n, err := c.NetworkInspect(ctx, "docker_gwbridge", network.InspectOptions{})
		if err != nil || len(n.Containers) > 0 {
			return
		}
		if err := c.NetworkRemove(ctx, n.ID); err != nil {
			t.Errorf("cleanup: removing docker_gwbridge, which the swarm made: %v", err)
		}
	})
}

func networkExists(ctx context.Context, t *testing.T, name string) bool {
	ns, err := requireEngine(t).NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("name", name))})
	if err != nil {
		t.Fatal(err)
	}
	return slices.ContainsFunc(ns, func(n network.Summary) bool { return n.Name == name })
}

// dockctlImage imports the dockctl binary as a one-layer image of this
// run, as make image builds it (scratch, /dockctl, a cache under /tmp).
func dockctlImage(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "dockctl")
	goBuildLinux(t, "./cmd/dockctl", bin, "-s -w")
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	ref := imageRef("dockctl", "swarm")
	archive := tarArchive(t, []tarEntry{{Path: "dockctl", Data: data, Mode: 0o755}, {Path: "tmp/.cache/.keep"}})
	importArchive(t, ref, archive, append(fixtureChanges(t, nil, "/dockctl"), "ENV XDG_CACHE_HOME=/tmp/.cache"), "dockctl for the swarm test")
	return ref
}

// createGlobalService runs args of the dockctl image on every node, with
// the report service's mounts and settings, and removes it at cleanup.
func createGlobalService(t *testing.T, name, img string, args []string) string {
	t.Helper()
	c := requireEngine(t)
	sock := engineSocket(t)
	rootDir, _ := engineRootDir(t)
	labels := fixtureLabels(t, nil)
	limit := int64(256 << 20)
	spec := swarm.ServiceSpec{
		Annotations: swarm.Annotations{Name: name, Labels: labels},
		Mode:        swarm.ServiceMode{Global: &swarm.GlobalService{}},
		TaskTemplate: swarm.TaskSpec{
			ContainerSpec: &swarm.ContainerSpec{
				Image: img, Command: []string{"/dockctl"}, Args: args, Labels: labels,
				Mounts: []mount.Mount{
					{Type: mount.TypeBind, Source: sock, Target: "/var/run/docker.sock", ReadOnly: true},
					{Type: mount.TypeBind, Source: path.Join(rootDir, "tmp"), Target: rootDir, ReadOnly: true},
				},
			},
			Networks:      []swarm.NetworkAttachmentConfig{{Target: isolatedNetwork(t)}},
			LogDriver:     &swarm.Driver{Name: "json-file"},
			RestartPolicy: &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionAny},
			Resources:     &swarm.ResourceRequirements{Limits: &swarm.Limit{NanoCPUs: 5e8, MemoryBytes: limit}},
		},
	}
	ctx := testContext(t, time.Minute)
	resp, err := c.ServiceCreate(ctx, spec, swarm.ServiceCreateOptions{})
	if err != nil {
		t.Fatalf("creating service %s: %v", name, err)
	}
	t.Cleanup(func() { removeService(t, resp.ID) })
	return resp.ID
}

// isolatedNetwork is the stack's network: an overlay with no way out.
func isolatedNetwork(t *testing.T) string {
	t.Helper()
	name := objName("isolated")
	ctx := testContext(t, time.Minute)
	if networkExists(ctx, t, name) {
		return name
	}
	resp, err := requireEngine(t).NetworkCreate(ctx, name, network.CreateOptions{Driver: "overlay", Internal: true, Labels: fixtureLabels(t, nil)})
	if err != nil {
		t.Fatalf("creating network %s: %v", name, err)
	}
	t.Cleanup(func() { cleanupNetwork(t, resp.ID) })
	return name
}

// removeService removes a service of the test and waits until its task
// containers are gone, so that the swarm can be left cleanly.
func removeService(t *testing.T, id string) {
	c := requireEngine(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.ServiceRemove(ctx, id); err != nil {
		t.Errorf("cleanup: removing service %s: %v", id, err)
		return
	}
	args := filters.NewArgs(filters.Arg("label", "com.docker.swarm.service.id="+id))
	for ctx.Err() == nil {
		cs, err := c.ContainerList(ctx, container.ListOptions{All: true, Filters: args})
		if err == nil && len(cs) == 0 {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Errorf("cleanup: the tasks of service %s were still there after a minute", id)
}

// swarmFleet is what the tests read of `report --swarm-service --format json`.
type swarmFleet struct {
	Engines []struct {
		Name   string `json:"name"`
		Error  string `json:"error"`
		Report *struct {
			Engine struct {
				ID          string `json:"id"`
				Name        string `json:"name"`
				FSSizeBytes int64  `json:"fs_size_bytes"`
			} `json:"engine"`
			TotalBytes int64 `json:"total_bytes"`
		} `json:"report"`
	} `json:"engines"`
	Totals struct {
		Answered int   `json:"answered"`
		Failed   int   `json:"failed"`
		Total    int64 `json:"total_bytes"`
	} `json:"totals"`
}

// waitForRunningTask waits until the service has a running task.
func waitForRunningTask(t *testing.T, id string) {
	t.Helper()
	c := requireEngine(t)
	ctx := testContext(t, swarmWait)
	var last string
	for ctx.Err() == nil {
		ts, err := c.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", id))})
		if err == nil {
			for _, tk := range ts {
				if tk.Status.State == swarm.TaskStateRunning {
					return
				}
				last = fmt.Sprintf("%s: %s", tk.Status.State, tk.Status.Err)
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("service %s has no running task after %v (last: %s)", id, swarmWait, last)
}

// TestSwarmService runs the stack's report service as a global service on
// this engine's swarm and reads it back: a row for the node with its
// figures, then, from a service that reports nothing, an error row.
func TestSwarmService(t *testing.T) {
	c := requireEngine(t)
	docker := requireDockerCLI(t)
	report := stackServices(t, docker, nil)["report"].Lists["command"]
	i := slices.Index(report, "--every")
	if i < 0 || i+1 >= len(report) {
		t.Fatalf("the stack's report command %q has no --every", report)
	}
	// The stack's command, a round every second so that a line comes soon.
	args := slices.Clone(report)
	args[i+1] = "1s"
	img := dockctlImage(t)
	joinSwarm(t)
	info, err := c.Info(testContext(t, time.Minute))
	if err != nil {
		t.Fatal(err)
	}

	name := objName("report")
	id := createGlobalService(t, name, img, args)
	waitForRunningTask(t, id)
	var doc swarmFleet
	ctx := testContext(t, swarmWait)
	for {
		stdout, stderr, code := runDockctl(t, "report", "--swarm-service", name, "--format", "json")
		doc = swarmFleet{}
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil && code != 1 {
			t.Fatalf("report --swarm-service: exit %d, %v\n%s\n%s", code, err, stdout, stderr)
		}
		if doc.Totals.Answered > 0 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("no report from the service after %v: exit %d\n%s\n%s", swarmWait, code, stdout, stderr)
		}
		time.Sleep(time.Second)
	}
	if len(doc.Engines) != 1 || doc.Totals.Failed != 0 {
		t.Fatalf("engines %+v, want this node only", doc)
	}
	e := doc.Engines[0]
	if e.Name != info.Name || e.Report.Engine.ID != info.ID || e.Report.Engine.Name != info.Name {
		t.Errorf("row %q with engine %s (%s), want node %q: this engine, %s", e.Name, e.Report.Engine.Name, e.Report.Engine.ID, info.Name, info.ID)
	}
	if e.Report.TotalBytes <= 0 || e.Report.Engine.FSSizeBytes <= 0 || doc.Totals.Total != e.Report.TotalBytes {
		t.Errorf("report %+v, totals %+v: want figures, the root dir's filesystem known (mounted read-only), totals the node's", e.Report, doc.Totals)
	}
	stdout, stderr, code := runDockctl(t, "report", "--swarm-service", name)
	if code != 0 || !strings.Contains(stdout, "All engines: 1 of 1 answered") || !strings.Contains(stdout, "=== "+info.Name+" (node ") {
		t.Errorf("table: exit %d\n%s\n%s", code, stdout, stderr)
	}

	// A service whose task runs but writes no report on stdout (it writes
	// its reports to a file): the node is an error row, and the run fails
	// since no node answered.
	silent := objName("silent")
	sid := createGlobalService(t, silent, img, []string{"report", "--every", "1h", "--format", "json", "-o", "/tmp/report.json"})
	waitForRunningTask(t, sid)
	stdout, stderr, code = runDockctl(t, "report", "--swarm-service", silent)
	if code != 1 || !strings.Contains(stdout, "error: no report in the service's logs") || !strings.Contains(stderr, "1 of 1 engines failed") {
		t.Errorf("silent service: exit %d, want 1 and an error row\n%s\n%s", code, stdout, stderr)
	}

	_, stderr, code = runDockctl(t, "report", "--swarm-service", objName("absent"))
	if code != 1 || !strings.Contains(stderr, "finding service") {
		t.Errorf("absent service: exit %d, want 1 naming the service\n%s", code, stderr)
	}
}
