package probe

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sys/unix"

	"github.com/dockctl/dockctl/internal/inspect"
)

// Container is what the probe needs to know about one container, as the
// engine's inspect tells it.
type Container struct {
	ID string `json:"id"`
	// LogPath is inspect's LogPath ("" for the local driver, whose files
	// the probe finds under the container's dir all the same).
	LogPath string `json:"log_path"`
	// UpperDir is inspect's GraphDriver.Data["UpperDir"] (overlay2,
	// fuse-overlayfs); "" when the engine names none.
	UpperDir string `json:"upper_dir"`
	// Pid is inspect's State.Pid: a running container's process (0 when
	// not running). On the containerd image store its rootfs mount is the
	// only place that names the writable layer's dir.
	Pid int `json:"pid,omitempty"`
	// LogDriver is inspect's HostConfig.LogConfig.Type and LogMaxSize its
	// max-size option ("" when the log is not limited).
	LogDriver  string `json:"log_driver,omitempty"`
	LogMaxSize string `json:"log_max_size,omitempty"`
}

// Volume is what the probe needs to know about one volume.
type Volume struct {
	Name       string            `json:"name"`
	Driver     string            `json:"driver"`
	Mountpoint string            `json:"mountpoint"`
	Options    map[string]string `json:"options,omitempty"`
}

// Targets are the objects to measure besides the root dir.
type Targets struct {
	Containers []Container `json:"containers"`
	Volumes    []Volume    `json:"volumes"`
	// Store is the containerd image store's graph (Probe.Store), nil
	// where there is none. It names what the disk does not: a stopped
	// container's writable snapshot and which blob files images hold.
	Store *inspect.StoreGraph `json:"-"`
	// ObjectsOnly measures the targets alone, not the root dir (whose
	// walk, over every image layer, is the long part on a host with
	// many images): RootDirBytes is -1 and TopLevel nil. For a listing
	// that shows objects' sizes and nothing of the whole disk.
	ObjectsOnly bool `json:"-"`
}

// Measurement is what the probe found on disk. Byte counts are int64; -1
// means "not measured" and the matching *Unknown field says why, so a
// caller can fall back to the engine's figure for that object.
type Measurement struct {
	// RootDir is the dir measured (where the engine's root dir is visible
	// here).
	RootDir string `json:"root_dir"`
	// RootDirBytes is `du -sbx RootDir`.
	RootDirBytes int64 `json:"root_dir_bytes"`
	// TopLevel splits RootDirBytes by the root dir's entries, by name;
	// RootDirBytes = the root dir's own size + their sum.
	TopLevel []DirBytes `json:"top_level"`
	// Driver splits the storage driver's dir by what keeps each layer
	// dir; nil when the probe cannot tell (a driver it does not know, an
	// unreadable layer store).
	Driver     *DriverDir       `json:"driver,omitempty"`
	Containers []ContainerBytes `json:"containers"`
	Volumes    []VolumeBytes    `json:"volumes"`
	// Warnings are paths that could not be read; their bytes are missing
	// from the figures above.
	Warnings []Warning `json:"warnings,omitempty"`
}

// DirBytes is the `du -sbx` figure of one entry of the root dir.
type DirBytes struct {
	Name  string `json:"name"`
	Bytes int64  `json:"bytes"`
	// Entries split Bytes by the dir's own entries for the dirs whose
	// entries belong to different objects (the driver dir, volumes);
	// Bytes = the dir's own size + their sum.
	Entries []DirBytes `json:"entries,omitempty"`
	// ImageBytes and ContainerBytes are the part of Bytes in paths that
	// belong to one image or one container by their names (see
	// Probe.objectPaths): the objects' metadata, which docker sizes
	// nowhere. Set for "containers" and "image".
	ImageBytes     int64 `json:"image_bytes,omitempty"`
	ContainerBytes int64 `json:"container_bytes,omitempty"`
}

