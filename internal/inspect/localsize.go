package inspect

import (
	"context"
	"fmt"
	"slices"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/volume"
)

// LocalSizer sizes containers' writable layers and volumes where the
// engine's disk is readable here, counting each as the engine counts it
// for /system/df (SizeRw, UsageData.Size), so that Collect need not ask
// the engine, which sizes every container and volume for that call.
type LocalSizer interface {
	SizeLocally(ctx context.Context, containers []container.Summary, volumes []*volume.Volume) (LocalSizes, error)
}

// LocalSizes are a LocalSizer's figures.
type LocalSizes struct {
	// Containers are writable-layer bytes by container id. A listed
	// container missing here could not be sized (Unsized says why): then
	// the engine sizes every container, so one list has one source.
	Containers map[string]int64
	// Volumes are bytes by volume name, SizeUnknown for a volume the
	// engine does not size either (another driver, or a local volume
	// with mount options). A listed volume missing here could not be
	// sized: then the engine sizes them all.
	Volumes map[string]int64
	// Unsized says why, by container id or volume name.
	Unsized map[string]string
}

// SizeLocally makes Collect size containers and volumes with s instead of
// /system/df, kind by kind, wherever s sizes every object of the kind.
func SizeLocally(s LocalSizer) CollectOption {
	return func(c *collectConfig) { c.sizer = s }
}

// BuildCacheFromBuildKit gives Collect a way to list the build cache
// without /system/df on engines before API 1.42, whose df sizes every
// container and volume whatever is asked (engine.BuildCacheUsage). It is
// used when the build cache is all a df would be made for: the other
// kinds sized on disk (SizeLocally), from their layers, or not asked for.
// When it fails, df it is.
func BuildCacheFromBuildKit(list func(ctx context.Context) ([]build.CacheRecord, error)) CollectOption {
	return func(c *collectConfig) { c.buildKit = list }
}

// localSizing is what a LocalSizer gave Collect: nil maps for the kinds
// the engine sizes, and why.
type localSizing struct {
	containers, volumes map[string]int64
	containersWhy       string
	volumesWhy          string
	bkWhy               string
}

// sizeLocally asks s, and keeps each kind only where every listed object
// of it was sized.
func sizeLocally(ctx context.Context, s LocalSizer, want map[Kind]bool, cs []container.Summary, vols []*volume.Volume) localSizing {
	var l localSizing
	sizes, err := s.SizeLocally(ctx, cs, vols)
	if err != nil {
		l.containersWhy, l.volumesWhy = err.Error(), err.Error()
		return l
	}
	if want[KindContainers] {
		l.containers, l.containersWhy = complete(sizes.Containers, sizes.Unsized, "container", func(yield func(string) bool) {
			for _, c := range cs {
				if !yield(c.ID) {
					return
				}
			}
		})
	}
	if want[KindVolumes] {
		l.volumes, l.volumesWhy = complete(sizes.Volumes, sizes.Unsized, "volume", func(yield func(string) bool) {
			for _, v := range vols {
				if v != nil && !yield(v.Name) {
					return
				}
			}
		})
	}
	return l
}

// complete is sized when it has every key, else nil and why not.
func complete(sized map[string]int64, unsized map[string]string, kind string, keys func(func(string) bool)) (map[string]int64, string) {
	for k := range keys {
		if _, ok := sized[k]; !ok {
			why := unsized[k]
			if why == "" {
				why = "not measured"
			}
			return nil, fmt.Sprintf("%s %.12s: %s", kind, k, why)
		}
	}
	if sized == nil {
		sized = map[string]int64{}
	}
	return sized, ""
}

// fallBack gives every kind back to the engine.
func (l *localSizing) fallBack(why string) {
	if l.containers != nil {
		l.containers, l.containersWhy = nil, why
	}
	if l.volumes != nil {
		l.volumes, l.volumesWhy = nil, why
	}
}

// volumeUsage is the sized volumes as /system/df lists them: those the
// engine sizes, with no RefCount (volumesFrom counts the users).
func (l localSizing) volumeUsage() []*volume.Volume {
	out := make([]*volume.Volume, 0, len(l.volumes))
	for name, n := range l.volumes {
		if n >= 0 {
			out = append(out, &volume.Volume{Name: name, UsageData: &volume.UsageData{Size: n, RefCount: -1}})
		}
	}
	return out
}

// sizing is the Inventory's record of who sized what.
func (l localSizing) sizing(want map[Kind]bool, fromBuildKit, imagesFromLayers bool) []SizeSource {
	var out []SizeSource
	add := func(k Kind, local bool, by, why string) {
		if !want[k] {
			return
		}
		if local {
			out = append(out, SizeSource{Kind: k, By: by})
			return
		}
		out = append(out, SizeSource{Kind: k, By: SizedByEngine, Why: why})
	}
	add(KindContainers, l.containers != nil, SizedByDisk, l.containersWhy)
	add(KindVolumes, l.volumes != nil, SizedByDisk, l.volumesWhy)
	add(KindImages, imagesFromLayers, SizedByLayers, "")
	add(KindBuildCache, fromBuildKit, SizedByBuildKit, l.bkWhy)
	return out
}

// withoutLocal drops from objs the kinds sized on disk, and the images
// when their layers give them (imagesFromLayers): what is left is what df
// must size. An untyped df (API < 1.42) sizes the rest all the same.
func withoutLocal(objs []types.DiskUsageObject, l localSizing, layers bool) []types.DiskUsageObject {
	return slices.DeleteFunc(slices.Clone(objs), func(o types.DiskUsageObject) bool {
		return (o == types.ContainerObject && l.containers != nil) || (o == types.VolumeObject && l.volumes != nil) ||
			(o == types.ImageObject && layers)
	})
}

// onlyBuildCache reports whether the build cache is all objs still need
// df for (images, when there, come from their layers without it).
func onlyBuildCache(objs []types.DiskUsageObject) bool {
	if !slices.Contains(objs, types.BuildCacheObject) {
		return false
	}
	for _, o := range objs {
		if o != types.BuildCacheObject && o != types.ImageObject {
			return false
		}
	}
	return true
}

// addRootFS fills the locally sized containers' RootFSBytes as the engine
// does for SizeRootFs: the writable layer plus the image's layers (the
// image's Size on a graph driver). The images are those collected, or a
// list of them.
func addRootFS(ctx context.Context, c Client, inv *Inventory, collected bool) error {
	size := map[string]int64{}
	if collected {
		for _, img := range inv.Images {
			size[img.ID] = img.SizeBytes
		}
	} else {
		list, err := c.ImageList(ctx, image.ListOptions{All: true})
		if err != nil {
			return fmt.Errorf("listing images: %w", err)
		}
		for _, s := range list {
			size[s.ID] = s.Size
		}
	}
	for i := range inv.Containers {
		ct := &inv.Containers[i]
		if n, ok := size[ct.ImageID]; ok && n >= 0 && ct.SizeBytes >= 0 {
			ct.RootFSBytes = ct.SizeBytes + n
		}
	}
	return nil
}
