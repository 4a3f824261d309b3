package sandbox

// backend tracks and confines the processes of one environment. There is
// one implementation per way of finding the tree: cgroups (cgroupBackend)
// or a walk of /proc from the runtime (treeBackend).
type backend interface {
	// attach moves the sandbox init, before it execs, into the environment.
	attach(pid int) error
	// pids lists the live processes of the environment (our pid namespace).
	pids() ([]int, error)
	// kill sends SIGKILL to the processes of the environment.
	kill() error
	// freeze stops (true) or resumes (false) all processes.
	freeze(frozen bool) error
	// memory reports kernel memory accounting; ok is false when the
	// backend does not limit memory (the RSS watcher does then).
	memory() (m memStats, ok bool)
	// release removes what the backend created; the processes are dead.
	release() error
}

// memStats is what the memory limiter knows about an environment.
type memStats struct {
	peak uint64 // bytes
	oom  bool   // a process was killed for exceeding the limit
}
