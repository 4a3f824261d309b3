package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// Features says which isolation layers environments get. [Detect] fills it
// from the host; callers may switch layers off (tests do, to exercise the
// fallbacks) but should not switch on what Detect did not find.
type Features struct {
	// MountNS: a new mount namespace with the /var/task, /opt, /var/runtime,
	// /tmp layout. Needs the sandbox init (see Init) and CAP_SYS_ADMIN.
	MountNS bool
	// PIDNS: a new pid namespace (only together with MountNS, for /proc).
	PIDNS bool

	// CgroupV2 is the cgroup2 directory under which environment cgroups are
	// created ("" = none). Even without controllers it tracks the tree.
	CgroupV2 string
	// CgroupV2Memory / CgroupV2Pids: the v2 controllers are delegated to
	// the environment cgroups.
	CgroupV2Memory bool
	CgroupV2Pids   bool
	// CgroupKill / CgroupFreeze: cgroup.kill and cgroup.freeze exist (v2).
	CgroupKill   bool
	CgroupFreeze bool

	// CgroupV1Memory / CgroupV1Pids are the v1 directories under which
	// environment cgroups are created ("" = none).
	CgroupV1Memory string
	CgroupV1Pids   string
	// CgroupV1Memsw: memory.memsw.limit_in_bytes exists (swap accounting).
	CgroupV1Memsw bool

	// InitExe is the binary started as sandbox init; "" means the running
	// binary (/proc/self/exe). Any binary whose main calls Init first will
	// do: a tiny one (main() { sandbox.Init() }) saves each start the
	// package initialisation of lambkin (about 2 ms with the AWS SDK).
	InitExe string

	// Notes explain why a layer is off.
	Notes []string
}

// initExe returns the sandbox init binary.
func (f Features) initExe() string {
	if f.InitExe == "" {
		return selfExe
	}
	return f.InitExe
}

// memoryCgroup reports whether a memory cgroup enforces the memory limit.
func (f Features) memoryCgroup() bool {
	return (f.CgroupV2 != "" && f.CgroupV2Memory) || f.CgroupV1Memory != ""
}

// anyCgroup reports whether environments get at least one cgroup.
func (f Features) anyCgroup() bool {
	return f.CgroupV2 != "" || f.CgroupV1Memory != "" || f.CgroupV1Pids != ""
}

// pidNS reports whether environments get a pid namespace.
func (f Features) pidNS() bool { return f.MountNS && f.PIDNS }

// String summarises the features and the path each job takes, for logs.
func (f Features) String() string {
	yn := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "mountns=%s pidns=%s", yn(f.MountNS), yn(f.pidNS()))
	if f.CgroupV2 != "" {
		fmt.Fprintf(&b, " cgroup2=%s(memory=%s pids=%s kill=%s freeze=%s)", f.CgroupV2,
			yn(f.CgroupV2Memory), yn(f.CgroupV2Pids), yn(f.CgroupKill), yn(f.CgroupFreeze))
	} else {
		b.WriteString(" cgroup2=no")
	}
	if f.CgroupV1Memory != "" {
		fmt.Fprintf(&b, " cgroup1-memory=%s(memsw=%s)", f.CgroupV1Memory, yn(f.CgroupV1Memsw))
	}
	if f.CgroupV1Pids != "" {
		fmt.Fprintf(&b, " cgroup1-pids=%s", f.CgroupV1Pids)
	}
	fmt.Fprintf(&b, "; memory limit: %s; tree kill: %s", f.memoryPath(), f.killPath())
	for _, n := range f.Notes {
		b.WriteString("; ")
		b.WriteString(n)
	}
	return b.String()
}

// memoryPath names the mechanism that enforces the memory limit.
func (f Features) memoryPath() string {
	switch {
	case f.CgroupV2 != "" && f.CgroupV2Memory:
		return "cgroup v2 memory.max"
	case f.CgroupV1Memory != "":
		return "cgroup v1 memory.limit_in_bytes"
	}
	return "RSS polling"
}

// killPath names the mechanism that kills the whole tree.
func (f Features) killPath() string {
	var p []string
	if f.pidNS() {
		p = append(p, "pid namespace")
	}
	switch {
	case f.CgroupV2 != "" && f.CgroupKill:
		p = append(p, "cgroup.kill")
	case f.anyCgroup():
		p = append(p, "cgroup.procs signalling")
	default:
		p = append(p, "process tree walk")
	}
	return strings.Join(p, "+")
}

