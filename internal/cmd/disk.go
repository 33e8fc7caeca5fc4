package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/docker/docker/api/types/filters"

	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/probe"
	"github.com/dockctl/dockctl/internal/render"
)

// diskMeasure is one run of the storage probe: the measurement, or the
// one line saying why there is none.
type diskMeasure struct {
	p      *probe.Probe
	m      *probe.Measurement
	reason string
	// containers are what the probe learned of each container by
	// inspecting it (log driver and options among them); nil when it
	// did not get that far.
	containers []probe.Container
	// store is the containerd image store's object graph, read when
	// asked for, the engine keeps images that way and the disk was
	// measured; storeReason is the one line saying why it could not be
	// read ("" when it was, or was not asked for, or the engine keeps
	// images in a graph driver).
	store       *inspect.StoreGraph
	storeReason string
}

// rootAfter measures the root dir again (its du only, no objects) to see
// what a prune freed on disk: -1 when the first measurement failed or
// this one does.
func (d diskMeasure) rootAfter(ctx context.Context) int64 {
	if d.p == nil || d.m == nil {
		return -1
	}
	m, err := d.p.Measure(ctx, probe.Targets{})
	if err != nil {
		return -1
	}
	return m.RootDirBytes
}

// freed is the prune outcome's on-disk figure: the root dir's du before
// and after the removals; nil when the disk was not measured.
func (d diskMeasure) freed(ctx context.Context) *render.DiskFreed {
	if d.m == nil {
		return nil
	}
	after := d.rootAfter(ctx)
	if after < 0 {
		return nil
	}
	return &render.DiskFreed{RootDir: d.m.RootDir, BeforeBytes: d.m.RootDirBytes, AfterBytes: after, FreedBytes: d.m.RootDirBytes - after}
}

// measureDisk runs the storage probe on the engine at host once: it asks
// the engine where its root dir and objects are, and walks them. Only an
// engine on this machine (a unix socket) is measured; anything else, and
// any failure, is the one line the report prints instead: the probe never
// fails a command that works without it. With graph, it also reads the
// containerd image store's object graph (probe.Store) meanwhile.
func measureDisk(ctx context.Context, eng Engine, host string, graph bool) diskMeasure {
	if !strings.HasPrefix(host, "unix://") {
		return diskMeasure{reason: fmt.Sprintf("cannot measure the disk: the engine at %s is not on this machine; run dockctl on the engine's host to see logs and the whole root dir", host)}
	}
	info, err := eng.Info(ctx)
	if err != nil {
		return diskMeasure{reason: fmt.Sprintf("cannot measure the disk: reading engine info: %v", err)}
	}
	p, err := probe.Open(info, probe.Options{})
	if err != nil {
		return diskMeasure{reason: err.Error()}
	}
	// The graph is read while the engine lists and inspects the
	// containers; the walk needs it (it names the containerd store's
	// stopped containers' layers and the blob files images hold).
	type storeRead struct {
		g   *inspect.StoreGraph
		err error
	}
	storeCh := make(chan storeRead, 1)
	if graph {
		go func() {
			g, err := p.Store(ctx)
			storeCh <- storeRead{g, err}
		}()
	} else {
		storeCh <- storeRead{}
	}
	t, err := probe.Collect(ctx, eng, filters.NewArgs(), filters.NewArgs())
	sr := <-storeCh
	if err != nil {
		return diskMeasure{reason: fmt.Sprintf("cannot measure the disk: %v", err)}
	}
	t.Store = sr.g
	m, err := p.Measure(ctx, t)
	if err != nil {
		var u *probe.Unavailable
		if errors.As(err, &u) {
			return diskMeasure{reason: u.Error(), containers: t.Containers}
		}
		return diskMeasure{reason: fmt.Sprintf("cannot measure the disk: %v", err), containers: t.Containers}
	}
	d := diskMeasure{p: p, m: &m, containers: t.Containers, store: sr.g}
	if sr.err != nil && ctx.Err() == nil {
		d.storeReason = sr.err.Error()
	}
	return d
}

// startDiskMeasure runs measureDisk beside the engine collection, which
// it does not wait on; the function returned waits for it.
func startDiskMeasure(ctx context.Context, eng Engine, host string, graph bool) func() diskMeasure {
	ch := make(chan diskMeasure, 1)
	go func() { ch <- measureDisk(ctx, eng, host, graph) }()
	return sync.OnceValue(func() diskMeasure { return <-ch })
}
