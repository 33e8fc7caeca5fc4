package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/api/types/volume"

	"github.com/dockctl/dockctl/internal/engine"
	"github.com/dockctl/dockctl/internal/fake"
)

const diff1 = "sha256:1111111111111111111111111111111111111111111111111111111111111111"

// fakeEngine is a small engine: one image used by a stopped container, one
// unused image, a volume, a network.
func fakeEngine() *fake.Engine {
	stopped := container.Summary{ID: "c1", Names: []string{"/job"}, ImageID: "sha256:a", Image: "app:1", State: "exited", SizeRw: 700, Created: 100}
	return &fake.Engine{
		APIVersion: "1.41",
		DiskUsageFn: func(context.Context, types.DiskUsageOptions) (types.DiskUsage, error) {
			return types.DiskUsage{
				LayersSize: 3000,
				Images: []*image.Summary{
					{ID: "sha256:a", RepoTags: []string{"app:1"}, Size: 1000, Containers: 1, Created: 10},
					{ID: "sha256:b", RepoTags: []string{"tool:1"}, Size: 2000, Containers: 0, Created: 20},
				},
				Containers: []*container.Summary{&stopped},
				Volumes:    []*volume.Volume{{Name: "v1", Driver: "local", UsageData: &volume.UsageData{Size: 50, RefCount: 0}}},
			}, nil
		},
		VolumeListFn: func(context.Context, volume.ListOptions) (volume.ListResponse, error) {
			return volume.ListResponse{Volumes: []*volume.Volume{{Name: "v1", Driver: "local"}}}, nil
		},
		NetworkListFn: func(context.Context, network.ListOptions) ([]network.Summary, error) {
			return []network.Summary{{ID: "n1", Name: "bridge", Driver: "bridge"}}, nil
		},
		ContainerListFn: func(context.Context, container.ListOptions) ([]container.Summary, error) {
			return []container.Summary{stopped}, nil
		},
		// The image list does not count containers or shared bytes:
		// inspect images works them out (the same figures df gives).
		ImageListFn: func(context.Context, image.ListOptions) ([]image.Summary, error) {
			return []image.Summary{
				{ID: "sha256:a", RepoTags: []string{"app:1"}, Size: 1000, SharedSize: -1, Containers: -1, Created: 10},
				{ID: "sha256:b", RepoTags: []string{"tool:1"}, Size: 2000, SharedSize: -1, Containers: -1, Created: 20},
			}, nil
		},
		InfoFn: func(context.Context) (system.Info, error) {
			return system.Info{ServerVersion: "28.0.0", DockerRootDir: "/nonexistent/docker", Driver: "overlay2"}, nil
		},
		ImageInspectFn: func(_ context.Context, id string) (image.InspectResponse, error) {
			return image.InspectResponse{ID: id, RootFS: image.RootFS{Type: "layers", Layers: []string{diff1 + id[len(id)-1:]}}}, nil
		},
		ImageHistoryFn: func(_ context.Context, id string) ([]image.HistoryResponseItem, error) {
			size := int64(1000)
			if id == "sha256:b" {
				size = 2000
			}
			return []image.HistoryResponseItem{{Size: size}}, nil
		},
	}
}

func runFake(t *testing.T, e *fake.Engine, args ...string) (int, string, string) {
	t.Helper()
	f, out, errOut := testFactory(t, nil)
	f.Dial = func(engine.Endpoint, engine.Env, time.Duration) (Engine, error) { return e, nil }
	code := Run(context.Background(), f, args)
	return code, out.String(), errOut.String()
}

