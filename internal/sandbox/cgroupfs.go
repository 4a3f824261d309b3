package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cgroupParentName is the directory, below the cgroup of the lambkin
// process in each hierarchy, that holds one cgroup per environment.
const cgroupParentName = "lambkin"

// cgroupMount is one mounted cgroup hierarchy.
type cgroupMount struct {
	dir         string   // mount point
	root        string   // cgroup path of the mount's root
	v2          bool     // cgroup2 (unified) rather than a v1 hierarchy
	controllers []string // v1 only: controllers bound to this hierarchy
	mountOpts   []string // per-mount options (rw, nosuid, relatime...)
	superOpts   []string // the hierarchy's own options (nsdelegate...)
}

// has reports whether a v1 hierarchy carries controller c.
func (m cgroupMount) has(c string) bool {
	for _, x := range m.controllers {
		if x == c {
			return true
		}
	}
	return false
}

// parseMountinfo returns the cgroup mounts listed in /proc/self/mountinfo.
func parseMountinfo(b []byte) []cgroupMount {
	var out []cgroupMount
	for _, line := range strings.Split(string(b), "\n") {
		// id parent maj:min root mountpoint options [optional...] - fstype source superoptions
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		f, g := strings.Fields(pre), strings.Fields(post)
		if len(f) < 5 || len(g) < 3 {
			continue
		}
		m := cgroupMount{dir: unescapeMount(f[4]), root: unescapeMount(f[3]),
			mountOpts: strings.Split(f[5], ","), superOpts: strings.Split(g[2], ",")}
		switch g[0] {
		case "cgroup2":
			m.v2 = true
		case "cgroup":
			for _, o := range strings.Split(g[2], ",") {
				if o != "rw" && o != "ro" && !strings.Contains(o, "=") {
					m.controllers = append(m.controllers, o)
				}
			}
		default:
			continue
		}
		out = append(out, m)
	}
	return out
}

// unescapeMount undoes the octal escapes (\040 for space...) of mountinfo.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// procCgroups is the content of /proc/self/cgroup.
type procCgroups struct {
	unified string            // path in the v2 hierarchy ("" if none)
	v1      map[string]string // controller → path
}

// parseProcCgroup parses /proc/<pid>/cgroup.
func parseProcCgroup(b []byte) procCgroups {
	pc := procCgroups{v1: map[string]string{}}
	for _, line := range strings.Split(string(b), "\n") {
		// hierarchy-id:controllers:path
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			pc.unified = parts[2]
			continue
		}
		for _, c := range strings.Split(parts[1], ",") {
			pc.v1[c] = parts[2]
		}
	}
	return pc
}

// cgroupDir returns the directory of cgroup path own in mount m, or "" when
// the mount does not expose it.
func cgroupDir(m cgroupMount, own string) string {
	rel, ok := strings.CutPrefix(own, m.root)
	if !ok || (rel != "" && m.root != "/" && rel[0] != '/') {
		return ""
	}
	return filepath.Join(m.dir, rel)
}

// writeCgroupFile writes value to an existing control file.
func writeCgroupFile(dir, name, value string) error {
	f, err := os.OpenFile(filepath.Join(dir, name), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(value)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s to %s: %w", strings.TrimSpace(value), filepath.Join(dir, name), err)
	}
	return nil
}

// readCgroupUint reads a control file holding one number ("max" reads as 0).
func readCgroupUint(dir, name string) (uint64, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return 0, err
	}
	s := string(bytes.TrimSpace(b))
	if s == "max" {
		return 0, nil
	}
	return strconv.ParseUint(s, 10, 64)
}

// readCgroupKey reads the value of key from a flat keyed file such as
// memory.events or memory.oom_control ("key value" per line).
func readCgroupKey(dir, name, key string) (uint64, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, " ")
		if ok && k == key {
			return strconv.ParseUint(strings.TrimSpace(v), 10, 64)
		}
	}
	return 0, fmt.Errorf("%s: no key %q", filepath.Join(dir, name), key)
}

// readCgroupPIDs reads cgroup.procs (pids as seen from our pid namespace;
// zombies are not listed).
func readCgroupPIDs(dir string) ([]int, error) {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, f := range bytes.Fields(b) {
		if pid, err := strconv.Atoi(string(f)); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// cgroupGone reports whether err says that a cgroup was removed (ENODEV
// comes from a file opened just before the rmdir).
func cgroupGone(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENODEV)
}

// removeCgroup removes an empty cgroup directory. The kernel may report
// EBUSY for a short while after the last process died.
func removeCgroup(dir string) error {
	delay := 100 * time.Microsecond
	deadline := time.Now().Add(2 * time.Second)
	for {
		err := syscall.Rmdir(dir)
		if err == nil || cgroupGone(err) {
			return nil
		}
		if !errors.Is(err, syscall.EBUSY) || time.Now().After(deadline) {
			return fmt.Errorf("remove cgroup %s: %w", dir, err)
		}
		time.Sleep(delay)
		delay = min(2*delay, 10*time.Millisecond)
	}
}
