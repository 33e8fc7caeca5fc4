package inspect

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/versions"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"

	"github.com/dockctl/dockctl/internal/engine"
)

// Client is the part of the engine API that inspect reads. It only reads.
type Client interface {
	DiskUsage(ctx context.Context, opts types.DiskUsageOptions) (types.DiskUsage, error)
	ContainerList(ctx context.Context, opts container.ListOptions) ([]container.Summary, error)
	ImageList(ctx context.Context, opts image.ListOptions) ([]image.Summary, error)
	VolumeList(ctx context.Context, opts volume.ListOptions) (volume.ListResponse, error)
	NetworkList(ctx context.Context, opts network.ListOptions) ([]network.Summary, error)
	// ClientVersion is the API version requests use, negotiated on the
	// first request: it says what the engine records (volumes' anonymity
	// from 1.42 on).
	ClientVersion() string
}

var _ Client = (*client.Client)(nil)

// dfObjects are the /system/df types the kinds asked for need, in the
// API's order. Networks need none (the container list names their users).
// Images need none of their own when their layer data can be read (see
// ImageLayers): the image list and that data give docker system df's
// figures; they join a df call that is made anyway, where they cost the
// engine little.
func dfObjects(want map[Kind]bool, imagesFromLayers bool) []types.DiskUsageObject {
	var out []types.DiskUsageObject
	if want[KindContainers] {
		out = append(out, types.ContainerObject)
	}
	others := want[KindContainers] || want[KindVolumes] || want[KindBuildCache]
	if want[KindImages] && (others || !imagesFromLayers) {
		out = append(out, types.ImageObject)
	}
	if want[KindVolumes] {
		out = append(out, types.VolumeObject)
	}
	if want[KindBuildCache] {
		out = append(out, types.BuildCacheObject)
	}
	return out
}

// negotiator settles the API version before any other request, as the
// docker client does with its first request (a /_ping). Its own
// NegotiateAPIVersion drops a failed ping's error, and the next request
// would ping again: an engine that does not answer would cost two
// --timeouts where one says enough.
type negotiator interface {
	Ping(ctx context.Context) (types.Ping, error)
	NegotiateAPIVersionPing(p types.Ping)
}

// dfTypesSupported reports whether an engine answering at API version v
// takes /system/df's type parameter (API 1.42) and sizes only those
// types. Older engines size everything, whatever is asked: on them the
// build cache records, which no other endpoint lists, cost a full df.
func dfTypesSupported(v string) bool {
	return v != "" && versions.GreaterThanOrEqualTo(v, "1.42")
}

// CollectOption tunes Collect.
type CollectOption func(*collectConfig)

type collectConfig struct {
	busyMax     time.Duration
	busyWaiting func(why string)
	layers      LayerClient
	layerOpts   LayerOptions
	sizing      func() (done func())
	sizer       LocalSizer
	buildKit    func(ctx context.Context) ([]build.CacheRecord, error)
}

// WaitBusy bounds how long Collect waits for an engine that refuses
// /system/df because another client's call runs (0: until ctx ends), and
// calls waiting once, with the engine's answer, when the wait starts: a
// wait the user is not told about looks like a hang.
func WaitBusy(max time.Duration, waiting func(why string)) CollectOption {
	return func(c *collectConfig) { c.busyMax, c.busyWaiting = max, waiting }
}

// Sizing calls started as each /system/df request goes out, and the done
// it returns when the answer is in: the request can take minutes on a big
// host, and the caller may want to say so.
func Sizing(started func() (done func())) CollectOption {
	return func(c *collectConfig) { c.sizing = started }
}

// BusyError is Collect's answer when the engine was still busy with
// another disk usage operation at the end of the wait WaitBusy allows.
type BusyError struct {
	Waited time.Duration
	Err    error
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("the engine was still busy with another client's disk usage operation after waiting %v: %v", e.Waited, e.Err)
}

func (e *BusyError) Unwrap() error { return e.Err }