// report, inspect and prune --dry-run only read: no removal call, and at
// most one /system/df per command; none where the answer does not need
// container and volume sizes (inspect images, networks: issue 12 item 1).
func TestReadOnlyCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		df   int
	}{
		{[]string{"report", "--no-cache", "--format", "json"}, 1},
		{[]string{"report", "--no-cache", "--format", "html", "-v", "--by", "project"}, 1},
		{[]string{"report", "--no-cache", "--format", "markdown"}, 1},
		{[]string{"inspect", "images"}, 0},
		{[]string{"inspect", "networks"}, 0},
		{[]string{"inspect", "containers", "--format", "json"}, 1},
		{[]string{"inspect", "buildcache"}, 1},
		{[]string{"prune", "--dry-run", "--no-cache", "--all", "--volumes"}, 1},
		{[]string{"prune", "--dry-run", "--no-cache", "--all", "--format", "json"}, 1},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			e := fakeEngine()
			code, out, errOut := runFake(t, e, tc.args...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			if out == "" {
				t.Fatal("no output")
			}
			if n := e.Mutations(); n != 0 {
				t.Fatalf("%d mutating engine calls", n)
			}
			if n := e.Calls("DiskUsage"); n != tc.df {
				t.Fatalf("/system/df called %d times, want %d", n, tc.df)
			}
		})
	}
}

// inspect images shows the figures /system/df gives, from the image list
// and layer data: the same JSON as when df answered it.
func TestInspectImagesSameFiguresWithoutDiskUsage(t *testing.T) {
	// Layers that cannot be sized (no history) make the listing ask df.
	e := fakeEngine()
	e.ImageHistoryFn = func(context.Context, string) ([]image.HistoryResponseItem, error) { return nil, nil }
	code, want, errOut := runFake(t, e, "inspect", "images", "--format", "json", "--no-trunc")
	if code != 0 || e.Calls("DiskUsage") != 1 {
		t.Fatalf("df listing: exit %d, %d df calls: %s", code, e.Calls("DiskUsage"), errOut)
	}
	code, got, errOut := runFake(t, fakeEngine(), "inspect", "images", "--format", "json", "--no-trunc")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if got != want {
		t.Fatalf("inspect images without df:\n%s\nwith df:\n%s", got, want)
	}
}

func TestReportFiguresAndGates(t *testing.T) {
	t.Parallel()
	code, out, errOut := runFake(t, fakeEngine(), "report", "--no-cache", "--format", "json", "--fail-if-usage-over", "1kB")
	if code != 4 {
		t.Fatalf("exit %d, want 4 (usage 3.75kB is over 1kB): %s", code, errOut)
	}
	if !strings.Contains(errOut, "--fail-if-usage-over") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("want one line naming the gate, got %q", errOut)
	}
	var doc struct {
		Summary struct {
			Images struct {
				Total            int64 `json:"total"`
				Active           int64 `json:"active"`
				ReclaimableBytes int64 `json:"reclaimable_bytes"`
			} `json:"images"`
			Containers struct {
				ReclaimableBytes int64 `json:"reclaimable_bytes"`
			} `json:"containers"`
		} `json:"summary"`
		Full int64 `json:"full_cleanup_reclaimable_bytes"`
	}
	// The report is printed before the gate trips.
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("stdout is not the report: %v\n%s", err, out)
	}
	if doc.Summary.Images.Total != 2 || doc.Summary.Images.Active != 1 || doc.Summary.Images.ReclaimableBytes != 2000 {
		t.Fatalf("images row = %+v", doc.Summary.Images)
	}
	if doc.Summary.Containers.ReclaimableBytes != 700 {
		t.Fatalf("containers row = %+v", doc.Summary.Containers)
	}
	// Removing the stopped container frees app:1 too: 700 + 1000 + 2000.
	if doc.Full != 3700 {
		t.Fatalf("full cleanup = %d, want 3700", doc.Full)
	}
}

// TestUnreachableTCPEngineIsOneShortLine: a refused tcp:// engine is the
// host and what to check, in any language, without a paragraph on the TCP
// handshake (issue 14 item 13; `dockctl explain tcp` still has it).
func TestUnreachableTCPEngineIsOneShortLine(t *testing.T) {
	t.Parallel()
	e := &fake.Engine{DiskUsageFn: func(context.Context, types.DiskUsageOptions) (types.DiskUsage, error) {
		return types.DiskUsage{}, &engine.UnreachableError{Host: "tcp://127.0.0.1:1"}
	}}
	const want = "dockctl: inspecting containers: reading disk usage: cannot reach the Docker engine at tcp://127.0.0.1:1: is the Docker daemon running? check --host, --context or DOCKER_HOST\n"
	for _, args := range [][]string{
		{"inspect", "containers", "--lang", "en"},
		{"inspect", "containers", "--lang", "zh"},
		{"inspect", "containers", "--no-explain"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, out, errOut := runFake(t, e, args...)
			if code != 1 || out != "" || errOut != want {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit 1, nothing on stdout, stderr %q", code, out, errOut, want)
			}
		})
	}
}

