package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"strings"

	contentapi "github.com/containerd/containerd/api/services/content/v1"
	imagesapi "github.com/containerd/containerd/api/services/images/v1"
	leasesapi "github.com/containerd/containerd/api/services/leases/v1"
	namespacesapi "github.com/containerd/containerd/api/services/namespaces/v1"
	snapshotsapi "github.com/containerd/containerd/api/services/snapshots/v1"
	"github.com/containerd/errdefs/pkg/errgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/dockctl/dockctl/internal/inspect"
)

// Reasons Store gives besides ReasonNotFound and ReasonPermission.
const (
	// ReasonNoSocket: the engine did not say where containerd's socket
	// is.
	ReasonNoSocket Reason = "no_socket"
	// ReasonFailed: containerd answered, but a call failed.
	ReasonFailed Reason = "failed"
)

// StoreUnavailable is the error Store returns when the engine keeps its
// images in containerd but containerd's socket cannot be read from here.
// Callers leave the inventory's Store nil and print Error() as the
// one-line notice.
type StoreUnavailable struct {
	// Reason is ReasonNoSocket, ReasonNotFound, ReasonPermission or
	// ReasonFailed.
	Reason Reason
	// Socket is containerd's socket as the engine names it (/info
	// Containerd.Address); Local is where the probe looked for it.
	Socket, Local string
	Err           error
}

func (u *StoreUnavailable) Error() string {
	const what = "cannot read the containerd image store's objects (image, container and build-cache figures come from the engine's sizes)"
	give := fmt.Sprintf("run dockctl on the engine's host as root or as a user who can connect to %s, or mount it into dockctl's container (-v %s:%s)", u.Socket, u.Socket, u.Socket)
	switch u.Reason {
	case ReasonNoSocket:
		return what + ": the engine did not report its containerd socket (engines before API 1.46 do not)"
	case ReasonNotFound:
		return fmt.Sprintf("%s: containerd's socket %s is not visible here; %s", what, u.Local, give)
	case ReasonPermission:
		return fmt.Sprintf("%s: containerd's socket %s cannot be opened here (%v); %s", what, u.Local, u.Err, give)
	default:
		return fmt.Sprintf("%s: %v", what, u.Err)
	}
}

func (u *StoreUnavailable) Unwrap() error { return u.Err }

// Store reads the containerd image store's object graph (see
// inspect.StoreGraph) from the engine's containerd: every namespace's
// images, leases, blobs and snapshots. It only reads. It returns nil, nil
// when the engine keeps its images in a graph driver, and a
// *StoreUnavailable when containerd's socket cannot be reached from here.
//
// The socket is where /info's Containerd.Address says; like any path the
// engine names, it is mapped into a relocated root dir (Options.RootDir)
// when it lies inside the engine's, and otherwise is visible only where
// the root dir is not relocated.
func (p *Probe) Store(ctx context.Context) (*inspect.StoreGraph, error) {
	if !p.containerd {
		return nil, nil
	}
	unavailable := func(r Reason, local string, err error) error {
		return &StoreUnavailable{Reason: r, Socket: p.socket, Local: local, Err: err}
	}
	if p.socket == "" {
		return nil, unavailable(ReasonNoSocket, "", nil)
	}
	local, ok := p.localPath(socketPath(p.socket))
	if !ok {
		return nil, unavailable(ReasonNotFound, local, fmt.Errorf("%s is outside the root dir mounted here", p.socket))
	}
	api, err := dialContainerd(ctx, local)
	if err != nil {
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, unavailable(ReasonNotFound, local, err)
		case errors.Is(err, fs.ErrPermission):
			return nil, unavailable(ReasonPermission, local, err)
		}
		return nil, unavailable(ReasonFailed, local, err)
	}
	defer api.Close()
	g, err := readStore(ctx, api, p.driver, p.now())
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, unavailable(ReasonFailed, local, err)
	}
	return g, nil
}

// maxRecvMsgSize is containerd's own client's limit: a list of every
// lease or image of a big engine is one message.
const maxRecvMsgSize = 16 << 20

// grpcStore is storeAPI over containerd's gRPC services.
type grpcStore struct {
	conn       *grpc.ClientConn
	namespaces namespacesapi.NamespacesClient
	images     imagesapi.ImagesClient
	leases     leasesapi.LeasesClient
	content    contentapi.ContentClient
	snapshots  snapshotsapi.SnapshotsClient
}

var _ storeAPI = (*grpcStore)(nil)

