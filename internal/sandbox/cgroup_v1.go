package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// cgroupV1 is an environment's cgroup in one v1 hierarchy (memory or pids).
type cgroupV1 struct{ dir string }

// newCgroupV1 creates the cgroup name under parent.
func newCgroupV1(parent, name string) (*cgroupV1, error) {
	dir := filepath.Join(parent, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create cgroup: %w", err)
	}
	return &cgroupV1{dir: dir}, nil
}

// limitMemory sets the memory limit and, with swap accounting, the same
// memory+swap limit so that swap cannot extend it.
func (c *cgroupV1) limitMemory(bytes uint64, memsw bool) error {
	v := strconv.FormatUint(bytes, 10)
	if err := writeCgroupFile(c.dir, "memory.limit_in_bytes", v); err != nil {
		return err
	}
	if memsw {
		return writeCgroupFile(c.dir, "memory.memsw.limit_in_bytes", v)
	}
	return nil
}

// limitPids sets pids.max.
func (c *cgroupV1) limitPids(n int) error {
	return writeCgroupFile(c.dir, "pids.max", strconv.Itoa(n))
}

// add moves process pid (all its threads) into the cgroup.
func (c *cgroupV1) add(pid int) error {
	return writeCgroupFile(c.dir, "cgroup.procs", strconv.Itoa(pid))
}

// procs lists the processes in the cgroup.
func (c *cgroupV1) procs() ([]int, error) { return readCgroupPIDs(c.dir) }

// memory reads the usage high-water mark and the oom_kill counter
// (Linux 4.13+) of a memory cgroup.
func (c *cgroupV1) memory() memStats {
	var m memStats
	m.peak, _ = readCgroupUint(c.dir, "memory.max_usage_in_bytes")
	n, _ := readCgroupKey(c.dir, "memory.oom_control", "oom_kill")
	m.oom = n > 0
	return m
}

// remove deletes the (empty) cgroup.
func (c *cgroupV1) remove() error { return removeCgroup(c.dir) }