// runFakeTTY runs dockctl as if on a terminal, answering prompts with in.
func runFakeTTY(t *testing.T, ctx context.Context, e *fake.Engine, in string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := NewFactory(strings.NewReader(in), &out, &errOut, func(k string) string {
		if k == "HOME" {
			return t.TempDir()
		}
		return ""
	})
	f.IO.InIsTTY, f.IO.ErrIsTTY = true, true
	f.Dial = func(engine.Endpoint, engine.Env, time.Duration) (Engine, error) { return e, nil }
	code := Run(ctx, f, args)
	return code, out.String(), errOut.String()
}

func TestPruneAsksOnATerminal(t *testing.T) {
	t.Parallel()
	e := fakeEngine()
	code, out, errOut := runFakeTTY(t, context.Background(), e, "n\n", "prune", "--no-cache", "--all")
	if code != 0 || e.Mutations() != 0 || e.Calls("ContainerInspect") != 0 {
		t.Fatalf("answer n: exit %d, %d mutations; stderr %q", code, e.Mutations(), errOut)
	}
	if !strings.Contains(errOut, "[y/N]") || !strings.Contains(errOut, "Nothing removed") || out != "" {
		t.Fatalf("answer n: stdout %q, stderr %q", out, errOut)
	}
	// Answering yes goes ahead: the fake has no container to re-check, so
	// the removal fails, which is a partial failure (exit 3).
	e = fakeEngine()
	code, _, errOut = runFakeTTY(t, context.Background(), e, "y\n", "prune", "--no-cache", "--all")
	if e.Calls("ContainerInspect") == 0 || code != 3 {
		t.Fatalf("answer y: exit %d, ContainerInspect calls %d; stderr %q", code, e.Calls("ContainerInspect"), errOut)
	}
}

// On a terminal the question comes after the plan it asks about: every
// object to remove, with its bytes and the reason, on stderr (stdout stays
// the one final result), whatever --format stdout gets.
func TestPruneShowsThePlanBeforeAsking(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"table", "json", "markdown"} {
		t.Run(format, func(t *testing.T) {
			e := fakeEngine()
			code, out, errOut := runFakeTTY(t, context.Background(), e, "n\n", "prune", "--no-cache", "--all", "--format", format)
			ask := strings.Index(errOut, "[y/N]")
			if code != 0 || out != "" || e.Mutations() != 0 || ask < 0 {
				t.Fatalf("exit %d, %d mutations, stdout %q, stderr %q", code, e.Mutations(), out, errOut)
			}
			for _, row := range []string{
				"remove   job    c1   700B   not running (exited)",
				"remove   tool:1   b    2kB    unused image",
				"remove   app:1    a    1kB    unused image (its containers are removed in this plan)",
			} {
				if i := strings.Index(errOut, strings.TrimSpace(row)); i < 0 || i > ask {
					t.Errorf("%q not shown before the question:\n%s", row, errOut)
				}
			}
		})
	}
}

func TestInterruptedPruneExits130(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	code, _, errOut := runFakeTTY(t, ctx, fakeEngine(), "", "prune", "--no-cache", "--all", "--yes")
	if code != 130 {
		t.Fatalf("exit %d, want 130; stderr %q", code, errOut)
	}
}

