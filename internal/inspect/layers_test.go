package inspect

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
)

func hist(entries ...image.HistoryResponseItem) []image.HistoryResponseItem {
	// The API lists newest first; tests write them oldest first.
	out := make([]image.HistoryResponseItem, len(entries))
	for i, e := range entries {
		out[len(entries)-1-i] = e
	}
	return out
}

func h(size int64, by string) image.HistoryResponseItem {
	return image.HistoryResponseItem{Size: size, CreatedBy: by}
}

func TestLayerSizes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		hist   []image.HistoryResponseItem
		layers int
		want   []int64
		ok     bool
	}{
		{"imported image", hist(h(100, "")), 1, []int64{100}, true},
		{"classic build with metadata", hist(h(100, ""), h(0, "/bin/sh -c #(nop)  ENV A=b"), h(20, "/bin/sh -c #(nop) COPY file:x in /"), h(0, "/bin/sh -c #(nop)  CMD [\"/app\"]")), 2, []int64{100, 20}, true},
		{"buildkit metadata", hist(h(100, ""), h(0, "WORKDIR /app"), h(0, "RUN /bin/sh -c true # buildkit"), h(30, "COPY . . # buildkit"), h(0, "CMD [\"x\"]")), 3, []int64{100, 0, 30}, true},
		{"zero-size real layer kept in place", hist(h(5, ""), h(0, "RUN true"), h(7, "COPY x /")), 3, []int64{5, 0, 7}, true},
		{"too few entries", hist(h(5, "")), 2, nil, false},
		{"more non-empty sizes than layers", hist(h(5, ""), h(7, "COPY x /")), 1, nil, false},
		{"no layers", nil, 0, []int64{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := layerSizes(tt.hist, tt.layers)
			if ok != tt.ok || (ok && !reflect.DeepEqual(got, tt.want)) {
				t.Fatalf("layerSizes = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestChainIDs(t *testing.T) {
	t.Parallel()
	a, b, c := "sha256:"+fmt.Sprintf("%064x", 1), "sha256:"+fmt.Sprintf("%064x", 2), "sha256:"+fmt.Sprintf("%064x", 3)
	chain := func(parent, diff string) string {
		sum := sha256.Sum256([]byte(parent + " " + diff))
		return "sha256:" + hex.EncodeToString(sum[:])
	}
	ab := chain(a, b)
	want := []string{a, ab, chain(ab, c)}
	if got := chainIDs([]string{a, b, c}); !reflect.DeepEqual(got, want) {
		t.Fatalf("chainIDs = %v, want %v", got, want)
	}
}

type layerFake struct {
	inspect func(string) (image.InspectResponse, error)
	history func(string) ([]image.HistoryResponseItem, error)
	calls   int
}

func (f *layerFake) ImageInspect(_ context.Context, id string, _ ...client.ImageInspectOption) (image.InspectResponse, error) {
	f.calls++
	return f.inspect(id)
}

func (f *layerFake) ImageHistory(_ context.Context, id string, _ ...client.ImageHistoryOption) ([]image.HistoryResponseItem, error) {
	f.calls++
	return f.history(id)
}

func TestCollectLayersUsesCache(t *testing.T) {
	t.Parallel()
	id := "sha256:" + fmt.Sprintf("%064x", 9)
	diff := "sha256:" + fmt.Sprintf("%064x", 3)
	f := &layerFake{
		inspect: func(string) (image.InspectResponse, error) {
			return image.InspectResponse{RootFS: image.RootFS{Type: "layers", Layers: []string{diff}}}, nil
		},
		history: func(string) ([]image.HistoryResponseItem, error) { return hist(h(42, "")), nil },
	}
	cache := OpenLayerCache(t.TempDir())
	imgs := []Image{{ID: id}}
	if err := CollectLayers(context.Background(), f, imgs, LayerOptions{Cache: cache}); err != nil {
		t.Fatal(err)
	}
	want := []Layer{{ChainID: diff, SizeBytes: 42}}
	if !reflect.DeepEqual(imgs[0].Layers, want) || f.calls != 2 {
		t.Fatalf("layers = %v after %d calls", imgs[0].Layers, f.calls)
	}
	// A fresh cache on the same folder answers without the engine.
	again := []Image{{ID: id}}
	if err := CollectLayers(context.Background(), f, again, LayerOptions{Cache: OpenLayerCache(cache.dir)}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again[0].Layers, want) || f.calls != 2 {
		t.Fatalf("cache missed: layers = %v after %d calls", again[0].Layers, f.calls)
	}
}

// boundFake answers every image with one layer, except failing ids, and
// counts the calls in flight.
type boundFake struct {
	mu                sync.Mutex
	inFlight, maxSeen int
	failing           string
}

func (f *boundFake) enter() func() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inFlight++
	f.maxSeen = max(f.maxSeen, f.inFlight)
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.inFlight--
	}
}

func (f *boundFake) ImageInspect(_ context.Context, id string, _ ...client.ImageInspectOption) (image.InspectResponse, error) {
	defer f.enter()()
	runtime.Gosched()
	if id == f.failing {
		return image.InspectResponse{}, errors.New("engine says no")
	}
	return image.InspectResponse{RootFS: image.RootFS{Type: "layers", Layers: []string{"sha256:" + fmt.Sprintf("%064x", 1)}}}, nil
}

func (f *boundFake) ImageHistory(context.Context, string, ...client.ImageHistoryOption) ([]image.HistoryResponseItem, error) {
	defer f.enter()()
	return hist(h(42, "")), nil
}

// CollectLayers keeps at most Concurrency engine calls in flight, and an
// image it cannot read does not stop the others: their layers are filled
// and the error names the image.
func TestCollectLayersBoundedAndGoesOn(t *testing.T) {
	t.Parallel()
	for _, limit := range []int{1, 2, 3} {
		t.Run(strconv.Itoa(limit), func(t *testing.T) {
			imgs := make([]Image, 12)
			for i := range imgs {
				imgs[i].ID = "sha256:" + fmt.Sprintf("%064x", 100+i)
			}
			f := &boundFake{failing: imgs[4].ID}
			err := CollectLayers(context.Background(), f, imgs, LayerOptions{Concurrency: limit})
			if err == nil || !strings.Contains(err.Error(), shortID(imgs[4].ID)) {
				t.Fatalf("err = %v, want the error of image %s", err, shortID(imgs[4].ID))
			}
			for i, img := range imgs {
				if i != 4 && len(img.Layers) != 1 {
					t.Errorf("image %d: layers %v, want one", i, img.Layers)
				}
			}
			if f.maxSeen > limit {
				t.Errorf("%d calls in flight, want at most %d", f.maxSeen, limit)
			}
		})
	}
}

func TestHeldLayerRecordsCoverTheChainBelow(t *testing.T) {
	t.Parallel()
	imgs := []Image{
		{ID: "base", Layers: []Layer{{ChainID: "b1", SizeBytes: 2000}}},
		{ID: "app", Layers: []Layer{{ChainID: "b1", SizeBytes: 2000}, {ChainID: "a2", SizeBytes: 3000}}},
		{ID: "other", Layers: []Layer{{ChainID: "o1", SizeBytes: 3000}}},
	}
	cache := []BuildCacheRecord{
		{ID: "copy", SizeBytes: 3000, Shared: true},
		{ID: "from-local", SizeBytes: 0, Shared: true},
		{ID: "ctx", SizeBytes: 3000},
	}
	got := HeldLayerRecords(imgs, cache)
	// One 3000-byte shared record: matched to a2 (chain ids sort a2 < o1),
	// and a2's record also holds the base layer below it.
	want := map[string][]string{"a2": {"copy"}, "b1": {"copy"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("HeldLayerRecords = %v, want %v", got, want)
	}
}

func TestHeldLayerRecordsBaseBelowTwoRecords(t *testing.T) {
	t.Parallel()
	imgs := []Image{
		{ID: "x", Layers: []Layer{{ChainID: "b", SizeBytes: 1000}, {ChainID: "x1", SizeBytes: 10}}},
		{ID: "y", Layers: []Layer{{ChainID: "b", SizeBytes: 1000}, {ChainID: "y1", SizeBytes: 20}}},
	}
	cache := []BuildCacheRecord{{ID: "r1", SizeBytes: 10, Shared: true}, {ID: "r2", SizeBytes: 20, Shared: true}}
	got := HeldLayerRecords(imgs, cache)
	want := map[string][]string{"x1": {"r1"}, "y1": {"r2"}, "b": {"r1", "r2"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("HeldLayerRecords = %v, want %v", got, want)
	}
}

// An image another client removes between the list and the reading of its
// layers is no failure: it keeps Layers nil (the engine's figures stand),
// and the other images are read as usual.
func TestCollectLayersSkipsAnImageRemovedSinceListed(t *testing.T) {
	gone := fmt.Errorf("Error response from daemon: No such image: x: %w", cerrdefs.ErrNotFound)
	for _, at := range []string{"inspect", "history"} {
		t.Run(at, func(t *testing.T) {
			imgs := []Image{{ID: "sha256:" + fmt.Sprintf("%064x", 7)}, {ID: "sha256:" + fmt.Sprintf("%064x", 8)}}
			f := &layerFake{
				inspect: func(id string) (image.InspectResponse, error) {
					if at == "inspect" && id == imgs[0].ID {
						return image.InspectResponse{}, gone
					}
					return image.InspectResponse{RootFS: image.RootFS{Type: "layers", Layers: []string{"sha256:" + fmt.Sprintf("%064x", 3)}}}, nil
				},
				history: func(id string) ([]image.HistoryResponseItem, error) {
					if at == "history" && id == imgs[0].ID {
						return nil, gone
					}
					return hist(h(42, "")), nil
				},
			}
			if err := CollectLayers(context.Background(), f, imgs, LayerOptions{Concurrency: 1}); err != nil {
				t.Fatalf("err = %v, want none: the image went, nothing failed", err)
			}
			if imgs[0].Layers != nil || len(imgs[1].Layers) != 1 {
				t.Fatalf("layers %v and %v, want nil for the removed image and one for the other", imgs[0].Layers, imgs[1].Layers)
			}
		})
	}
}

// Issue 11 item 5a: a legacy layer and a BuildKit layer of the same size.
// Where the layer store's files name each layer's dir (CacheID), only a
// layer whose dir is a BuildKit snapshot can be the one a Shared record
// holds, whichever way the chain ids sort.
func TestHeldLayerRecordsByIdentity(t *testing.T) {
	t.Parallel()
	const legacyDir = "5e75db4b6c652ff3d09b868f45add65bc97d1a106b415ebfa611bf3e514e14a7"
	const bkDir = "odb912sft38ies8c2t06qinqp"
	for _, tc := range []struct {
		name           string
		legacy, kitted string // chain ids: which one sorts first varies
	}{
		{"legacy chain sorts first", "sha256:1111", "sha256:9999"},
		{"buildkit chain sorts first", "sha256:9999", "sha256:1111"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			imgs := []Image{
				{ID: "legacy", Layers: []Layer{{ChainID: tc.legacy, SizeBytes: 11534336, CacheID: legacyDir}}},
				{ID: "bk", Layers: []Layer{{ChainID: "sha256:base", SizeBytes: 65539, CacheID: legacyDir + "0"}, {ChainID: tc.kitted, SizeBytes: 11534336, CacheID: bkDir}}},
			}
			cache := []BuildCacheRecord{
				{ID: "fileop", SizeBytes: 11534336, Shared: true, Parents: []string{"from"}},
				{ID: "from", Shared: true},
			}
			got := HeldLayerRecords(imgs, cache)
			want := map[string][]string{tc.kitted: {"fileop"}, "sha256:base": {"fileop"}}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("HeldLayerRecords = %v, want %v", got, want)
			}
		})
	}
}

func TestMadeByBuildKit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{"odb912sft38ies8c2t06qinqp", true},
		{"5e75db4b6c652ff3d09b868f45add65bc97d1a106b415ebfa611bf3e514e14a7", false},
		{"5e75db4b6c652ff3d09b868f45add65bc97d1a106b415ebfa611bf3e514e14a7-init", false},
		{"", false},
		{"l", false},
		{"ODB912SFT38IES8C2T06QINQP", false},
	} {
		t.Run(tc.id, func(t *testing.T) {
			t.Parallel()
			if got := MadeByBuildKit(tc.id); got != tc.want {
				t.Errorf("MadeByBuildKit(%q) = %v, want %v", tc.id, got, tc.want)
			}
		})
	}
}