// Detect probes the host once (a few milliseconds: it starts one sandbox
// init) and returns what environments can use. It creates the per-host
// parent cgroups it reports. Init must be wired into main for MountNS.
func Detect() Features {
	var f Features
	f.MountNS, f.PIDNS, f.Notes = detectNamespaces()
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		f.Notes = append(f.Notes, "cgroups: "+err.Error())
		return f
	}
	c, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		f.Notes = append(f.Notes, "cgroups: "+err.Error())
		return f
	}
	mounts, own := parseMountinfo(b), parseProcCgroup(c)
	detectCgroupV2(&f, mounts, own)
	detectCgroupV1(&f, mounts, own)
	return f
}

// detectNamespaces starts a probing sandbox init that sets up mounts (and
// /proc in a new pid namespace) and exits.
func detectNamespaces() (mountNS, pidNS bool, notes []string) {
	err := probe(syscall.CLONE_NEWNS|syscall.CLONE_NEWPID, true)
	if err == nil {
		return true, true, nil
	}
	notes = append(notes, "pid namespace: "+err.Error())
	if err := probe(syscall.CLONE_NEWNS, false); err != nil {
		return false, false, append(notes, "mount namespace: "+err.Error())
	}
	return true, false, notes
}

// detectCgroupV2 finds a writable cgroup2 hierarchy and what it offers.
func detectCgroupV2(f *Features, mounts []cgroupMount, own procCgroups) {
	var dir string
	for _, m := range mounts {
		if m.v2 {
			dir = cgroupDir(m, own.unified)
			break
		}
	}
	if dir == "" {
		f.Notes = append(f.Notes, "cgroup2: not mounted")
		return
	}
	parent := filepath.Join(dir, cgroupParentName)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		f.Notes = append(f.Notes, "cgroup2: "+err.Error())
		return
	}
	f.CgroupV2 = parent
	f.CgroupKill = exists(filepath.Join(parent, "cgroup.kill"))
	f.CgroupFreeze = exists(filepath.Join(parent, "cgroup.freeze"))
	// A controller reaches the environment cgroups only if it is enabled in
	// the subtree_control of our cgroup and of the parent. Enabling it in
	// our own cgroup fails (EBUSY) when that is not the root and holds
	// processes, which is the usual case outside a delegated slice.
	for _, c := range []string{"memory", "pids"} {
		err := enableController(dir, c)
		if err == nil {
			err = enableController(parent, c)
		}
		if err != nil {
			f.Notes = append(f.Notes, "cgroup2 "+c+": "+err.Error())
			continue
		}
		switch c {
		case "memory":
			f.CgroupV2Memory = true
		case "pids":
			f.CgroupV2Pids = true
		}
	}
}

// enableController enables controller c for the children of dir.
func enableController(dir, c string) error {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup.subtree_control"))
	if err != nil {
		return err
	}
	if containsWord(string(b), c) {
		return nil
	}
	b, err = os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
	if err != nil {
		return err
	}
	if !containsWord(string(b), c) {
		return fmt.Errorf("controller not available in %s", dir)
	}
	return writeCgroupFile(dir, "cgroup.subtree_control", "+"+c)
}

// detectCgroupV1 finds writable v1 memory and pids hierarchies.
func detectCgroupV1(f *Features, mounts []cgroupMount, own procCgroups) {
	for _, c := range []string{"memory", "pids"} {
		var dir string
		for _, m := range mounts {
			if !m.v2 && m.has(c) {
				dir = cgroupDir(m, own.v1[c])
				break
			}
		}
		if dir == "" {
			continue // pure v2 hosts have none; not worth a note
		}
		parent := filepath.Join(dir, cgroupParentName)
		if err := os.MkdirAll(parent, 0o755); err != nil {
			f.Notes = append(f.Notes, "cgroup1 "+c+": "+err.Error())
			continue
		}
		switch c {
		case "memory":
			f.CgroupV1Memory = parent
			f.CgroupV1Memsw = exists(filepath.Join(parent, "memory.memsw.limit_in_bytes"))
		case "pids":
			f.CgroupV1Pids = parent
		}
	}
}

// containsWord reports whether the space-separated list s contains w.
func containsWord(s, w string) bool {
	for _, x := range strings.Fields(s) {
		if x == w {
			return true
		}
	}
	return false
}

// exists reports whether path exists.
func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
