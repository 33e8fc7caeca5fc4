package prune

import (
	"bytes"
	"context"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/dockctl/dockctl/internal/inspect"
)

const (
	mb       = 1000 * 1000
	logsRoot = "/var/lib/docker/containers"
)

func logID(c byte) string { return strings.Repeat(string(c), 64) }

// logFiles are a container's live json-file log and its rotations, sized.
func logFiles(id string, sizes ...int64) []inspect.LogFile {
	var out []inspect.LogFile
	for i, s := range sizes {
		p := filepath.Join(logsRoot, id, id+"-json.log")
		if i > 0 {
			p += "." + string(rune('0'+i))
		}
		out = append(out, inspect.LogFile{Path: p, Bytes: s})
	}
	return out
}

func logContainer(name string, c byte, state, driver string, sizes ...int64) inspect.Container {
	id := logID(c)
	ct := inspect.Container{ID: id, Name: name, State: state, LogDriver: driver, Created: ago(time.Hour)}
	if driver == JSONFileDriver {
		ct.LogFiles = logFiles(id, sizes...)
	}
	return ct
}

// noMaxSize is the reason a running container's log without max-size is
// kept, whatever its size.
func noMaxSize(size string) string {
	return "json-file log " + size + " without max-size: emptying the live file would stop docker logs showing new lines " +
		"(moby reads up to the size it last wrote); recreate the container with --log-opt max-size=10m --log-opt max-file=3"
}

