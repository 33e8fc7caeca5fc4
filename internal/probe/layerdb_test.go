package probe

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/docker/docker/api/types/system"
)

// rootDir20 lays out a root dir as 20.10 with fuse-overlayfs keeps it:
// layerdb with two layers (one the layer store's, one a BuildKit
// snapshot's), one container's mount and init layers, a local source's
// snapshot named by its record id, and the dirs given in extra.
func rootDir20(t *testing.T, extra map[string]int) string {
	t.Helper()
	root := t.TempDir()
	const driver = "fuse-overlayfs"
	write := func(rel, content string) {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ldb := "image/" + driver + "/layerdb/"
	legacy := "a3dc8cb4d9aa964af3f658d4df337082d1c4ea0db1d5132fb410b28670596c9c"
	write(ldb+"sha256/8c2a/cache-id", legacy)
	write(ldb+"sha256/8c2a/size", "65539")
	write(ldb+"sha256/bc37/cache-id", "odb912sft38ies8c2t06qinqp")
	write(ldb+"sha256/bc37/size", "11534336\n")
	write(ldb+"sha256/bc37/parent", "sha256:8c2a")
	ctr := "e1814bc6d8c4a3775db7342bec4b33b1e3750564c416a6de7cc68fb824212f91"
	write(ldb+"mounts/c1/mount-id", ctr)
	write(ldb+"mounts/c1/init-id", ctr+"-init")
	write(ldb+"mounts/c1/parent", "sha256:bc37")
	for _, d := range []string{legacy, "odb912sft38ies8c2t06qinqp", ctr, ctr + "-init", "nz92x8dxb82611s94z90l8ub0", "l"} {
		write(driver+"/"+d+"/link", "ABC")
	}
	for d, n := range extra {
		write(driver+"/"+d+"/diff/f", string(make([]byte, n)))
	}
	return root
}

func TestReadLayerDB(t *testing.T) {
	t.Parallel()
	root := rootDir20(t, nil)
	p, err := Open(system.Info{DockerRootDir: root, Driver: "fuse-overlayfs"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := p.ReadLayerDB()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]LayerFiles{
		"sha256:8c2a": {CacheID: "a3dc8cb4d9aa964af3f658d4df337082d1c4ea0db1d5132fb410b28670596c9c", Size: 65539},
		"sha256:bc37": {CacheID: "odb912sft38ies8c2t06qinqp", Size: 11534336, Parent: "sha256:8c2a"},
	}
	if !reflect.DeepEqual(db.Layers, want) {
		t.Errorf("layers = %+v, want %+v", db.Layers, want)
	}
	if len(db.Mounts) != 1 || db.Mounts[0].InitID == "" || db.Mounts[0].Parent != "sha256:bc37" {
		t.Errorf("mounts = %+v", db.Mounts)
	}
}

func TestOrphans(t *testing.T) {
	t.Parallel()
	leftHex := "0298f826eb31159b8011e96e799c35f48d6bf5f8b038ad1bdb0410a92ebe8524"
	leftKit := "yufdi2sygyhilyai4f3v7j9uh"
	for _, tc := range []struct {
		name    string
		extra   map[string]int
		records []string
		want    []string // names, largest first
	}{
		{"everything referenced", nil, []string{"nz92x8dxb82611s94z90l8ub0"}, nil},
		{"a layer store dir nothing names", map[string]int{leftHex: 5000}, []string{"nz92x8dxb82611s94z90l8ub0"}, []string{leftHex}},
		{"a container's init dir left behind", map[string]int{leftHex + "-init": 10}, []string{"nz92x8dxb82611s94z90l8ub0"}, []string{leftHex + "-init"}},
		// A committed record's snapshot is listed under another id: while
		// the engine lists records, a BuildKit dir is the cache's.
		{"a BuildKit dir while records exist", map[string]int{leftKit: 100}, []string{"nz92x8dxb82611s94z90l8ub0"}, nil},
		// With no records at all, BuildKit dirs no layer names are orphans
		// (the local source's dir too), largest first.
		{"BuildKit dirs without records", map[string]int{leftKit: 100, leftHex: 5000}, nil, []string{leftHex, leftKit, "nz92x8dxb82611s94z90l8ub0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := rootDir20(t, tc.extra)
			p, err := Open(system.Info{DockerRootDir: root, Driver: "fuse-overlayfs"}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Orphans(context.Background(), tc.records)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, o := range got {
				names = append(names, o.Name)
				if o.Bytes <= 0 || o.Path != filepath.Join(root, "fuse-overlayfs", o.Name) {
					t.Errorf("orphan %+v: want a positive size and its path under %s", o, root)
				}
				if n, ok := tc.extra[o.Name]; ok && o.Bytes < int64(n) {
					t.Errorf("orphan %s: %d bytes, want at least its file's %d", o.Name, o.Bytes, n)
				}
			}
			if !reflect.DeepEqual(names, tc.want) {
				t.Errorf("orphans = %v, want %v", names, tc.want)
			}
		})
	}
}
