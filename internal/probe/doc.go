// Package probe is dockctl's local storage probe: where the engine's root
// dir is readable from here (dockctl on the engine's host, or the root dir
// mounted into dockctl's container), it measures the disk itself instead of
// asking the engine's /system/df, and sees what the API does not show:
// container logs and the root dir's whole `du`.
//
// It owns: deciding whether the root dir is this engine's and readable
// (Open, and the typed *Unavailable with a one-line notice when not);
// learning from the engine where each object keeps its files (Collect:
// inspect's LogPath and GraphDriver.Data, volumes' Mountpoint — the probe
// walks only those paths and the root dir, never guesses); and walking
// them concurrently, never writing (Measure, Workers() walks at a time).
// It returns plain structs with int64 bytes; it never prints or humanizes,
// and knows no CLI flag.
//
// Counting. Where the engine and the probe measure the same bytes they
// must agree exactly, so each figure mirrors the program that defines it
// (walk.go cites where each rule lives):
//   - volumes (UsageData.Size) and overlay2/fuse-overlayfs writable layers
//     (SizeRw): moby's directory.Size / archive.ChangesSize — st_size of
//     non-directories, each inode number once, zero-size entries
//     (whiteouts) nothing, symbolic links not followed;
//   - the root dir and its top-level entries: `du -sbx` — st_size of every
//     entry, directories included, each (device, inode) once, nothing on
//     another filesystem (the mount point itself included);
//   - logs: the apparent size of the live file and its rotations.
//
// The containerd image store (engines 24+ with the containerd snapshotter,
// the default on fresh 29 installs) names no writable-layer dir in inspect
// (GraphDriver is null; Storage.RootFS.Snapshot gives only the
// snapshotter's name), and there SizeRw is containerd's continuity
// DiskUsage: allocated blocks, directories and the root included, each
// inode once.
//
// The containerd store's object graph. On that store the probe also reads
// containerd's own metadata (Store): blobs, snapshots, image names and
// leases of every namespace, through read-only calls on containerd's gRPC
// socket (/info Containerd.Address), never its database files, which
// containerd keeps locked. This is the graph its garbage collector walks
// (inspect.StoreGraph); a socket that cannot be reached here is a
// *StoreUnavailable with a one-line notice. Given to Measure (Targets.Store),
// it sizes each container's writable layer and init layer by their
// snapshots' Usage (what the engine's SizeRw is), stopped ones included,
// and attributes the content store's blob files an image keeps to images.
// Without it, a running container's upper dir is read from its rootfs
// mount (/proc/<pid>/mountinfo; needs the host's PID namespace) and
// counted that way, and a stopped container's layer is unknown.
//
// Limits. Layers the probe cannot find, and those of any driver it does
// not know, are -1 with a reason, so callers take SizeRw from /system/df
// for them. The containerd store's snapshot dirs are numbered, the number
// named only in the snapshotter's database: they stay the containerd
// dir's own figure.
// Volumes, logs and the root dir are measured on every engine.
//
// Identity. Engines since 23.0 keep their /info ID in <root>/engine-id;
// when present it must match. 20.10 keeps it in /etc/docker/key.json, so
// there Measure checks that the dir holds the engine's containers.
package probe
