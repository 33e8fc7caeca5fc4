package probe

import (
	"bufio"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/system"
)

func TestOpen(t *testing.T) {
	root := t.TempDir()
	withID := t.TempDir()
	if err := os.WriteFile(filepath.Join(withID, "engine-id"), []byte("abc-123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		info   system.Info
		opts   Options
		reason Reason // "" for success
		msg    string // in the one-line notice
	}{
		{"readable, no engine-id (20.10)", system.Info{DockerRootDir: root, Driver: "fuse-overlayfs"}, Options{}, "", ""},
		{"engine-id matches", system.Info{DockerRootDir: withID, ID: "abc-123"}, Options{}, "", ""},
		{"engine-id differs", system.Info{DockerRootDir: withID, ID: "other"}, Options{}, ReasonOtherEngine, "its engine-id is abc-123"},
		{"no root dir reported", system.Info{}, Options{}, ReasonNoRootDir, "did not report its root dir"},
		{"missing here", system.Info{DockerRootDir: filepath.Join(root, "nope")}, Options{}, ReasonNotFound, "-v " + filepath.Join(root, "nope") + ":" + filepath.Join(root, "nope") + ":ro"},
		{"mounted elsewhere", system.Info{DockerRootDir: "/var/lib/docker", ID: "abc-123"}, Options{RootDir: withID}, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Open(tc.info, tc.opts)
			if tc.reason == "" {
				if err != nil || p == nil {
					t.Fatalf("Open = %v, %v; want a probe", p, err)
				}
				return
			}
			var u *Unavailable
			if !errors.As(err, &u) || u.Reason != tc.reason {
				t.Fatalf("Open error = %v, want reason %s", err, tc.reason)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.msg) || strings.Contains(msg, "\n") {
				t.Errorf("notice %q: want one line containing %q", msg, tc.msg)
			}
		})
	}
}

// engineRoot builds a fake root dir: containers with log files, upper
// dirs and volumes, as the engine lays them out.
func engineRoot(t *testing.T) string {
	root := t.TempDir()
	tree{files: map[string]int{
		"containers/c1/c1-json.log":                   700,
		"containers/c1/c1-json.log.1":                 1000,
		"containers/c1/c1-json.log.2.gz":              300,
		"containers/c1/config.v2.json":                50, // not a log
		"containers/c2/local-logs/container.log":      400,
		"containers/c2/local-logs/container.log.1.gz": 90,
		"drv/l1/diff/data":                            4096,
		"volumes/v1/_data/f":                          2000,
	}, links: map[string]string{"volumes/v1/_data/g": "volumes/v1/_data/f"}}.build(t, root)
	return root
}