// ContainerBytes is one container's logs and writable layer.
type ContainerBytes struct {
	ID string `json:"id"`
	// LogBytes is the apparent size of every log file of the container:
	// the live file and its rotated siblings.
	LogBytes int64     `json:"log_bytes"`
	LogFiles []LogFile `json:"log_files"`
	// WritableBytes is the writable layer counted as the engine counts
	// SizeRw; -1 when the probe cannot (WritableUnknown says why).
	WritableBytes   int64  `json:"writable_bytes"`
	WritableUnknown string `json:"writable_unknown,omitempty"`
	// InitBytes is, on the containerd image store, the usage of the
	// container's init layer (snapshot <id>-init), which SizeRw leaves
	// out and removing the container frees with it; 0 elsewhere or when
	// unknown.
	InitBytes int64 `json:"init_bytes,omitempty"`
}

// LogFile is one log file, by the path it was read at here.
type LogFile struct {
	Path  string `json:"path"`
	Bytes int64  `json:"bytes"`
}

// VolumeBytes is one volume counted as the engine counts UsageData.Size;
// -1 when the probe cannot (Unknown says why).
type VolumeBytes struct {
	Name    string `json:"name"`
	Bytes   int64  `json:"bytes"`
	Unknown string `json:"unknown,omitempty"`
	// NotSizedByEngine is set for the volumes the engine does not size
	// either (another driver; a local volume with mount options).
	NotSizedByEngine bool `json:"not_sized_by_engine,omitempty"`
}

// Workers bounds the walks running at once. Walking is mostly waiting on
// the filesystem, so twice the CPUs keeps the disk busy without flooding
// a small machine.
func Workers() int { return 2 * runtime.NumCPU() }