// dialContainerd connects to containerd's socket at path. It first opens
// the socket itself, so that a missing socket or one this user may not
// open is an error here (wrapping fs.ErrNotExist or fs.ErrPermission)
// rather than a failed call later: gRPC connects lazily and retries.
func dialContainerd(ctx context.Context, path string) (*grpcStore, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return nil, unwrapDial(err)
	}
	c.Close()
	conn, err := grpc.NewClient("unix://"+path,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxRecvMsgSize)))
	if err != nil {
		return nil, err
	}
	return &grpcStore{
		conn:       conn,
		namespaces: namespacesapi.NewNamespacesClient(conn),
		images:     imagesapi.NewImagesClient(conn),
		leases:     leasesapi.NewLeasesClient(conn),
		content:    contentapi.NewContentClient(conn),
		snapshots:  snapshotsapi.NewSnapshotsClient(conn),
	}, nil
}

// unwrapDial is a dial error's syscall error (ENOENT, EACCES,
// ECONNREFUSED) alone: the notice names the path already.
func unwrapDial(err error) error {
	var se *os.SyscallError
	if errors.As(err, &se) {
		return se.Err
	}
	return err
}

func (s *grpcStore) Close() error { return s.conn.Close() }

// in is ctx for calls in namespace ns: containerd reads it from the
// containerd-namespace gRPC header.
func in(ctx context.Context, ns string) context.Context {
	return metadata.AppendToOutgoingContext(ctx, "containerd-namespace", ns)
}

func (s *grpcStore) Namespaces(ctx context.Context) ([]string, error) {
	r, err := s.namespaces.List(ctx, &namespacesapi.ListNamespacesRequest{})
	if err != nil {
		return nil, errgrpc.ToNative(err)
	}
	out := make([]string, 0, len(r.GetNamespaces()))
	for _, n := range r.GetNamespaces() {
		out = append(out, n.GetName())
	}
	return out, nil
}

func (s *grpcStore) Images(ctx context.Context, ns string) ([]storeImage, error) {
	r, err := s.images.List(in(ctx, ns), &imagesapi.ListImagesRequest{})
	if err != nil {
		return nil, errgrpc.ToNative(err)
	}
	out := make([]storeImage, 0, len(r.GetImages()))
	for _, im := range r.GetImages() {
		out = append(out, storeImage{Name: im.GetName(), Target: im.GetTarget().GetDigest(), Labels: im.GetLabels()})
	}
	return out, nil
}

func (s *grpcStore) Leases(ctx context.Context, ns string) ([]storeLease, error) {
	r, err := s.leases.List(in(ctx, ns), &leasesapi.ListRequest{})
	if err != nil {
		return nil, errgrpc.ToNative(err)
	}
	out := make([]storeLease, 0, len(r.GetLeases()))
	for _, l := range r.GetLeases() {
		out = append(out, storeLease{ID: l.GetID(), Labels: l.GetLabels()})
	}
	return out, nil
}

func (s *grpcStore) LeaseResources(ctx context.Context, ns, lease string) ([]storeResource, error) {
	r, err := s.leases.ListResources(in(ctx, ns), &leasesapi.ListResourcesRequest{ID: lease})
	if err != nil {
		return nil, errgrpc.ToNative(err)
	}
	out := make([]storeResource, 0, len(r.GetResources()))
	for _, res := range r.GetResources() {
		out = append(out, storeResource{Type: res.GetType(), ID: res.GetID()})
	}
	return out, nil
}

func (s *grpcStore) Content(ctx context.Context, ns string) ([]storeBlob, error) {
	st, err := s.content.List(in(ctx, ns), &contentapi.ListContentRequest{})
	if err != nil {
		return nil, errgrpc.ToNative(err)
	}
	var out []storeBlob
	for {
		m, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, errgrpc.ToNative(err)
		}
		for _, i := range m.GetInfo() {
			out = append(out, storeBlob{Digest: i.GetDigest(), Size: i.GetSize(), Labels: i.GetLabels()})
		}
	}
}

func (s *grpcStore) Snapshots(ctx context.Context, ns, snapshotter string) ([]storeSnapshot, error) {
	st, err := s.snapshots.List(in(ctx, ns), &snapshotsapi.ListSnapshotsRequest{Snapshotter: snapshotter})
	if err != nil {
		return nil, errgrpc.ToNative(err)
	}
	var out []storeSnapshot
	for {
		m, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, errgrpc.ToNative(err)
		}
		for _, i := range m.GetInfo() {
			out = append(out, storeSnapshot{Key: i.GetName(), Parent: i.GetParent(), Labels: i.GetLabels()})
		}
	}
}

func (s *grpcStore) Usage(ctx context.Context, ns, snapshotter, key string) (int64, error) {
	r, err := s.snapshots.Usage(in(ctx, ns), &snapshotsapi.UsageRequest{Snapshotter: snapshotter, Key: key})
	if err != nil {
		return 0, errgrpc.ToNative(err)
	}
	return r.GetSize(), nil
}

// socketPath is a containerd address as a path: /info gives a path, and
// "unix://" before it names the same socket.
func socketPath(address string) string { return strings.TrimPrefix(address, "unix://") }
