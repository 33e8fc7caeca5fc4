package usage

import (
	"sort"

	"github.com/dockctl/dockctl/internal/inspect"
	"github.com/dockctl/dockctl/internal/probe"
)

// ToleranceBytes and TolerancePercent bound how far the rows (docker's
// SIZE figures, the logs and Unaccounted) may fall short of the root
// dir's `du`: docker sizes objects by their files' bytes, du counts the
// directories and layer-store metadata around them too (a layer dir's
// work and link entries, a container's init layer and config files).
// The larger of the two applies.
const (
	ToleranceBytes   int64   = 256 << 10
	TolerancePercent float64 = 1
)

// Disk is what the storage probe measured of the engine's root dir, or
// why it could not.
type Disk struct {
	// RootDir is where the root dir was measured (the engine's own path,
	// or where it is mounted here).
	RootDir string `json:"root_dir,omitempty"`
	// RootDirBytes is `du -sbx` of the root dir; -1 when not measured.
	RootDirBytes int64 `json:"root_dir_bytes"`
	// MetadataBytes is what the objects' own paths take beyond the rows'
	// SIZE (docker sizes files' bytes): their directories, a container's
	// dir (config, hostname, resolv.conf; its logs are the Logs row) and
	// init layer, a layer's and an image's records in the layer and image
	// store, a volume's dir. Attributed by path (probe.objectPaths); 0
	// when not measured.
	MetadataBytes int64 `json:"metadata_bytes,omitempty"`
	// AccountedBytes is the rows' SIZE added up with the logs, the
	// objects' metadata and Unaccounted; AccountedPercent is its share of
	// RootDirBytes. Both are -1 when a --filter leaves objects out of the
	// rows.
	AccountedBytes   int64   `json:"accounted_bytes"`
	AccountedPercent float64 `json:"accounted_percent"`
	// Unaccounted splits the Unaccounted row by the root dir's top-level
	// entries, largest first.
	Unaccounted []DirShare `json:"unaccounted,omitempty"`
	// UnavailableReason is the one line saying what dockctl could not
	// see and how to give it access; "" when measured.
	UnavailableReason string `json:"unavailable_reason,omitempty"`
	// Warnings counts paths the probe could not read (their bytes are
	// missing from the figures).
	Warnings int `json:"warnings,omitempty"`
}

// DirShare is the part of one top-level entry of the root dir that no
// row accounts for.
type DirShare struct {
	Name string `json:"name"`
	// Bytes is unaccounted; DirBytes is the entry's whole `du`.
	Bytes    int64  `json:"bytes"`
	DirBytes int64  `json:"dir_bytes"`
	What     string `json:"what"`
}

// ContainerLog is one container's log files on disk.
type ContainerLog struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	State    string `json:"state"`
	LogBytes int64  `json:"log_bytes"`
}

// FillLogs copies each container's measured log bytes into inv (matched
// by ID); containers the measurement does not hold keep theirs (-1 from
// the engine: not measured).
func FillLogs(inv *inspect.Inventory, m *probe.Measurement) {
	if m == nil {
		return
	}
	logs := make(map[string]int64, len(m.Containers))
	for _, c := range m.Containers {
		logs[c.ID] = c.LogBytes
	}
	for i := range inv.Containers {
		if n, ok := logs[inv.Containers[i].ID]; ok {
			inv.Containers[i].LogBytes = n
		}
	}
}

// whatDir says what a top-level entry of the root dir holds, for the
// entries no row accounts for whole.
var whatDir = map[string]string{
	"buildkit":   "BuildKit's metadata and content store",
	"containerd": "containerd's metadata and content",
	"containers": "dirs of containers docker no longer lists (a listed container's dir is its metadata, its logs the Logs row)",
	"image":      "the image and layer store's metadata",
	"network":    "network state",
	"plugins":    "plugins",
	"tmp":        "leftovers of interrupted pulls, builds and exports",
	"volumes":    "volume metadata and dirs of volumes docker no longer lists",
	"swarm":      "swarm state",
	"trust":      "content trust keys",
	"runtimes":   "runtime state",
}