func TestCtrlCAtThePromptExits130(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	e := fakeEngine()
	// The prompt blocks on stdin that never answers; Ctrl-C arrives.
	pr, pw := io.Pipe()
	defer pw.Close()
	var out, errOut bytes.Buffer
	f := NewFactory(pr, &out, &errOut, func(k string) string {
		if k == "HOME" {
			return t.TempDir()
		}
		return ""
	})
	f.IO.InIsTTY, f.IO.ErrIsTTY = true, true
	f.Dial = func(engine.Endpoint, engine.Env, time.Duration) (Engine, error) { return e, nil }
	go func() {
		time.Sleep(100 * time.Millisecond)
		cancel()
	}()
	if code := Run(ctx, f, []string{"prune", "--no-cache", "--all"}); code != 130 || e.Mutations() != 0 || e.Calls("ContainerInspect") != 0 {
		t.Fatalf("exit %d, %d mutations; stderr %q", code, e.Mutations(), errOut.String())
	}
}

// Two deleting prunes on one engine do not run at once: the second waits
// for the first's lock, says so, and Ctrl-C ends the wait with nothing done.
func TestSecondPruneWaitsForTheLock(t *testing.T) {
	t.Parallel()
	locks := t.TempDir()
	tests := []struct {
		name         string
		holder, next []string // -H of each; nil: the default socket
		holderHome   string
		id           string
	}{
		{"same address", nil, nil, "", "ENGINE:ONE"},
		{"another spelling of the socket, another HOME", []string{"unix:///var/run/docker.sock"}, []string{"unix:///var/run//docker.sock"}, "other", "ENGINE:TWO"},
		{"an engine without an ID, by its address", nil, nil, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := fakeEngine()
			info := e.InfoFn
			e.InfoFn = func(ctx context.Context) (system.Info, error) {
				i, err := info(ctx)
				i.ID = tt.id
				return i, err
			}
			homeOf := func(name string) func(string) string {
				home := filepath.Join(t.TempDir(), name)
				return func(k string) string {
					switch k {
					case "HOME":
						return home
					case "XDG_CACHE_HOME":
						return filepath.Join(home, "xdg")
					}
					return ""
				}
			}
			holder := NewFactory(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}, homeOf("holder"+tt.holderHome))
			holder.LockDir, holder.Hosts = locks, tt.holder
			_, ep, err := holder.Engine()
			if err != nil {
				t.Fatal(err)
			}
			held, err := lockEngine(context.Background(), holder.runEnv(), e, ep.Host)
			if err != nil {
				t.Fatal(err)
			}
			defer held.Release()

			var out, errOut bytes.Buffer
			f := NewFactory(strings.NewReader(""), &out, &errOut, homeOf("next"))
			f.LockDir = locks
			f.Dial = func(engine.Endpoint, engine.Env, time.Duration) (Engine, error) { return e, nil }
			ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
			defer cancel()
			args := []string{"prune", "--no-cache", "--all", "--yes"}
			for _, h := range tt.next {
				args = append(args, "-H", h)
			}
			code := Run(ctx, f, args)
			if code != 130 || e.Calls("DiskUsage") != 0 || e.Mutations() != 0 {
				t.Fatalf("exit %d, df calls %d, mutations %d; stderr %q", code, e.Calls("DiskUsage"), e.Mutations(), errOut.String())
			}
			if !strings.Contains(errOut.String(), "another dockctl prune") || !strings.Contains(errOut.String(), tt.id) {
				t.Fatalf("stderr %q does not say why it waits", errOut.String())
			}
		})
	}
	// A dry run does not need the lock.
	if code, _, errOut := runFake(t, fakeEngine(), "prune", "--dry-run", "--no-cache"); code != 0 {
		t.Fatalf("dry run: exit %d: %s", code, errOut)
	}
}

// report -v learns each container's log config by inspecting the
// containers the inventory already holds: no second /containers/json,
// whose answer at 10,000 containers is some 8 MB decoded beside the
// report (issue 12 item 4, peak RSS).
func TestVerboseReportListsContainersOnce(t *testing.T) {
	t.Parallel()
	e := fakeEngine()
	code, _, errOut := runFake(t, e, "report", "-v", "--no-cache", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if n := e.Calls("ContainerList"); n != 0 {
		t.Fatalf("/containers/json called %d times beside /system/df, want 0", n)
	}
	if e.Calls("ContainerInspect") == 0 {
		t.Fatal("no container inspected: the log config was not read")
	}
}
