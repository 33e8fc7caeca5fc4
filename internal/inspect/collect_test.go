package inspect

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/dockctl/dockctl/internal/fake"
)

const anon = "3f1c0a9f2b4d6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071"

func sampleEngine() *fake.Engine {
	web := container.Summary{
		ID: "c1", Names: []string{"/web-1"}, Image: "app:1", ImageID: "sha256:i1", State: "running", Status: "Up 2 hours",
		Created: 100, SizeRw: 10, SizeRootFs: 110, Labels: map[string]string{ComposeProjectLabel: "shop"},
		Mounts:          []container.MountPoint{{Type: "volume", Name: "data"}, {Type: "bind", Source: "/tmp"}},
		NetworkSettings: &container.NetworkSettingsSummary{Networks: map[string]*network.EndpointSettings{"shop_default": {NetworkID: "n1"}}},
	}
	old := container.Summary{
		ID: "c2", Names: []string{"/old"}, Image: "sha256:i2", ImageID: "sha256:i2", State: "exited", Status: "Exited (0) 3 days ago",
		Created: 50, SizeRw: 0, Mounts: []container.MountPoint{{Type: "volume", Name: anon}},
	}
	return &fake.Engine{
		DiskUsageFn: func(context.Context, types.DiskUsageOptions) (types.DiskUsage, error) {
			return types.DiskUsage{
				LayersSize: 300,
				Images: []*image.Summary{
					{ID: "sha256:i1", RepoTags: []string{"app:1", "app:latest"}, Created: 10, Size: 200, SharedSize: 50, Containers: 1},
					{ID: "sha256:i2", RepoTags: []string{"<none>:<none>"}, RepoDigests: []string{"<none>@<none>"}, Created: 20, Size: 150, SharedSize: 50, Containers: 1},
					{ID: "sha256:i3", Created: 30, Size: -1, SharedSize: -1, Containers: -1},
				},
				Containers: []*container.Summary{&web, &old},
				Volumes: []*volume.Volume{
					{Name: "data", Driver: "local", UsageData: &volume.UsageData{Size: 1000, RefCount: 1}},
					{Name: anon, Driver: "local", UsageData: &volume.UsageData{Size: 5, RefCount: 1}},
				},
				BuildCache: []*build.CacheRecord{
					{ID: "b1", Type: "regular", Size: 7, Shared: true, CreatedAt: time.Unix(5, 0)},
					{ID: "b2", Type: "source.local", Size: 9, InUse: true, CreatedAt: time.Unix(6, 0), UsageCount: 2},
				},
			}, nil
		},
		ContainerListFn: func(_ context.Context, o container.ListOptions) ([]container.Summary, error) {
			if !o.All {
				return nil, errors.New("want all containers")
			}
			return []container.Summary{web, old}, nil
		},
		VolumeListFn: func(context.Context, volume.ListOptions) (volume.ListResponse, error) {
			return volume.ListResponse{Volumes: []*volume.Volume{
				{Name: "data", Driver: "local", Labels: map[string]string{ComposeProjectLabel: "shop"}, CreatedAt: "2026-11-01T10:00:00Z"},
				{Name: anon, Driver: "local"},
				{Name: "remote", Driver: "nfs-plugin"},
			}}, nil
		},
		NetworkListFn: func(context.Context, network.ListOptions) ([]network.Summary, error) {
			return []network.Summary{
				{ID: "n0", Name: "bridge", Driver: "bridge", Scope: "local"},
				{ID: "n1", Name: "shop_default", Driver: "bridge", Scope: "local", Labels: map[string]string{ComposeProjectLabel: "shop"}},
				{ID: "n2", Name: "lonely", Driver: "bridge", Scope: "local"},
			}, nil
		},
	}
}

func TestCollectCallsDiskUsageOnce(t *testing.T) {
	t.Parallel()
	e := sampleEngine()
	inv, err := Collect(context.Background(), e, Kinds, time.Unix(1000, 0))
	if err != nil {
		t.Fatal(err)
	}
	if n := e.Calls("DiskUsage"); n != 1 {
		t.Fatalf("DiskUsage called %d times, want 1", n)
	}
	if n := e.Calls("ContainerList"); n != 0 {
		t.Fatalf("ContainerList called %d times; df already lists containers", n)
	}
	if len(inv.Images) != 3 || len(inv.Containers) != 2 || len(inv.Volumes) != 3 || len(inv.Networks) != 3 || len(inv.BuildCache) != 2 {
		t.Fatalf("unexpected counts: %+v", inv)
	}
	if inv.LayersSize != 300 {
		t.Fatalf("LayersSize = %d", inv.LayersSize)
	}
}

