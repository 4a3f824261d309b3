package sandbox

import (
	"errors"
	"sync"
	"syscall"
)

// cgroupBackend confines an environment with one cgroup per usable
// hierarchy: cgroup2 (tracking, kill, freeze, and memory/pids where
// delegated) and the v1 memory and pids hierarchies of hybrid hosts.
type cgroupBackend struct {
	v2        *cgroupV2
	v1mem     *cgroupV1
	v1pids    *cgroupV1
	canKill   bool // cgroup.kill exists
	canFreeze bool // cgroup.freeze exists
	v2mem     bool // the memory limit is in v2
}

// newCgroupBackend creates the environment's cgroups, named name, and sets
// the limits of s.
func newCgroupBackend(f Features, name string, s Spec) (_ *cgroupBackend, err error) {
	b := &cgroupBackend{}
	defer func() {
		if err != nil {
			_ = b.release()
		}
	}()
	if f.CgroupV2 != "" {
		if b.v2, err = newCgroupV2(f.CgroupV2, name); err != nil {
			return nil, err
		}
		b.canKill, b.canFreeze = f.CgroupKill, f.CgroupFreeze
		if f.CgroupV2Memory {
			if err = b.v2.limitMemory(s.memoryBytes()); err != nil {
				return nil, err
			}
			b.v2mem = true
		}
		if f.CgroupV2Pids {
			if err = b.v2.limitPids(s.MaxProcs); err != nil {
				return nil, err
			}
		}
	}
	if f.CgroupV1Memory != "" && !b.v2mem {
		if b.v1mem, err = newCgroupV1(f.CgroupV1Memory, name); err != nil {
			return nil, err
		}
		if err = b.v1mem.limitMemory(s.memoryBytes(), f.CgroupV1Memsw); err != nil {
			return nil, err
		}
	}
	if f.CgroupV1Pids != "" && !f.CgroupV2Pids {
		if b.v1pids, err = newCgroupV1(f.CgroupV1Pids, name); err != nil {
			return nil, err
		}
		if err = b.v1pids.limitPids(s.MaxProcs); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// attach moves pid into every cgroup of the environment.
func (b *cgroupBackend) attach(pid int) error {
	// Each attach waits for an RCU grace period in the kernel: done one
	// after the other they cost several milliseconds each, done at once
	// their waits overlap.
	var adds []func(int) error
	if b.v2 != nil {
		adds = append(adds, b.v2.add)
	}
	for _, c := range []*cgroupV1{b.v1mem, b.v1pids} {
		if c != nil {
			adds = append(adds, c.add)
		}
	}
	errs := make([]error, len(adds))
	var wg sync.WaitGroup
	for i, add := range adds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = add(pid)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// pids lists the processes from the first cgroup; all hold the same ones.
func (b *cgroupBackend) pids() ([]int, error) {
	switch {
	case b.v2 != nil:
		return b.v2.procs()
	case b.v1pids != nil:
		return b.v1pids.procs()
	case b.v1mem != nil:
		return b.v1mem.procs()
	}
	return nil, nil
}

// kill uses cgroup.kill, which also catches processes forking right now;
// otherwise it signals every listed process (the caller repeats until the
// list is empty).
func (b *cgroupBackend) kill() error {
	if b.v2 != nil && b.canKill {
		return b.v2.kill()
	}
	pids, err := b.pids()
	if err != nil {
		return err
	}
	for _, pid := range pids {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !gone(err) {
			return err
		}
	}
	return nil
}

// freeze uses the v2 freezer, else SIGSTOP/SIGCONT on each process.
func (b *cgroupBackend) freeze(frozen bool) error {
	if b.v2 != nil && b.canFreeze {
		return b.v2.freeze(frozen)
	}
	pids, err := b.pids()
	if err != nil {
		return err
	}
	return signalAll(pids, frozen)
}

// memory reads the cgroup that limits memory.
func (b *cgroupBackend) memory() (memStats, bool) {
	switch {
	case b.v2mem:
		return b.v2.memory(), true
	case b.v1mem != nil:
		return b.v1mem.memory(), true
	}
	return memStats{}, false
}

// release removes the cgroups.
func (b *cgroupBackend) release() error {
	var errs []error
	if b.v2 != nil {
		errs = append(errs, b.v2.remove())
	}
	for _, c := range []*cgroupV1{b.v1mem, b.v1pids} {
		if c != nil {
			errs = append(errs, c.remove())
		}
	}
	return errors.Join(errs...)
}
