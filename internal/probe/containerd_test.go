package probe

import (
	"context"
	"net"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	contentapi "github.com/containerd/containerd/api/services/content/v1"
	imagesapi "github.com/containerd/containerd/api/services/images/v1"
	leasesapi "github.com/containerd/containerd/api/services/leases/v1"
	namespacesapi "github.com/containerd/containerd/api/services/namespaces/v1"
	snapshotsapi "github.com/containerd/containerd/api/services/snapshots/v1"
	"github.com/containerd/containerd/api/types"
	"github.com/docker/docker/api/types/system"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// containerdServer serves storeData over containerd's gRPC services, the
// calls Store makes, reading the namespace from the header containerd
// reads it from.
type containerdServer struct {
	data map[string]storeNS
}

func (s *containerdServer) ns(ctx context.Context) (storeNS, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	v := md.Get("containerd-namespace")
	if len(v) != 1 {
		return storeNS{}, status.Error(codes.FailedPrecondition, "namespace is required")
	}
	return s.data[v[0]], nil
}

type namespacesServer struct {
	namespacesapi.UnimplementedNamespacesServer
	*containerdServer
}

func (s namespacesServer) List(context.Context, *namespacesapi.ListNamespacesRequest) (*namespacesapi.ListNamespacesResponse, error) {
	r := &namespacesapi.ListNamespacesResponse{}
	for n := range s.data {
		r.Namespaces = append(r.Namespaces, &namespacesapi.Namespace{Name: n})
	}
	return r, nil
}

type imagesServer struct {
	imagesapi.UnimplementedImagesServer
	*containerdServer
}

func (s imagesServer) List(ctx context.Context, _ *imagesapi.ListImagesRequest) (*imagesapi.ListImagesResponse, error) {
	d, err := s.ns(ctx)
	if err != nil {
		return nil, err
	}
	r := &imagesapi.ListImagesResponse{}
	for _, im := range d.images {
		r.Images = append(r.Images, &imagesapi.Image{Name: im.Name, Labels: im.Labels, Target: &types.Descriptor{Digest: im.Target}})
	}
	return r, nil
}

type leasesServer struct {
	leasesapi.UnimplementedLeasesServer
	*containerdServer
}

func (s leasesServer) List(ctx context.Context, _ *leasesapi.ListRequest) (*leasesapi.ListResponse, error) {
	d, err := s.ns(ctx)
	if err != nil {
		return nil, err
	}
	r := &leasesapi.ListResponse{}
	for _, l := range d.leases {
		r.Leases = append(r.Leases, &leasesapi.Lease{ID: l.ID, Labels: l.Labels})
	}
	return r, nil
}

func (s leasesServer) ListResources(ctx context.Context, req *leasesapi.ListResourcesRequest) (*leasesapi.ListResourcesResponse, error) {
	d, err := s.ns(ctx)
	if err != nil {
		return nil, err
	}
	rs, ok := d.resources[req.GetID()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "lease %q: not found", req.GetID())
	}
	r := &leasesapi.ListResourcesResponse{}
	for _, res := range rs {
		r.Resources = append(r.Resources, &leasesapi.Resource{Type: res.Type, ID: res.ID})
	}
	return r, nil
}

type contentServer struct {
	contentapi.UnimplementedContentServer
	*containerdServer
}

func (s contentServer) List(_ *contentapi.ListContentRequest, st contentapi.Content_ListServer) error {
	d, err := s.ns(st.Context())
	if err != nil {
		return err
	}
	// One message per blob: the reader must gather every message.
	for _, b := range d.blobs {
		if err := st.Send(&contentapi.ListContentResponse{Info: []*contentapi.Info{{Digest: b.Digest, Size: b.Size, Labels: b.Labels}}}); err != nil {
			return err
		}
	}
	return nil
}

type snapshotsServer struct {
	snapshotsapi.UnimplementedSnapshotsServer
	*containerdServer
}

func (s snapshotsServer) List(req *snapshotsapi.ListSnapshotsRequest, st snapshotsapi.Snapshots_ListServer) error {
	d, err := s.ns(st.Context())
	if err != nil {
		return err
	}
	if req.GetSnapshotter() != "overlayfs" {
		return status.Errorf(codes.NotFound, "snapshotter %q: not found", req.GetSnapshotter())
	}
	r := &snapshotsapi.ListSnapshotsResponse{}
	for _, sn := range d.snapshots {
		r.Info = append(r.Info, &snapshotsapi.Info{Name: sn.Key, Parent: sn.Parent, Labels: sn.Labels})
	}
	return st.Send(r)
}

func (s snapshotsServer) Usage(ctx context.Context, req *snapshotsapi.UsageRequest) (*snapshotsapi.UsageResponse, error) {
	d, err := s.ns(ctx)
	if err != nil {
		return nil, err
	}
	n, ok := d.usage[req.GetKey()]
	if !ok {
		return nil, status.Errorf(codes.NotFound, "snapshot %q: not found", req.GetKey())
	}
	return &snapshotsapi.UsageResponse{Size: n, Inodes: 1}, nil
}

// serveContainerd serves data on a unix socket in a temp dir until the
// test ends and returns the socket's path.
func serveContainerd(t *testing.T, data map[string]storeNS) string {
	t.Helper()
	sock := filepath.Join(t.TempDir(), "containerd.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	cs := &containerdServer{data: data}
	namespacesapi.RegisterNamespacesServer(srv, namespacesServer{containerdServer: cs})
	imagesapi.RegisterImagesServer(srv, imagesServer{containerdServer: cs})
	leasesapi.RegisterLeasesServer(srv, leasesServer{containerdServer: cs})
	contentapi.RegisterContentServer(srv, contentServer{containerdServer: cs})
	snapshotsapi.RegisterSnapshotsServer(srv, snapshotsServer{containerdServer: cs})
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(srv.Stop)
	return sock
}

// The gRPC adapter reads what readStore reads through the fake: the
// namespace header, both streams, and NotFound for what vanished.
func TestStoreOverGRPC(t *testing.T) {
	t.Parallel()
	data := storeData()
	sock := serveContainerd(t, data)
	p, err := Open(system.Info{
		DockerRootDir: t.TempDir(), Driver: "overlayfs",
		DriverStatus: [][2]string{{"driver-type", "io.containerd.snapshotter.v1"}},
		Containerd:   &system.ContainerdInfo{Address: sock},
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p.now = func() time.Time { return storeNow }
	got, err := p.Store(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want, err := readStore(context.Background(), fakeOf(data), "overlayfs", storeNow)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("over gRPC:\n got %+v\nwant %+v", got, want)
	}
	if len(got.Holders) == 0 || len(got.Objects) == 0 {
		t.Errorf("over gRPC: an empty graph %+v", got)
	}
}
