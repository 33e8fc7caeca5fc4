//go:build unix

package inspect

import "syscall"

// statFS reports, as df does, the size of the filesystem holding path, the
// bytes in use, and the bytes available to unprivileged users (blocks
// reserved for root are in neither, so used+free can be less than size).
func statFS(path string) (size, used, free int64, ok bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, 0, 0, false
	}
	bs := int64(st.Bsize)
	return int64(st.Blocks) * bs, int64(st.Blocks-st.Bfree) * bs, int64(st.Bavail) * bs, true
}