func TestMeasure(t *testing.T) {
	root := engineRoot(t)
	targets := Targets{
		Containers: []Container{
			{ID: "c1", LogPath: "/var/lib/docker/containers/c1/c1-json.log", UpperDir: "/var/lib/docker/drv/l1/diff"},
			{ID: "c2"},
		},
		Volumes: []Volume{
			{Name: "v1", Driver: "local", Mountpoint: "/var/lib/docker/volumes/v1/_data"},
			{Name: "tmp", Driver: "local", Mountpoint: "/var/lib/docker/volumes/tmp/_data", Options: map[string]string{"type": "tmpfs"}},
			{Name: "nfs", Driver: "other", Mountpoint: "/mnt/x"},
			{Name: "out", Driver: "local", Mountpoint: "/srv/vol"},
		},
	}
	tests := []struct {
		name      string
		driver    string
		writable1 int64
		unknown1  string
	}{
		{"fuse-overlayfs", "fuse-overlayfs", 4096, ""},
		{"overlay2", "overlay2", 4096, ""},
		{"unknown driver", "btrfs", -1, `unknown driver "btrfs"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// The engine says /var/lib/docker; it is mounted here at root.
			p, err := Open(system.Info{DockerRootDir: "/var/lib/docker", Driver: tc.driver}, Options{RootDir: root})
			if err != nil {
				t.Fatal(err)
			}
			m, err := p.Measure(context.Background(), targets)
			if err != nil {
				t.Fatal(err)
			}
			c1, c2 := m.Containers[0], m.Containers[1]
			if c1.LogBytes != 2000 || len(c1.LogFiles) != 3 {
				t.Errorf("c1 logs = %d bytes in %v, want 2000 in 3 files", c1.LogBytes, c1.LogFiles)
			}
			if c2.LogBytes != 490 || len(c2.LogFiles) != 2 {
				t.Errorf("c2 (local driver) logs = %d bytes in %v, want 490 in 2 files", c2.LogBytes, c2.LogFiles)
			}
			if c1.WritableBytes != tc.writable1 || !strings.Contains(c1.WritableUnknown, tc.unknown1) {
				t.Errorf("c1 writable = %d (%q), want %d (%q)", c1.WritableBytes, c1.WritableUnknown, tc.writable1, tc.unknown1)
			}
			if c2.WritableBytes != -1 || c2.WritableUnknown == "" {
				t.Errorf("c2 writable = %d (%q), want -1 with a reason", c2.WritableBytes, c2.WritableUnknown)
			}
			wantVol := []struct {
				bytes   int64
				unknown string
			}{{2000, ""}, {-1, "mount options"}, {-1, `driver "other"`}, {-1, "outside the root dir"}}
			for i, w := range wantVol {
				v := m.Volumes[i]
				if v.Bytes != w.bytes || !strings.Contains(v.Unknown, w.unknown) || (w.unknown == "") != (v.Unknown == "") {
					t.Errorf("volume %s = %d (%q), want %d (%q)", v.Name, v.Bytes, v.Unknown, w.bytes, w.unknown)
				}
			}
			if want := duSbx(t, root); m.RootDirBytes != want {
				t.Errorf("root = %d, du -sbx says %d", m.RootDirBytes, want)
			}
			var sum int64
			for _, d := range m.TopLevel {
				sum += d.Bytes
			}
			if sum >= m.RootDirBytes || len(m.TopLevel) != 3 {
				t.Errorf("top level %v (sum %d) of %d: want containers, drv, volumes summing to less than the root", m.TopLevel, sum, m.RootDirBytes)
			}
			if len(m.Warnings) != 0 {
				t.Errorf("warnings: %v", m.Warnings)
			}
			// Objects only: the same objects' figures, no root dir.
			ot := targets
			ot.ObjectsOnly = true
			om, err := p.Measure(context.Background(), ot)
			if err != nil {
				t.Fatal(err)
			}
			if om.RootDirBytes != -1 || om.TopLevel != nil || om.Driver != nil {
				t.Errorf("objects only: root %d, top level %v, driver %v; want -1, nil, nil", om.RootDirBytes, om.TopLevel, om.Driver)
			}
			if !reflect.DeepEqual(om.Containers, m.Containers) || !reflect.DeepEqual(om.Volumes, m.Volumes) {
				t.Errorf("objects only: containers %+v volumes %+v, want %+v %+v", om.Containers, om.Volumes, m.Containers, m.Volumes)
			}
		})
	}
}

// TestMeasureRefusesAnotherEnginesDir: with no engine-id to compare (20.10),
// a dir holding none of the engine's containers is not the engine's.
func TestMeasureRefusesAnotherEnginesDir(t *testing.T) {
	root := engineRoot(t)
	p, err := Open(system.Info{DockerRootDir: root, Driver: "overlay2"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		ids  []string
		want Reason
	}{
		{"none of them", []string{"x1", "x2"}, ReasonOtherEngine},
		{"one of them", []string{"x1", "c1"}, ""},
		{"no containers", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var tg Targets
			for _, id := range tc.ids {
				tg.Containers = append(tg.Containers, Container{ID: id})
			}
			_, err := p.Measure(context.Background(), tg)
			var u *Unavailable
			if got := errors.As(err, &u); got != (tc.want != "") || (got && u.Reason != tc.want) {
				t.Errorf("Measure error = %v, want reason %q", err, tc.want)
			}
		})
	}
}

func TestRootUpperDir(t *testing.T) {
	tests := []struct {
		name, mountinfo, want string
		ok                    bool
	}{
		{"overlay at /", "1 0 0:1 / / rw - overlay overlay rw,lowerdir=/a/1/fs:/a/2/fs,upperdir=/a/3/fs,workdir=/a/3/work\n2 1 0:2 / /proc rw - proc proc rw", "/a/3/fs", true},
		{"optional fields and an escaped space", "1 0 0:1 / / rw shared:1 master:2 - overlay overlay rw,upperdir=/var/lib/my\\040docker/3/fs,workdir=/w", "/var/lib/my docker/3/fs", true},
		{"overlay elsewhere only", "1 0 0:1 / / rw - ext4 /dev/vda rw\n2 1 0:2 / /merged rw - overlay overlay rw,upperdir=/u", "", false},
		{"no upperdir", "1 0 0:1 / / rw - overlay overlay ro,lowerdir=/a", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := rootUpperDir(bufio.NewScanner(strings.NewReader(tc.mountinfo)))
			if got != tc.want || ok != tc.ok {
				t.Errorf("rootUpperDir = %q, %v; want %q, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// TestMeasureSnapshot: on the containerd image store a running container's
// writable layer is found through its mounts and counted in blocks, as
// containerd counts it; a stopped one is -1 with the reason.
func TestMeasureSnapshot(t *testing.T) {
	root := engineRoot(t)
	proc := t.TempDir()
	upper := filepath.Join(root, "containerd/daemon/io.containerd.snapshotter.v1.overlayfs/snapshots/7/fs")
	tree{files: map[string]int{"data/a": 10000}, sparse: map[string]int64{"s": 1 << 20}}.build(t, upper)
	tree{files: map[string]int{"42/mountinfo": 0}}.build(t, proc)
	mi := "1 0 0:1 / / rw - overlay overlay rw,lowerdir=/x,upperdir=/var/lib/docker/containerd/daemon/io.containerd.snapshotter.v1.overlayfs/snapshots/7/fs,workdir=/w\n"
	if err := os.WriteFile(filepath.Join(proc, "42", "mountinfo"), []byte(mi), 0o644); err != nil {
		t.Fatal(err)
	}
	info := system.Info{DockerRootDir: "/var/lib/docker", Driver: "overlayfs", DriverStatus: [][2]string{{"driver-type", "io.containerd.snapshotter.v1"}}}
	p, err := Open(info, Options{RootDir: root})
	if err != nil {
		t.Fatal(err)
	}
	p.proc = proc
	tests := []struct {
		name    string
		pid     int
		want    int64
		unknown string
	}{
		{"running", 42, duB1(t, upper), ""},
		{"stopped", 0, -1, "not running"},
		{"process not visible here", 43, -1, "PID namespace"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := p.Measure(context.Background(), Targets{Containers: []Container{{ID: "c1", Pid: tc.pid}}})
			if err != nil {
				t.Fatal(err)
			}
			got := m.Containers[0]
			if got.WritableBytes != tc.want || !strings.Contains(got.WritableUnknown, tc.unknown) || (tc.unknown == "") != (got.WritableUnknown == "") {
				t.Errorf("writable = %d (%q), want %d (%q)", got.WritableBytes, got.WritableUnknown, tc.want, tc.unknown)
			}
		})
	}
}

// TestMeasureDriverDir: the driver dir and volumes are walked one entry at
// a time and the driver dir split by what the layer store says keeps each
// layer dir; every split figure is `du -sbx` of its dirs, and the whole
// root is still du's.
func TestMeasureDriverDir(t *testing.T) {
	root := t.TempDir()
	tree{files: map[string]int{
		"image/fuse-overlayfs/layerdb/sha256/chain1/cache-id": 0,
		"image/fuse-overlayfs/layerdb/mounts/c1/mount-id":     0,
		"image/fuse-overlayfs/layerdb/mounts/c1/init-id":      0,
		"containers/c1/c1-json.log":                           100,
		"fuse-overlayfs/L1/diff/bin/sh":                       3000,
		"fuse-overlayfs/L1/link":                              26,
		"fuse-overlayfs/M1/diff/data":                         700,
		"fuse-overlayfs/M1-init/diff/etc/hosts":               10,
		"fuse-overlayfs/orphan/diff/big":                      5000,
		"volumes/v1/_data/f":                                  2000,
		"volumes/metadata.db":                                 128,
	},
		symlinks: map[string]string{"fuse-overlayfs/l/ABC": "../L1/diff"}}.build(t, root)
	for path, id := range map[string]string{
		"image/fuse-overlayfs/layerdb/sha256/chain1/cache-id": "L1",
		"image/fuse-overlayfs/layerdb/mounts/c1/mount-id":     "M1",
		"image/fuse-overlayfs/layerdb/mounts/c1/init-id":      "M1-init\n",
	} {
		if err := os.WriteFile(filepath.Join(root, path), []byte(id), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name, driver string
		split        bool
	}{
		{"fuse-overlayfs", "fuse-overlayfs", true},
		{"unknown driver", "btrfs", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Open(system.Info{DockerRootDir: root, Driver: tc.driver}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			m, err := p.Measure(context.Background(), Targets{Containers: []Container{{ID: "c1"}}})
			if err != nil {
				t.Fatal(err)
			}
			if want := duSbx(t, root); m.RootDirBytes != want {
				t.Errorf("root = %d, du -sbx says %d", m.RootDirBytes, want)
			}
			for _, d := range m.TopLevel {
				if want := duSbx(t, filepath.Join(root, d.Name)); d.Name != "fuse-overlayfs" && d.Bytes != want {
					t.Errorf("%s = %d, du -sbx says %d", d.Name, d.Bytes, want)
				}
				if d.Name == "volumes" && len(d.Entries) != 2 {
					t.Errorf("volumes entries = %v, want metadata.db and v1", d.Entries)
				}
			}
			if !tc.split {
				if m.Driver != nil {
					t.Errorf("driver dir split for an unknown driver: %+v", m.Driver)
				}
				return
			}
			d := m.Driver
			if d == nil {
				t.Fatal("driver dir not split")
			}
			drv := filepath.Join(root, "fuse-overlayfs")
			if want := duSbx(t, filepath.Join(drv, "L1")); d.ImageBytes != want {
				t.Errorf("image bytes = %d, du -sbx L1 = %d", d.ImageBytes, want)
			}
			if want := duSbx(t, filepath.Join(drv, "M1")) + duSbx(t, filepath.Join(drv, "M1-init")); d.ContainerBytes != want {
				t.Errorf("container bytes = %d, du of M1 and M1-init = %d", d.ContainerBytes, want)
			}
			if got, want := d.ImageBytes+d.ContainerBytes+d.OtherBytes, duSbx(t, drv); got != want {
				t.Errorf("split adds to %d, du -sbx of the driver dir = %d", got, want)
			}
			if len(d.Other) != 2 || d.Other[0].Name != "orphan" || d.Other[1].Name != "l" {
				t.Errorf("other = %v, want orphan then l", d.Other)
			}
		})
	}
}

// Issue 11 weakness: per-object metadata is attributed by its path (a
// 20.10 root dir): a container's dir and its layer records to the
// container, layer and image records to images; a removed container's
// records left behind stay no object's. The top-level figures stay du's.
func TestMeasureObjectPaths(t *testing.T) {
	root := t.TempDir()
	ldb := "image/fuse-overlayfs/layerdb/"
	idb := "image/fuse-overlayfs/imagedb/"
	tree{files: map[string]int{
		ldb + "sha256/chain1/cache-id":           0,
		ldb + "sha256/chain1/size":               4,
		ldb + "sha256/chain1/diff":               71,
		ldb + "mounts/c1/mount-id":               0,
		ldb + "mounts/gone/mount-id":             64,
		idb + "content/sha256/img1":              1500,
		idb + "metadata/sha256/img1/parent":      71,
		"image/fuse-overlayfs/repositories.json": 90,
		"containers/c1/c1-json.log":              100,
		"containers/c1/config.v2.json":           2500,
		"containers/c1/hostname":                 13,
		"containers/gone/config.v2.json":         2000,
		"fuse-overlayfs/L1/diff/f":               3000,
		"volumes/v1/_data/f":                     2000,
	}}.build(t, root)
	if err := os.WriteFile(filepath.Join(root, ldb, "sha256/chain1/cache-id"), []byte("L1"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := Open(system.Info{DockerRootDir: root, Driver: "fuse-overlayfs"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := p.Measure(context.Background(), Targets{Containers: []Container{{ID: "c1"}}})
	if err != nil {
		t.Fatal(err)
	}
	du := func(rel ...string) int64 {
		var n int64
		for _, r := range rel {
			n += duSbx(t, filepath.Join(root, r))
		}
		return n
	}
	if want := du("."); m.RootDirBytes != want {
		t.Errorf("root = %d, du -sbx says %d", m.RootDirBytes, want)
	}
	got := map[string]DirBytes{}
	for _, d := range m.TopLevel {
		got[d.Name] = d
		if want := du(d.Name); d.Bytes != want {
			t.Errorf("%s = %d, du -sbx says %d", d.Name, d.Bytes, want)
		}
	}
	tests := []struct {
		name      string
		got, want int64
	}{
		{"containers/: c1's dir is the container's", got["containers"].ContainerBytes, du("containers/c1")},
		{"containers/: nothing of images", got["containers"].ImageBytes, 0},
		{"image/: c1's layer records", got["image"].ContainerBytes, du(ldb + "mounts/c1")},
		{"image/: layer and image records", got["image"].ImageBytes, du(ldb+"sha256/chain1", idb+"content/sha256/img1", idb+"metadata/sha256/img1")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %d, want %d", tt.got, tt.want)
			}
		})
	}
}
