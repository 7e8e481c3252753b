package engine

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// childSysProcAttr puts a server child in its own process group (so Close can kill its forks too, and a
// terminal's Ctrl-C goes to the grader, which then cleans up) and has the kernel SIGKILL it if the grader dies.
func childSysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

func killProcessGroup(pid int) { _ = syscall.Kill(-pid, syscall.SIGKILL) }

// limitMemory caps the address space of process pid (RLIMIT_AS). 0 = leave it alone.
func limitMemory(pid int, bytes int64) error {
	if bytes <= 0 {
		return nil
	}
	lim := unix.Rlimit{Cur: uint64(bytes), Max: uint64(bytes)}
	return unix.Prlimit(pid, unix.RLIMIT_AS, &lim, nil)
}