func TestPlanLogs(t *testing.T) {
	big := logContainer("big", 'a', "running", JSONFileDriver, 31*mb, 10*mb, 2*mb)
	limited := logContainer("limited", 'b', "running", JSONFileDriver, 4*mb, 10*mb, 10*mb)
	limited.LogMaxSize = "10m"
	unrotated := logContainer("unrotated", 'm', "running", JSONFileDriver, 12*mb)
	unrotated.LogMaxSize = "1g"
	small := logContainer("small", 'c', "running", JSONFileDriver, 9*mb)
	exact := logContainer("exact", 'd', "running", JSONFileDriver, 6*mb, 4*mb)
	stopped := logContainer("stopped", 'e', "exited", JSONFileDriver, 50*mb)
	local := logContainer("local", 'f', "running", "local")
	none := logContainer("none", 'g', "running", "none")
	kept := logContainer("kept", 'h', "running", JSONFileDriver, 50*mb)
	kept.Labels = map[string]string{KeepLabel: "TRUE"}
	db := logContainer("db", 'i', "running", JSONFileDriver, 50*mb)
	labelled := logContainer("labelled", 'j', "running", JSONFileDriver, 5*mb, 10*mb, 10*mb)
	labelled.Labels = map[string]string{"tier": "prod"}
	labelled.LogMaxSize = "10m"
	unknown := logContainer("unknown", 'k', "running", JSONFileDriver, 50*mb, -1)
	paused := logContainer("paused", 'l', "paused", JSONFileDriver, 11*mb)
	inv := &inspect.Inventory{Collected: []inspect.Kind{inspect.KindContainers},
		Containers: []inspect.Container{big, limited, small, exact, stopped, local, none, kept, db, labelled, unknown, paused, unrotated}}
	pol := Policy{Kinds: []inspect.Kind{inspect.KindLogs}, LogsLargerThan: 10 * mb, Keep: []string{"d?"}, KeepLabels: []string{"tier=prod"}}
	p := BuildPlan(inv, pol, now)

	tests := []struct{ name, want string }{
		{"big", "keep: " + noMaxSize("43MB")},
		{"limited", "remove: json-file log 24MB larger than 10MB; max-size 10m: 2 rotated files removed, the live file kept"},
		{"unrotated", "keep: json-file log 12MB with max-size 1g and no rotated file: only rotated files are removed, never the live one"},
		{"small", "keep: log 9MB not larger than 10MB"},
		{"exact", "keep: log 10MB not larger than 10MB"},
		{"stopped", "keep: not running (exited): removing the container frees its log"},
		{"local", "keep: log driver local (only json-file logs are pruned)"},
		{"none", "keep: log driver none (only json-file logs are pruned)"},
		{"kept", "keep: label dockctl.keep=true"},
		{"db", "keep: matches --keep 'd?'"},
		{"labelled", "keep: label tier=prod"},
		{"unknown", "keep: log size unknown"},
		{"paused", "keep: " + noMaxSize("11MB")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decision(p, TypeLog, tt.name); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	// Only the rotations are freed; the live file is listed first, kept.
	it, _ := item(p, TypeLog, "limited")
	if it.Bytes != 20*mb || len(it.Files) != 3 || it.Files[0].Path != limited.LogFiles[0].Path {
		t.Errorf("limited item = %+v, want its 2 rotations' 20MB, the live file first", it)
	}
	if p.ReclaimBytes != 20*mb || p.Count(TypeLog) != 1 {
		t.Errorf("ReclaimBytes = %d", p.ReclaimBytes)
	}
	if p.Count(TypeContainer) != 0 || !slices.Equal(p.Kinds, []inspect.Kind{inspect.KindLogs}) {
		t.Errorf("logs alone must plan only logs: kinds %v, %d containers", p.Kinds, p.Count(TypeContainer))
	}

	t.Run("not in the default kinds", func(t *testing.T) {
		p := BuildPlan(inv, Policy{}, now)
		if p.Count(TypeLog) != 0 || slices.Contains(p.Kinds, inspect.KindLogs) {
			t.Errorf("default plan has logs: %v", p.Kinds)
		}
	})
	t.Run("filter", func(t *testing.T) {
		f, err := inspect.ParseFilters(inspect.KindContainers, []string{"label=tier=prod"}, now)
		if err != nil {
			t.Fatal(err)
		}
		pol := Policy{Kinds: []inspect.Kind{inspect.KindLogs}, LogsLargerThan: 10 * mb, Filters: map[inspect.Kind]inspect.Filter{inspect.KindContainers: f}}
		p := BuildPlan(inv, pol, now)
		if got := decision(p, TypeLog, "big"); got != "keep: "+outsideFilter {
			t.Errorf("big outside the filter: %q", got)
		}
		if got := decision(p, TypeLog, "labelled"); !strings.HasPrefix(got, "remove:") {
			t.Errorf("labelled inside the filter: %q", got)
		}
	})
}

func TestPolicyLogsLargerThan(t *testing.T) {
	tests := []struct {
		name string
		pol  Policy
		want string
	}{
		{"with logs", Policy{Kinds: []inspect.Kind{inspect.KindLogs}, LogsLargerThan: 1}, ""},
		{"without logs", Policy{LogsLargerThan: 1}, "log size threshold: is only for logs"},
		{"negative", Policy{Kinds: []inspect.Kind{inspect.KindLogs}, LogsLargerThan: -1}, `invalid log size threshold "-1": must not be negative`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if err := tt.pol.Validate(); err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// logEngine answers ContainerInspect for log re-checks; any other call
// panics (the embedded nil Client): a log item asks nothing else.
type logEngine struct {
	Client
	info map[string]container.InspectResponse
}

func (e logEngine) ContainerInspect(_ context.Context, id string) (container.InspectResponse, error) {
	if ci, ok := e.info[id]; ok {
		return ci, nil
	}
	return container.InspectResponse{}, notFoundErr("container " + id)
}

func runningJSONFile(id, name, logPath string, labels map[string]string) container.InspectResponse {
	return container.InspectResponse{
		ContainerJSONBase: &container.ContainerJSONBase{ID: id, Name: "/" + name, LogPath: logPath,
			State:      &container.State{Status: "running", Running: true},
			HostConfig: &container.HostConfig{LogConfig: container.LogConfig{Type: JSONFileDriver}}},
		Config: &container.Config{Labels: labels},
	}
}

// fakeLogFS is a LogFS over a map of files; Local maps the engine's
// /var/lib/docker to itself.
type fakeLogFS struct {
	mu    sync.Mutex
	files map[string]fs.FileMode // path -> type (0: regular)
	sizes map[string]int64
	ops   []string
}

func (f *fakeLogFS) Local(p string) (string, bool) {
	return p, strings.HasPrefix(p, "/var/lib/docker/")
}
func (f *fakeLogFS) ContainersDir() string { return logsRoot }
func (f *fakeLogFS) Lstat(p string) (fs.FileInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.files[p]
	if !ok {
		return nil, &fs.PathError{Op: "lstat", Path: p, Err: fs.ErrNotExist}
	}
	return fakeInfo{name: filepath.Base(p), mode: m}, nil
}
func (f *fakeLogFS) Remove(p string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ops = append(f.ops, "remove "+p)
	delete(f.files, p)
	return nil
}

type fakeInfo struct {
	name string
	mode fs.FileMode
}

func (i fakeInfo) Name() string       { return i.name }
func (i fakeInfo) Size() int64        { return 0 }
func (i fakeInfo) Mode() fs.FileMode  { return i.mode }
func (i fakeInfo) ModTime() time.Time { return time.Time{} }
func (i fakeInfo) IsDir() bool        { return i.mode.IsDir() }
func (i fakeInfo) Sys() any           { return nil }

func TestApplyLogs(t *testing.T) {
	id := logID('a')
	files := logFiles(id, 31*mb, 10*mb, 2*mb)
	live := files[0].Path
	plan := Plan{Schema: Schema, Kinds: []inspect.Kind{inspect.KindLogs}, Guards: &Guards{KeepLabels: []string{"pin"}},
		Items: []Item{{Type: TypeLog, ID: id, Name: "web", Bytes: 12 * mb, Reason: "max-size", Files: files}}, ReclaimBytes: 12 * mb}
	newFS := func() *fakeLogFS {
		f := &fakeLogFS{files: map[string]fs.FileMode{}, sizes: map[string]int64{}}
		for _, lf := range files {
			f.files[lf.Path] = 0
			f.sizes[lf.Path] = lf.Bytes
		}
		return f
	}
	allOps := []string{"remove " + files[1].Path, "remove " + files[2].Path}
	tests := []struct {
		name    string
		info    func(ci *container.InspectResponse) // nil: the container is gone
		fs      func(f *fakeLogFS)
		noFS    bool
		dryRun  bool
		result  string
		reason  string
		wantOps []string
	}{
		{name: "removes the rotations, keeps the live file", info: func(*container.InspectResponse) {}, result: ResultRemoved, wantOps: allOps},
		{name: "a rotation already gone", info: func(*container.InspectResponse) {}, fs: func(f *fakeLogFS) { delete(f.files, files[2].Path) },
			result: ResultRemoved, wantOps: allOps[:1]},
		{name: "dry run changes nothing", info: func(*container.InspectResponse) {}, dryRun: true, result: ResultRemoved},
		{name: "container gone", result: ResultGone, reason: alreadyGone},
		{name: "now stopped", info: func(ci *container.InspectResponse) { ci.State = &container.State{Status: "exited"} },
			result: ResultSkipped, reason: "now exited: removing the container frees its log"},
		{name: "driver changed", info: func(ci *container.InspectResponse) { ci.HostConfig.LogConfig.Type = "local" },
			result: ResultSkipped, reason: `log driver now "local": only json-file logs are pruned`},
		{name: "path changed", info: func(ci *container.InspectResponse) { ci.LogPath = "/var/lib/docker/containers/x/x-json.log" },
			result: ResultSkipped, reason: `log path now "/var/lib/docker/containers/x/x-json.log", not the plan's`},
		{name: "log path not visible here", info: func(ci *container.InspectResponse) { ci.LogPath = "/elsewhere/" + id + "-json.log" },
			result: ResultSkipped, reason: `log path now "/elsewhere/` + id + `-json.log", not the plan's`},
		{name: "labelled since", info: func(ci *container.InspectResponse) { ci.Config.Labels = map[string]string{"pin": "1"} },
			result: ResultSkipped, reason: "now kept: label pin=1"},
		{name: "keep label since", info: func(ci *container.InspectResponse) { ci.Config.Labels = map[string]string{KeepLabel: "true"} },
			result: ResultSkipped, reason: "now kept: label dockctl.keep=true"},
		{name: "live file is a symlink", info: func(*container.InspectResponse) {}, fs: func(f *fakeLogFS) { f.files[live] = fs.ModeSymlink },
			result: ResultSkipped, reason: live + " is not a regular file (L---------)"},
		{name: "rotation is a symlink", info: func(*container.InspectResponse) {}, fs: func(f *fakeLogFS) { f.files[files[1].Path] = fs.ModeSymlink },
			result: ResultSkipped, reason: files[1].Path + " is not a regular file (L---------)"},
		{name: "live file gone", info: func(*container.InspectResponse) {}, fs: func(f *fakeLogFS) { delete(f.files, live) },
			result: ResultSkipped, reason: "log file " + live + " is gone"},
		{name: "no root dir access", info: func(*container.InspectResponse) {}, noFS: true, result: ResultFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng := logEngine{info: map[string]container.InspectResponse{}}
			if tt.info != nil {
				ci := runningJSONFile(id, "web", live, nil)
				tt.info(&ci)
				eng.info[id] = ci
			}
			f := newFS()
			if tt.fs != nil {
				tt.fs(f)
			}
			opts := ApplyOptions{Now: func() time.Time { return now }, DryRun: tt.dryRun, Logs: f}
			if tt.noFS {
				opts.Logs = nil
			}
			res := Apply(context.Background(), eng, plan, opts)
			all := slices.Concat(res.Removed, res.Skipped, res.Failed)
			if len(all) != 1 {
				t.Fatalf("outcomes %+v", all)
			}
			o := all[0]
			if o.Result != tt.result || (tt.reason != "" && o.Reason != tt.reason) {
				t.Errorf("outcome %s %q, want %s %q", o.Result, o.Reason, tt.result, tt.reason)
			}
			if !slices.Equal(f.ops, tt.wantOps) {
				t.Errorf("file operations %q, want %q", f.ops, tt.wantOps)
			}
		})
	}
	t.Run("a plan naming a file outside the container's dir", func(t *testing.T) {
		bad := plan
		bad.Items = []Item{plan.Items[0]}
		bad.Items[0].Files = []inspect.LogFile{files[0], {Path: filepath.Join(logsRoot, "other", id+"-json.log.1")}}
		eng := logEngine{info: map[string]container.InspectResponse{id: runningJSONFile(id, "web", live, nil)}}
		f := newFS()
		res := Apply(context.Background(), eng, bad, ApplyOptions{Logs: f})
		if len(res.Skipped) != 1 || len(f.ops) != 0 {
			t.Errorf("skipped %+v, ops %q: want skipped, nothing touched", res.Skipped, f.ops)
		}
	})
}

func TestLogPlanRoundTrip(t *testing.T) {
	id := logID('a')
	web := logContainer("web", 'a', "running", JSONFileDriver, 3*mb, 10*mb)
	web.LogMaxSize = "10m"
	p := BuildPlan(&inspect.Inventory{Containers: []inspect.Container{web}},
		Policy{Kinds: []inspect.Kind{inspect.KindLogs}, LogsLargerThan: 10 * mb}, now)
	var buf bytes.Buffer
	if err := WritePlan(&buf, p); err != nil {
		t.Fatal(err)
	}
	got, err := ReadPlan(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Items) != 1 || got.Items[0].Type != TypeLog || !slices.Equal(got.Items[0].Files, p.Items[0].Files) {
		t.Fatalf("round trip lost the log item: %+v", got.Items)
	}
	if !strings.Contains(buf.String(), `"type": "log"`) {
		t.Errorf("saved plan does not name the type log:\n%s", buf.String())
	}
	for _, tt := range []struct{ name, edit, want string }{
		{"no files", `"files"`, "a log item needs its files"},
		{"relative", id + "/" + id + "-json.log\"", "not a clean absolute path"},
		{"not a rotation", id + "-json.log.1\"", "is not a rotation of"},
		{"truncate_live", "", "asks to empty the live log file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			doc := buf.String()
			switch tt.name {
			case "no files":
				doc = strings.Replace(doc, `"files"`, `"files_was"`, 1)
			case "relative":
				doc = strings.Replace(doc, `"`+logsRoot+"/", `"`, 1)
			case "truncate_live":
				// A plan saved before dockctl stopped emptying live logs.
				doc = strings.Replace(doc, `"files"`, `"truncate_live": true, "files"`, 1)
			default:
				doc = strings.Replace(doc, tt.edit, id+"-json.log.x\"", 1)
			}
			_, err := ReadPlan(strings.NewReader(doc))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err %v, want %q", err, tt.want)
			}
		})
	}
}
