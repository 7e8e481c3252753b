//go:build unix

package demo

import "golang.org/x/sys/unix"

// TerminalWidth returns the number of columns of the terminal open on fd,
// or 0 when fd is not a terminal.
func TerminalWidth(fd uintptr) int {
	ws, err := unix.IoctlGetWinsize(int(fd), unix.TIOCGWINSZ)
	if err != nil {
		return 0
	}
	return int(ws.Col)
}
