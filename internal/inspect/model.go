package inspect

import (
	"strings"
	"time"
)

// SizeUnknown marks a size the engine did not compute. Renderers show it as
// N/A; it is never confused with 0.
const SizeUnknown int64 = -1

// ComposeProjectLabel is the label docker compose puts on what it creates.
const ComposeProjectLabel = "com.docker.compose.project"

// Inventory is what the engine holds, as plain data. Only the kinds asked
// for are filled; Collected says which.
type Inventory struct {
	Collected  []Kind             `json:"collected"`
	Images     []Image            `json:"images,omitempty"`
	Containers []Container        `json:"containers,omitempty"`
	Volumes    []Volume           `json:"volumes,omitempty"`
	Networks   []Network          `json:"networks,omitempty"`
	BuildCache []BuildCacheRecord `json:"build_cache,omitempty"`
	// LayersSize is the engine's total of all image layers, each counted
	// once (the SIZE of docker system df's Images row); SizeUnknown when
	// images were listed without /system/df (see ImageLayers).
	LayersSize int64 `json:"layers_size_bytes"`
	// UnreferencedLayers are layers of the layer store that no image and
	// no container uses and whose dir the layer store made (not a
	// BuildKit snapshot's): on 20.10, what BuildKit's "from local"
	// records still hold of a removed base image (see FromLocal). The
	// engine sizes such a record 0 B, yet pruning the build cache frees
	// the layer. Filled only where the layer store's files are readable
	// here (the storage probe); nil otherwise.
	UnreferencedLayers []Layer `json:"unreferenced_layers,omitempty"`
	// Store is the containerd image store's object graph, where the
	// engine keeps images that way and containerd's socket is readable
	// here (the storage probe); nil otherwise. When set, what removing
	// an image, a container or a build-cache record frees is read from
	// it (StoreBook), not from layer lists.
	Store *StoreGraph `json:"store,omitempty"`
	// Sizing says who measured each sized kind's bytes: the engine's
	// /system/df, or dockctl itself where the disk is readable here
	// (LocalSizer) and, for the build cache, BuildKit asked directly.
	// Empty when Collect was given no way around /system/df.
	Sizing []SizeSource `json:"sizing,omitempty"`
	Time   time.Time    `json:"time"`
}

// Sizing sources.
const (
	// SizedByEngine: the engine's /system/df.
	SizedByEngine = "engine"
	// SizedByDisk: dockctl walked the objects' dirs, counting as the
	// engine counts (LocalSizer).
	SizedByDisk = "disk"
	// SizedByBuildKit: the engine's BuildKit, asked through /grpc for
	// the records /system/df would list.
	SizedByBuildKit = "buildkit"
	// SizedByLayers: the image list and each image's layers (ImageLayers).
	SizedByLayers = "layers"
)

// SizeSource is who measured one kind's bytes, and why the engine did when
// dockctl was asked to and could not.
type SizeSource struct {
	Kind Kind   `json:"kind"`
	By   string `json:"by"`
	Why  string `json:"why,omitempty"`
}

// Has reports whether kind k was collected.
func (inv *Inventory) Has(k Kind) bool {
	for _, c := range inv.Collected {
		if c == k {
			return true
		}
	}
	return false
}

// DockerBytes is the engine's own disk use as docker system df's SIZE
// column adds it up: image layers (each once), writable layers, volumes and
// unshared build cache. Unknown sizes count 0. Layers are summed from the
// images' layer lists when every image has one (they then equal the
// engine's LayersSize), and taken from LayersSize otherwise.
//
// With the containerd image store's graph (Store), images, writable
// layers and build cache are the graph's objects, each once whoever holds
// it (blobs and snapshots the build cache shares with images are not
// counted twice), with what the collector has yet to sweep.
func (inv *Inventory) DockerBytes() int64 {
	var n int64
	if inv.Store != nil {
		b := inv.Store.NewBook()
		n = b.Held() + b.Garbage()
		for _, v := range inv.Volumes {
			n += max(v.SizeBytes, 0)
		}
		return n
	}
	layers := map[string]int64{}
	withLayers := len(inv.Images) > 0
	for _, img := range inv.Images {
		if img.Layers == nil {
			withLayers = false
		}
		for _, l := range img.Layers {
			layers[l.ChainID] = l.SizeBytes
		}
	}
	if withLayers {
		for _, s := range layers {
			n += max(s, 0)
		}
	} else {
		n += max(inv.LayersSize, 0)
	}
	for _, c := range inv.Containers {
		n += max(c.SizeBytes, 0)
	}
	for _, v := range inv.Volumes {
		n += max(v.SizeBytes, 0)
	}
	for _, r := range inv.BuildCache {
		if !r.Shared {
			n += max(r.SizeBytes, 0)
		}
	}
	return n
}