// Measure walks the root dir and every target, Workers() walks at a time.
// It never writes. It returns an *Unavailable when the root dir turns out
// to be another engine's, and the context's error when cancelled.
func (p *Probe) Measure(ctx context.Context, t Targets) (Measurement, error) {
	if err := p.checkHoldsContainers(t.Containers); err != nil {
		return Measurement{}, err
	}
	m := Measurement{
		RootDir:    p.local,
		Containers: make([]ContainerBytes, len(t.Containers)),
		Volumes:    make([]VolumeBytes, len(t.Volumes)),
	}
	var mu sync.Mutex
	warn := func(ws []Warning) {
		if len(ws) == 0 {
			return
		}
		mu.Lock()
		m.Warnings = append(m.Warnings, ws...)
		mu.Unlock()
	}

	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(Workers())

	// The root dir: one walk per top-level entry, sharing one inode set
	// so a file hard-linked into two of them counts once, as in one du.
	var rootSt unix.Stat_t
	if err := unix.Lstat(p.local, &rootSt); err != nil {
		return Measurement{}, fmt.Errorf("measuring %s: %w", p.local, err)
	}
	names, err := readNames(p.local)
	if err != nil {
		return Measurement{}, fmt.Errorf("measuring %s: %w", p.local, err)
	}
	seen := newInodeSet()
	seen.first(&rootSt)
	if t.ObjectsOnly {
		names = nil
	}
	duWalk := func(path string, into *int64) {
		g.Go(func() error {
			d := &duSize{seen: seen}
			ws, err := walk(gctx, path, walkOptions{xdev: true, dev: rootSt.Dev}, d.add)
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				if gctx.Err() != nil {
					return gctx.Err()
				}
				ws = append(ws, Warning{Path: path, Err: unwrapPath(err).Error()})
			}
			warn(ws)
			*into = d.bytes
			return nil
		})
	}
	// Each object's own metadata paths first, so the walks of the
	// top-level dirs below count only what no object's path holds (one
	// inode set: a path is counted by whichever walk reaches it first).
	var objs []objectPath
	if !t.ObjectsOnly {
		objs = p.objectPaths(t)
	}
	objBytes := make([]int64, len(objs))
	for i, o := range objs {
		duWalk(o.path, &objBytes[i])
	}
	if err := g.Wait(); err != nil {
		return Measurement{}, err
	}
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(Workers())

	owners := p.layerOwners()
	m.TopLevel = make([]DirBytes, len(names))
	// own is the size of each split dir's own entry, counted in its Bytes.
	own := make([]int64, len(names))
	for i, name := range names {
		m.TopLevel[i].Name = name
		path := filepath.Join(p.local, name)
		if (name == "volumes" || (owners != nil && name == p.driver)) && p.splitDir(path, &rootSt, seen, &m.TopLevel[i], &own[i]) {
			// One walk per entry: a layer dir or a volume each.
			for j := range m.TopLevel[i].Entries {
				duWalk(filepath.Join(path, m.TopLevel[i].Entries[j].Name), &m.TopLevel[i].Entries[j].Bytes)
			}
			continue
		}
		duWalk(path, &m.TopLevel[i].Bytes)
	}

	for i, c := range t.Containers {
		g.Go(func() error {
			cb, ws := p.measureContainer(gctx, c, t.Store)
			warn(ws)
			m.Containers[i] = cb
			return gctx.Err()
		})
	}
	for i, v := range t.Volumes {
		g.Go(func() error {
			vb, ws := p.measureVolume(gctx, v)
			warn(ws)
			m.Volumes[i] = vb
			return gctx.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return Measurement{}, err
	}
	if err := ctx.Err(); err != nil {
		return Measurement{}, err
	}
	m.RootDirBytes = rootSt.Size
	if t.ObjectsOnly {
		m.RootDirBytes, m.TopLevel = -1, nil
	}
	for i := range m.TopLevel {
		d := &m.TopLevel[i]
		for j, o := range objs {
			if o.top != d.Name {
				continue
			}
			d.Bytes += objBytes[j]
			if o.owner == OwnerImage {
				d.ImageBytes += objBytes[j]
			} else {
				d.ContainerBytes += objBytes[j]
			}
		}
		if d.Entries != nil {
			d.Bytes = own[i]
			for _, e := range d.Entries {
				d.Bytes += e.Bytes
			}
			if d.Name == p.driver && owners != nil {
				m.Driver = driverDir(*d, own[i], owners)
			}
		}
		m.RootDirBytes += d.Bytes
	}
	sort.Slice(m.Warnings, func(i, j int) bool { return m.Warnings[i].Path < m.Warnings[j].Path })
	return m, nil
}

// checkHoldsContainers proves, where no engine-id file did, that the dir
// is this engine's: each container has a dir <root>/containers/<id>, so
// when the engine has containers and the dir holds none of them, it is
// another engine's (or an old copy).
func (p *Probe) checkHoldsContainers(cs []Container) error {
	if p.verified || len(cs) == 0 {
		return nil
	}
	for _, c := range cs {
		if _, err := os.Lstat(filepath.Join(p.local, "containers", c.ID)); err == nil {
			return nil
		}
	}
	return &Unavailable{Reason: ReasonOtherEngine, RootDir: p.engineRoot, Local: p.local,
		Err: fmt.Errorf("it holds none of the engine's %d containers", len(cs))}
}

func (p *Probe) measureContainer(ctx context.Context, c Container, store *inspect.StoreGraph) (ContainerBytes, []Warning) {
	cb := ContainerBytes{ID: c.ID, WritableBytes: -1, LogFiles: []LogFile{}}
	var warnings []Warning
	files, ws := p.logFiles(c)
	warnings = append(warnings, ws...)
	for _, f := range files {
		cb.LogBytes += f.Bytes
	}
	cb.LogFiles = append(cb.LogFiles, files...)

	var dir string
	var size rule
	if rw, init, ok := p.storeLayers(store, c.ID); ok {
		cb.WritableBytes, cb.InitBytes = rw, init
		return cb, warnings
	}
	switch {
	case p.layers == layerSnapshot:
		upper, why := p.snapshotUpperDir(c.Pid)
		if why != "" {
			cb.WritableUnknown = why
			return cb, warnings
		}
		dir, size = upper, newBlockUsage()
	case p.layers != layerOverlay:
		cb.WritableUnknown = fmt.Sprintf("unknown driver %q: the engine names no writable-layer dir for it", p.driver)
		return cb, warnings
	case c.UpperDir == "":
		cb.WritableUnknown = "the engine named no UpperDir"
		return cb, warnings
	default:
		dir, size = c.UpperDir, newMobySize()
	}
	local, ok := p.localPath(dir)
	if !ok {
		cb.WritableUnknown = fmt.Sprintf("%s is outside the root dir mounted here", dir)
		return cb, warnings
	}
	ws, err := walk(ctx, local, walkOptions{}, size.add)
	warnings = append(warnings, ws...)
	if err != nil {
		cb.WritableUnknown = unwrapPath(err).Error()
		return cb, warnings
	}
	cb.WritableBytes = size.total()
	return cb, warnings
}

func (p *Probe) measureVolume(ctx context.Context, v Volume) (VolumeBytes, []Warning) {
	vb := VolumeBytes{Name: v.Name, Bytes: -1}
	switch {
	case v.Driver != "local":
		// The engine sizes local volumes only (LocalVolumesSize).
		vb.Unknown, vb.NotSizedByEngine = fmt.Sprintf("volume driver %q keeps its data elsewhere", v.Driver), true
		return vb, nil
	case len(v.Options) > 0:
		// A local volume with options is a mount (tmpfs, nfs, bind): its
		// data is not on this disk, and the engine does not size it either.
		vb.Unknown, vb.NotSizedByEngine = "a local volume with mount options: its data is not on the root dir's disk", true
		return vb, nil
	}
	dir, ok := p.localPath(v.Mountpoint)
	if !ok {
		vb.Unknown = fmt.Sprintf("%s is outside the root dir mounted here", v.Mountpoint)
		return vb, nil
	}
	size := newMobySize()
	ws, err := walk(ctx, dir, walkOptions{}, size.add)
	if err != nil {
		vb.Unknown = unwrapPath(err).Error()
		return vb, ws
	}
	vb.Bytes = size.bytes
	return vb, ws
}

// logFiles finds a container's log files. The json-file driver writes
// LogPath (<root>/containers/<id>/<id>-json.log); the local driver writes
// <root>/containers/<id>/local-logs/container.log and keeps it out of the
// API (moby daemon/container: "Do not set container.LogPath for the local
// driver"); drivers that cannot be read back get a local cache,
// container-cached.log, with dual logging. loggerutils rotates each as
// <file>.1, <file>.2, … and, when compressing, <file>.N.gz (rotate and
// compressFile in daemon/logger/loggerutils/logfile.go), so every
// "<file>", "<file>.<N>" and "<file>.<N>.gz" beside it is the
// container's.
func (p *Probe) logFiles(c Container) ([]LogFile, []Warning) {
	cdir := filepath.Join(p.local, "containers", c.ID)
	bases := []string{
		filepath.Join(cdir, "local-logs", "container.log"),
		filepath.Join(cdir, "container-cached.log"),
	}
	if lp, ok := p.localPath(c.LogPath); ok {
		bases = append([]string{lp}, bases...)
	}
	return p.filesOf(bases)
}

// JSONLogFiles are the files of a json-file log: inspect's LogPath (the
// live file, first) and its rotations, nothing else; none when LogPath is
// not visible here or the container does not log with json-file. It
// only reads.
func (p *Probe) JSONLogFiles(c Container) ([]LogFile, []Warning) {
	lp, ok := p.localPath(c.LogPath)
	if c.LogDriver != "json-file" || !ok {
		return nil, nil
	}
	files, ws := p.filesOf([]string{lp})
	if len(files) > 0 && files[0].Path != lp {
		// The live file is missing (not yet written): rotations alone
		// are not a log `prune logs` can prune.
		return nil, ws
	}
	return files, ws
}

// LocalPath maps a path the engine reported (LogPath, UpperDir, volume
// Mountpoint) to where it is visible here; false when it is not.
func (p *Probe) LocalPath(enginePath string) (string, bool) { return p.localPath(enginePath) }

// ContainersDir is the engine's containers dir as visible here.
func (p *Probe) ContainersDir() string { return filepath.Join(p.local, "containers") }

// filesOf lists each base file and its rotations (base.N, base.N.gz),
// regular files only, with their apparent sizes.
func (p *Probe) filesOf(bases []string) ([]LogFile, []Warning) {
	var files []LogFile
	var warnings []Warning
	for _, base := range bases {
		dir, name := filepath.Split(base)
		names, err := readNames(dir)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				warnings = append(warnings, Warning{Path: dir, Err: unwrapPath(err).Error()})
			}
			continue
		}
		for _, n := range names {
			if !isLogFile(name, n) {
				continue
			}
			path := filepath.Join(dir, n)
			var st unix.Stat_t
			if err := unix.Lstat(path, &st); err != nil {
				if !errors.Is(err, unix.ENOENT) {
					warnings = append(warnings, Warning{Path: path, Err: err.Error()})
				}
				continue
			}
			if st.Mode&unix.S_IFMT != unix.S_IFREG {
				continue
			}
			files = append(files, LogFile{Path: path, Bytes: st.Size})
		}
	}
	return files, warnings
}

