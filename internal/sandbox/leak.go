package sandbox

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Process is a live process inside a lambkin environment.
type Process struct {
	PID     int    // in the caller's pid namespace
	Owner   int    // pid of the lambkin process that started the environment
	Env     string // environment id
	Cmdline string
}

// LiveProcesses lists the live processes of lambkin environments on this
// host, found by their cgroup, of the lambkin process owner (0: any owner).
// Higher-level tests use it to assert that no function process outlives
// the server. Environments without any cgroup (Features with no cgroup)
// are not visible to it.
func LiveProcesses(owner int) ([]Process, error) {
	pids, err := listPIDs()
	if err != nil {
		return nil, err
	}
	var out []Process
	for _, pid := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
		if err != nil {
			continue
		}
		o, env, ok := envOfCgroups(b)
		if !ok || (owner != 0 && o != owner) {
			continue
		}
		if s, err := readStat(pid); err != nil || s.zombie() {
			continue
		}
		cmd, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
		out = append(out, Process{
			PID: pid, Owner: o, Env: env,
			Cmdline: strings.TrimSpace(string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '}))),
		})
	}
	return out, nil
}

// envOfCgroups finds ".../lambkin/<owner>-<id>" in /proc/<pid>/cgroup.
func envOfCgroups(b []byte) (owner int, env string, ok bool) {
	marker := "/" + cgroupParentName + "/"
	for _, line := range strings.Split(string(b), "\n") {
		_, rest, found := strings.Cut(line, marker)
		if !found {
			continue
		}
		name, _, _ := strings.Cut(rest, "/")
		if o, id, ok := parseCgroupName(name); ok {
			return o, id, true
		}
	}
	return 0, "", false
}

// parseCgroupName splits an environment cgroup name "<owner>-<id>".
func parseCgroupName(name string) (owner int, id string, ok bool) {
	o, id, found := strings.Cut(name, "-")
	if !found || id == "" {
		return 0, "", false
	}
	owner, err := strconv.Atoi(o)
	if err != nil || owner <= 0 {
		return 0, "", false
	}
	return owner, id, true
}

// Sweep kills the processes of environments whose lambkin process is gone
// and removes their cgroups. Call it at start-up: it cleans up after a
// lambkin that was killed with SIGKILL, where Pdeathsig ended each runtime
// (and, with a pid namespace, its whole tree) but not daemons of
// environments without one, nor the cgroup directories.
func Sweep(f Features) error {
	var errs []error
	for _, parent := range []string{f.CgroupV2, f.CgroupV1Memory, f.CgroupV1Pids} {
		if parent == "" {
			continue
		}
		entries, err := os.ReadDir(parent)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, e := range entries {
			owner, _, ok := parseCgroupName(e.Name())
			if !ok || !e.IsDir() || exists("/proc/"+strconv.Itoa(owner)) {
				continue
			}
			dir := filepath.Join(parent, e.Name())
			canKill := parent == f.CgroupV2 && f.CgroupKill
			errs = append(errs, killCgroup(dir, canKill), removeCgroup(dir))
		}
	}
	return errors.Join(errs...)
}

// killCgroup kills every process in a cgroup directory and waits until it
// is empty.
func killCgroup(dir string, useKill bool) error {
	deadline := time.Now().Add(goneTimeout)
	for {
		pids, err := readCgroupPIDs(dir)
		if cgroupGone(err) {
			return nil // another sweeper was faster
		}
		if err != nil || len(pids) == 0 {
			return err
		}
		if time.Now().After(deadline) {
			return errors.New("sandbox: processes survived SIGKILL in " + dir)
		}
		if useKill {
			if err = writeCgroupFile(dir, "cgroup.kill", "1"); cgroupGone(err) {
				return nil
			}
		} else {
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if err != nil {
			return err
		}
		time.Sleep(time.Millisecond)
	}
}
