package inspect

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/identity"
	"golang.org/x/sync/errgroup"

	"github.com/dockctl/dockctl/internal/outfile"
)

// LayerClient is what layer accounting reads: an image's layer list and
// its history (which carries each layer's size).
type LayerClient interface {
	ImageInspect(ctx context.Context, id string, opts ...client.ImageInspectOption) (image.InspectResponse, error)
	ImageHistory(ctx context.Context, id string, opts ...client.ImageHistoryOption) ([]image.HistoryResponseItem, error)
}

var _ LayerClient = (*client.Client)(nil)

// LayerOptions tune CollectLayers.
type LayerOptions struct {
	// Cache keeps layers learned per image id; nil disables caching.
	Cache *LayerCache
	// TagTimes asks for Image.LastTagged, which changes when an image is
	// re-tagged and so is never cached: it costs one inspect per image.
	TagTimes bool
	// Concurrency bounds parallel engine calls (default 8).
	Concurrency int
}

// CollectLayers fills Layers (and, if asked, LastTagged) of every image.
// An image whose history cannot be matched to its layers keeps Layers nil,
// and callers fall back to the engine's shared/unique figures for it.
func CollectLayers(ctx context.Context, c LayerClient, imgs []Image, o LayerOptions) error {
	if o.Concurrency <= 0 {
		o.Concurrency = 8
	}
	var g errgroup.Group
	g.SetLimit(o.Concurrency)
	for i := range imgs {
		if cached, ok := o.Cache.get(imgs[i].ID); ok && !o.TagTimes {
			imgs[i].Layers = cached
			continue
		}
		img := &imgs[i]
		g.Go(func() error { return fillLayers(ctx, c, img, o) })
	}
	return g.Wait()
}

func fillLayers(ctx context.Context, c LayerClient, img *Image, o LayerOptions) error {
	ins, err := c.ImageInspect(ctx, img.ID)
	if removedSinceListed(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("inspecting image %s: %w", shortID(img.ID), err)
	}
	if o.TagTimes && ins.Metadata.LastTagTime.After(time.Unix(0, 0)) {
		img.LastTagged = ins.Metadata.LastTagTime.UTC()
	}
	if cached, ok := o.Cache.get(img.ID); ok {
		img.Layers = cached
		return nil
	}
	var diffIDs []string
	if ins.RootFS.Type == "layers" || len(ins.RootFS.Layers) > 0 {
		diffIDs = ins.RootFS.Layers
	}
	hist, err := c.ImageHistory(ctx, img.ID)
	if removedSinceListed(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading history of image %s: %w", shortID(img.ID), err)
	}
	sizes, ok := layerSizes(hist, len(diffIDs))
	if !ok {
		return nil
	}
	chains := chainIDs(diffIDs)
	layers := make([]Layer, len(chains))
	for i := range chains {
		layers[i] = Layer{ChainID: chains[i], SizeBytes: sizes[i]}
	}
	img.Layers = layers
	o.Cache.put(img.ID, layers)
	return nil
}

// removedSinceListed says an image went (another client removed it)
// between the list and the reading of its layers. That is no failure of
// the command: the image keeps Layers nil, so its figures are the engine's
// from the list, and a prune finds it already gone.
func removedSinceListed(err error) bool { return err != nil && cerrdefs.IsNotFound(err) }

// chainIDs are the layers' chain ids, as the engine computes them from
// the diff ids (image-spec's identity.ChainIDs).
func chainIDs(diffIDs []string) []string {
	ds := make([]digest.Digest, len(diffIDs))
	for i, d := range diffIDs {
		ds[i] = digest.Digest(d)
	}
	out := make([]string, len(ds))
	for i, c := range identity.ChainIDs(ds) {
		out[i] = c.String()
	}
	return out
}

// metadataStep matches history entries that never make a layer: the
// classic builder writes "#(nop) ENV …", BuildKit writes "ENV …".
var metadataStep = regexp.MustCompile(`^(/bin/sh -c #\(nop\)\s*)?(ENV|CMD|LABEL|EXPOSE|ENTRYPOINT|USER|WORKDIR|ARG|STOPSIGNAL|HEALTHCHECK|SHELL|VOLUME|ONBUILD|MAINTAINER)\b`)

// layerSizes maps history entries (newest first, as the API returns them)
// to the n real layers, oldest first. The engine gives an empty layer's
// entry size 0 and does not say which zero-size entries are empty, so
// metadata-only steps are taken as empty first, then the oldest zero-size
// entries. It reports false when the history cannot hold n layers.
func layerSizes(hist []image.HistoryResponseItem, n int) ([]int64, bool) {
	entries := make([]image.HistoryResponseItem, len(hist))
	for i := range hist {
		entries[len(hist)-1-i] = hist[i]
	}
	if len(entries) < n {
		return nil, false
	}
	empty := make([]bool, len(entries))
	surplus := len(entries) - n
	for i := len(entries) - 1; i >= 0 && surplus > 0; i-- {
		if entries[i].Size == 0 && metadataStep.MatchString(strings.TrimSpace(entries[i].CreatedBy)) {
			empty[i] = true
			surplus--
		}
	}
	for i := 0; i < len(entries) && surplus > 0; i++ {
		if entries[i].Size == 0 && !empty[i] {
			empty[i] = true
			surplus--
		}
	}
	if surplus > 0 {
		return nil, false
	}
	sizes := make([]int64, 0, n)
	for i, e := range entries {
		if !empty[i] {
			sizes = append(sizes, e.Size)
		}
	}
	return sizes, true
}

func shortID(id string) string {
	id = strings.TrimPrefix(id, "sha256:")
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// LayerCache remembers each image's layers by image id. An image id is
// the digest of its config, so the layers behind it never change and the
// cache never needs invalidating; it only saves engine round trips.
type LayerCache struct {
	dir string
	mu  sync.Mutex
	mem map[string][]Layer
}

// OpenLayerCache opens (creating lazily) a cache in dir. An empty dir
// gives an in-memory cache.
func OpenLayerCache(dir string) *LayerCache {
	return &LayerCache{dir: dir, mem: map[string][]Layer{}}
}

func (c *LayerCache) path(id string) string {
	return filepath.Join(c.dir, strings.ReplaceAll(id, ":", "_")+".json")
}

var validImageID = regexp.MustCompile(`^(sha256:)?[0-9a-f]{64}$`)

func (c *LayerCache) get(id string) ([]Layer, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if l, ok := c.mem[id]; ok {
		return l, true
	}
	if c.dir == "" || !validImageID.MatchString(id) {
		return nil, false
	}
	b, err := os.ReadFile(c.path(id))
	if err != nil {
		return nil, false
	}
	var l []Layer
	if json.Unmarshal(b, &l) != nil || len(l) == 0 {
		return nil, false
	}
	c.mem[id] = l
	return l, true
}

// put stores layers; a failure to write the disk cache is ignored, since
// the cache only saves time.
func (c *LayerCache) put(id string, l []Layer) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mem[id] = l
	if c.dir == "" || !validImageID.MatchString(id) {
		return
	}
	b, err := json.Marshal(l)
	if err != nil || os.MkdirAll(c.dir, 0o755) != nil {
		return
	}
	_ = outfile.WriteFile(c.path(id), b, 0o600)
}