func TestCollectNetworksOnlySkipsDiskUsage(t *testing.T) {
	t.Parallel()
	e := sampleEngine()
	inv, err := Collect(context.Background(), e, []Kind{KindNetworks}, time.Unix(1000, 0))
	if err != nil {
		t.Fatal(err)
	}
	if e.Calls("DiskUsage") != 0 {
		t.Fatal("networks do not need /system/df")
	}
	byName := map[string]Network{}
	for _, n := range inv.Networks {
		byName[n.Name] = n
	}
	if got := byName["shop_default"]; len(got.Containers) != 1 || got.Containers[0] != "web-1" || got.ComposeProject != "shop" || got.Builtin {
		t.Fatalf("shop_default = %+v", got)
	}
	if !byName["bridge"].Builtin || byName["lonely"].Builtin || len(byName["lonely"].Containers) != 0 {
		t.Fatalf("builtin flags wrong: %+v", byName)
	}
}

func TestCollectMapsFields(t *testing.T) {
	t.Parallel()
	inv, err := Collect(context.Background(), sampleEngine(), Kinds, time.Unix(1000, 0))
	if err != nil {
		t.Fatal(err)
	}
	img := map[string]Image{}
	for _, i := range inv.Images {
		img[i.ID] = i
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"tags", strings.Join(img["sha256:i1"].Tags, ","), "app:1,app:latest"},
		{"unique", img["sha256:i1"].UniqueBytes, int64(150)},
		{"dangling <none>", img["sha256:i2"].Dangling, true},
		{"no <none> tag", len(img["sha256:i2"].Tags), 0},
		{"unknown size stays -1", img["sha256:i3"].SizeBytes, SizeUnknown},
		{"unknown unique is -1", img["sha256:i3"].UniqueBytes, SizeUnknown},
		{"unknown containers", img["sha256:i3"].Containers, -1},
		{"newest image first", inv.Images[0].ID, "sha256:i3"},
		{"container name", inv.Containers[0].Name, "web-1"},
		{"container volumes", strings.Join(inv.Containers[0].Volumes, ","), "data"},
		{"container project", inv.Containers[0].ComposeProject, "shop"},
		{"container active", inv.Containers[0].Active(), true},
		{"exited not active", inv.Containers[1].Active(), false},
		{"volume size from df", inv.Volumes[1].SizeBytes, int64(1000)},
		{"anonymous by name", inv.Volumes[0].Anonymous, true},
		{"named volume", inv.Volumes[1].Anonymous, false},
		{"volume project", inv.Volumes[1].ComposeProject, "shop"},
		{"volume created", inv.Volumes[1].Created, time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)},
		{"volume users", strings.Join(inv.Volumes[1].Containers, ","), "web-1"},
		{"non-local volume size unknown", inv.Volumes[2].SizeBytes, SizeUnknown},
		{"non-local volume listed", inv.Volumes[2].Name, "remote"},
		{"largest cache record first", inv.BuildCache[0].ID, "b2"},
		{"never used cache", inv.BuildCache[1].LastUsed.IsZero(), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Fatalf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestCollectWrapsEngineErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	e := &fake.Engine{DiskUsageFn: func(context.Context, types.DiskUsageOptions) (types.DiskUsage, error) { return types.DiskUsage{}, boom }}
	_, err := Collect(context.Background(), e, []Kind{KindImages}, time.Now())
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "reading disk usage") {
		t.Fatalf("err = %v", err)
	}
}

func TestCollectWaitsForABusyDiskUsage(t *testing.T) {
	t.Parallel()
	e := sampleEngine()
	real := e.DiskUsageFn
	busy := 2
	e.DiskUsageFn = func(ctx context.Context, o types.DiskUsageOptions) (types.DiskUsage, error) {
		if busy > 0 {
			busy--
			return types.DiskUsage{}, errors.New("Error response from daemon: a disk usage operation is already running")
		}
		return real(ctx, o)
	}
	inv, err := Collect(context.Background(), e, []Kind{KindImages}, time.Now())
	if err != nil || len(inv.Images) != 3 || e.Calls("DiskUsage") != 3 {
		t.Fatalf("err = %v after %d calls", err, e.Calls("DiskUsage"))
	}
	// A busy engine that never frees up ends with the context.
	e.DiskUsageFn = func(context.Context, types.DiskUsageOptions) (types.DiskUsage, error) {
		return types.DiskUsage{}, errors.New("a disk usage operation is already running")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := Collect(ctx, e, []Kind{KindImages}, time.Now()); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("err = %v, want the engine's refusal once the deadline passed", err)
	}
}

