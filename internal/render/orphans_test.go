package render

import (
	"bytes"
	"testing"

	"gotest.tools/v3/golden"

	"github.com/dockctl/dockctl/internal/probe"
)

// inspect orphans on each store: a graph driver's layer dirs; the
// containerd image store's blob files, with the line saying its
// snapshot dirs were not checked.
func TestRenderOrphansGolden(t *testing.T) {
	t.Parallel()
	blobs := "/var/lib/docker/containerd/daemon/io.containerd.content.v1.content/blobs"
	snaps := "/var/lib/docker/containerd/daemon/io.containerd.snapshotter.v1.overlayfs/snapshots"
	for _, tc := range []struct {
		name string
		res  OrphansResult
	}{
		{"graph-driver", OrphansResult{DriverDir: "/var/lib/docker/overlay2", Orphans: []probe.Orphan{
			{Name: "0298f826eb31159b8011e96e799c35f48d6bf5f8b038ad1bdb0410a92ebe8524", Path: "/var/lib/docker/overlay2/0298f826eb31159b8011e96e799c35f48d6bf5f8b038ad1bdb0410a92ebe8524", Bytes: 5_000_000},
		}}},
		{"graph-driver-none", OrphansResult{DriverDir: "/var/lib/docker/overlay2"}},
		{"containerd", OrphansResult{DriverDir: blobs, SnapshotsDir: snaps, Orphans: []probe.Orphan{
			{Name: "sha256:" + "bb" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd", Path: blobs + "/sha256/bb0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd", Bytes: 3_005_427},
			{Name: "sha256:" + "aa" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd", Path: blobs + "/sha256/aa0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd", Bytes: 671},
		}}},
		{"containerd-none", OrphansResult{DriverDir: blobs, SnapshotsDir: snaps}},
	} {
		for _, format := range []string{"table", "json"} {
			t.Run(tc.name+"-"+format, func(t *testing.T) {
				t.Parallel()
				res := tc.res
				res.Format = format
				var buf bytes.Buffer
				if err := res.Render(&buf); err != nil {
					t.Fatal(err)
				}
				golden.Assert(t, buf.String(), "orphans-"+tc.name+"."+format)
			})
		}
	}
}