// Collect reads the kinds asked for from the engine into an Inventory. It
// makes at most one /system/df call whatever the kinds, since that call is
// the expensive one (it sizes every container and volume), and none for
// networks, or for images alone when ImageLayers is given. On API 1.42
// and later it asks df only for the types the kinds need. With
// SizeLocally, containers and volumes are sized on disk instead where the
// sizer can, and with BuildCacheFromBuildKit an engine before API 1.42
// (whose df sizes everything whatever is asked) lists its build cache
// without df: then no df is made at all.
func Collect(ctx context.Context, c Client, kinds []Kind, now time.Time, opts ...CollectOption) (*Inventory, error) {
	var cfg collectConfig
	for _, o := range opts {
		o(&cfg)
	}
	inv := &Inventory{Time: now}
	want := map[Kind]bool{}
	for _, k := range kinds {
		want[k] = true
	}
	objs := dfObjects(want, cfg.layers != nil)
	// The API version is settled by the first request; df may be it.
	if n, ok := c.(negotiator); ok {
		ping, err := n.Ping(ctx)
		switch {
		case err == nil:
			n.NegotiateAPIVersionPing(ping)
		case ctx.Err() != nil || engine.Gone(err):
			return nil, fmt.Errorf("reaching the engine: %w", err)
		}
		// Otherwise the engine answered with an HTTP error (a proxy
		// without /_ping): it is there, and its requests negotiate as
		// the client does.
	}
	typed := dfTypesSupported(c.ClientVersion())

	var containers []container.Summary
	var listedVolumes *volume.ListResponse
	var local localSizing
	var bkRecords []build.CacheRecord
	if cfg.sizer != nil && (want[KindContainers] || want[KindVolumes]) {
		var err error
		if containers, err = c.ContainerList(ctx, container.ListOptions{All: true}); err != nil {
			return nil, fmt.Errorf("listing containers: %w", err)
		}
		vl, err := c.VolumeList(ctx, volume.ListOptions{})
		if err != nil {
			return nil, fmt.Errorf("listing volumes: %w", err)
		}
		listedVolumes = &vl
		local = sizeLocally(ctx, cfg.sizer, want, containers, vl.Volumes)
		objs = withoutLocal(objs, local, cfg.layers != nil)
	}
	if want[KindBuildCache] && !typed && cfg.buildKit != nil && onlyBuildCache(objs) {
		// This engine's df would size every container and volume
		// for the build cache alone.
		recs, err := cfg.buildKit(ctx)
		switch {
		case err == nil:
			bkRecords = recs
			objs = nil
		case ctx.Err() != nil:
			return nil, fmt.Errorf("reading the build cache: %w", err)
		default:
			local.bkWhy = err.Error()
		}
	}
	if cfg.sizer != nil && !typed && len(objs) > 0 {
		// One untyped df sizes every kind anyway: take all of its
		// figures, docker's own, rather than mix two sources.
		local.fallBack("the build cache needed a /system/df, which before API 1.42 sizes every kind")
		objs = dfObjects(want, cfg.layers != nil)
	}
	// has says whether the df answer holds kind o: all kinds when the
	// engine takes no type parameter.
	has := func(o types.DiskUsageObject) bool { return !typed || slices.Contains(objs, o) }
	var du *types.DiskUsage
	// The lists df does not give are asked for while it runs: on a big
	// host df takes seconds to minutes, the lists milliseconds each.
	var volumesLater func() (volume.ListResponse, error)
	var networksLater func() ([]network.Summary, error)
	if len(objs) > 0 {
		if want[KindVolumes] && listedVolumes == nil {
			volumesLater = later(func() (volume.ListResponse, error) { return c.VolumeList(ctx, volume.ListOptions{}) })
		}
		if want[KindNetworks] {
			networksLater = later(func() ([]network.Summary, error) { return c.NetworkList(ctx, network.ListOptions{}) })
		}
		d, err := diskUsage(ctx, c, cfg, dfOptions(objs, typed))
		if err != nil {
			return nil, fmt.Errorf("reading disk usage: %w", err)
		}
		du = &d
	}
	switch {
	case local.containers != nil:
		// Listed above, sized on disk.
	case du != nil && has(types.ContainerObject):
		containers = make([]container.Summary, 0, len(du.Containers))
		for _, s := range du.Containers {
			if s != nil {
				containers = append(containers, *s)
			}
		}
	case containers == nil && (want[KindNetworks] || want[KindVolumes] || want[KindImages]):
		var err error
		containers, err = c.ContainerList(ctx, container.ListOptions{All: true})
		if err != nil {
			return nil, fmt.Errorf("listing containers: %w", err)
		}
	}

	if want[KindContainers] {
		for _, s := range containers {
			ct := containerFrom(s)
			if local.containers != nil {
				ct.SizeBytes, ct.RootFSBytes = local.containers[s.ID], SizeUnknown
			}
			inv.Containers = append(inv.Containers, ct)
		}
		if local.containers == nil && du != nil && has(types.ContainerObject) && pinsManifests(c.ClientVersion()) {
			// /system/df's containers leave out the platform manifest
			// each runs; the container list (no sizes) has it.
			list, err := c.ContainerList(ctx, container.ListOptions{All: true})
			if err != nil {
				return nil, fmt.Errorf("listing containers: %w", err)
			}
			addManifests(inv.Containers, list)
		}
		sortContainers(inv.Containers)
	}
	// platformsListed says whether the images' Platforms were filled by
	// a list made with Manifests already.
	platformsListed := false
	if want[KindImages] {
		if du == nil || !has(types.ImageObject) {
			imgs, layers, ok, err := imagesFromLayers(ctx, c, cfg, containers)
			if err != nil {
				return nil, err
			}
			if ok {
				inv.Images, inv.LayersSize = imgs, layers
				platformsListed = true
			} else {
				// Some image's layers could not be sized: the engine's
				// figures it is.
				d, err := diskUsage(ctx, c, cfg, dfOptions([]types.DiskUsageObject{types.ImageObject}, typed))
				if err != nil {
					return nil, fmt.Errorf("reading disk usage: %w", err)
				}
				du = &d
			}
		}
		if inv.Images == nil && du != nil {
			inv.LayersSize = du.LayersSize
			for _, s := range du.Images {
				if s != nil {
					inv.Images = append(inv.Images, imageFrom(*s))
				}
			}
		}
		sortImages(inv.Images)
	}
	if local.containers != nil && want[KindContainers] {
		if err := addRootFS(ctx, c, inv, want[KindImages]); err != nil {
			return nil, err
		}
	}
	if want[KindVolumes] {
		// /system/df lists local volumes only; `docker volume ls` lists every
		// driver's. List to get the same set, and take sizes from df.
		if listedVolumes == nil {
			list := func() (volume.ListResponse, error) { return c.VolumeList(ctx, volume.ListOptions{}) }
			if volumesLater != nil {
				list = volumesLater
			}
			vl, err := list()
			if err != nil {
				return nil, fmt.Errorf("listing volumes: %w", err)
			}
			listedVolumes = &vl
		}
		var sized []*volume.Volume
		switch {
		case local.volumes != nil:
			sized = local.volumeUsage()
		case du != nil:
			sized = du.Volumes
		}
		inv.Volumes = volumesFrom(listedVolumes.Volumes, sized, containers, recordsAnonymous(c.ClientVersion()))
	}
	if want[KindNetworks] {
		list := func() ([]network.Summary, error) { return c.NetworkList(ctx, network.ListOptions{}) }
		if networksLater != nil {
			list = networksLater
		}
		nl, err := list()
		if err != nil {
			return nil, fmt.Errorf("listing networks: %w", err)
		}
		inv.Networks = networksFrom(nl, containers)
	}
	if want[KindBuildCache] {
		records := bkRecords
		if records == nil && du != nil {
			for _, r := range du.BuildCache {
				if r != nil {
					records = append(records, *r)
				}
			}
		}
		for _, r := range records {
			inv.BuildCache = append(inv.BuildCache, buildCacheFrom(r))
		}
		sort.SliceStable(inv.BuildCache, func(i, j int) bool {
			a, b := inv.BuildCache[i], inv.BuildCache[j]
			if a.SizeBytes != b.SizeBytes {
				return a.SizeBytes > b.SizeBytes
			}
			return a.ID < b.ID
		})
	}
	if cfg.sizer != nil || cfg.buildKit != nil {
		inv.Sizing = local.sizing(want, bkRecords != nil, platformsListed)
	}
	if want[KindImages] && !platformsListed && du != nil && onContainerdStore(du.Images) {
		list, err := c.ImageList(ctx, image.ListOptions{Manifests: true})
		if err != nil {
			return nil, fmt.Errorf("listing images' platforms: %w", err)
		}
		addPlatforms(inv.Images, list)
	}
	for _, k := range Kinds {
		if want[k] {
			inv.Collected = append(inv.Collected, k)
		}
	}
	return inv, nil
}

