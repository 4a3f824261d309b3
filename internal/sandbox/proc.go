package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// procStat is the part of /proc/<pid>/stat the sandbox uses.
type procStat struct {
	pid   int
	ppid  int
	pgrp  int
	state byte
	// start is the start time in clock ticks after boot; pid+start names a
	// process even after its pid is reused (pid_max can be as low as 32768).
	start uint64
}

// zombie reports whether the process has exited but is not reaped yet.
func (s procStat) zombie() bool { return s.state == 'Z' || s.state == 'X' }

// readStat reads /proc/<pid>/stat.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	return parseStat(b)
}

// parseStat parses the content of /proc/<pid>/stat. The command name may
// contain spaces and parentheses, so fields are counted after the last ')'.
func parseStat(b []byte) (procStat, error) {
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 1 || end < open {
		return procStat{}, fmt.Errorf("malformed stat %.40q", b)
	}
	pid, err := strconv.Atoi(string(bytes.TrimSpace(b[:open])))
	if err != nil {
		return procStat{}, fmt.Errorf("malformed stat pid: %w", err)
	}
	// After ')': state(3) ppid(4) pgrp(5) ... starttime(22).
	f := bytes.Fields(b[end+1:])
	if len(f) < 20 || len(f[0]) != 1 {
		return procStat{}, fmt.Errorf("malformed stat %.40q", b)
	}
	s := procStat{pid: pid, state: f[0][0]}
	if s.ppid, err = strconv.Atoi(string(f[1])); err != nil {
		return procStat{}, fmt.Errorf("malformed stat ppid: %w", err)
	}
	if s.pgrp, err = strconv.Atoi(string(f[2])); err != nil {
		return procStat{}, fmt.Errorf("malformed stat pgrp: %w", err)
	}
	if s.start, err = strconv.ParseUint(string(f[19]), 10, 64); err != nil {
		return procStat{}, fmt.Errorf("malformed stat starttime: %w", err)
	}
	return s, nil
}

// listPIDs returns the pids of all processes visible in /proc.
func listPIDs() ([]int, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	pids := make([]int, 0, len(names))
	for _, n := range names {
		if n[0] < '0' || n[0] > '9' {
			continue
		}
		if pid, err := strconv.Atoi(n); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// allStats reads the stat of every live process. Processes that vanish
// during the scan are skipped.
func allStats() ([]procStat, error) {
	pids, err := listPIDs()
	if err != nil {
		return nil, err
	}
	stats := make([]procStat, 0, len(pids))
	for _, pid := range pids {
		s, err := readStat(pid)
		if err != nil {
			continue
		}
		stats = append(stats, s)
	}
	return stats, nil
}

// descendants returns root (if it is still the process that started at
// rootStart) and all its live descendants, excluding zombies.
func descendants(root int, rootStart uint64) ([]procStat, error) {
	stats, err := allStats()
	if err != nil {
		return nil, err
	}
	children := make(map[int][]procStat, len(stats))
	var top *procStat
	for i, s := range stats {
		children[s.ppid] = append(children[s.ppid], s)
		if s.pid == root && s.start == rootStart {
			top = &stats[i]
		}
	}
	if top == nil {
		return nil, nil
	}
	var out []procStat
	queue := []procStat{*top}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		if !s.zombie() {
			out = append(out, s)
		}
		queue = append(queue, children[s.pid]...)
	}
	return out, nil
}

// rssBytes returns the resident set size of pid (VmRSS: anonymous, file
// and shmem pages) from /proc/<pid>/statm, which is cheaper to parse than
// /proc/<pid>/status.
func rssBytes(pid int) (uint64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/statm")
	if err != nil {
		return 0, err
	}
	f := bytes.Fields(b)
	if len(f) < 2 {
		return 0, fmt.Errorf("malformed statm %q", b)
	}
	pages, err := strconv.ParseUint(string(f[1]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("malformed statm: %w", err)
	}
	return pages * uint64(os.Getpagesize()), nil
}

// gone reports whether err says that a process no longer exists.
func gone(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}
