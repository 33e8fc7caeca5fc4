// Package lock keeps two dockctl prunes from deleting on the same engine at
// once: a lock file per engine, held with flock for the length of the
// removals.
//
// The lock is keyed on what the caller says identifies the engine (dockctl
// passes the engine's ID from /info, so two spellings of one socket, or a
// socket and a TCP port, share a lock) and lives in one folder that every
// prune on the host sees whatever its HOME or XDG_CACHE_HOME: SharedDir,
// /tmp/dockctl-locks on unix. That folder is world-writable with the
// sticky bit, like /tmp, since root and every user in the docker group
// prune the same engine. In a folder other users can write, nothing is
// followed: the folder and the lock files are opened without following
// symlinks (a lock file planted as a link to /etc/passwd is refused, not
// truncated), and only regular files are used.
package lock
