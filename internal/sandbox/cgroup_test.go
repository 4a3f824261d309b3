package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeCgroup creates a directory with the given control files, to test
// the file handling of the cgroup code on any host (this one has no v2
// memory controller, for instance). Files written by the code start empty:
// a regular file, unlike a control file, is not replaced by a write.
func fakeCgroup(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readFake(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func TestCgroupV2Files(t *testing.T) {
	dir := fakeCgroup(t, map[string]string{
		"memory.max": "", "memory.swap.max": "", "memory.oom.group": "", "pids.max": "",
		"memory.peak": "52428800\n", "memory.events": "low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\noom_group_kill 1\n",
		"cgroup.freeze": "", "cgroup.events": "populated 1\nfrozen 1\n",
	})
	c := &cgroupV2{dir: dir}
	if err := c.limitMemory(128 << 20); err != nil {
		t.Fatal(err)
	}
	if err := c.limitPids(1024); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"memory.max": "134217728", "memory.swap.max": "0", "memory.oom.group": "1", "pids.max": "1024"} {
		if got := readFake(t, dir, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if m := c.memory(); m.peak != 50<<20 || !m.oom {
		t.Errorf("memory() = %+v", m)
	}
	if err := c.freeze(true); err != nil { // cgroup.events says frozen
		t.Errorf("freeze: %v", err)
	}
}

func TestCgroupV1Files(t *testing.T) {
	dir := fakeCgroup(t, map[string]string{
		"memory.limit_in_bytes": "", "memory.memsw.limit_in_bytes": "",
		"memory.max_usage_in_bytes": "134217728\n", "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
		"pids.max": "",
	})
	c := &cgroupV1{dir: dir}
	if err := c.limitMemory(128<<20, true); err != nil {
		t.Fatal(err)
	}
	if err := c.limitPids(20); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"memory.limit_in_bytes": "134217728", "memory.memsw.limit_in_bytes": "134217728", "pids.max": "20"} {
		if got := readFake(t, dir, name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if m := c.memory(); m.peak != 128<<20 || !m.oom {
		t.Errorf("memory() = %+v", m)
	}
	// No OOM yet.
	dir = fakeCgroup(t, map[string]string{"memory.max_usage_in_bytes": "1\n", "memory.oom_control": "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n"})
	if m := (&cgroupV1{dir: dir}).memory(); m.oom {
		t.Errorf("memory() = %+v", m)
	}
}

func TestCgroupWriteErrors(t *testing.T) {
	// Control files are never created: a missing one is an error.
	c := &cgroupV2{dir: t.TempDir()}
	if err := c.limitMemory(1 << 20); err == nil || !strings.Contains(err.Error(), "memory.max") {
		t.Errorf("limitMemory without memory.max: %v", err)
	}
	if _, err := readCgroupKey(c.dir, "memory.events", "oom_kill"); err == nil {
		t.Error("readCgroupKey on a missing file succeeded")
	}
}