// later runs f now, in the background, and returns its answer when
// called (once).
func later[T any](f func() (T, error)) func() (T, error) {
	type answer struct {
		v   T
		err error
	}
	ch := make(chan answer, 1)
	go func() {
		v, err := f()
		ch <- answer{v, err}
	}()
	return func() (T, error) {
		a := <-ch
		return a.v, a.err
	}
}

// pinsManifests reports whether an engine answering at API version v
// names the platform manifest each container runs
// (ImageManifestDescriptor, API 1.48).
func pinsManifests(v string) bool {
	return v != "" && versions.GreaterThanOrEqualTo(v, "1.48")
}

// addManifests fills the containers' ImageManifest and ImagePlatform from
// a container list.
func addManifests(cs []Container, list []container.Summary) {
	byID := map[string]Container{}
	for _, s := range list {
		byID[s.ID] = containerFrom(s)
	}
	for i := range cs {
		if l, ok := byID[cs[i].ID]; ok {
			cs[i].ImageManifest, cs[i].ImagePlatform = l.ImageManifest, l.ImagePlatform
		}
	}
}

// onContainerdStore reports whether imgs come from the containerd image
// store: API 1.48 lists each image's target descriptor there, and only
// there. (/info says it too, but that is one more request.)
func onContainerdStore(imgs []*image.Summary) bool {
	for _, s := range imgs {
		if s != nil && s.Descriptor != nil {
			return true
		}
	}
	return false
}

