// Package outfile writes the files dockctl's users name (report -o,
// prune --plan-out and --log) and its own layer cache, the same way
// for all of them.
//
// A regular file, or one that does not exist yet, is replaced atomically:
// written whole into a temporary file in the same folder, synced, renamed
// over the old one (github.com/moby/sys/atomicwriter), so whoever reads it
// never sees half a document. Anything else is written in place, never
// renamed over: a device (/dev/null), a FIFO, /dev/stdout and /dev/fd/N (and
// any path through /dev or /proc, which stand for open files, not names),
// or a symlink to one of those. A symlink to a regular file stays a
// symlink: the file it points to is replaced atomically, as if its own
// path had been given. A directory is an error.
package outfile
