package sandbox

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// cgroupV2 is an environment's cgroup in the unified hierarchy.
type cgroupV2 struct{ dir string }

// newCgroupV2 creates the cgroup name under parent.
func newCgroupV2(parent, name string) (*cgroupV2, error) {
	dir := filepath.Join(parent, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create cgroup: %w", err)
	}
	return &cgroupV2{dir: dir}, nil
}

// limitMemory sets memory.max, forbids swap and makes an OOM kill take the
// whole group, as a Lambda environment dies as a whole.
func (c *cgroupV2) limitMemory(bytes uint64) error {
	if err := writeCgroupFile(c.dir, "memory.max", strconv.FormatUint(bytes, 10)); err != nil {
		return err
	}
	if exists(filepath.Join(c.dir, "memory.swap.max")) {
		if err := writeCgroupFile(c.dir, "memory.swap.max", "0"); err != nil {
			return err
		}
	}
	return writeCgroupFile(c.dir, "memory.oom.group", "1")
}

// limitPids sets pids.max.
func (c *cgroupV2) limitPids(n int) error {
	return writeCgroupFile(c.dir, "pids.max", strconv.Itoa(n))
}

// add moves process pid into the cgroup.
func (c *cgroupV2) add(pid int) error {
	return writeCgroupFile(c.dir, "cgroup.procs", strconv.Itoa(pid))
}

// procs lists the processes in the cgroup.
func (c *cgroupV2) procs() ([]int, error) { return readCgroupPIDs(c.dir) }

// kill kills every process in the cgroup, atomically with respect to fork.
func (c *cgroupV2) kill() error { return writeCgroupFile(c.dir, "cgroup.kill", "1") }

// freeze freezes or thaws the cgroup and waits until the kernel reports
// the new state.
func (c *cgroupV2) freeze(frozen bool) error {
	want := uint64(0)
	if frozen {
		want = 1
	}
	if err := writeCgroupFile(c.dir, "cgroup.freeze", strconv.FormatUint(want, 10)); err != nil {
		return err
	}
	delay := 20 * time.Microsecond
	deadline := time.Now().Add(time.Second)
	for {
		got, err := readCgroupKey(c.dir, "cgroup.events", "frozen")
		if err != nil || got == want {
			return err
		}
		if time.Now().After(deadline) {
			return errors.New("cgroup freezer did not settle")
		}
		time.Sleep(delay)
		delay = min(2*delay, 5*time.Millisecond)
	}
}

// memory reads memory.peak (Linux 5.19+) and the oom_kill counter.
func (c *cgroupV2) memory() memStats {
	var m memStats
	m.peak, _ = readCgroupUint(c.dir, "memory.peak")
	n, _ := readCgroupKey(c.dir, "memory.events", "oom_kill")
	m.oom = n > 0
	return m
}

// remove deletes the (empty) cgroup.
func (c *cgroupV2) remove() error { return removeCgroup(c.dir) }
