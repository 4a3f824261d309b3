package sandbox

import (
	"os"
	"syscall"
)

// Exit describes how an environment ended.
type Exit struct {
	// Status is the runtime's wait status as Lambda prints it after
	// "Runtime exited with error: ": "exit status 3", "signal: killed".
	Status string
	// Code is the exit code, or -1 when a signal ended the runtime.
	Code int
	// Signal is the signal that ended the runtime, or 0.
	Signal syscall.Signal
	// Killed: Kill was called before the runtime died, and SIGKILL ended it.
	Killed bool
	// OOM: a process was killed for exceeding the memory limit (by the
	// kernel's cgroup OOM killer or by the RSS watcher). Lambkin reports
	// Runtime.OutOfMemory then.
	OOM bool
	// StorageExceeded: the /tmp watcher killed the environment (only where
	// /tmp is a host directory; a tmpfs /tmp fails writes with ENOSPC).
	StorageExceeded bool
	// MaxMemory is the peak memory use in bytes.
	MaxMemory uint64
	// Err is an error met while tearing the tree down, if any.
	Err error
}

// MaxMemoryMB is MaxMemory in MB, rounded up, for "Max Memory Used: N MB".
func (x Exit) MaxMemoryMB() int { return bytesToMB(x.MaxMemory) }

// bytesToMB rounds up to whole MB.
func bytesToMB(b uint64) int { return int((b + 1<<20 - 1) >> 20) }

// exitFromState converts the runtime's wait result.
func exitFromState(st *os.ProcessState, err error) Exit {
	if err != nil || st == nil {
		return Exit{Status: "unknown", Code: -1, Err: err}
	}
	x := Exit{Status: st.String(), Code: st.ExitCode()}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		x.Signal = ws.Signal()
	}
	return x
}
