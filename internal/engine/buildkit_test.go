package engine

import (
	"context"
	"net"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/docker/docker/api/types/build"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protowire"
)

// usageRecord encodes one BuildKit UsageRecord as the engine sends it.
func usageRecord(id string, inUse, shared bool, size int64, parents []string, created, used time.Time, count int64, desc, typ string) []byte {
	var b []byte
	str := func(n protowire.Number, s string) {
		b = protowire.AppendTag(b, n, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	num := func(n protowire.Number, v uint64) {
		b = protowire.AppendTag(b, n, protowire.VarintType)
		b = protowire.AppendVarint(b, v)
	}
	ts := func(n protowire.Number, t time.Time) {
		var m []byte
		m = protowire.AppendTag(m, fieldSeconds, protowire.VarintType)
		m = protowire.AppendVarint(m, uint64(t.Unix()))
		m = protowire.AppendTag(m, fieldNanos, protowire.VarintType)
		m = protowire.AppendVarint(m, uint64(t.Nanosecond()))
		b = protowire.AppendTag(b, n, protowire.BytesType)
		b = protowire.AppendBytes(b, m)
	}
	str(fieldID, id)
	num(2, 1) // Mutable: not kept
	if inUse {
		num(fieldInUse, 1)
	}
	num(fieldSize, uint64(size))
	ts(fieldCreatedAt, created)
	ts(fieldLastUsedAt, used)
	num(fieldUsageCount, uint64(count))
	str(fieldDescription, desc)
	str(fieldRecordType, typ)
	if shared {
		num(fieldShared, 1)
	}
	for _, p := range parents {
		str(fieldParents, p)
	}
	// A field a later BuildKit may add: skipped.
	b = protowire.AppendTag(b, 99, protowire.Fixed64Type)
	b = protowire.AppendFixed64(b, 7)
	return b
}

// TestBuildCacheUsage serves BuildKit's Control.DiskUsage over a unix
// socket the fake engine's upgrade dials, as the engine's /grpc does, and
// checks that every field /system/df lists comes back.
func TestBuildCacheUsage(t *testing.T) {
	created := time.Date(2026, 12, 1, 18, 31, 4, 40475746, time.UTC)
	used := created.Add(time.Second)
	var resp []byte
	for _, r := range [][]byte{
		usageRecord("r1", false, true, 3, []string{"p1", "p2"}, created, used, 2, "fileop target", "regular"),
		usageRecord("r2", true, false, 1<<40, nil, created, used, 1, "local source for context", "source.local"),
	} {
		resp = protowire.AppendTag(resp, fieldRecords, protowire.BytesType)
		resp = protowire.AppendBytes(resp, r)
	}
	sock := filepath.Join(t.TempDir(), "grpc.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	var method string
	srv := grpc.NewServer(grpc.ForceServerCodec(rawCodec{}), grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
		method, _ = grpc.MethodFromServerStream(stream)
		var req rawMessage
		if err := stream.RecvMsg(&req); err != nil {
			return err
		}
		out := rawMessage(resp)
		return stream.SendMsg(&out)
	}))
	go srv.Serve(l)
	defer srv.Stop()

	var dialed string
	h := hijacker(func(ctx context.Context, url string) (net.Conn, error) {
		dialed = url
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	})
	got, err := BuildCacheUsage(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	if method != diskUsageMethod || dialed != "/grpc" {
		t.Errorf("called %q through %q, want %q through /grpc", method, dialed, diskUsageMethod)
	}
	want := []build.CacheRecord{
		{ID: "r1", Parent: "p1", Parents: []string{"p1", "p2"}, Type: "regular", Description: "fileop target", Shared: true, Size: 3, CreatedAt: created, LastUsedAt: &used, UsageCount: 2},
		{ID: "r2", Type: "source.local", Description: "local source for context", InUse: true, Size: 1 << 40, CreatedAt: created, LastUsedAt: &used, UsageCount: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("records\n%+v\nwant\n%+v", got, want)
	}

	// An answer cut short is an error, not a record with half its fields.
	if _, err := decodeDiskUsage(resp[:len(resp)-3]); err == nil {
		t.Error("a truncated answer decoded without error")
	}
}

type hijacker func(ctx context.Context, url string) (net.Conn, error)

func (h hijacker) DialHijack(ctx context.Context, url, _ string, _ map[string][]string) (net.Conn, error) {
	return h(ctx, url)
}
