package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/api/types/volume"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/dockctl/dockctl/internal/fake"
)

// passCodec passes encoded messages through, for a BuildKit stand-in.
type passCodec struct{}

func (passCodec) Name() string { return "proto" }
func (passCodec) Marshal(v any) ([]byte, error) {
	return *(v.(*[]byte)), nil
}
func (passCodec) Unmarshal(b []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), b...)
	return nil
}

// serveBuildKit answers every gRPC call on a unix socket with one
// DiskUsageResponse holding one record of size bytes, as the engine's
// /grpc endpoint does for Control.DiskUsage, and returns the socket.
func serveBuildKit(t *testing.T, size int64) string {
	t.Helper()
	var rec []byte
	rec = protowire.AppendTag(rec, 1, protowire.BytesType)
	rec = protowire.AppendString(rec, "bk1")
	rec = protowire.AppendTag(rec, 4, protowire.VarintType)
	rec = protowire.AppendVarint(rec, uint64(size))
	rec = protowire.AppendTag(rec, 10, protowire.BytesType)
	rec = protowire.AppendString(rec, "regular")
	var resp []byte
	resp = protowire.AppendTag(resp, 1, protowire.BytesType)
	resp = protowire.AppendBytes(resp, rec)
	sock := filepath.Join(t.TempDir(), "bk.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.ForceServerCodec(passCodec{}), grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		var req []byte
		if err := stream.RecvMsg(&req); err != nil {
			return err
		}
		return stream.SendMsg(&resp)
	}))
	go srv.Serve(l)
	t.Cleanup(srv.Stop)
	return sock
}

// diskFixture is an engine whose root dir is a temp dir laid out as an
// overlay2 engine's: a container c1 with a 1,234-byte writable layer
// (hard-linked file counted once) and a 5,000-byte log, a volume v1 of
// 77 bytes, and BuildKit answering one 4,096-byte record. engineWith
// gives the fake (its /system/df says 700 and 50 bytes) with a
// /grpc upgrade; dialBK reaches BuildKit, noBK fails.
func diskFixture(t *testing.T) (engineWith func(hijack func(context.Context, string) (net.Conn, error)) *fake.Engine, dialBK, noBK func(context.Context, string) (net.Conn, error)) {
	t.Helper()
	root := t.TempDir()
	write := func(rel string, n int) string {
		p := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("containers/c1/c1-json.log", 5000)
	if err := os.MkdirAll(filepath.Join(root, "image/overlay2/layerdb/mounts/c1"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "image/overlay2/layerdb/mounts/c1/mount-id"), []byte("m1"), 0o644); err != nil {
		t.Fatal(err)
	}
	f := write("overlay2/m1/diff/etc/app.conf", 1234)
	// A hard link counts once, as the engine counts.
	if err := os.Link(f, filepath.Join(root, "overlay2/m1/diff/etc/again.conf")); err != nil {
		t.Fatal(err)
	}
	write("volumes/v1/_data/x", 77)
	bkSock := serveBuildKit(t, 4096)

	engineWith = func(hijack func(context.Context, string) (net.Conn, error)) *fake.Engine {
		e := fakeEngine()
		e.InfoFn = func(context.Context) (system.Info, error) {
			return system.Info{ServerVersion: "20.10.24", DockerRootDir: root, Driver: "overlay2"}, nil
		}
		e.VolumeListFn = func(context.Context, volume.ListOptions) (volume.ListResponse, error) {
			return volume.ListResponse{Volumes: []*volume.Volume{{Name: "v1", Driver: "local", Mountpoint: filepath.Join(root, "volumes/v1/_data")}}}, nil
		}
		e.DialHijackFn = hijack
		return e
	}
	dialBK = func(ctx context.Context, url string) (net.Conn, error) {
		if url != "/grpc" {
			return nil, fmt.Errorf("upgrade to %s", url)
		}
		var d net.Dialer
		return d.DialContext(ctx, "unix", bkSock)
	}
	noBK = func(context.Context, string) (net.Conn, error) { return nil, errors.New("no BuildKit here") }

	return engineWith, dialBK, noBK
}

// TestReportSizesOnDisk: on a graph driver with the root dir readable
// here, report sizes the container's writable layer and the volume on
// disk (the layer store names the layer dir: no inspect) and lists the
// build cache from BuildKit: no /system/df. Where BuildKit does not
// answer, an engine before API 1.42 sizes everything in one df (its
// figures then), and -v says why; --no-disk leaves the disk alone.
func TestReportSizesOnDisk(t *testing.T) {
	engineWith, dialBK, noBK := diskFixture(t)
	tests := []struct {
		name                string
		hijack              func(context.Context, string) (net.Conn, error)
		args                []string
		df, hijacks         int
		containers, volumes int64
		buildCache          int64
		note                string
	}{
		{"sized on disk", dialBK, nil, 0, 1, 1234, 77, 4096, "sized by dockctl on disk"},
		{"BuildKit unreachable", noBK, nil, 1, 1, 700, 50, 0, "dockctl could not: reaching the engine's BuildKit (/grpc): no BuildKit here"},
		{"--no-disk", dialBK, []string{"--no-disk"}, 1, 0, 700, 50, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := engineWith(tc.hijack)
			code, out, errOut := runFake(t, e, append([]string{"report", "-v", "--no-cache", "--format", "json"}, tc.args...)...)
			if code != 0 {
				t.Fatalf("report: exit %d, %s", code, errOut)
			}
			var doc struct {
				Summary map[string]struct {
					Size int64 `json:"size_bytes"`
				} `json:"summary"`
				Notes []struct{ Row, Text string } `json:"notes"`
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatal(err)
			}
			if got := e.Calls("DiskUsage"); got != tc.df {
				t.Errorf("/system/df asked %d times, want %d", got, tc.df)
			}
			if got := e.Calls("DialHijack"); got != tc.hijacks {
				t.Errorf("BuildKit dialled %d times, want %d", got, tc.hijacks)
			}
			if c, v, b := doc.Summary["containers"].Size, doc.Summary["volumes"].Size, doc.Summary["build_cache"].Size; c != tc.containers || v != tc.volumes || b != tc.buildCache {
				t.Errorf("containers %d, volumes %d, build cache %d bytes; want %d, %d, %d", c, v, b, tc.containers, tc.volumes, tc.buildCache)
			}
			var notes []string
			for _, n := range doc.Notes {
				notes = append(notes, n.Row+": "+n.Text)
			}
			if tc.note != "" && !strings.Contains(strings.Join(notes, "\n"), tc.note) {
				t.Errorf("notes %q, want one saying %q", notes, tc.note)
			}
		})
	}
}