// addPlatforms fills the images' Platforms from an image list made with
// Manifests (API 1.47; the client leaves the option out below it).
func addPlatforms(imgs []Image, list []image.Summary) {
	byID := map[string][]ImagePlatform{}
	for _, s := range list {
		byID[s.ID] = platformsOf(s)
	}
	for i := range imgs {
		if p, ok := byID[imgs[i].ID]; ok {
			imgs[i].Platforms = p
		}
	}
}

// platformsOf lists an image's manifests (nil when none are listed).
func platformsOf(s image.Summary) []ImagePlatform {
	var out []ImagePlatform
	for _, m := range s.Manifests {
		p := ImagePlatform{
			Kind:         string(m.Kind),
			Manifest:     m.Descriptor.Digest.String(),
			Available:    m.Available,
			ContentBytes: m.Size.Content,
		}
		if m.ImageData != nil {
			p.Platform = PlatformString(m.ImageData.Platform.OS, m.ImageData.Platform.Architecture, m.ImageData.Platform.Variant)
			p.UnpackedBytes = m.ImageData.Size.Unpacked
			p.Containers = append([]string(nil), m.ImageData.Containers...)
			sort.Strings(p.Containers)
		}
		out = append(out, p)
	}
	return out
}

// PlatformString is a platform as docker prints it: "os/arch[/variant]".
func PlatformString(os, arch, variant string) string {
	if os == "" && arch == "" {
		return ""
	}
	s := os + "/" + arch
	if variant != "" {
		s += "/" + variant
	}
	return s
}

// busyDiskUsage is how engines before Docker 23 refuse a /system/df call
// while another one runs (newer engines share the running one).
const busyDiskUsage = "a disk usage operation is already running"

