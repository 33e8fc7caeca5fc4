package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/probe"
	"github.com/dockctl/dockctl/internal/render"
	"github.com/dockctl/dockctl/internal/usage"
)

// localDisk is what the probe reads of the layer store for report and
// inspect orphans.
type localDisk struct {
	probe *probe.Probe
	db    probe.LayerDB
}

// layerDB reads the layer store's files through the probe the disk
// measure opened; nil when there is none (the root dir is not readable
// here, the engine is not on this machine) or the engine keeps no layerdb
// (the containerd image store): callers then keep the API's figures.
func (d diskMeasure) layerDB() *localDisk {
	if d.p == nil {
		return nil
	}
	db, err := d.p.ReadLayerDB()
	if err != nil {
		return nil
	}
	return &localDisk{probe: d.p, db: db}
}

// attach gives inv what the storage probe read besides its measurement,
// for accounting: each image layer's dir, so a layer is told apart by it
// (inspect.HeldLayerRecords); the layers only BuildKit's cache holds,
// which count in its RECLAIMABLE; and the containerd image store's object
// graph (inspect.Inventory.Store). The report and the prune plan both
// attach through here, so the plan frees what the report says. It
// returns the layer store's reader, nil where there is none.
func (d diskMeasure) attach(inv *inspect.Inventory) *localDisk {
	local := d.layerDB()
	local.attachCacheIDs(inv)
	local.attachUnusedLayers(inv)
	inv.Store = d.store
	return local
}

// storeNotes is the report's line saying that the containerd image
// store's graph could not be read, and why; none when it was read or the
// engine keeps images in a graph driver. (Where the disk itself could
// not be measured, the report's disk line says so already.)
func (d diskMeasure) storeNotes() []usage.Note {
	if d.storeReason == "" {
		return nil
	}
	return []usage.Note{{Row: "images", Text: d.storeReason}}
}

// attachCacheIDs gives each image layer the dir the layer store keeps
// it in, so accounting can tell a layer BuildKit made from another of the
// same size (inspect.HeldLayerRecords).
func (d *localDisk) attachCacheIDs(inv *inspect.Inventory) {
	if d == nil {
		return
	}
	for i := range inv.Images {
		for j := range inv.Images[i].Layers {
			l := &inv.Images[i].Layers[j]
			if lf, ok := d.db.Layers[l.ChainID]; ok {
				l.CacheID = lf.CacheID
			}
		}
	}
}

// attachUnusedLayers lists in inv the layers no image or container uses
// that BuildKit's "from local" records may hold
// (inspect.Inventory.UnreferencedLayers), so the build cache's
// RECLAIMABLE and the plan count them. inv must hold every image with its
// layers.
func (d *localDisk) attachUnusedLayers(inv *inspect.Inventory) {
	if d == nil || !inv.Has(inspect.KindImages) {
		return
	}
	if layers, ok := d.db.UnusedLayers(inv.Images, inv.Time); ok {
		inv.UnreferencedLayers = layers
	}
}

// orphans lists the driver dirs nothing references (see probe.Orphans),
// asked twice (see twice).
func (d *localDisk) orphans(ctx context.Context, inv *inspect.Inventory) ([]probe.Orphan, error) {
	ids := make([]string, 0, len(inv.BuildCache))
	for _, r := range inv.BuildCache {
		ids = append(ids, r.ID)
	}
	return twice(ctx, func(ctx context.Context) ([]probe.Orphan, error) { return d.probe.Orphans(ctx, ids) })
}

// twice asks list twice and keeps what both answers list: an entry only
// one answer lists was being created or removed.
func twice(ctx context.Context, list func(context.Context) ([]probe.Orphan, error)) ([]probe.Orphan, error) {
	first, err := list(ctx)
	if err != nil {
		return nil, err
	}
	if len(first) == 0 {
		return first, nil
	}
	second, err := list(ctx)
	if err != nil {
		return nil, err
	}
	again := map[string]bool{}
	for _, o := range second {
		again[o.Name] = true
	}
	out := []probe.Orphan{}
	for _, o := range first {
		if again[o.Name] {
			out = append(out, o)
		}
	}
	return out, nil
}

