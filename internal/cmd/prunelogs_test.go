package cmd

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"

	"github.com/dockctl/dockctl/internal/fake"
)

// Bad --larger-than and logs arguments: one line naming the flag, exit 2,
// nothing on stdout, nothing asked of the engine beyond parsing.
func TestPruneLogsUsage(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"prune", "logs", "--dry-run"}, "prune logs needs --larger-than SIZE"},
		{[]string{"prune", "--dry-run", "--larger-than", "10MB"}, `invalid --larger-than "10MB": is for logs only`},
		{[]string{"prune", "images", "--dry-run", "--larger-than", "10MB"}, `invalid --larger-than "10MB": is for logs only`},
		{[]string{"prune", "logs", "--dry-run", "--larger-than", "10"}, `invalid --larger-than "10": a size needs a unit`},
		{[]string{"prune", "logs", "--dry-run", "--larger-than", ""}, "--larger-than: needs a value"},
		{[]string{"prune", "--apply", "plan.json", "--larger-than", "10MB"}, "--larger-than changes what a plan removes"},
		{[]string{"prune", "lgs", "--dry-run"}, `invalid kind "lgs": must be one of containers, images, volumes, networks, buildcache, logs`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			e := fakeEngine()
			code, out, errOut := runFake(t, e, tt.args...)
			line := strings.TrimSpace(errOut)
			if code != 2 || out != "" || strings.Contains(line, "\n") || !strings.Contains(line, tt.want) || e.Mutations() != 0 {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit 2 and one line with %q", code, out, errOut, tt.want)
			}
		})
	}
}

// logEngine is the fake engine with a running container "web" logging
// with driver to root/containers/<id>/<id>-json.log.
func logEngine(root, driver string) (*fake.Engine, string) {
	id := strings.Repeat("ab", 32)
	e := withInfo(fakeEngine(), "", root)
	web := container.Summary{ID: id, Names: []string{"/web"}, ImageID: "sha256:a", Image: "app:1", State: "running", Created: 100}
	list, du := e.ContainerListFn, e.DiskUsageFn
	e.ContainerListFn = func(ctx context.Context, o container.ListOptions) ([]container.Summary, error) {
		cs, err := list(ctx, o)
		return append(cs, web), err
	}
	e.DiskUsageFn = func(ctx context.Context, o types.DiskUsageOptions) (types.DiskUsage, error) {
		d, err := du(ctx, o)
		d.Containers = append(d.Containers, &web)
		return d, err
	}
	logPath := filepath.Join(root, "containers", id, id+"-json.log")
	e.ContainerInspectFn = func(_ context.Context, cid string) (container.InspectResponse, error) {
		ci := container.InspectResponse{ContainerJSONBase: &container.ContainerJSONBase{ID: cid, Name: "/job",
			State: &container.State{Status: "exited"}, HostConfig: &container.HostConfig{LogConfig: container.LogConfig{Type: "json-file"}}}}
		if cid == id || cid == "web" {
			ci.ID, ci.Name, ci.LogPath = id, "/web", logPath
			ci.State = &container.State{Status: "running", Running: true, Pid: 1}
			ci.HostConfig.LogConfig = container.LogConfig{Type: driver}
		}
		return ci, nil
	}
	return e, id
}

func writeLog(t *testing.T, path string, n int) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(strings.Repeat("x", n)), 0o600); err != nil {
		t.Fatal(err)
	}
}

// withMaxSize gives the container web's log the max-size option v.
func withMaxSize(e *fake.Engine, v string) {
	inspectFn := e.ContainerInspectFn
	e.ContainerInspectFn = func(ctx context.Context, id string) (container.InspectResponse, error) {
		ci, err := inspectFn(ctx, id)
		if ci.Name == "/web" {
			ci.HostConfig.LogConfig.Config = map[string]string{"max-size": v}
		}
		return ci, err
	}
}

