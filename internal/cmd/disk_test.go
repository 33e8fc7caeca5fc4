package cmd

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/system"

	"github.com/dockctl/dockctl/internal/fake"
	"github.com/dockctl/dockctl/internal/inspect"
)

// diskEngine is fakeEngine with its root dir at root, where the stopped
// container c1 has a 5,000-byte json-file log.
func diskEngine(t *testing.T, root string) *fake.Engine {
	e := fakeEngine()
	e.InfoFn = func(context.Context) (system.Info, error) {
		return system.Info{ServerVersion: "20.10.24", DockerRootDir: root, Driver: "overlay2"}, nil
	}
	e.ContainerInspectFn = func(_ context.Context, id string) (container.InspectResponse, error) {
		return container.InspectResponse{ContainerJSONBase: &container.ContainerJSONBase{
			ID: id, LogPath: filepath.Join(root, "containers", id, id+"-json.log"), State: &container.State{Status: "exited"},
		}}, nil
	}
	return e
}

// TestDiskWiring: with the engine's root dir readable, report has the
// Logs row and counts the stopped container's log as reclaimable, the
// prune plan carries it, inspect containers shows LOG SIZE; without it,
// the report says why in its disk section and has no such rows.
func TestDiskWiring(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "containers", "c1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "containers", "c1", "c1-json.log"), make([]byte, 5000), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		root     string
		logs     int64 // -1: no Logs row
		reclaim  int64
		noticeIn string
	}{
		{"root dir readable", root, 5000, 5700, ""},
		{"root dir missing", filepath.Join(root, "nope"), -1, 700, "-v " + filepath.Join(root, "nope")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := diskEngine(t, tc.root)
			code, out, errOut := runFake(t, e, "report", "--no-cache", "--format", "json")
			if code != 0 {
				t.Fatalf("report: exit %d, %s", code, errOut)
			}
			var doc struct {
				Summary struct {
					Containers struct {
						Reclaimable int64 `json:"reclaimable_bytes"`
					} `json:"containers"`
					Logs *struct {
						Size int64 `json:"size_bytes"`
					} `json:"logs"`
				} `json:"summary"`
				Disk struct {
					RootDirBytes int64  `json:"root_dir_bytes"`
					Reason       string `json:"unavailable_reason"`
				} `json:"disk"`
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatal(err)
			}
			if tc.logs < 0 {
				if doc.Summary.Logs != nil || !strings.Contains(doc.Disk.Reason, tc.noticeIn) || doc.Disk.RootDirBytes != -1 {
					t.Errorf("without access: logs %v, reason %q (want %q), root %d", doc.Summary.Logs, doc.Disk.Reason, tc.noticeIn, doc.Disk.RootDirBytes)
				}
			} else if doc.Summary.Logs == nil || doc.Summary.Logs.Size != tc.logs || doc.Disk.RootDirBytes <= 0 {
				t.Errorf("logs row %+v, root dir %d; want %d bytes of logs", doc.Summary.Logs, doc.Disk.RootDirBytes, tc.logs)
			}
			if doc.Summary.Containers.Reclaimable != tc.reclaim {
				t.Errorf("containers reclaimable %d, want %d", doc.Summary.Containers.Reclaimable, tc.reclaim)
			}

			// report finds each container's files without inspecting it
			// (the layer store and the log's fixed path name them); -v
			// needs each container's log options, one inspect each.
			ev := diskEngine(t, tc.root)
			if code, _, errOut := runFake(t, ev, "report", "-v", "--no-cache", "--format", "json"); code != 0 {
				t.Fatalf("report -v: exit %d, %s", code, errOut)
			}
			if tc.logs >= 0 && (e.Calls("ContainerInspect") != 0 || ev.Calls("ContainerInspect") != 1) {
				t.Errorf("report inspected containers %d times, report -v %d; want 0 and 1 (one container)", e.Calls("ContainerInspect"), ev.Calls("ContainerInspect"))
			}

			code, out, errOut = runFake(t, diskEngine(t, tc.root), "prune", "containers", "--dry-run", "--no-cache", "--format", "json")
			if code != 0 {
				t.Fatalf("prune: exit %d, %s", code, errOut)
			}
			var plan struct {
				ReclaimBytes int64 `json:"reclaim_bytes"`
			}
			if err := json.Unmarshal([]byte(out), &plan); err != nil || plan.ReclaimBytes != tc.reclaim {
				t.Errorf("prune plan reclaims %d (%v), want %d", plan.ReclaimBytes, err, tc.reclaim)
			}

			code, out, _ = runFake(t, diskEngine(t, tc.root), "inspect", "containers")
			if has := strings.Contains(out, "LOG SIZE"); code != 0 || has != (tc.logs >= 0) {
				t.Errorf("inspect containers (exit %d): LOG SIZE column %v, want %v:\n%s", code, has, tc.logs >= 0, out)
			}
		})
	}
}