// OrphansOptions are the flags of `dockctl inspect orphans`.
type OrphansOptions struct {
	RunEnv
	Format string
}

// NewInspectOrphansCmd builds `dockctl inspect orphans`.
func NewInspectOrphansCmd(f *Factory, runF func(*OrphansOptions) error) *cobra.Command {
	opts := &OrphansOptions{Format: "table"}
	c := &cobra.Command{
		Use:   "orphans",
		Short: "List layer dirs or blob files that nothing references",
		Long: `List the dirs under the storage driver's dir (<root>/<driver>) that no image
layer, no container and no build-cache record references, with their sizes
as du -sbx counts them. Needs the engine's root dir readable here (see
report's filesystem line).

dockctl never removes them, and neither does docker system prune: the
engine does not know them. To reclaim them, stop the engine first
(systemctl stop docker docker.socket), check the list again, remove the
listed dirs (rm -rf <root>/<driver>/<name>), then start the engine.
Removing a dir while the engine runs can break a layer it is writing.

A BuildKit snapshot's dir that no layer names is counted as the build
cache's while the engine lists any build-cache record (BuildKit keeps the
record-to-dir map in its own database, locked while the engine runs).

On the containerd image store (Docker 29's default) it lists instead the
content store's blob files whose digest no containerd namespace knows:
  <root>/containerd/daemon/io.containerd.content.v1.content/blobs/sha256/<hex>
It then also needs containerd's socket readable here. containerd deletes
such files itself the next time its garbage collector deletes a blob. The
snapshot dirs are not checked:
  <root>/containerd/daemon/io.containerd.snapshotter.v1.overlayfs/snapshots/<n>
containerd names them by number in the snapshotter's own database, locked
while it runs, so which snapshot a dir belongs to cannot be read here; the
result says so (JSON not_checked).

` + exitCodesHelp,
		Example: `  dockctl inspect orphans
  dockctl inspect orphans --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.RunEnv = f.runEnv()
			if runF != nil {
				return runF(opts)
			}
			return runInspectOrphans(cmd.Context(), f, opts)
		},
	}
	c.Flags().Var(formatEnum(&opts.Format, "", "table", "json"), "format", "table or json")
	return c
}

func runInspectOrphans(ctx context.Context, f *Factory, opts *OrphansOptions) error {
	if err := reach(ctx, f); err != nil {
		return err
	}
	eng, _, err := opts.Engine()
	if err != nil {
		return err
	}
	info, err := eng.Info(ctx)
	if err != nil {
		return fmt.Errorf("reading engine info: %w", err)
	}
	p, err := probe.Open(info, probe.Options{})
	if err != nil {
		return fmt.Errorf("inspect orphans: %w", err)
	}
	if p.ContainerdStore() {
		list, err := twice(ctx, p.BlobOrphans)
		if err != nil {
			return fmt.Errorf("inspect orphans: %w", err)
		}
		res := render.OrphansResult{DriverDir: p.BlobsDir(), Orphans: list, SnapshotsDir: p.SnapshotsDir(), Format: opts.Format}
		return show(opts.IO.Out, res, nil)
	}
	db, err := p.ReadLayerDB()
	if err != nil {
		return fmt.Errorf("inspect orphans: %w", err)
	}
	inv, err := inspect.Collect(ctx, eng, []inspect.Kind{inspect.KindBuildCache}, opts.Now(), opts.collectOptions()...)
	if err != nil {
		return fmt.Errorf("inspect orphans: %w", err)
	}
	d := &localDisk{probe: p, db: db}
	list, err := d.orphans(ctx, inv)
	if err != nil {
		return fmt.Errorf("inspect orphans: %w", err)
	}
	res := render.OrphansResult{DriverDir: p.DriverDir(), Orphans: list, Format: opts.Format}
	return show(opts.IO.Out, res, nil)
}