// prune logs end to end against the fake engine and a root dir in a temp
// dir: the dry run lists the container, each file and its bytes and
// changes nothing; the real run removes the rotation and leaves the live
// file whole; a log without max-size is kept and never touched; the local
// driver's files are never planned.
func TestPruneLogs(t *testing.T) {
	root := t.TempDir()
	e, id := logEngine(root, "json-file")
	withMaxSize(e, "10m")
	live := filepath.Join(root, "containers", id, id+"-json.log")
	writeLog(t, live, 3000)
	writeLog(t, live+".1", 2000)

	code, out, errOut := runFake(t, e, "prune", "logs", "--dry-run", "--larger-than", "4kB", "--no-cache", "--format", "json")
	if code != 0 {
		t.Fatalf("dry run: exit %d, stderr %q", code, errOut)
	}
	var doc struct {
		Plan []struct {
			Type, Name string
			Bytes      int64
			Files      []struct {
				Path  string
				Bytes int64
			}
		} `json:"plan"`
		ReclaimBytes int64 `json:"reclaim_bytes"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Plan) != 1 || doc.Plan[0].Type != "log" || doc.Plan[0].Name != "web" || doc.Plan[0].Bytes != 2000 || doc.ReclaimBytes != 2000 ||
		len(doc.Plan[0].Files) != 2 || doc.Plan[0].Files[0].Path != live || doc.Plan[0].Files[1].Bytes != 2000 {
		t.Fatalf("dry run plan: %s", out)
	}
	if st, _ := os.Stat(live); st.Size() != 3000 {
		t.Fatalf("the dry run changed the log: %d bytes", st.Size())
	}
	code, out, _ = runFake(t, e, "prune", "logs", "--dry-run", "--larger-than", "4kB", "--no-cache")
	if code != 0 || !strings.Contains(out, "remove     web") || !strings.Contains(out, "  keep  ") || !strings.Contains(out, live+".1") {
		t.Errorf("dry run table does not list the container and its files:\n%s", out)
	}

	code, out, errOut = runFake(t, e, "prune", "logs", "--yes", "--larger-than", "4kB", "--no-cache")
	if code != 0 {
		t.Fatalf("prune logs: exit %d, stdout %s, stderr %q", code, out, errOut)
	}
	if st, err := os.Stat(live); err != nil || st.Size() != 3000 {
		t.Errorf("live log after prune: %v, %v; want it whole", st, err)
	}
	if _, err := os.Lstat(live + ".1"); !os.IsNotExist(err) {
		t.Errorf("rotated log still there: %v", err)
	}
	if e.Mutations() != 0 {
		t.Errorf("prune logs asked the engine to remove something: %d calls", e.Mutations())
	}

	t.Run("no max-size: kept, the live file whole", func(t *testing.T) {
		root := t.TempDir()
		e, id := logEngine(root, "json-file")
		live := filepath.Join(root, "containers", id, id+"-json.log")
		writeLog(t, live, 5000)
		code, out, errOut := runFake(t, e, "prune", "logs", "--yes", "--larger-than", "1kB", "--no-cache")
		if code != 0 || !strings.Contains(out, "json-file log 5kB without max-size: emptying the live file would stop docker logs") ||
			!strings.Contains(out, "--log-opt max-size=10m") {
			t.Errorf("exit %d, stderr %q:\n%s", code, errOut, out)
		}
		if st, err := os.Stat(live); err != nil || st.Size() != 5000 {
			t.Errorf("live log after prune: %v, %v; want it whole", st, err)
		}
	})
	t.Run("local driver", func(t *testing.T) {
		root := t.TempDir()
		e, id := logEngine(root, "local")
		local := filepath.Join(root, "containers", id, "local-logs", "container.log")
		writeLog(t, local, 9000)
		code, out, _ := runFake(t, e, "prune", "logs", "--yes", "--larger-than", "1kB", "--no-cache")
		if code != 0 || !strings.Contains(out, "log driver local") {
			t.Errorf("exit %d:\n%s", code, out)
		}
		if st, _ := os.Stat(local); st.Size() != 9000 {
			t.Errorf("the local driver's file was touched: %d bytes", st.Size())
		}
	})
	t.Run("root dir not readable here", func(t *testing.T) {
		e, _ := logEngine("/nonexistent/docker", "json-file")
		code, out, errOut := runFake(t, e, "prune", "logs", "--dry-run", "--larger-than", "1kB", "--no-cache")
		if code != 1 || out != "" || !strings.Contains(errOut, "prune logs: cannot measure the disk") {
			t.Errorf("exit %d, stdout %q, stderr %q; want exit 1 and the probe's notice", code, out, errOut)
		}
	})
}

// report -v lists the containers whose json-file log has no max-size,
// with the --log-opt hint; a container with max-size or another driver is
// not listed.
func TestReportListsUnlimitedLogs(t *testing.T) {
	e, _ := logEngine(t.TempDir(), "json-file")
	inspectFn := e.ContainerInspectFn
	e.ContainerInspectFn = func(ctx context.Context, id string) (container.InspectResponse, error) {
		ci, err := inspectFn(ctx, id)
		if ci.Name == "/job" {
			ci.HostConfig.LogConfig.Config = map[string]string{"max-size": "10m"}
		}
		return ci, err
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "--no-cache", "-v"}, "Containers whose json-file log has no max-size (limit them with --log-opt max-size=10m --log-opt max-file=3"},
		{[]string{"report", "--no-cache", "-v", "--format", "markdown"}, "- web\n"},
		{[]string{"report", "--no-cache", "-v", "--format", "json"}, `"unlimited_logs": [`},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := runFake(t, e, tt.args...)
			if code != 0 || !strings.Contains(out, tt.want) {
				t.Fatalf("exit %d, stderr %q, stdout:\n%s\nwant %q", code, errOut, out, tt.want)
			}
			if strings.Contains(out, "  job\n") || strings.Contains(out, `"job"`) && strings.Contains(out, "unlimited_logs\": [\n    \"job") {
				t.Errorf("job has max-size and is listed:\n%s", out)
			}
		})
	}
	t.Run("not without -v", func(t *testing.T) {
		_, out, _ := runFake(t, e, "report", "--no-cache")
		if strings.Contains(out, "no max-size") {
			t.Errorf("listed without -v:\n%s", out)
		}
	})
}
