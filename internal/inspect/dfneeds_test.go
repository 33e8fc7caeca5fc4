package inspect

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/image"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/dockctl/dockctl/internal/fake"
)

// imagesEngine is sampleEngine plus the image list and layer data the
// images listing reads without /system/df: i1 and i2 share their base
// layer (50 bytes); i3 is the only image on a layer of its own.
func imagesEngine(historyOK, containerd, sharedSizes bool) *fake.Engine {
	e := sampleEngine()
	base, top1, top2, solo := diff(1), diff(2), diff(3), diff(4)
	layers := map[string][]string{"sha256:i1": {base, top1}, "sha256:i2": {base, top2}, "sha256:i3": {solo}}
	sizes := map[string][]int64{"sha256:i1": {50, 150}, "sha256:i2": {50, 100}, "sha256:i3": {70}}
	e.ImageListFn = func(_ context.Context, o image.ListOptions) ([]image.Summary, error) {
		if o.All {
			return nil, fmt.Errorf("want the default list: docker system df counts shared layers among it only")
		}
		list := []image.Summary{
			{ID: "sha256:i1", RepoTags: []string{"app:1", "app:latest"}, Created: 10, Size: 200, SharedSize: -1, Containers: -1},
			{ID: "sha256:i2", RepoTags: []string{"<none>:<none>"}, RepoDigests: []string{"<none>@<none>"}, Created: 20, Size: 150, SharedSize: -1, Containers: -1},
			{ID: "sha256:i3", Created: 30, Size: 70, SharedSize: -1, Containers: -1},
		}
		if containerd {
			// The containerd image store lists each image's target
			// (API 1.48) and, asked to, the shared sizes /system/df
			// gives (its blobs and snapshots): here i1 and i2 share 60.
			for i := range list {
				list[i].Descriptor = &ocispec.Descriptor{MediaType: ocispec.MediaTypeImageManifest, Digest: digest.Digest(list[i].ID), Size: 400}
				if o.SharedSize && sharedSizes {
					list[i].SharedSize = map[string]int64{"sha256:i1": 60, "sha256:i2": 60, "sha256:i3": 0}[list[i].ID]
				}
			}
		}
		return list, nil
	}
	e.ImageInspectFn = func(_ context.Context, id string) (image.InspectResponse, error) {
		return image.InspectResponse{ID: id, RootFS: image.RootFS{Type: "layers", Layers: layers[id]}}, nil
	}
	e.ImageHistoryFn = func(_ context.Context, id string) ([]image.HistoryResponseItem, error) {
		var out []image.HistoryResponseItem
		if !historyOK && id == "sha256:i3" {
			return out, nil // no entry for its layer: sizes unknown
		}
		for _, s := range sizes[id] {
			out = append([]image.HistoryResponseItem{{Size: s, CreatedBy: "RUN x"}}, out...)
		}
		return out, nil
	}
	return e
}

func diff(n int) string { return "sha256:" + fmt.Sprintf("%064x", n) }