// diskUsage calls /system/df, waiting for another client's call to finish
// when the engine refuses to run two at once: two CI jobs reporting on one
// host should both get their report.
func diskUsage(ctx context.Context, c Client, cfg collectConfig, opts types.DiskUsageOptions) (types.DiskUsage, error) {
	wait := 100 * time.Millisecond
	var deadline <-chan time.Time // nil: no bound but ctx
	told := false
	for {
		d, err := sized(ctx, c, cfg, opts)
		if err == nil || !strings.Contains(err.Error(), busyDiskUsage) {
			return d, err
		}
		if !told {
			told = true
			if cfg.busyMax > 0 {
				deadline = time.After(cfg.busyMax)
			}
			if cfg.busyWaiting != nil {
				cfg.busyWaiting(err.Error())
			}
		}
		select {
		case <-ctx.Done():
			return d, err
		case <-deadline:
			return d, &BusyError{Waited: cfg.busyMax, Err: err}
		case <-time.After(wait):
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// sized is one /system/df request, between the Sizing hooks.
func sized(ctx context.Context, c Client, cfg collectConfig, opts types.DiskUsageOptions) (types.DiskUsage, error) {
	if cfg.sizing != nil {
		defer cfg.sizing()()
	}
	return c.DiskUsage(ctx, opts)
}

// dfOptions asks for objs where the engine takes types, for all otherwise.
func dfOptions(objs []types.DiskUsageObject, typed bool) types.DiskUsageOptions {
	if !typed {
		return types.DiskUsageOptions{}
	}
	return types.DiskUsageOptions{Types: objs}
}

// imagesFromLayers lists images as docker system df does, without it: ids,
// tags and sizes from the image list; containers per image from the
// container list; shared bytes are those of the layers (by chain id) that
// another listed image has too — the engine counts among the default
// list, without the untagged parents of other images, as ImageList
// returns it. It reports false, with no error, when it cannot: no layer
// client, or an image whose layers could not be sized.
func imagesFromLayers(ctx context.Context, c Client, cfg collectConfig, containers []container.Summary) ([]Image, int64, bool, error) {
	imgs, ok, err := listImagesFromLayers(ctx, c, cfg, containers)
	if !ok || err != nil {
		return nil, SizeUnknown, ok, err
	}
	return imgs, layersSize(imgs), true, nil
}

func listImagesFromLayers(ctx context.Context, c Client, cfg collectConfig, containers []container.Summary) ([]Image, bool, error) {
	if cfg.layers == nil {
		return nil, false, nil
	}
	list, err := c.ImageList(ctx, image.ListOptions{})
	if err != nil {
		return nil, false, fmt.Errorf("listing images: %w", err)
	}
	users := map[string]int{}
	for _, s := range containers {
		users[s.ImageID]++
	}
	imgs := make([]Image, 0, len(list))
	containerd := false
	for _, s := range list {
		imgs = append(imgs, imageFrom(s))
		containerd = containerd || s.Descriptor != nil
	}
	if containerd {
		// The containerd image store: an image's history gives its
		// snapshots only, its Size has its content blobs too. The
		// engine's shared sizes count both (API 1.42 computes them in
		// the list, as /system/df does, without sizing anything else).
		// That list is the listing: images may come and go between the
		// two requests.
		sized, err := c.ImageList(ctx, image.ListOptions{SharedSize: true, Manifests: true})
		if err != nil {
			return nil, false, fmt.Errorf("listing images: %w", err)
		}
		imgs = imgs[:0]
		for _, s := range sized {
			if s.SharedSize < 0 {
				return nil, false, nil // an engine before 1.42: df it is
			}
			img := imageFrom(s)
			img.Containers = users[img.ID]
			imgs = append(imgs, img)
		}
		return imgs, true, nil
	}
	if err := CollectLayers(ctx, cfg.layers, imgs, cfg.layerOpts); err != nil {
		return nil, false, err
	}
	refs := map[string]int{}
	for _, img := range imgs {
		if img.Layers == nil {
			return nil, false, nil
		}
		for _, l := range img.Layers {
			refs[l.ChainID]++
		}
	}
	for i := range imgs {
		img := &imgs[i]
		img.SharedBytes = 0
		for _, l := range img.Layers {
			if refs[l.ChainID] > 1 {
				img.SharedBytes += l.SizeBytes
			}
		}
		img.UniqueBytes = SizeUnknown
		if img.SizeBytes >= 0 {
			img.UniqueBytes = img.SizeBytes - img.SharedBytes
		}
		img.Containers = users[img.ID]
	}
	return imgs, true, nil
}

// layersSize is df's LayersSize from the images' layers, and strips them:
// each layer (by chain id) once, as the engine sums the layers its images
// reference. Hidden intermediate images add none: their layers are the
// first ones of the image built on them. Unknown where an image has no
// layer list (the containerd image store's listing, whose figures come
// from the engine's shared sizes instead).
func layersSize(imgs []Image) int64 {
	var n int64
	seen := map[string]bool{}
	for i := range imgs {
		if imgs[i].Layers == nil {
			n = SizeUnknown
		}
		for _, l := range imgs[i].Layers {
			if n >= 0 && !seen[l.ChainID] {
				seen[l.ChainID] = true
				n += max(l.SizeBytes, 0)
			}
		}
		// The listing shows what df showed; layers are the report's.
		imgs[i].Layers = nil
	}
	return n
}

func imageFrom(s imageSummary) Image {
	img := Image{
		ID:          s.ID,
		Created:     time.Unix(s.Created, 0).UTC(),
		Labels:      nonNilMap(s.Labels),
		SizeBytes:   s.Size,
		SharedBytes: s.SharedSize,
		UniqueBytes: SizeUnknown,
		Containers:  int(s.Containers),
		Platforms:   platformsOf(s),
	}
	for _, t := range s.RepoTags {
		if t != "<none>:<none>" {
			img.Tags = append(img.Tags, t)
		}
	}
	for _, d := range s.RepoDigests {
		if d != "<none>@<none>" {
			img.Digests = append(img.Digests, d)
		}
	}
	img.Tags = nonNilSlice(img.Tags)
	img.Digests = nonNilSlice(img.Digests)
	img.Dangling = len(img.Tags) == 0
	if s.Size >= 0 && s.SharedSize >= 0 {
		img.UniqueBytes = s.Size - s.SharedSize
	}
	if s.Containers < 0 {
		img.Containers = -1
	}
	return img
}

func containerFrom(s container.Summary) Container {
	c := Container{
		ID:          s.ID,
		Image:       s.Image,
		ImageID:     s.ImageID,
		State:       string(s.State),
		Status:      s.Status,
		Created:     time.Unix(s.Created, 0).UTC(),
		Labels:      nonNilMap(s.Labels),
		SizeBytes:   s.SizeRw,
		RootFSBytes: s.SizeRootFs,
		LogBytes:    SizeUnknown,
		Volumes:     []string{},
		Networks:    []string{},
	}
	c.Name = ContainerName(s)
	if d := s.ImageManifestDescriptor; d != nil {
		c.ImageManifest = d.Digest.String()
		if d.Platform != nil {
			c.ImagePlatform = PlatformString(d.Platform.OS, d.Platform.Architecture, d.Platform.Variant)
		}
	}
	for _, m := range s.Mounts {
		if m.Type == "volume" && m.Name != "" {
			c.Volumes = append(c.Volumes, m.Name)
		}
	}
	sort.Strings(c.Volumes)
	if s.NetworkSettings != nil {
		for name := range s.NetworkSettings.Networks {
			c.Networks = append(c.Networks, name)
		}
		sort.Strings(c.Networks)
	}
	c.ComposeProject = c.Labels[ComposeProjectLabel]
	return c
}

// anonymousName is how the engine names a volume it creates for a VOLUME
// instruction or a bare -v /path: 64 hex digits.
var anonymousName = regexp.MustCompile(`^[0-9a-f]{64}$`)

// AnonymousVolumeLabel is set by engines from Docker 23 on to mark
// anonymous volumes.
const AnonymousVolumeLabel = "com.docker.volume.anonymous"

// recordsAnonymous reports whether an engine answering at API version v
// labels the volumes it creates without a name (Docker 23.0, API 1.42).
// With such an engine the label alone decides: a volume someone named
// with 64 hex digits is named. (A volume made anonymous before the engine
// was upgraded has no label and counts as named: kept, the safe side.)
func recordsAnonymous(v string) bool {
	return v != "" && versions.GreaterThanOrEqualTo(v, "1.42")
}

func volumesFrom(listed []*volume.Volume, sized []*volume.Volume, containers []container.Summary, recorded bool) []Volume {
	size := map[string]*volume.UsageData{}
	for _, v := range sized {
		if v != nil && v.UsageData != nil {
			size[v.Name] = v.UsageData
		}
	}
	users := map[string][]string{}
	for _, s := range containers {
		name := ContainerName(s)
		for _, m := range s.Mounts {
			if m.Type == "volume" && m.Name != "" {
				users[m.Name] = append(users[m.Name], name)
			}
		}
	}
	out := make([]Volume, 0, len(listed))
	for _, v := range listed {
		if v == nil {
			continue
		}
		vol := Volume{
			Name:       v.Name,
			Driver:     v.Driver,
			Labels:     nonNilMap(v.Labels),
			SizeBytes:  SizeUnknown,
			RefCount:   len(users[v.Name]),
			Containers: nonNilSlice(users[v.Name]),
		}
		sort.Strings(vol.Containers)
		if t, err := time.Parse(time.RFC3339, v.CreatedAt); err == nil {
			vol.Created = t.UTC()
		}
		if u, ok := size[v.Name]; ok {
			vol.SizeBytes = u.Size
			if u.RefCount >= 0 {
				vol.RefCount = int(u.RefCount)
			}
		}
		_, labelled := vol.Labels[AnonymousVolumeLabel]
		vol.Anonymous = labelled
		if !labelled && !recorded && anonymousName.MatchString(v.Name) {
			// Older engines do not record it: the name is all there is.
			vol.Anonymous, vol.AnonymousByName = true, true
		}
		vol.ComposeProject = vol.Labels[ComposeProjectLabel]
		out = append(out, vol)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// builtinNetworks cannot be removed; docker network prune skips them.
var builtinNetworks = map[string]bool{"bridge": true, "host": true, "none": true, "ingress": true, "docker_gwbridge": true}

// AttachedToNetwork reports whether container s, in any state, is attached
// to the network known by id and name. It is dockctl's one definition of a
// network's users, for the inventory the planner reads and for the
// re-check before a network's removal: a stopped container needs its
// networks to start again. The engine's own answers each miss some:
// network inspect lists running endpoints only, and on Docker 20.10 the
// container list's network=<id> filter misses a container never started
// since it joined (created, or connected while stopped), whose endpoint
// has no network id yet. So every way a container names a network counts:
// the name its endpoint is listed under, the network id the endpoint
// records, and the network mode it was created with (a name or an id
// prefix, as --network takes).
func AttachedToNetwork(s container.Summary, id, name string) bool {
	if s.NetworkSettings != nil {
		for n, ep := range s.NetworkSettings.Networks {
			if (name != "" && n == name) || (id != "" && ep != nil && ep.NetworkID == id) {
				return true
			}
		}
	}
	mode := s.HostConfig.NetworkMode
	return mode != "" && (mode == name || (id != "" && strings.HasPrefix(id, mode)))
}

// ContainerName is the name a container summary gives, without docker's
// leading slash.
func ContainerName(s container.Summary) string {
	if len(s.Names) > 0 {
		return strings.TrimPrefix(s.Names[0], "/")
	}
	return ""
}

func networksFrom(listed []network.Summary, containers []container.Summary) []Network {
	out := make([]Network, 0, len(listed))
	for _, n := range listed {
		nw := Network{
			ID:         n.ID,
			Name:       n.Name,
			Driver:     n.Driver,
			Scope:      n.Scope,
			Created:    n.Created.UTC(),
			Labels:     nonNilMap(n.Labels),
			Containers: []string{},
			Builtin:    builtinNetworks[n.Name],
		}
		for _, s := range containers {
			if AttachedToNetwork(s, n.ID, n.Name) {
				nw.Containers = append(nw.Containers, ContainerName(s))
			}
		}
		sort.Strings(nw.Containers)
		nw.ComposeProject = nw.Labels[ComposeProjectLabel]
		out = append(out, nw)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func buildCacheFrom(r buildCacheRecord) BuildCacheRecord {
	b := BuildCacheRecord{
		ID:          r.ID,
		Type:        r.Type,
		Description: r.Description,
		Parents:     nonNilSlice(r.Parents),
		SizeBytes:   r.Size,
		InUse:       r.InUse,
		Shared:      r.Shared,
		Created:     r.CreatedAt.UTC(),
		UsageCount:  r.UsageCount,
	}
	if len(b.Parents) == 0 && r.Parent != "" {
		b.Parents = []string{r.Parent}
	}
	if r.LastUsedAt != nil {
		b.LastUsed = r.LastUsedAt.UTC()
	}
	return b
}

func sortImages(imgs []Image) {
	sort.SliceStable(imgs, func(i, j int) bool {
		if !imgs[i].Created.Equal(imgs[j].Created) {
			return imgs[i].Created.After(imgs[j].Created)
		}
		return imgs[i].ID < imgs[j].ID
	})
}

func sortContainers(cs []Container) {
	sort.SliceStable(cs, func(i, j int) bool {
		if !cs[i].Created.Equal(cs[j].Created) {
			return cs[i].Created.After(cs[j].Created)
		}
		return cs[i].ID < cs[j].ID
	})
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func nonNilSlice(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

type (
	imageSummary     = image.Summary
	buildCacheRecord = build.CacheRecord
)

// ImageLayers lets Collect list images without /system/df: their shared
// and unique bytes are worked out from each image's layers, read through
// lc (and o's cache).
func ImageLayers(lc LayerClient, o LayerOptions) CollectOption {
	return func(c *collectConfig) { c.layers, c.layerOpts = lc, o }
}
