package probe

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/docker/docker/api/types/system"
)

// Reason says why the probe cannot measure the disk.
type Reason string

// Reasons Open and Measure give.
const (
	// ReasonNoRootDir: the engine did not say where its root dir is.
	ReasonNoRootDir Reason = "no_root_dir"
	// ReasonNotFound: the root dir does not exist here (a remote engine,
	// or dockctl in a container without the root dir mounted).
	ReasonNotFound Reason = "not_found"
	// ReasonPermission: the root dir exists but cannot be read.
	ReasonPermission Reason = "permission"
	// ReasonOtherEngine: the dir here belongs to another engine (its
	// engine-id differs, or it holds none of the engine's containers).
	ReasonOtherEngine Reason = "other_engine"
)

// Unavailable is the error Open and Measure return when the engine's root
// dir cannot be measured from here. Callers fall back to what the engine
// reports and print Error() as the one-line notice.
type Unavailable struct {
	Reason Reason
	// RootDir is the engine's root dir as the engine names it; Local is
	// where the probe looked for it.
	RootDir, Local string
	Err            error
}

func (u *Unavailable) Error() string {
	give := fmt.Sprintf("run dockctl on the engine's host as root or as a user who can read %s, or mount it read-only into dockctl's container (-v %s:%s:ro)",
		u.RootDir, u.RootDir, u.RootDir)
	switch u.Reason {
	case ReasonNoRootDir:
		return "cannot measure the disk: the engine did not report its root dir"
	case ReasonNotFound:
		return fmt.Sprintf("cannot measure the disk: the engine's root dir %s is not visible here; %s", u.Local, give)
	case ReasonPermission:
		return fmt.Sprintf("cannot measure the disk: the engine's root dir %s is not readable here (%v); %s", u.Local, u.Err, give)
	default:
		return fmt.Sprintf("cannot measure the disk: %s is not this engine's root dir (%v); %s", u.Local, u.Err, give)
	}
}

func (u *Unavailable) Unwrap() error { return u.Err }

// Options say where the probe finds the root dir.
type Options struct {
	// RootDir is where the engine's root dir is visible here, when it is
	// mounted at another path than the engine's own (DockerRootDir);
	// "" means the engine's own path.
	RootDir string
}

// Driver kinds the probe knows how to measure a writable layer for.
const (
	// layerOverlay: overlay2 and fuse-overlayfs graph drivers, whose
	// inspect GraphDriver.Data names the UpperDir; sized by mobySize.
	layerOverlay = "overlay"
	// layerSnapshot: the containerd image store with the overlayfs
	// snapshotter. Inspect names no dir (GraphDriver is null); a running
	// container's rootfs mount names its upper dir; sized by blockUsage.
	layerSnapshot = "snapshot"
	// layerUnknown: anything else.
	layerUnknown = ""
)

// Probe measures one engine's root dir. It only ever reads.
type Probe struct {
	engineRoot string // the root dir as the engine names it
	local      string // where it is visible here
	driver     string // /info Driver
	layers     string // layerOverlay, layerSnapshot or layerUnknown
	proc       string // where /proc is (tests replace it)
	// now is the clock leases' expiry is read against (tests replace it).
	now func() time.Time
	// verified is true when the engine-id file proved the dir is the
	// engine's; otherwise Measure checks that the dir holds the
	// engine's containers.
	verified bool
	// containerd is set when the engine keeps images in containerd, and
	// socket is containerd's socket as /info names it (API 1.46+; "" on
	// older engines).
	containerd bool
	socket     string
	// namespace is the containerd namespace the engine keeps its
	// containers' snapshots in (/info Containerd.Namespaces.Containers).
	namespace string
}

// Open decides whether the engine described by info can be measured from
// here and returns a probe for it, or an *Unavailable saying why not.
//
// The dir must exist and be readable here. Engines since 23.0 keep their
// ID in <root>/engine-id (the /info ID); when that file exists it must
// match, which tells a mounted root dir of another engine apart. 20.10
// keeps its ID in /etc/docker/key.json instead, so there Measure checks
// that the dir holds the containers the engine listed.
func Open(info system.Info, opts Options) (*Probe, error) {
	if info.DockerRootDir == "" {
		return nil, &Unavailable{Reason: ReasonNoRootDir}
	}
	p := &Probe{engineRoot: filepath.Clean(info.DockerRootDir), local: filepath.Clean(info.DockerRootDir), driver: info.Driver, proc: "/proc", now: time.Now,
		containerd: isContainerdStore(info)}
	p.namespace = "moby" // moby's default, before API 1.46 said so
	if info.Containerd != nil {
		p.socket = info.Containerd.Address
		if ns := info.Containerd.Namespaces.Containers; ns != "" {
			p.namespace = ns
		}
	}
	if opts.RootDir != "" {
		p.local = filepath.Clean(opts.RootDir)
	}
	unavailable := func(r Reason, err error) error {
		return &Unavailable{Reason: r, RootDir: p.engineRoot, Local: p.local, Err: err}
	}
	if _, err := os.ReadDir(p.local); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, unavailable(ReasonNotFound, err)
		}
		return nil, unavailable(ReasonPermission, unwrapPath(err))
	}
	id, err := os.ReadFile(filepath.Join(p.local, "engine-id"))
	switch {
	case err == nil:
		if got := string(bytes.TrimSpace(id)); got != info.ID {
			return nil, unavailable(ReasonOtherEngine, fmt.Errorf("its engine-id is %s, the engine's ID is %s", got, info.ID))
		}
		p.verified = true
	case !errors.Is(err, fs.ErrNotExist):
		return nil, unavailable(ReasonPermission, unwrapPath(err))
	}
	switch {
	case isContainerdStore(info) && info.Driver == "overlayfs":
		p.layers = layerSnapshot
	case isContainerdStore(info):
		p.layers = layerUnknown
	case info.Driver == "overlay2" || info.Driver == "fuse-overlayfs":
		p.layers = layerOverlay
	default:
		p.layers = layerUnknown
	}
	return p, nil
}

// isContainerdStore reports whether the engine keeps images in containerd
// (DriverStatus [["driver-type", "io.containerd.snapshotter.v1"]]).
func isContainerdStore(info system.Info) bool {
	for _, kv := range info.DriverStatus {
		if len(kv) == 2 && kv[0] == "driver-type" && kv[1] == "io.containerd.snapshotter.v1" {
			return true
		}
	}
	return false
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// RootDir returns where the probe reads the root dir.
func (p *Probe) RootDir() string { return p.local }

// localPath maps a path the engine reported (LogPath, UpperDir, volume
// Mountpoint) to where it is visible here. A path outside the engine's
// root dir is visible only when the root dir is not relocated.
func (p *Probe) localPath(enginePath string) (string, bool) {
	if enginePath == "" {
		return "", false
	}
	c := filepath.Clean(enginePath)
	if c == p.engineRoot {
		return p.local, true
	}
	if rest, ok := strings.CutPrefix(c, p.engineRoot+string(filepath.Separator)); ok {
		return filepath.Join(p.local, rest), true
	}
	return c, p.local == p.engineRoot
}