func TestCollectImagesWithoutDiskUsage(t *testing.T) {
	tests := []struct {
		name       string
		historyOK  bool
		containerd bool
		// sharedSizes: the engine computes SharedSize in the image list
		// (API 1.42).
		sharedSizes bool
		wantDF      int
		// want is shared, unique and containers of i1, i2, i3.
		want [3][3]int64
	}{
		// The figures /system/df gives: shared = layers another listed
		// image has too; containers from the container list's image ids.
		{"from layers", true, false, false, 0, [3][3]int64{{50, 150, 1}, {50, 100, 1}, {0, 70, 0}}},
		// An image whose layers cannot be sized makes the listing ask
		// the engine, which knows: sampleEngine's df figures.
		{"df fallback", false, false, false, 1, [3][3]int64{{50, 150, 1}, {50, 100, 1}, {-1, -1, -1}}},
		// On the containerd image store the history sizes snapshots
		// only, the image's size has its blobs too: the engine's shared
		// sizes, from the list (no df).
		{"containerd store", true, true, true, 0, [3][3]int64{{60, 140, 1}, {60, 90, 1}, {0, 70, 0}}},
		// ... or from df where the list does not compute them.
		{"containerd store, no shared sizes in the list", true, true, false, 1, [3][3]int64{{50, 150, 1}, {50, 100, 1}, {-1, -1, -1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := imagesEngine(tc.historyOK, tc.containerd, tc.sharedSizes)
			inv, err := Collect(context.Background(), e, []Kind{KindImages}, time.Unix(1000, 0),
				ImageLayers(e, LayerOptions{Cache: OpenLayerCache("")}))
			if err != nil {
				t.Fatal(err)
			}
			if n := e.Calls("DiskUsage"); n != tc.wantDF {
				t.Fatalf("DiskUsage called %d times, want %d", n, tc.wantDF)
			}
			// df's LayersSize: each layer once (i1 and i2 share 50).
			wantLayers := map[string]int64{"from layers": 50 + 150 + 100 + 70, "df fallback": 300}[tc.name]
			if wantLayers == 0 {
				wantLayers = SizeUnknown // the containerd store's list has no layers
				if tc.wantDF == 1 {
					wantLayers = 300
				}
			}
			if inv.LayersSize != wantLayers {
				t.Errorf("LayersSize %d, want %d", inv.LayersSize, wantLayers)
			}
			got := map[string][3]int64{}
			for _, img := range inv.Images {
				got[img.ID] = [3]int64{img.SharedBytes, img.UniqueBytes, int64(img.Containers)}
				if img.Layers != nil {
					t.Errorf("%s: Layers filled (%v): the listing shows what df showed, no layers", img.ID, img.Layers)
				}
			}
			for i, id := range []string{"sha256:i1", "sha256:i2", "sha256:i3"} {
				if got[id] != tc.want[i] {
					t.Errorf("%s: shared, unique, containers = %v, want %v", id, got[id], tc.want[i])
				}
			}
		})
	}
}

func TestCollectAsksDiskUsageOnlyForNeededTypes(t *testing.T) {
	c, i, v, b := types.ContainerObject, types.ImageObject, types.VolumeObject, types.BuildCacheObject
	tests := []struct {
		kinds   []Kind
		version string
		want    []types.DiskUsageObject // nil: df not called with types
		calls   int
	}{
		{[]Kind{KindBuildCache}, "1.42", []types.DiskUsageObject{b}, 1},
		{[]Kind{KindContainers}, "1.43", []types.DiskUsageObject{c}, 1},
		{[]Kind{KindVolumes}, "1.42", []types.DiskUsageObject{v}, 1},
		{Kinds, "1.42", []types.DiskUsageObject{c, i, v, b}, 1},
		{[]Kind{KindImages, KindBuildCache}, "1.44", []types.DiskUsageObject{i, b}, 1},
		// API 1.41 has no type parameter: the whole answer it is.
		{[]Kind{KindBuildCache}, "1.41", nil, 1},
		{[]Kind{KindNetworks}, "1.42", nil, 0},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprint(tc.kinds, tc.version), func(t *testing.T) {
			e := sampleEngine()
			e.APIVersion = tc.version
			var got []types.DiskUsageObject
			df := e.DiskUsageFn
			e.DiskUsageFn = func(ctx context.Context, o types.DiskUsageOptions) (types.DiskUsage, error) {
				got = o.Types
				return df(ctx, o)
			}
			if _, err := Collect(context.Background(), e, tc.kinds, time.Unix(1000, 0)); err != nil {
				t.Fatal(err)
			}
			if n := e.Calls("DiskUsage"); n != tc.calls {
				t.Fatalf("DiskUsage called %d times, want %d", n, tc.calls)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("DiskUsage types = %v, want %v", got, tc.want)
			}
		})
	}
}

// Volumes list their users from the container list when df was asked for
// volumes only (it then lists no containers).
func TestCollectVolumesUsersWithoutContainerSizes(t *testing.T) {
	e := sampleEngine()
	e.APIVersion = "1.42"
	df := e.DiskUsageFn
	e.DiskUsageFn = func(ctx context.Context, o types.DiskUsageOptions) (types.DiskUsage, error) {
		d, err := df(ctx, o)
		d.Containers, d.Images, d.BuildCache = nil, nil, nil
		return d, err
	}
	inv, err := Collect(context.Background(), e, []Kind{KindVolumes}, time.Unix(1000, 0))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range inv.Volumes {
		if v.Name == "data" && (v.SizeBytes != 1000 || !reflect.DeepEqual(v.Containers, []string{"web-1"})) {
			t.Fatalf("data = %+v", v)
		}
	}
}

// negotiating is an engine whose API version is known only once
// negotiated, as the docker client's: asked before, it gives its own.
type negotiating struct {
	*fake.Engine
	negotiated bool
}

func (n *negotiating) Ping(context.Context) (types.Ping, error) { return types.Ping{}, nil }

func (n *negotiating) NegotiateAPIVersionPing(types.Ping) { n.negotiated = true }

func (n *negotiating) ClientVersion() string {
	if !n.negotiated {
		return "1.51"
	}
	return n.Engine.ClientVersion()
}

// On a 1.41 engine df takes no types, whatever the client's own version:
// the version is negotiated before df's types are chosen.
func TestCollectNegotiatesBeforeChoosingTypes(t *testing.T) {
	e := sampleEngine()
	e.APIVersion = "1.41"
	df := e.DiskUsageFn
	var got []types.DiskUsageObject
	e.DiskUsageFn = func(ctx context.Context, o types.DiskUsageOptions) (types.DiskUsage, error) {
		got = o.Types
		return df(ctx, o)
	}
	if _, err := Collect(context.Background(), &negotiating{Engine: e}, []Kind{KindVolumes}, time.Unix(1000, 0)); err != nil {
		t.Fatal(err)
	}
	if got != nil {
		t.Fatalf("df types %v on a 1.41 engine", got)
	}
	if n := e.Calls("ContainerList"); n != 0 {
		t.Fatalf("ContainerList called %d times: a 1.41 df lists containers", n)
	}
}
