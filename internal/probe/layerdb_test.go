package probe

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/docker/docker/api/types/system"

	"github.com/dockctl/dockctl/internal/inspect"
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

// readLayerDB20 reads the layer store of a root dir laid out as 20.10's
// with fuse-overlayfs.
func readLayerDB20(t *testing.T, root string) LayerDB {
	t.Helper()
	p, err := Open(system.Info{DockerRootDir: root, Driver: "fuse-overlayfs"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := p.ReadLayerDB()
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestReadLayerDB(t *testing.T) {
	t.Parallel()
	root := rootDir20(t, nil)
	db := readLayerDB20(t, root)
	want := map[string]LayerFiles{
		"sha256:8c2a": {CacheID: "a3dc8cb4d9aa964af3f658d4df337082d1c4ea0db1d5132fb410b28670596c9c", Size: 65539},
		"sha256:bc37": {CacheID: "odb912sft38ies8c2t06qinqp", Size: 11534336, Parent: "sha256:8c2a"},
	}
	for chain, lf := range db.Layers {
		if lf.Written.IsZero() {
			t.Errorf("layer %s: no time written", chain)
		}
		lf.Written = time.Time{}
		db.Layers[chain] = lf
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

// Issue 11 5(b): the layers BuildKit's "from local" records may hold are
// the layer store's own (64-hex cache-id) that no image and no container
// uses, directly or below a used layer, written before the images were
// listed.
func TestUnusedLayers(t *testing.T) {
	t.Parallel()
	root := rootDir20(t, nil)
	// A removed base image's layer (the layer store's dir), and a
	// BuildKit snapshot's layer no image uses (the cache sizes it).
	ldb := filepath.Join(root, "image", "fuse-overlayfs", "layerdb", "sha256")
	for chain, files := range map[string]map[string]string{
		"aaaa": {"cache-id": "0298f826eb31159b8011e96e799c35f48d6bf5f8b038ad1bdb0410a92ebe8524", "size": "1999013"},
		"bbbb": {"cache-id": "yufdi2sygyhilyai4f3v7j9uh", "size": "77", "parent": "sha256:aaaa"},
	} {
		for name, content := range files {
			if err := os.MkdirAll(filepath.Join(ldb, chain), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(ldb, chain, name), []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	db := readLayerDB20(t, root)
	later := time.Now().Add(time.Hour)
	img := func(chains ...string) inspect.Image {
		im := inspect.Image{ID: "sha256:" + chains[len(chains)-1], Layers: []inspect.Layer{}}
		for _, c := range chains {
			im.Layers = append(im.Layers, inspect.Layer{ChainID: c})
		}
		return im
	}
	tests := []struct {
		name   string
		imgs   []inspect.Image
		listed time.Time
		want   []string
		ok     bool
	}{
		// The container c1 starts from bc37, which keeps 8c2a below it.
		{"no images: the removed base's layer", nil, later, []string{"sha256:aaaa"}, true},
		{"an image uses it", []inspect.Image{img("sha256:aaaa")}, later, nil, true},
		// bbbb is BuildKit's; a used layer's parent is used.
		{"used below an image's layer", []inspect.Image{img("sha256:bbbb")}, later, nil, true},
		{"written after the images were listed", nil, time.Now().Add(-time.Hour), nil, true},
		{"an image with unknown layers", []inspect.Image{{ID: "sha256:x"}}, later, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := db.UnusedLayers(tt.imgs, tt.listed)
			var chains []string
			for _, l := range got {
				chains = append(chains, l.ChainID)
				if l.ChainID == "sha256:aaaa" && (l.SizeBytes != 1999013 || l.CacheID == "") {
					t.Errorf("layer %+v: want the size file's 1999013 and its cache id", l)
				}
			}
			if ok != tt.ok || !reflect.DeepEqual(chains, tt.want) {
				t.Errorf("UnusedLayers = %v, %v; want %v, %v", chains, ok, tt.want, tt.ok)
			}
		})
	}
}
