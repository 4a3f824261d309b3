package sandbox

import (
	"fmt"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// treeBackend finds an environment's processes by walking /proc from the
// runtime, for hosts without usable cgroups. In a pid namespace the walk is
// exact (every process descends from the runtime, pid 1). Without one the
// runtime is made a child subreaper so orphans stay below it; processes
// seen once are remembered, which still finds a daemon after the runtime
// died, provided a walk saw it (the RSS watcher walks every PollInterval).
type treeBackend struct {
	// pidNS: the runtime is pid 1 of its own pid namespace, so once it has
	// exited the kernel has killed and reaped everything else.
	pidNS bool

	mu    sync.Mutex
	root  int
	known map[int]uint64 // pid → start time of processes seen in the tree
}

// attach records the runtime (the init keeps its pid and start time
// across exec).
func (t *treeBackend) attach(pid int) error {
	s, err := readStat(pid)
	if err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.root = pid
	t.known = map[int]uint64{pid: s.start}
	return nil
}

// live returns the processes of the tree with their start times.
func (t *treeBackend) live() (map[int]uint64, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.pidNS {
		if s, err := readStat(t.root); err != nil || s.start != t.known[t.root] || s.zombie() {
			return nil, nil
		}
	}
	procs, err := descendants(t.root, t.known[t.root])
	if err != nil {
		return nil, err
	}
	out := make(map[int]uint64, len(procs)+len(t.known))
	for _, p := range procs {
		out[p.pid] = p.start
		t.known[p.pid] = p.start
	}
	for pid, start := range t.known {
		if _, ok := out[pid]; ok {
			continue
		}
		if s, err := readStat(pid); err == nil && s.start == start && !s.zombie() {
			out[pid] = start
		} else if pid != t.root {
			delete(t.known, pid)
		}
	}
	return out, nil
}

// pids lists the live processes of the tree.
func (t *treeBackend) pids() ([]int, error) {
	live, err := t.live()
	if err != nil {
		return nil, err
	}
	pids := make([]int, 0, len(live))
	for pid := range live {
		pids = append(pids, pid)
	}
	return pids, nil
}

// kill stops the tree first, walking until no new process shows up
// (stopped processes cannot fork), then kills everything it stopped.
func (t *treeBackend) kill() error {
	stopped := map[int]uint64{}
	for range 16 {
		live, err := t.live()
		if err != nil {
			return err
		}
		grew := false
		for pid, start := range live {
			if _, ok := stopped[pid]; !ok {
				grew = true
				stopped[pid] = start
				_ = signalProcess(pid, start, syscall.SIGSTOP)
			}
		}
		if !grew {
			break
		}
	}
	for pid, start := range stopped {
		_ = signalProcess(pid, start, syscall.SIGKILL)
	}
	return nil
}

// freeze sends SIGSTOP or SIGCONT to the tree.
func (t *treeBackend) freeze(frozen bool) error {
	live, err := t.live()
	if err != nil {
		return err
	}
	sig := syscall.SIGCONT
	if frozen {
		sig = syscall.SIGSTOP
	}
	for pid, start := range live {
		_ = signalProcess(pid, start, sig)
	}
	if frozen {
		return waitStopped(live)
	}
	return nil
}

// memory: the tree backend leaves memory to the RSS watcher.
func (t *treeBackend) memory() (memStats, bool) { return memStats{}, false }

// release: nothing to remove.
func (t *treeBackend) release() error { return nil }

// signalProcess signals the process pid only if it is still the one that
// started at start: a pidfd pins the process, then its start time is
// checked, so a reused pid is never hit.
func signalProcess(pid int, start uint64, sig syscall.Signal) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if s, err := readStat(pid); err != nil || s.start != start {
		return syscall.ESRCH
	}
	return unix.PidfdSendSignal(fd, sig, nil, 0)
}

// signalAll sends SIGSTOP (frozen, and waits for the stop) or SIGCONT
// to pids.
func signalAll(pids []int, frozen bool) error {
	sig := syscall.SIGCONT
	if frozen {
		sig = syscall.SIGSTOP
	}
	procs := make(map[int]uint64, len(pids))
	for _, pid := range pids {
		if err := syscall.Kill(pid, sig); err != nil && !gone(err) {
			return err
		}
		if s, err := readStat(pid); err == nil {
			procs[pid] = s.start
		}
	}
	if frozen {
		return waitStopped(procs)
	}
	return nil
}

// waitStopped waits until every process (pid → start time) that still
// exists is stopped: SIGSTOP takes effect asynchronously.
func waitStopped(procs map[int]uint64) error {
	delay := 20 * time.Microsecond
	deadline := time.Now().Add(time.Second)
	for pid, start := range procs {
		for {
			s, err := readStat(pid)
			if err != nil || s.start != start || s.state == 'T' || s.zombie() {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("process %d did not stop", pid)
			}
			time.Sleep(delay)
			delay = min(2*delay, 5*time.Millisecond)
		}
	}
	return nil
}