// Image is one image as `docker image ls` lists it.
type Image struct {
	ID      string            `json:"id"`
	Tags    []string          `json:"tags"`
	Digests []string          `json:"digests"`
	Created time.Time         `json:"created"`
	Labels  map[string]string `json:"labels"`
	// SizeBytes is the size of all the image's layers.
	SizeBytes int64 `json:"size_bytes"`
	// SharedBytes is the part of SizeBytes in layers other images use too.
	SharedBytes int64 `json:"shared_bytes"`
	// UniqueBytes = SizeBytes - SharedBytes: what removing only this image frees.
	UniqueBytes int64 `json:"unique_bytes"`
	// Containers counts the containers (any state) created from this image.
	Containers int  `json:"containers"`
	Dangling   bool `json:"dangling"`
	// LastTagged is when a tag was last put on the image (zero if never or
	// unknown); filled with Layers.
	LastTagged time.Time `json:"last_tagged,omitzero"`
	// Layers are the image's layers bottom to top, keyed by chain id, with
	// each layer's own size. Filled by CollectLayers; nil otherwise.
	Layers []Layer `json:"layers,omitempty"`
	// Platforms are the image's manifests on the containerd image store,
	// as docker lists them (API 1.47): one per platform (and attestation)
	// the image's index names, whether or not its content is here. nil on
	// other stores and older engines, which keep one platform per image.
	Platforms []ImagePlatform `json:"platforms,omitempty"`
}

// ImagePlatform is one manifest of a multi-platform image, as the engine
// describes it. Its bytes are what is present locally: a platform pulled
// or loaded without its layers counts its manifest and config only.
type ImagePlatform struct {
	// Platform is "os/arch[/variant]" ("" for an attestation).
	Platform string `json:"platform"`
	// Kind is "image" or "attestation" (docker's ManifestKind).
	Kind string `json:"kind"`
	// Manifest is the manifest's digest.
	Manifest string `json:"manifest"`
	// Available is set when all of its content (config, layers) is here.
	Available bool `json:"available"`
	// ContentBytes are its blobs present here (manifest, config, layers),
	// by descriptor size.
	ContentBytes int64 `json:"content_bytes"`
	// UnpackedBytes are its snapshots' usage: 0 unless unpacked, as the
	// engine does for its own platform when it loads or pulls.
	UnpackedBytes int64 `json:"unpacked_bytes"`
	// Containers are the ids of the containers that run this platform.
	Containers []string `json:"containers,omitempty"`
}

// Layer is one image layer. ChainID identifies the layer together with
// everything below it, so two images share a layer exactly when they share
// its chain id, and a layer's bytes exist once on disk however many images
// use it.
type Layer struct {
	ChainID   string `json:"chain_id"`
	SizeBytes int64  `json:"size_bytes"`
	// CacheID names the layer's dir under the storage driver's dir, as
	// the layer store's files say (layerdb/sha256/<chain>/cache-id); ""
	// when the engine's root dir is not readable here. It tells a layer
	// BuildKit made (its snapshot's dir) from one the layer store made.
	CacheID string `json:"cache_id,omitempty"`
}