// isLogFile reports whether name is base or one of its rotations
// (base.N, base.N.gz).
func isLogFile(base, name string) bool { return name == base || inspect.LogRotation(base, name) }

// readNames returns the names in dir, sorted.
func readNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := f.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	return names, nil
}

// splitDir prepares one walk per entry of dir (a top-level dir on the
// root's filesystem): it counts dir's own entry into own, as du counts
// it, and lists the entries into d.Entries. It returns false, having
// counted nothing, when dir is not such a dir: the caller walks it whole.
func (p *Probe) splitDir(dir string, root *unix.Stat_t, seen *inodeSet, d *DirBytes, own *int64) bool {
	var st unix.Stat_t
	if err := unix.Lstat(dir, &st); err != nil || st.Mode&unix.S_IFMT != unix.S_IFDIR || st.Dev != root.Dev {
		return false
	}
	names, err := readNames(dir)
	if err != nil {
		return false
	}
	if seen.first(&st) {
		*own = st.Size
	}
	d.Entries = make([]DirBytes, len(names))
	for j, n := range names {
		d.Entries[j].Name = n
	}
	return true
}

// driverDir splits the driver dir's measured entries by owner.
func driverDir(d DirBytes, own int64, owners map[string]Owner) *DriverDir {
	dd := &DriverDir{Name: d.Name, OtherBytes: own, Other: []DirBytes{}}
	for _, e := range d.Entries {
		switch owners[e.Name] {
		case OwnerImage:
			dd.ImageBytes += e.Bytes
		case OwnerContainer:
			dd.ContainerBytes += e.Bytes
		default:
			dd.OtherBytes += e.Bytes
			dd.Other = append(dd.Other, DirBytes{Name: e.Name, Bytes: e.Bytes})
		}
	}
	sort.SliceStable(dd.Other, func(i, j int) bool { return dd.Other[i].Bytes > dd.Other[j].Bytes })
	return dd
}

// Sizes are the measurement's containers and volumes as the engine sizes
// them for /system/df: writable layers by container id, volumes by name
// (inspect.SizeUnknown for those the engine does not size either: other
// drivers, local volumes with mount options). An object the walk could
// not size is left out, with why in Unsized.
func (m Measurement) Sizes() inspect.LocalSizes {
	s := inspect.LocalSizes{
		Containers: make(map[string]int64, len(m.Containers)),
		Volumes:    make(map[string]int64, len(m.Volumes)),
		Unsized:    map[string]string{},
	}
	for _, c := range m.Containers {
		if c.WritableBytes < 0 {
			s.Unsized[c.ID] = c.WritableUnknown
			continue
		}
		s.Containers[c.ID] = c.WritableBytes
	}
	for _, v := range m.Volumes {
		switch {
		case v.Bytes >= 0:
			s.Volumes[v.Name] = v.Bytes
		case v.NotSizedByEngine:
			s.Volumes[v.Name] = inspect.SizeUnknown
		default:
			s.Unsized[v.Name] = v.Unknown
		}
	}
	return s
}