// TestCommandsSizeOnDisk: prune's plan and the container and volume
// listings size on disk as report does (no /system/df: the fixture's df
// figures, 700 and 50 bytes, would show), inspect buildcache lists
// BuildKit's records on an engine before API 1.42, and each falls back
// to the engine's figures where BuildKit does not answer (prune) or
// the probe cannot size.
func TestCommandsSizeOnDisk(t *testing.T) {
	engineWith, dialBK, noBK := diskFixture(t)
	tests := []struct {
		name        string
		hijack      func(context.Context, string) (net.Conn, error)
		args        []string
		df, hijacks int
		// want are bytes by "type/id" (prune) or id or name (inspect).
		want map[string]int64
	}{
		// A container's removal frees its log too (5,000 bytes).
		{"prune dry run", dialBK, []string{"prune", "--dry-run", "--all", "--all-volumes", "--no-cache"}, 0, 1,
			map[string]int64{"container/c1": 1234 + 5000, "volume/v1": 77, "build_cache/bk1": 4096}},
		{"prune dry run without BuildKit", noBK, []string{"prune", "--dry-run", "--all", "--all-volumes", "--no-cache"}, 1, 1,
			map[string]int64{"container/c1": 700 + 5000, "volume/v1": 50}},
		{"inspect containers", dialBK, []string{"inspect", "containers"}, 0, 0, map[string]int64{"c1": 1234, "c1 log": 5000}},
		{"inspect volumes", dialBK, []string{"inspect", "volumes"}, 0, 0, map[string]int64{"v1": 77}},
		{"inspect buildcache", dialBK, []string{"inspect", "buildcache"}, 0, 1, map[string]int64{"bk1": 4096}},
		{"inspect buildcache without BuildKit", noBK, []string{"inspect", "buildcache"}, 1, 1, map[string]int64{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := engineWith(tc.hijack)
			code, out, errOut := runFake(t, e, append(tc.args, "--format", "json")...)
			if code != 0 {
				t.Fatalf("%v: exit %d, %s", tc.args, code, errOut)
			}
			var doc struct {
				Plan []struct {
					Type, ID string
					Bytes    int64
				} `json:"plan"`
				Items []struct {
					ID        string `json:"id"`
					Name      string `json:"name"`
					SizeBytes int64  `json:"size_bytes"`
					LogBytes  int64  `json:"log_bytes"`
				} `json:"items"`
			}
			if err := json.Unmarshal([]byte(out), &doc); err != nil {
				t.Fatalf("%v: %v\n%s", tc.args, err, out)
			}
			got := map[string]int64{}
			for _, it := range doc.Plan {
				got[it.Type+"/"+it.ID] = it.Bytes
			}
			for _, it := range doc.Items {
				key := it.ID
				if key == "" {
					key = it.Name
				}
				got[key] = it.SizeBytes
				if it.LogBytes > 0 {
					got[key+" log"] = it.LogBytes
				}
			}
			for k, want := range tc.want {
				if got[k] != want {
					t.Errorf("%s: %d bytes, want %d (all: %v)", k, got[k], want, got)
				}
			}
			if got := e.Calls("DiskUsage"); got != tc.df {
				t.Errorf("/system/df asked %d times, want %d", got, tc.df)
			}
			if got := e.Calls("DialHijack"); got != tc.hijacks {
				t.Errorf("BuildKit dialled %d times, want %d", got, tc.hijacks)
			}
		})
	}
}
