package sandbox

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestDetect(t *testing.T) {
	t.Logf("features: %v", host)
	if os.Geteuid() == 0 && !host.MountNS {
		t.Errorf("running as root but no mount namespace: %v", host.Notes)
	}
	if host.PIDNS && !host.MountNS {
		t.Error("pid namespace without mount namespace")
	}
	// Whatever Detect reports must be real.
	for _, dir := range []string{host.CgroupV2, host.CgroupV1Memory, host.CgroupV1Pids} {
		if dir != "" && !exists(filepath.Join(dir, "cgroup.procs")) {
			t.Errorf("%s is not a cgroup", dir)
		}
	}
	if host.CgroupKill && !exists(filepath.Join(host.CgroupV2, "cgroup.kill")) {
		t.Error("CgroupKill without cgroup.kill")
	}
	if host.CgroupV1Memory != "" && !exists(filepath.Join(host.CgroupV1Memory, "memory.limit_in_bytes")) {
		t.Error("CgroupV1Memory is not a memory cgroup")
	}
	// Detect is repeatable and leaves no probe behind.
	if again := Detect(); !reflect.DeepEqual(again, host) {
		t.Errorf("second Detect = %v, first %v", again, host)
	}
	for _, want := range []string{"mountns=", "memory limit: ", "tree kill: "} {
		if !strings.Contains(host.String(), want) {
			t.Errorf("String() = %q lacks %q", host.String(), want)
		}
	}
}

func TestFeaturesString(t *testing.T) {
	if got := withoutCgroups(withoutMountNS(host)).String(); !strings.Contains(got, "memory limit: RSS polling; tree kill: process tree walk") {
		t.Errorf("bare: %q", got)
	}
	f := Features{MountNS: true, PIDNS: true, CgroupV2: "/cg", CgroupKill: true, CgroupV1Memory: "/mem"}
	if got := f.String(); !strings.Contains(got, "memory limit: cgroup v1 memory.limit_in_bytes; tree kill: pid namespace+cgroup.kill") {
		t.Errorf("full: %q", got)
	}
}

func TestParseMountinfo(t *testing.T) {
	in := `22 27 0:21 / /proc rw,relatime - proc proc rw
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 /sub /sys/fs/cgroup/un\040ified rw,relatime - cgroup2 cgroup2 rw
`
	got := parseMountinfo([]byte(in))
	want := []cgroupMount{
		{dir: "/sys/fs/cgroup/memory", root: "/", controllers: []string{"memory"}, mountOpts: []string{"rw", "relatime"}, superOpts: []string{"rw", "memory"}},
		{dir: "/sys/fs/cgroup/cpu,cpuacct", root: "/", controllers: []string{"cpu", "cpuacct"}, mountOpts: []string{"rw", "relatime"}, superOpts: []string{"rw", "cpu", "cpuacct"}},
		{dir: "/sys/fs/cgroup/systemd", root: "/", controllers: []string{"xattr"}, mountOpts: []string{"rw", "relatime"}, superOpts: []string{"rw", "xattr", "name=systemd"}},
		{dir: "/sys/fs/cgroup/un ified", root: "/sub", v2: true, mountOpts: []string{"rw", "relatime"}, superOpts: []string{"rw"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
}

func TestParseProcCgroup(t *testing.T) {
	pc := parseProcCgroup([]byte("9:name=systemd:/\n4:memory:/process_api/abc\n2:cpu,cpuacct:/x\n0::/lambkin/1-a\n"))
	if pc.unified != "/lambkin/1-a" || pc.v1["memory"] != "/process_api/abc" || pc.v1["cpuacct"] != "/x" {
		t.Errorf("got %+v", pc)
	}
}

func TestCgroupDir(t *testing.T) {
	for _, c := range []struct{ root, own, want string }{
		{"/", "/", "/m"},
		{"/", "/a/b", "/m/a/b"},
		{"/a", "/a/b", "/m/b"},
		{"/a", "/a", "/m"},
		{"/a", "/ab", ""},
		{"/a", "/b", ""},
	} {
		if got := cgroupDir(cgroupMount{dir: "/m", root: c.root}, c.own); got != c.want {
			t.Errorf("cgroupDir(root %q, own %q) = %q, want %q", c.root, c.own, got, c.want)
		}
	}
}

func TestEnvOfCgroups(t *testing.T) {
	owner, env, ok := envOfCgroups([]byte("4:memory:/process_api/x/lambkin/123-abc\n0::/lambkin/123-abc\n"))
	if !ok || owner != 123 || env != "abc" {
		t.Errorf("got %d %q %v", owner, env, ok)
	}
	if _, _, ok := envOfCgroups([]byte("0::/user.slice/lambkin/x\n4:memory:/\n")); ok {
		t.Error("matched a foreign cgroup")
	}
}
