package engine

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protowire"
)

// Hijacker opens a raw connection to one of the engine's upgrade
// endpoints, as the docker client does for attach and for BuildKit.
type Hijacker interface {
	DialHijack(ctx context.Context, url, proto string, meta map[string][]string) (net.Conn, error)
}

var _ Hijacker = (*client.Client)(nil)

// diskUsageMethod is BuildKit's Control.DiskUsage, the call the engine
// makes itself to answer /system/df's build cache part, and the one
// `docker buildx du` makes through the same endpoint.
const diskUsageMethod = "/moby.buildkit.v1.Control/DiskUsage"

// BuildCacheUsage asks the engine's BuildKit for its cache records through
// the engine's /grpc endpoint (an HTTP upgrade to h2c, there since Docker
// 18.09 where BuildKit is built in). On engines before API 1.42 it is the
// only way to list the build cache without /system/df, which sizes every
// container and volume whatever is asked: the answer is the same records
// df converts, so the figures are the same.
//
// The messages are encoded by hand with protowire (a few fields of
// BuildKit's control.proto) rather than by adding BuildKit as a
// dependency for two message types.
func BuildCacheUsage(ctx context.Context, h Hijacker) ([]build.CacheRecord, error) {
	var dialErr error // the upgrade's own error, which gRPC words in its own terms
	conn, err := grpc.NewClient("passthrough:///buildkit",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			c, err := h.DialHijack(ctx, "/grpc", "h2c", nil)
			if err != nil {
				dialErr = err
			}
			return c, err
		}),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(rawCodec{})),
	)
	if err != nil {
		return nil, fmt.Errorf("connecting to the engine's BuildKit: %w", err)
	}
	defer conn.Close()
	req := rawMessage{} // DiskUsageRequest{}: no filters
	var resp rawMessage
	if err := conn.Invoke(ctx, diskUsageMethod, &req, &resp, grpc.WaitForReady(false)); err != nil {
		if dialErr != nil {
			return nil, fmt.Errorf("reaching the engine's BuildKit (/grpc): %w", dialErr)
		}
		return nil, fmt.Errorf("asking the engine's BuildKit for its cache: %w", err)
	}
	return decodeDiskUsage(resp)
}

// rawMessage is an encoded protobuf message.
type rawMessage []byte

// rawCodec passes rawMessages through as they are.
type rawCodec struct{}

func (rawCodec) Name() string { return "proto" }

func (rawCodec) Marshal(v any) ([]byte, error) {
	m, ok := v.(*rawMessage)
	if !ok {
		return nil, fmt.Errorf("rawCodec: cannot marshal %T", v)
	}
	return *m, nil
}

func (rawCodec) Unmarshal(data []byte, v any) error {
	m, ok := v.(*rawMessage)
	if !ok {
		return fmt.Errorf("rawCodec: cannot unmarshal into %T", v)
	}
	*m = append((*m)[:0], data...)
	return nil
}

// Field numbers of BuildKit's control.proto (moby.buildkit.v1).
const (
	fieldRecords = 1 // DiskUsageResponse.record

	fieldID          = 1
	fieldInUse       = 3
	fieldSize        = 4
	fieldParent      = 5 // deprecated in BuildKit 0.10 for Parents
	fieldCreatedAt   = 6
	fieldLastUsedAt  = 7
	fieldUsageCount  = 8
	fieldDescription = 9
	fieldRecordType  = 10
	fieldShared      = 11
	fieldParents     = 12

	fieldSeconds = 1 // google.protobuf.Timestamp
	fieldNanos   = 2
)

var errMalformed = errors.New("malformed answer from the engine's BuildKit")

// decodeDiskUsage reads a DiskUsageResponse into the records /system/df
// would list, field for field as the engine converts them.
func decodeDiskUsage(b []byte) ([]build.CacheRecord, error) {
	out := []build.CacheRecord{}
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if num != fieldRecords || typ != protowire.BytesType {
			return nil
		}
		r, err := decodeRecord(v)
		if err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

func decodeRecord(b []byte) (build.CacheRecord, error) {
	var r build.CacheRecord
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error {
		switch {
		case typ == protowire.BytesType && num == fieldID:
			r.ID = string(v)
		case typ == protowire.VarintType && num == fieldInUse:
			r.InUse = n != 0
		case typ == protowire.VarintType && num == fieldSize:
			r.Size = int64(n)
		case typ == protowire.BytesType && num == fieldParent:
			r.Parent = string(v)
		case typ == protowire.BytesType && num == fieldCreatedAt:
			t, err := decodeTime(v)
			if err != nil {
				return err
			}
			r.CreatedAt = t
		case typ == protowire.BytesType && num == fieldLastUsedAt:
			t, err := decodeTime(v)
			if err != nil {
				return err
			}
			r.LastUsedAt = &t
		case typ == protowire.VarintType && num == fieldUsageCount:
			r.UsageCount = int(int64(n))
		case typ == protowire.BytesType && num == fieldDescription:
			r.Description = string(v)
		case typ == protowire.BytesType && num == fieldRecordType:
			r.Type = string(v)
		case typ == protowire.VarintType && num == fieldShared:
			r.Shared = n != 0
		case typ == protowire.BytesType && num == fieldParents:
			r.Parents = append(r.Parents, string(v))
		}
		return nil
	})
	if r.Parent == "" && len(r.Parents) > 0 {
		// What the engine's own conversion does on API < 1.42, which
		// lists one parent only.
		r.Parent = r.Parents[0]
	}
	return r, err
}

func decodeTime(b []byte) (time.Time, error) {
	var sec, nsec int64
	err := fields(b, func(num protowire.Number, typ protowire.Type, _ []byte, n uint64) error {
		if typ != protowire.VarintType {
			return nil
		}
		switch num {
		case fieldSeconds:
			sec = int64(n)
		case fieldNanos:
			nsec = int64(int32(n))
		}
		return nil
	})
	return time.Unix(sec, nsec).UTC(), err
}

// fields calls visit for each field of message b: v holds a length-
// delimited field's bytes, n a varint's value; other wire types are
// skipped.
func fields(b []byte, visit func(num protowire.Number, typ protowire.Type, v []byte, n uint64) error) error {
	for len(b) > 0 {
		num, typ, l := protowire.ConsumeTag(b)
		if l < 0 {
			return errMalformed
		}
		b = b[l:]
		var v []byte
		var n uint64
		switch typ {
		case protowire.VarintType:
			n, l = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			v, l = protowire.ConsumeBytes(b)
		default:
			l = protowire.ConsumeFieldValue(num, typ, b)
		}
		if l < 0 {
			return errMalformed
		}
		b = b[l:]
		if err := visit(num, typ, v, n); err != nil {
			return err
		}
	}
	return nil
}