// logsRow is the Logs row: containers in scope with a log on disk, the
// running ones, their bytes, and the logs of the containers that
// `dockctl prune containers` removes.
func logsRow(inv *inspect.Inventory, sc Scope, plan []int64) Row {
	var r Row
	for _, c := range inv.Containers {
		if !sc.container(c) || c.LogBytes <= 0 {
			continue
		}
		r.Total++
		if c.Active() {
			r.Active++
		}
		r.SizeBytes += c.LogBytes
	}
	for _, n := range plan {
		r.ReclaimableBytes += n
	}
	return r
}

// diskRows fills the Logs and Unaccounted rows and the disk section from
// the probe's measurement m. Unaccounted is the root dir's du less what
// the rows' objects take measured the same way (du's way): so the rows
// plus Unaccounted fall short of du only by the directories and metadata
// inside the objects the rows count (see ToleranceBytes).
func diskRows(a *Accounting, inv *inspect.Inventory, sc Scope, eng inspect.EngineInfo, m *probe.Measurement, reason string) *Disk {
	driver := eng.StorageDriver
	d := &Disk{RootDirBytes: -1, AccountedBytes: -1, AccountedPercent: -1, UnavailableReason: reason}
	if m == nil {
		return d
	}
	d.RootDir, d.RootDirBytes, d.Warnings = m.RootDir, m.RootDirBytes, len(m.Warnings)
	var logItems []int64
	for _, it := range reclaim(inv, sc, true, inspect.KindContainers).Items {
		logItems = append(logItems, it.LogBytes)
	}
	logs := logsRow(inv, sc, logItems)
	a.Summary.Logs = &logs

	volumes := map[string]bool{}
	for _, v := range inv.Volumes {
		volumes[v.Name] = true
	}
	var allLogs int64
	for _, c := range m.Containers {
		allLogs += c.LogBytes
	}
	var buildCache int64
	for _, r := range inv.BuildCache {
		if !r.Shared {
			buildCache += max(r.SizeBytes, 0)
		}
	}
	// The du of each kind's own paths: with their SIZE taken off, the
	// objects' metadata.
	var imagePaths, containerPaths, volumePaths, logsInPaths int64
	var un Row
	for _, top := range m.TopLevel {
		share := DirShare{Name: top.Name, DirBytes: top.Bytes, Bytes: top.Bytes, What: whatDir[top.Name]}
		if top.Name == "containerd" && inv.Store != nil {
			// The engine's own containerd: its blobs and snapshots are
			// the store's graph, which the rows count (storeSizes). The
			// rows count a snapshot as containerd does, by its allocated
			// blocks, while the dir's du counts file sizes: a sparse
			// file's holes are in this share (in TestDiskReport on
			// engine29 most of it: 41.9 MB of five 8 MiB sparse files).
			sh := storeShares(inv)
			share.Bytes = top.Bytes - sh.Images - sh.Containers - sh.BuildCache - sh.Garbage
			share.What = "containerd's metadata and snapshot dirs around their files, what only BuildKit's build history and other leases keep, and sparse files' holes in snapshots (du counts file sizes, the rows a snapshot's allocated blocks, as containerd does)"
			if share.Bytes = max(share.Bytes, 0); share.Bytes > 0 {
				un.Total++
				un.SizeBytes += share.Bytes
				d.Unaccounted = append(d.Unaccounted, share)
			}
			continue
		}
		if top.Name == "containerd" && eng.ContainerdStore {
			// The graph could not be read (containerd's socket is not
			// reachable here): take docker's figures of what lives
			// there off, as for a driver the probe cannot split.
			share.Bytes = max(top.Bytes-max(inv.LayersSize, 0)-a.Summary.Containers.SizeBytes-buildCache, 0)
			share.What = "containerd's metadata and content beyond docker's sizes of images, writable layers and build cache (containerd's socket is not readable here, so blobs and snapshots are not matched to their holders)"
			if share.Bytes > 0 {
				un.Total++
				un.SizeBytes += share.Bytes
				d.Unaccounted = append(d.Unaccounted, share)
			}
			continue
		}
		imagePaths += top.ImageBytes
		containerPaths += top.ContainerBytes
		share.Bytes -= top.ImageBytes + top.ContainerBytes
		switch {
		case top.Name == "containers" && top.ContainerBytes == 0:
			// A measurement that did not attribute the containers' dirs.
			share.Bytes = top.Bytes - allLogs
		case top.Name == "containers":
			// The containers' dirs hold their logs.
			logsInPaths = allLogs
		case top.Name == "volumes" && top.Entries != nil:
			for _, e := range top.Entries {
				if volumes[e.Name] {
					share.Bytes -= e.Bytes
					volumePaths += e.Bytes
				}
			}
		case m.Driver != nil && top.Name == m.Driver.Name:
			imagePaths += m.Driver.ImageBytes
			containerPaths += m.Driver.ContainerBytes
			// Image layers and containers' layers are attributed by the
			// layer store; BuildKit's own snapshots are named only in
			// its database, so the build cache's SIZE is taken off the
			// dirs nothing else references.
			share.Bytes = top.Bytes - m.Driver.ImageBytes - m.Driver.ContainerBytes - buildCache
			share.What = "layer dirs no image layer or container references, beyond the build cache's size: orphans (stop the engine before removing any)"
		case top.Name == driver:
			// A driver the probe cannot split: take docker's figures off.
			share.Bytes = top.Bytes - max(inv.LayersSize, 0) - a.Summary.Containers.SizeBytes - buildCache
			share.What = "the storage driver's dir beyond docker's sizes of its layers"
		}
		share.Bytes = max(share.Bytes, 0)
		if share.Bytes == 0 {
			continue
		}
		un.Total++
		un.SizeBytes += share.Bytes
		d.Unaccounted = append(d.Unaccounted, share)
	}
	sort.SliceStable(d.Unaccounted, func(i, j int) bool { return d.Unaccounted[i].Bytes > d.Unaccounted[j].Bytes })
	a.Summary.Unaccounted = &un
	if len(sc.Filters) == 0 && d.RootDirBytes > 0 {
		s := a.Summary
		// Engine-wide: the rows hold every object whose paths were counted.
		d.MetadataBytes = max(imagePaths-s.Images.SizeBytes, 0) + max(containerPaths-s.Containers.SizeBytes-logsInPaths, 0) + max(volumePaths-s.Volumes.SizeBytes, 0)
		rows := s.Images.SizeBytes + s.Containers.SizeBytes + s.BuildCache.SizeBytes
		if a.storeBytes > 0 {
			// The containerd store's objects each once (storeOnDisk):
			// what the containerd dir's Unaccounted was taken from.
			rows = a.storeBytes
		}
		d.AccountedBytes = rows + s.Volumes.SizeBytes + logs.SizeBytes + d.MetadataBytes + un.SizeBytes
		d.AccountedPercent = float64(d.AccountedBytes) * 100 / float64(d.RootDirBytes)
	}
	return d
}

// Within reports whether accounted bytes are within the stated tolerance
// of the root dir's du.
func Within(accounted, du int64) bool {
	diff := du - accounted
	if diff < 0 {
		diff = -diff
	}
	return diff <= max(ToleranceBytes, int64(float64(du)*TolerancePercent/100))
}

// largestLogs lists the containers in scope with a log on disk, largest
// first.
func largestLogs(inv *inspect.Inventory, sc Scope, top int) []ContainerLog {
	var out []ContainerLog
	for _, c := range inv.Containers {
		if sc.container(c) && c.LogBytes > 0 {
			out = append(out, ContainerLog{ID: c.ID, Name: c.Name, State: c.State, LogBytes: c.LogBytes})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].LogBytes > out[j].LogBytes })
	if top > 0 && len(out) > top {
		out = out[:top]
	}
	return out
}