// TestStoreWiring: on the containerd image store, report and the prune
// plan read containerd's object graph with the disk measure; where its
// socket cannot be read the report says so in one note, and the plan
// goes on without it. A graph-driver engine, and one whose disk is not
// measured (the disk line says why), get no such note.
func TestStoreWiring(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "containers", "c1"), 0o755); err != nil {
		t.Fatal(err)
	}
	c8d := [][2]string{{"driver-type", "io.containerd.snapshotter.v1"}}
	tests := []struct {
		name string
		info system.Info
		note string // "": none about the store
	}{
		{"graph driver", system.Info{DockerRootDir: root, Driver: "overlay2"}, ""},
		{"containerd store, no socket reported", system.Info{DockerRootDir: root, Driver: "overlayfs", DriverStatus: c8d}, "did not report its containerd socket"},
		{"containerd store, socket not here", system.Info{DockerRootDir: root, Driver: "overlayfs", DriverStatus: c8d,
			Containerd: &system.ContainerdInfo{Address: filepath.Join(root, "nope.sock")}}, "containerd's socket " + filepath.Join(root, "nope.sock") + " is not visible here"},
		{"containerd store, disk not measured", system.Info{DockerRootDir: filepath.Join(root, "nope"), Driver: "overlayfs", DriverStatus: c8d,
			Containerd: &system.ContainerdInfo{Address: filepath.Join(root, "nope.sock")}}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := diskEngine(t, root)
			info := tc.info
			info.ServerVersion = "29.0.0"
			e.InfoFn = func(context.Context) (system.Info, error) { return info, nil }
			code, out, errOut := runFake(t, e, "report", "--no-cache", "--format", "json")
			if code != 0 {
				t.Fatalf("report: exit %d, %s", code, errOut)
			}
			var doc struct {
				Notes []struct {
					Row  string `json:"row"`
					Text string `json:"text"`
				} `json:"notes"`
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatal(err)
			}
			var notes []string
			for _, n := range doc.Notes {
				if strings.Contains(n.Text, "containerd") {
					notes = append(notes, n.Text)
				}
			}
			switch {
			case tc.note == "" && len(notes) > 0:
				t.Errorf("notes about the store %q, want none", notes)
			case tc.note != "" && (len(notes) != 1 || !strings.Contains(notes[0], tc.note)):
				t.Errorf("notes about the store %q, want one saying %q", notes, tc.note)
			}
			if code, _, errOut := runFake(t, e, "prune", "--all", "--dry-run", "--no-cache", "--format", "json"); code != 0 {
				t.Errorf("prune --dry-run: exit %d, %s", code, errOut)
			}
		})
	}
}

// attach gives the inventory the store graph the probe read, whatever
// else the disk had: report and prune attach through it alike.
func TestAttachStore(t *testing.T) {
	t.Parallel()
	g := &inspect.StoreGraph{Snapshotter: "overlayfs", Objects: map[string]inspect.StoreObject{}}
	for _, d := range []diskMeasure{{}, {store: g}, {store: g, storeReason: "x"}} {
		inv := &inspect.Inventory{}
		if d.attach(inv); inv.Store != d.store {
			t.Errorf("attach(%+v): Store %v, want %v", d, inv.Store, d.store)
		}
		if n := d.storeNotes(); (len(n) == 1) != (d.storeReason != "") {
			t.Errorf("storeNotes(%+v) = %v", d, n)
		}
	}
}
