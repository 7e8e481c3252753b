//go:build unix

package regularfile

import "golang.org/x/sys/unix"

// openFlags never block on a named pipe, and with follow false refuse a
// symlink at the last element of the path.
func openFlags(follow bool) int {
	if follow {
		return unix.O_NONBLOCK
	}
	return unix.O_NONBLOCK | unix.O_NOFOLLOW
}
