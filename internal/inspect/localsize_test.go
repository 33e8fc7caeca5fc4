package inspect

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/volume"
)

// fakeSizer is a LocalSizer answering with fn.
type fakeSizer struct {
	fn    func(cs []container.Summary, vols []*volume.Volume) (LocalSizes, error)
	calls int
}

func (s *fakeSizer) SizeLocally(_ context.Context, cs []container.Summary, vols []*volume.Volume) (LocalSizes, error) {
	s.calls++
	return s.fn(cs, vols)
}

// TestCollectSizesLocally: with a sizer and BuildKit, an engine whose df
// sizes everything (API 1.41) is not asked for df at all, and the figures
// are the sizer's; one object the sizer could not size, or BuildKit
// failing, gives the kind back to the engine (on 1.41, every kind: its
// one df sizes them all); on 1.42 and later df is asked for what is left.
func TestCollectSizesLocally(t *testing.T) {
	all := func(cs []container.Summary, vols []*volume.Volume) (LocalSizes, error) {
		return LocalSizes{
			Containers: map[string]int64{"c1": 11, "c2": 22},
			Volumes:    map[string]int64{"data": 1001, anon: 6, "remote": SizeUnknown},
		}, nil
	}
	missingC2 := func(cs []container.Summary, vols []*volume.Volume) (LocalSizes, error) {
		s, _ := all(cs, vols)
		delete(s.Containers, "c2")
		s.Unsized = map[string]string{"c2": "the engine named no UpperDir"}
		return s, nil
	}
	bkRecords := []build.CacheRecord{{ID: "k1", Type: "regular", Size: 70, CreatedAt: time.Unix(7, 0)}}
	okBK := func(context.Context) ([]build.CacheRecord, error) { return bkRecords, nil }
	failBK := func(context.Context) ([]build.CacheRecord, error) { return nil, errors.New("no /grpc here") }
	tests := []struct {
		name  string
		api   string
		sizer func([]container.Summary, []*volume.Volume) (LocalSizes, error)
		bk    func(context.Context) ([]build.CacheRecord, error)
		// wantDF are the df types asked, nil for no df, "all" for an
		// untyped one.
		wantDF    []types.DiskUsageObject
		wantNoDF  bool
		sizes     [2]int64 // c1's SizeRw, data's size
		rootFS    int64    // c1's SizeRootFs
		buildID   string
		sizedBy   map[Kind]string
		whyIn     string
		bkCalls   int
		sizerCall int
	}{
		{"1.41, all local", "1.41", all, okBK, nil, true, [2]int64{11, 1001}, 11 + 200, "k1",
			map[Kind]string{KindContainers: SizedByDisk, KindVolumes: SizedByDisk, KindImages: SizedByLayers, KindBuildCache: SizedByBuildKit}, "", 1, 1},
		{"1.41, one container unsized", "1.41", missingC2, okBK, []types.DiskUsageObject{}, false, [2]int64{10, 1000}, 110, "b1",
			map[Kind]string{KindContainers: SizedByEngine, KindVolumes: SizedByEngine, KindImages: SizedByEngine, KindBuildCache: SizedByEngine}, "container c2: the engine named no UpperDir", 0, 1},
		{"1.41, BuildKit unreachable", "1.41", all, failBK, []types.DiskUsageObject{}, false, [2]int64{10, 1000}, 110, "b1",
			map[Kind]string{KindContainers: SizedByEngine, KindVolumes: SizedByEngine, KindImages: SizedByEngine, KindBuildCache: SizedByEngine}, "no /grpc here", 1, 1},
		{"1.41, sizer fails", "1.41", func([]container.Summary, []*volume.Volume) (LocalSizes, error) {
			return LocalSizes{}, errors.New("cannot measure the disk")
		}, okBK, []types.DiskUsageObject{}, false, [2]int64{10, 1000}, 110, "b1",
			map[Kind]string{KindContainers: SizedByEngine, KindVolumes: SizedByEngine, KindImages: SizedByEngine, KindBuildCache: SizedByEngine}, "cannot measure the disk", 0, 1},
		{"1.44, df for the build cache only", "1.44", all, okBK, []types.DiskUsageObject{types.BuildCacheObject}, false, [2]int64{11, 1001}, 11 + 200, "b1",
			map[Kind]string{KindContainers: SizedByDisk, KindVolumes: SizedByDisk, KindImages: SizedByLayers, KindBuildCache: SizedByEngine}, "", 0, 1},
		{"1.44, one container unsized", "1.44", missingC2, okBK, []types.DiskUsageObject{types.ContainerObject, types.BuildCacheObject}, false, [2]int64{10, 1001}, 110, "b1",
			map[Kind]string{KindContainers: SizedByEngine, KindVolumes: SizedByDisk, KindImages: SizedByLayers, KindBuildCache: SizedByEngine}, "container c2", 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := imagesEngine(true, false, false)
			e.APIVersion = tc.api
			var asked [][]types.DiskUsageObject
			df := e.DiskUsageFn
			e.DiskUsageFn = func(ctx context.Context, o types.DiskUsageOptions) (types.DiskUsage, error) {
				asked = append(asked, o.Types)
				return df(ctx, o)
			}
			s := &fakeSizer{fn: tc.sizer}
			bkCalls := 0
			bk := func(ctx context.Context) ([]build.CacheRecord, error) { bkCalls++; return tc.bk(ctx) }
			inv, err := Collect(context.Background(), e, Kinds, time.Unix(1000, 0),
				SizeLocally(s), BuildCacheFromBuildKit(bk), ImageLayers(e, LayerOptions{Cache: OpenLayerCache("")}))
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.wantNoDF && len(asked) != 0:
				t.Errorf("df asked %v, want none", asked)
			case !tc.wantNoDF && (len(asked) != 1 || !slices.Equal(asked[0], tc.wantDF) && !(len(tc.wantDF) == 0 && len(asked[0]) == 0)):
				t.Errorf("df asked %v, want once for %v", asked, tc.wantDF)
			}
			if bkCalls != tc.bkCalls || s.calls != tc.sizerCall {
				t.Errorf("BuildKit asked %d times, sizer %d; want %d and %d", bkCalls, s.calls, tc.bkCalls, tc.sizerCall)
			}
			var c1, data int64 = -2, -2
			var rootFS int64 = -2
			for _, c := range inv.Containers {
				if c.ID == "c1" {
					c1, rootFS = c.SizeBytes, c.RootFSBytes
				}
			}
			for _, v := range inv.Volumes {
				switch v.Name {
				case "data":
					data = v.SizeBytes
				case "remote":
					if v.SizeBytes != SizeUnknown {
						t.Errorf("remote volume sized %d; the engine sizes no other driver's volume", v.SizeBytes)
					}
				}
			}
			if [2]int64{c1, data} != tc.sizes || rootFS != tc.rootFS {
				t.Errorf("c1 %d (root fs %d), data %d; want %v (root fs %d)", c1, rootFS, data, tc.sizes, tc.rootFS)
			}
			if len(inv.Containers) != 2 || len(inv.Volumes) != 3 {
				t.Errorf("%d containers, %d volumes; want 2 and 3", len(inv.Containers), len(inv.Volumes))
			}
			if len(inv.BuildCache) == 0 || !slices.ContainsFunc(inv.BuildCache, func(r BuildCacheRecord) bool { return r.ID == tc.buildID }) {
				t.Errorf("build cache %+v, want record %s", inv.BuildCache, tc.buildID)
			}
			got := map[Kind]string{}
			why := ""
			for _, s := range inv.Sizing {
				got[s.Kind] = s.By
				why += s.Why + ";"
			}
			if !maps.Equal(got, tc.sizedBy) {
				t.Errorf("sized by %v, want %v", got, tc.sizedBy)
			}
			if tc.whyIn != "" && !strings.Contains(why, tc.whyIn) {
				t.Errorf("why %q, want it to say %q", why, tc.whyIn)
			}
		})
	}
}
