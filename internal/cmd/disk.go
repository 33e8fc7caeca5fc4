package cmd

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/system"
	"github.com/docker/docker/api/types/volume"

	"github.com/dockctl/dockctl/internal/engine"
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

// openLocalProbe opens the storage probe on the engine at host, from info
// when the caller has read it already: nil and the report's one line when
// the disk cannot be measured from here.
func openLocalProbe(ctx context.Context, eng Engine, host string, info *system.Info) (*probe.Probe, string) {
	if !strings.HasPrefix(host, "unix://") {
		return nil, fmt.Sprintf("cannot measure the disk: the engine at %s is not on this machine; run dockctl on the engine's host to see logs and the whole root dir", host)
	}
	if info == nil {
		i, err := eng.Info(ctx)
		if err != nil {
			return nil, fmt.Sprintf("cannot measure the disk: reading engine info: %v", err)
		}
		info = &i
	}
	p, err := probe.Open(*info, probe.Options{})
	if err != nil {
		return nil, err.Error()
	}
	return p, ""
}

// measureWith runs the storage probe p once: it asks the engine where its
// objects are, and walks them and the root dir. Any failure is the one
// line the report prints instead: the probe never fails a command that
// works without it. With graph, it also reads the containerd image
// store's object graph (probe.Store) meanwhile.
func measureWith(ctx context.Context, eng Engine, p *probe.Probe, graph bool) diskMeasure {
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
		return diskMeasure{reason: measureFailed(err), containers: t.Containers}
	}
	d := diskMeasure{p: p, m: &m, containers: t.Containers, store: sr.g}
	if sr.err != nil && ctx.Err() == nil {
		d.storeReason = sr.err.Error()
	}
	return d
}

// measureFailed is the report's line for a walk that failed.
func measureFailed(err error) string {
	var u *probe.Unavailable
	if errors.As(err, &u) {
		return u.Error()
	}
	return fmt.Sprintf("cannot measure the disk: %v", err)
}

// probeRun is the storage probe's part in a command: the Collect options
// that size on disk where the probe can (none elsewhere), and the wait for
// the disk's measurement.
type probeRun struct {
	collect []inspect.CollectOption
	disk    func() diskMeasure
}

// startProbe sets the probe p (nil: reason says why there is none) to
// work beside a Collect: where it sizes on disk (sizeOnDisk, given
// sizing) its walk is the measurement; elsewhere it walks the disk while
// the engine sizes, reading the containerd image store's graph too with
// graph.
func startProbe(ctx context.Context, eng Engine, p *probe.Probe, reason string, sizing *inspect.LayerOptions, graph bool) probeRun {
	if sizing != nil {
		if s, copts := sizeOnDisk(eng, p, *sizing, false); s != nil {
			return probeRun{collect: copts, disk: func() diskMeasure { return s.result(ctx, eng) }}
		}
	}
	ch := make(chan diskMeasure, 1)
	go func() {
		if p == nil {
			ch <- diskMeasure{reason: reason}
			return
		}
		ch <- measureWith(ctx, eng, p, graph)
	}()
	return probeRun{disk: sync.OnceValue(func() diskMeasure { return <-ch })}
}

// sizeOnDisk is how a Collect makes no /system/df where p sizes from the
// lists (probe.SizesFromLists): one walk of the disk sizes containers and
// volumes, BuildKit lists the build cache, and images come from their
// layers, read with layers' options (the command's own, so that its
// CollectLayers finds them cached). With objectsOnly the walk leaves the
// root dir out, for a caller that wants the objects' figures alone. It
// returns the options and the sizer whose result is the walk; nil
// elsewhere (no probe, the containerd store), where the engine sizes.
func sizeOnDisk(eng Engine, p *probe.Probe, layers inspect.LayerOptions, objectsOnly bool) (*diskSizer, []inspect.CollectOption) {
	if p == nil || !p.SizesFromLists() {
		return nil, nil
	}
	s := &diskSizer{p: p, objectsOnly: objectsOnly}
	return s, []inspect.CollectOption{
		inspect.SizeLocally(s),
		buildKitCache(eng),
		inspect.ImageLayers(eng, layers),
	}
}

// buildKitCache lists the build cache from the engine's BuildKit where a
// /system/df would be made for it alone (inspect.BuildCacheFromBuildKit).
func buildKitCache(eng Engine) inspect.CollectOption {
	return inspect.BuildCacheFromBuildKit(func(ctx context.Context) ([]build.CacheRecord, error) { return engine.BuildCacheUsage(ctx, eng) })
}

// diskSizer is the inspect.LocalSizer on engines whose
// containers' layer dirs the probe finds from the container list
// (probe.SizesFromLists): one walk of the root dir and of every listed
// container and volume gives both the objects' sizes, instead of
// /system/df, and the report's disk section. It inspects no container.
type diskSizer struct {
	p        *probe.Probe
	measured *diskMeasure // set by SizeLocally
	// objectsOnly leaves the root dir out of the walk
	// (probe.Targets.ObjectsOnly).
	objectsOnly bool
}

var _ inspect.LocalSizer = (*diskSizer)(nil)

func (s *diskSizer) SizeLocally(ctx context.Context, cs []container.Summary, vols []*volume.Volume) (inspect.LocalSizes, error) {
	t, err := s.p.ListTargets(cs, vols)
	if err != nil {
		return inspect.LocalSizes{}, err
	}
	t.ObjectsOnly = s.objectsOnly
	m, err := s.p.Measure(ctx, t)
	if err != nil {
		s.measured = &diskMeasure{reason: measureFailed(err)}
		return inspect.LocalSizes{}, fmt.Errorf("measuring on disk: %w", err)
	}
	s.measured = &diskMeasure{p: s.p, m: &m}
	return m.Sizes(), nil
}

// result is the disk measurement SizeLocally made, or, when Collect did
// not call it, one made now and kept: a command asks for it more than
// once (prune: the plan, then what was freed).
func (s *diskSizer) result(ctx context.Context, eng Engine) diskMeasure {
	if s.measured == nil {
		d := measureWith(ctx, eng, s.p, false)
		s.measured = &d
	}
	return *s.measured
}