func TestNetworksCountNeverStartedContainers(t *testing.T) {
	t.Parallel()
	e := sampleEngine()
	list := e.ContainerListFn
	e.ContainerListFn = func(ctx context.Context, o container.ListOptions) ([]container.Summary, error) {
		cs, err := list(ctx, o)
		created := container.Summary{ID: "c3", Names: []string{"/fresh"}, State: "created",
			NetworkSettings: &container.NetworkSettingsSummary{Networks: map[string]*network.EndpointSettings{"lonely": {}}}}
		return append(cs, created), err
	}
	inv, err := Collect(context.Background(), e, []Kind{KindNetworks}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range inv.Networks {
		if n.Name == "lonely" && (len(n.Containers) != 1 || n.Containers[0] != "fresh") {
			t.Fatalf("lonely = %+v: a never-started container still needs its network", n)
		}
	}
}

// TestAttachedToNetwork is dockctl's one definition of a network's users,
// on container summaries as Docker 20.10 gives them: a container never
// started since it joined a network names it only by name (its endpoint
// has no network id yet).
func TestAttachedToNetwork(t *testing.T) {
	t.Parallel()
	const id, name = "5e1f0c2a9d3b4e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7", "n1"
	eps := func(m map[string]string) *container.NetworkSettingsSummary {
		ns := &container.NetworkSettingsSummary{Networks: map[string]*network.EndpointSettings{}}
		for k, v := range m {
			ns.Networks[k] = &network.EndpointSettings{NetworkID: v}
		}
		return ns
	}
	mode := func(m string) container.Summary {
		s := container.Summary{State: "created"}
		s.HostConfig.NetworkMode = m
		return s
	}
	tests := []struct {
		name string
		s    container.Summary
		want bool
	}{
		{"created: by name, no network id", container.Summary{State: "created", NetworkSettings: eps(map[string]string{name: ""})}, true},
		{"connected while stopped", container.Summary{State: "exited", NetworkSettings: eps(map[string]string{"bridge": "b0", name: ""})}, true},
		{"ran on it: by id", container.Summary{State: "exited", NetworkSettings: eps(map[string]string{name: id})}, true},
		{"ran on it under the same id, listed by another name", container.Summary{State: "exited", NetworkSettings: eps(map[string]string{"old-name": id})}, true},
		{"nil endpoint", container.Summary{State: "created", NetworkSettings: &container.NetworkSettingsSummary{Networks: map[string]*network.EndpointSettings{name: nil}}}, true},
		{"created on it by short id (network mode only)", mode(id[:12]), true},
		{"created on it by name (network mode only)", mode(name), true},
		{"another network", container.Summary{State: "created", NetworkSettings: eps(map[string]string{"n2": ""})}, false},
		{"another network whose name is this id's prefix", container.Summary{State: "exited", NetworkSettings: eps(map[string]string{"n2": "5e1f"})}, false},
		{"no networks", container.Summary{State: "created"}, false},
		{"host mode", mode("host"), false},
		{"default mode", mode("default"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := AttachedToNetwork(tt.s, id, name); got != tt.want {
				t.Errorf("AttachedToNetwork = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestCollectAnonymousVolumes: where the engine records anonymity (API
// 1.42, Docker 23.0, label com.docker.volume.anonymous) dockctl takes its
// word, so a named volume whose name is 64 hex digits stays named; older
// engines do not record it, so there the name decides, and the volume says
// so (AnonymousByName).
func TestCollectAnonymousVolumes(t *testing.T) {
	t.Parallel()
	hexName := strings.Repeat("ab", 32)
	tests := []struct {
		api               string
		labels            map[string]string
		anonymous, byName bool
	}{
		{"1.42", nil, false, false},
		{"1.47", nil, false, false},
		{"1.42", map[string]string{AnonymousVolumeLabel: ""}, true, false},
		{"1.41", nil, true, true},
		{"", nil, true, true},
		{"1.41", map[string]string{AnonymousVolumeLabel: ""}, true, false},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("API %q labels %v", tt.api, tt.labels), func(t *testing.T) {
			e := sampleEngine()
			e.APIVersion = tt.api
			e.VolumeListFn = func(context.Context, volume.ListOptions) (volume.ListResponse, error) {
				return volume.ListResponse{Volumes: []*volume.Volume{{Name: hexName, Driver: "local", Labels: tt.labels}}}, nil
			}
			inv, err := Collect(context.Background(), e, []Kind{KindVolumes}, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			v := inv.Volumes[0]
			if v.Anonymous != tt.anonymous || v.AnonymousByName != tt.byName {
				t.Errorf("anonymous %v (by name %v), want %v (by name %v)", v.Anonymous, v.AnonymousByName, tt.anonymous, tt.byName)
			}
		})
	}
}

// A busy /system/df is waited for at most WaitBusy's bound, and the caller
// is told once that Collect waits and why.
func TestCollectGivesUpOnABusyDiskUsage(t *testing.T) {
	t.Parallel()
	e := sampleEngine()
	e.DiskUsageFn = func(context.Context, types.DiskUsageOptions) (types.DiskUsage, error) {
		return types.DiskUsage{}, errors.New("Error response from daemon: a disk usage operation is already running")
	}
	var told []string
	done := make(chan error, 1)
	go func() {
		_, err := Collect(context.Background(), e, []Kind{KindImages}, time.Now(), WaitBusy(300*time.Millisecond, func(why string) { told = append(told, why) }))
		done <- err
	}()
	select {
	case err := <-done:
		var be *BusyError
		if !errors.As(err, &be) || !strings.Contains(err.Error(), "already running") || !strings.Contains(err.Error(), "300ms") {
			t.Fatalf("err = %v, want a BusyError naming the engine's answer and the wait", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Collect still waits for the busy engine, past its bound")
	}
	if len(told) != 1 || !strings.Contains(told[0], "already running") {
		t.Fatalf("told %q, want one notice with the engine's answer", told)
	}
}

// The containerd image store (API 1.47/1.48): an image's manifests by
// platform, with what of each is here, and the platform a container runs.
func TestCollectPlatforms(t *testing.T) {
	t.Parallel()
	amd64 := &ocispec.Platform{OS: "linux", Architecture: "amd64"}
	manifests := []image.ManifestSummary{
		{Descriptor: ocispec.Descriptor{Digest: "sha256:m1", Platform: amd64}, Available: true, Kind: image.ManifestKindImage,
			ImageData: &image.ImageProperties{Platform: *amd64, Containers: []string{"c1"}}},
		// arm64/v8 loaded without its layers: manifest and config only.
		{Descriptor: ocispec.Descriptor{Digest: "sha256:m2"}, Available: false, Kind: image.ManifestKindImage,
			ImageData: &image.ImageProperties{Platform: ocispec.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
		{Descriptor: ocispec.Descriptor{Digest: "sha256:a1"}, Available: true, Kind: image.ManifestKindAttestation},
	}
	manifests[0].Size.Content, manifests[0].Size.Total, manifests[0].ImageData.Size.Unpacked = 1000, 3000, 2000
	manifests[1].Size.Content, manifests[1].Size.Total = 800, 800
	manifests[2].Size.Content = 40
	want := []ImagePlatform{
		{Platform: "linux/amd64", Kind: "image", Manifest: "sha256:m1", Available: true, ContentBytes: 1000, UnpackedBytes: 2000, Containers: []string{"c1"}},
		{Platform: "linux/arm64/v8", Kind: "image", Manifest: "sha256:m2", ContentBytes: 800},
		{Kind: "attestation", Manifest: "sha256:a1", Available: true, ContentBytes: 40},
	}
	for _, tc := range []struct {
		name       string
		kinds      []Kind
		version    string
		containerd bool
		wantLists  int // image lists with manifests asked
		want       []ImagePlatform
	}{
		{"containerd store, report", Kinds, "1.51", true, 1, want},
		{"containerd store, inspect images", []Kind{KindImages}, "1.51", true, 1, want},
		// A graph driver lists no target descriptor: no request more.
		{"graph driver", Kinds, "1.51", false, 0, nil},
		{"API 1.41", Kinds, "1.41", false, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := sampleEngine()
			e.APIVersion = tc.version
			df := e.DiskUsageFn
			withTarget := func(s *image.Summary) {
				if tc.containerd && s.ID == "sha256:i1" {
					s.Descriptor = &ocispec.Descriptor{MediaType: ocispec.MediaTypeImageIndex, Digest: "sha256:i1", Size: 491}
				}
			}
			e.DiskUsageFn = func(ctx context.Context, o types.DiskUsageOptions) (types.DiskUsage, error) {
				du, err := df(ctx, o)
				for _, s := range du.Images {
					withTarget(s)
				}
				return du, err
			}
			lists := 0
			e.ImageListFn = func(_ context.Context, o image.ListOptions) ([]image.Summary, error) {
				du, _ := df(context.Background(), types.DiskUsageOptions{})
				var out []image.Summary
				for _, s := range du.Images {
					withTarget(s)
					if o.Manifests && s.ID == "sha256:i1" && tc.containerd {
						s.Manifests = manifests
					}
					if !o.SharedSize {
						s.SharedSize = -1
					} else if s.SharedSize < 0 {
						s.SharedSize = 0 // computed, as API 1.42 does
					}
					out = append(out, *s)
				}
				if o.Manifests {
					lists++
				}
				return out, nil
			}
			e.ImageInspectFn = func(_ context.Context, id string) (image.InspectResponse, error) {
				return image.InspectResponse{ID: id}, nil
			}
			e.ImageHistoryFn = func(context.Context, string) ([]image.HistoryResponseItem, error) { return nil, nil }
			var opts []CollectOption
			if len(tc.kinds) == 1 {
				opts = append(opts, ImageLayers(e, LayerOptions{Cache: OpenLayerCache("")}))
			}
			inv, err := Collect(context.Background(), e, tc.kinds, time.Unix(1000, 0), opts...)
			if err != nil {
				t.Fatal(err)
			}
			if tc.containerd && lists != tc.wantLists {
				t.Errorf("%d image lists with manifests, want %d", lists, tc.wantLists)
			}
			if !tc.containerd && e.Calls("ImageList") > 0 && len(tc.kinds) > 1 {
				t.Errorf("ImageList called %d times on a graph driver's engine: no platforms to list", e.Calls("ImageList"))
			}
			for _, img := range inv.Images {
				var w []ImagePlatform
				if img.ID == "sha256:i1" {
					w = tc.want
				}
				if fmt.Sprint(img.Platforms) != fmt.Sprint(w) {
					t.Errorf("%s: platforms %+v, want %+v", img.ID, img.Platforms, w)
				}
			}
		})
	}
}

func TestContainerPinsAPlatform(t *testing.T) {
	t.Parallel()
	s := container.Summary{ID: "c1", ImageManifestDescriptor: &ocispec.Descriptor{Digest: "sha256:m2",
		Platform: &ocispec.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}}}
	c := containerFrom(s)
	if c.ImageManifest != "sha256:m2" || c.ImagePlatform != "linux/arm/v7" {
		t.Errorf("manifest %q platform %q, want sha256:m2 and linux/arm/v7", c.ImageManifest, c.ImagePlatform)
	}
	if c := containerFrom(container.Summary{ID: "c2"}); c.ImageManifest != "" || c.ImagePlatform != "" {
		t.Errorf("API before 1.48: manifest %q platform %q, want none", c.ImageManifest, c.ImagePlatform)
	}
}

// /system/df's containers leave ImageManifestDescriptor out: from API
// 1.48 Collect takes it from the container list; before, it asks nothing
// more.
func TestCollectContainerManifests(t *testing.T) {
	t.Parallel()
	for _, v := range []string{"1.41", "1.48"} {
		t.Run(v, func(t *testing.T) {
			e := sampleEngine()
			e.APIVersion = v
			list := e.ContainerListFn
			e.ContainerListFn = func(ctx context.Context, o container.ListOptions) ([]container.Summary, error) {
				cs, err := list(ctx, o)
				for i := range cs {
					cs[i].ImageManifestDescriptor = &ocispec.Descriptor{Digest: digest.Digest("sha256:m-" + cs[i].ID), Platform: &ocispec.Platform{OS: "linux", Architecture: "amd64"}}
				}
				return cs, err
			}
			inv, err := Collect(context.Background(), e, []Kind{KindContainers}, time.Unix(1000, 0))
			if err != nil {
				t.Fatal(err)
			}
			wantCalls := map[string]int{"1.41": 0, "1.48": 1}[v]
			if n := e.Calls("ContainerList"); n != wantCalls {
				t.Errorf("ContainerList called %d times, want %d", n, wantCalls)
			}
			for _, c := range inv.Containers {
				want := ""
				if wantCalls > 0 {
					want = "sha256:m-" + c.ID
				}
				if c.ImageManifest != want || (want != "") != (c.ImagePlatform == "linux/amd64") {
					t.Errorf("container %s: manifest %q platform %q, want %q", c.ID, c.ImageManifest, c.ImagePlatform, want)
				}
			}
		})
	}
}
