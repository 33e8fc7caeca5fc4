package probe

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/system"

	"github.com/dockctl/dockctl/internal/inspect"
)

// On the containerd image store a blob file is an orphan when no
// namespace knows its digest, at both readings of the graph, and it is
// still there.
func TestBlobOrphans(t *testing.T) {
	t.Parallel()
	hex := func(c byte) string { return strings.Repeat(string(c), 64) }
	dg := func(c byte) string { return "sha256:" + hex(c) }
	graph := func(digests ...string) *inspect.StoreGraph {
		g := &inspect.StoreGraph{Snapshotter: "overlayfs", Objects: map[string]inspect.StoreObject{}}
		for _, d := range digests {
			g.Objects[inspect.ContentKey(d)] = inspect.StoreObject{Bytes: 1}
		}
		// A snapshot named like a blob's hex is no blob.
		g.Objects[inspect.SnapshotKey("moby", "overlayfs", hex('f'))] = inspect.StoreObject{Bytes: 1}
		return g
	}
	files := map[string]int{hex('a'): 300, hex('b'): 5000, hex('c'): 10, hex('f'): 7}
	tests := []struct {
		name string
		// before and after are the digests the two readings know;
		// removed is the file containerd removes between them.
		before, after []string
		removed       string
		want          []string // digests, largest first
	}{
		{name: "every file known", before: []string{dg('a'), dg('b'), dg('c'), dg('f')}, after: []string{dg('a'), dg('b'), dg('c'), dg('f')}},
		{name: "files no namespace knows", before: []string{dg('a')}, after: []string{dg('a')}, want: []string{dg('b'), dg('c'), dg('f')}},
		// A blob being committed: its file is renamed in before its
		// record is written.
		{name: "a file known by the second reading", before: []string{dg('a'), dg('c'), dg('f')}, after: []string{dg('a'), dg('b'), dg('c'), dg('f')}},
		// A blob being removed: its record goes first, then its file.
		{name: "a file removed meanwhile", before: []string{dg('a'), dg('c'), dg('f')}, after: []string{dg('a'), dg('c'), dg('f')}, removed: hex('b')},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			sha := filepath.Join(dir, "sha256")
			if err := os.MkdirAll(sha, 0o755); err != nil {
				t.Fatal(err)
			}
			for n, size := range files {
				if err := os.WriteFile(filepath.Join(sha, n), make([]byte, size), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			// Neither a bad name nor a dir is a blob.
			if err := os.WriteFile(filepath.Join(sha, "not-a-digest"), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(filepath.Join(sha, hex('d')), 0o755); err != nil {
				t.Fatal(err)
			}
			reads := 0
			read := func(context.Context) (*inspect.StoreGraph, error) {
				reads++
				if reads == 1 {
					return graph(tc.before...), nil
				}
				if tc.removed != "" {
					if err := os.Remove(filepath.Join(sha, tc.removed)); err != nil {
						t.Fatal(err)
					}
				}
				return graph(tc.after...), nil
			}
			got, err := blobOrphans(context.Background(), dir, read)
			if err != nil {
				t.Fatal(err)
			}
			names := []string{}
			for _, o := range got {
				names = append(names, o.Name)
				h := strings.TrimPrefix(o.Name, "sha256:")
				if o.Path != filepath.Join(sha, h) || o.Bytes != int64(files[h]) {
					t.Errorf("orphan %+v: want path %s and its file's %d bytes", o, filepath.Join(sha, h), files[h])
				}
			}
			if tc.want == nil {
				tc.want = []string{}
			}
			if !reflect.DeepEqual(names, tc.want) {
				t.Errorf("orphans = %v, want %v", names, tc.want)
			}
			if wantReads := map[bool]int{true: 1, false: 2}[len(tc.before) == 4]; reads != wantReads {
				t.Errorf("graph read %d times, want %d (again only when a file looked unknown)", reads, wantReads)
			}
		})
	}
}

func TestBlobOrphansErrors(t *testing.T) {
	t.Parallel()
	ok := func(context.Context) (*inspect.StoreGraph, error) {
		return &inspect.StoreGraph{Objects: map[string]inspect.StoreObject{}}, nil
	}
	unavailable := &StoreUnavailable{Reason: ReasonPermission, Socket: "/run/containerd.sock", Err: os.ErrPermission}
	for _, tc := range []struct {
		name string
		dir  string
		read func(context.Context) (*inspect.StoreGraph, error)
		want string
	}{
		{"no blobs dir", filepath.Join(t.TempDir(), "absent"), ok, "is not here"},
		{"graph unreadable", t.TempDir(), func(context.Context) (*inspect.StoreGraph, error) { return nil, unavailable }, "cannot be opened here"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := blobOrphans(context.Background(), tc.dir, tc.read)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
	// On a graph driver there is no content store to list.
	p, err := Open(system.Info{DockerRootDir: t.TempDir(), Driver: "overlay2"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var u *StoreUnavailable
	if _, err := p.BlobOrphans(context.Background()); err == nil || errors.As(err, &u) {
		t.Fatalf("graph driver: BlobOrphans err = %v, want an error saying it keeps no containerd store", err)
	}
}

// The probe finds the content store and the snapshotter's dir where the
// engine runs its own containerd.
func TestContainerdDirs(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	p, err := Open(system.Info{DockerRootDir: root, Driver: "overlayfs", DriverStatus: [][2]string{{"driver-type", "io.containerd.snapshotter.v1"}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !p.ContainerdStore() {
		t.Fatal("ContainerdStore() = false on the containerd image store")
	}
	if want := filepath.Join(root, "containerd/daemon/io.containerd.content.v1.content/blobs"); p.BlobsDir() != want {
		t.Errorf("BlobsDir() = %s, want %s", p.BlobsDir(), want)
	}
	if want := filepath.Join(root, "containerd/daemon/io.containerd.snapshotter.v1.overlayfs/snapshots"); p.SnapshotsDir() != want {
		t.Errorf("SnapshotsDir() = %s, want %s", p.SnapshotsDir(), want)
	}
}