// Container is one container as `docker ps -a --size` lists it.
type Container struct {
	ID      string            `json:"id"`
	Name    string            `json:"name"`
	Image   string            `json:"image"`
	ImageID string            `json:"image_id"`
	State   string            `json:"state"`
	Status  string            `json:"status"`
	Created time.Time         `json:"created"`
	Labels  map[string]string `json:"labels"`
	// SizeBytes is the writable layer (docker's SizeRw).
	SizeBytes int64 `json:"size_bytes"`
	// RootFSBytes is the writable layer plus the image (docker's SizeRootFs).
	RootFSBytes int64 `json:"root_fs_bytes"`
	// LogBytes is the size of the container's log files on disk (the live
	// file and its rotations), which docker counts nowhere; -1 when not
	// measured (only the storage probe sees them); absent from JSON when 0.
	LogBytes       int64    `json:"log_bytes,omitempty"`
	Volumes        []string `json:"volumes"`
	Networks       []string `json:"networks"`
	ComposeProject string   `json:"compose_project"`
	// LogDriver is the container's logging driver (HostConfig.LogConfig
	// Type) and LogMaxSize its max-size option ("" when unlimited); both
	// "" when not collected.
	LogDriver  string `json:"log_driver,omitempty"`
	LogMaxSize string `json:"log_max_size,omitempty"`
	// LogFiles are the container's json-file log files, the live file
	// first, then its rotations, as the local storage probe found them;
	// nil when not collected.
	LogFiles []LogFile `json:"log_files,omitempty"`
	// ImageManifest is the digest of the platform manifest of its image
	// the container runs, and ImagePlatform that platform
	// ("os/arch[/variant]"): on the containerd image store a container
	// pins one platform of a multi-platform image (API 1.48,
	// ImageManifestDescriptor); "" elsewhere.
	ImageManifest string `json:"image_manifest,omitempty"`
	ImagePlatform string `json:"image_platform,omitempty"`
}

// LogFile is one log file of a container, by the path dockctl reads it
// at, with its apparent size (-1 when unknown).
type LogFile struct {
	Path  string `json:"path"`
	Bytes int64  `json:"bytes"`
}

// LogRotation reports whether name is a rotation of the log file base,
// as moby's loggerutils names them (rotate and compressFile in
// daemon/logger/loggerutils/logfile.go): base.N and, compressed, base.N.gz.
func LogRotation(base, name string) bool {
	rest, ok := strings.CutPrefix(name, base+".")
	if !ok {
		return false
	}
	rest = strings.TrimSuffix(rest, ".gz")
	if rest == "" {
		return false
	}
	for _, r := range rest {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// Active is docker system df's notion of a container in use.
func (c Container) Active() bool {
	switch c.State {
	case "running", "paused", "restarting":
		return true
	}
	return false
}

// Volume is one volume as `docker volume ls` lists it, with its size.
type Volume struct {
	Name    string            `json:"name"`
	Driver  string            `json:"driver"`
	Created time.Time         `json:"created"`
	Labels  map[string]string `json:"labels"`
	// SizeBytes is -1 where the engine does not measure (non-local drivers).
	SizeBytes int64 `json:"size_bytes"`
	// RefCount is how many containers (any state) mount it.
	RefCount   int      `json:"ref_count"`
	Containers []string `json:"containers"`
	Anonymous  bool     `json:"anonymous"`
	// AnonymousByName is set when only the name (64 hex digits) says the
	// volume is anonymous: engines before Docker 23.0 do not record it, so
	// a volume someone named so cannot be told apart there.
	AnonymousByName bool   `json:"anonymous_by_name,omitempty"`
	ComposeProject  string `json:"compose_project"`
}

// Network is one network as `docker network ls` lists it.
type Network struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	Driver         string            `json:"driver"`
	Scope          string            `json:"scope"`
	Created        time.Time         `json:"created"`
	Labels         map[string]string `json:"labels"`
	Containers     []string          `json:"containers"`
	Builtin        bool              `json:"builtin"`
	ComposeProject string            `json:"compose_project"`
}

// BuildCacheRecord is one BuildKit cache record.
type BuildCacheRecord struct {
	ID          string    `json:"id"`
	Type        string    `json:"type"`
	Description string    `json:"description"`
	Parents     []string  `json:"parents"`
	SizeBytes   int64     `json:"size_bytes"`
	InUse       bool      `json:"in_use"`
	Shared      bool      `json:"shared"`
	Created     time.Time `json:"created"`
	// LastUsed is zero when the record was never used.
	LastUsed   time.Time `json:"last_used"`
	UsageCount int       `json:"usage_count"`
}
