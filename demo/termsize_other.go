//go:build !unix

package demo

// TerminalWidth returns 0: the width is not known here, and callers assume 80.
func TerminalWidth(fd uintptr) int { return 0 }
