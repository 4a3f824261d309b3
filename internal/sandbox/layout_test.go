package sandbox

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// runHelper runs the helper with args in f (spec adjusted by edit) and
// returns its output.
func runHelper(t *testing.T, f Features, edit func(*Spec), args ...string) string {
	t.Helper()
	s, out := testSpec(t, f, args...)
	if edit != nil {
		edit(&s)
	}
	x, text := runToExit(t, f, s, out)
	if x.Status != "exit status 0" {
		t.Fatalf("%v: %+v; output %q", args, x, text)
	}
	return strings.TrimSpace(text)
}

// withLayers gives the environment a layers directory holding layer.txt.
func withLayers(t *testing.T) func(*Spec) {
	layers := t.TempDir()
	if err := os.WriteFile(filepath.Join(layers, "layer.txt"), []byte("layer"), 0o644); err != nil {
		t.Fatal(err)
	}
	return func(s *Spec) { s.LayersDir = layers }
}

func TestNamespaceLayout(t *testing.T) {
	needMountNS(t)
	for _, name := range []string{modeFull, modeNoPIDNS, modeNoCgroup} {
		m, _ := modeByName(name)
		t.Run(name, func(t *testing.T) {
			f := m.f
			if got := runHelper(t, f, nil, "cat", "/var/task/hello.txt"); got != "hello from the task" {
				t.Errorf("/var/task/hello.txt = %q", got)
			}
			// As in Lambda, everything but /tmp is read-only.
			for _, p := range []string{"/var/task/new", "/var/task/hello.txt", "/opt/new", "/var/runtime/new", "/root/new", "/etc/new", "/sys/fs/cgroup/unified/cgroup.procs"} {
				if got := runHelper(t, f, nil, "write", p); got != "error: EROFS" {
					t.Errorf("write %s: %q, want EROFS", p, got)
				}
			}
			if got := runHelper(t, f, withLayers(t), "ls", "/opt"); got != "layer.txt" {
				t.Errorf("/opt with layers = %q", got)
			}
			if got := runHelper(t, f, withLayers(t), "write", "/opt/layer.txt"); got != "error: EROFS" {
				t.Errorf("write to a layer: %q", got)
			}
			if got := runHelper(t, f, nil, "ls", "/opt"); got != "" {
				t.Errorf("/opt without layers = %q, want empty", got)
			}
			if got := runHelper(t, f, nil, "ls", "/var/runtime"); got != "helper init" {
				t.Errorf("/var/runtime = %q", got)
			}
			for _, p := range []string{"/tmp/new", "/dev/null"} {
				if got := runHelper(t, f, nil, "write", p); got != "ok" {
					t.Errorf("write %s: %q", p, got)
				}
			}
		})
	}
}

func TestPrivateTmp(t *testing.T) {
	needMountNS(t)
	for _, name := range []string{modeFull, modeNoPIDNS} {
		m, _ := modeByName(name)
		t.Run(name, func(t *testing.T) {
			// The host's /tmp is hidden, and nothing written leaks to it.
			marker, err := os.CreateTemp("/tmp", "sandbox-host-marker-")
			if err != nil {
				t.Fatal(err)
			}
			marker.Close()
			defer os.Remove(marker.Name())
			if got := runHelper(t, m.f, nil, "ls", "/tmp"); got != "" {
				t.Errorf("/tmp starts with %q, want empty", got)
			}
			name := "/tmp/sandbox-written-" + strconv.Itoa(os.Getpid())
			if got := runHelper(t, m.f, nil, "write", name); got != "ok" {
				t.Fatalf("write %s: %q", name, got)
			}
			if exists(name) {
				os.Remove(name)
				t.Errorf("%s appeared on the host", name)
			}

			// Writing past the ephemeral storage size fails with ENOSPC.
			got := runHelper(t, m.f, func(s *Spec) { s.EphemeralMB = 8 }, "fill", "/tmp/big")
			var n int
			var errno string
			if _, err := fmtSscan(got, "wrote %d error %s", &n, &errno); err != nil || errno != "ENOSPC" {
				t.Fatalf("fill /tmp: %q", got)
			}
			if n > 8<<20 || n < 7<<20 {
				t.Errorf("wrote %d bytes to an 8 MB /tmp", n)
			}
		})
	}
}

func TestFallbackLayout(t *testing.T) {
	for _, name := range []string{modeNoMountNS, modeBare} {
		m, _ := modeByName(name)
		t.Run(name, func(t *testing.T) {
			f := m.f
			s, out := testSpec(t, f, "sleep")
			withLayers(t)(&s)
			p := f.Layout(s.WorkDir)
			if p.Task != filepath.Join(s.WorkDir, "task") || p.Tmp != filepath.Join(s.WorkDir, "tmp") ||
				p.Opt != filepath.Join(s.WorkDir, "opt") || p.Runtime != filepath.Join(s.WorkDir, "runtime") {
				t.Fatalf("Layout = %+v", p)
			}
			e := start(t, f, s)
			out.wait(t, "sleeping")
			if e.Paths() != p {
				t.Errorf("Paths() = %+v, want %+v", e.Paths(), p)
			}
			if b, err := os.ReadFile(filepath.Join(p.Task, "hello.txt")); err != nil || string(b) != "hello from the task" {
				t.Errorf("task/hello.txt: %q %v", b, err)
			}
			if _, err := os.Stat(filepath.Join(p.Opt, "layer.txt")); err != nil {
				t.Errorf("opt/layer.txt: %v", err)
			}
			if st, err := os.Stat(p.Tmp); err != nil || st.Mode()&os.ModeSticky == 0 || st.Mode().Perm() != 0o777 {
				t.Errorf("tmp: %v %v", st.Mode(), err)
			}
			if err := e.Kill(); err != nil {
				t.Fatal(err)
			}
			if exists(s.WorkDir) {
				t.Errorf("work directory left after Kill")
			}
			if !exists(filepath.Join(s.TaskDir, "hello.txt")) || !exists(filepath.Join(s.LayersDir, "layer.txt")) {
				t.Errorf("Kill removed the code or the layers")
			}
		})
	}
}

func TestFallbackStorageLimit(t *testing.T) {
	for _, name := range []string{modeNoMountNS, modeBare} {
		m, _ := modeByName(name)
		t.Run(name, func(t *testing.T) {
			// One file cannot grow past the size: EFBIG.
			tmp := func(s Spec) string { return m.f.Layout(s.WorkDir).Tmp }
			s, out := testSpec(t, m.f)
			s.EphemeralMB = 4
			s.Args = []string{"helper", "fill", filepath.Join(tmp(s), "big")}
			x, got := runToExit(t, m.f, s, out)
			var n int
			var errno string
			if _, err := fmtSscan(strings.TrimSpace(got), "wrote %d error %s", &n, &errno); err != nil || errno != "EFBIG" || n != 4<<20 {
				t.Errorf("fill: %q (%+v), want EFBIG at 4 MiB", got, x)
			}

			// Several files together: the watcher kills the environment.
			s, out = testSpec(t, m.f)
			s.EphemeralMB = 4
			s.Path, s.Args = "/bin/sh", []string{"sh", "-c",
				`for i in 1 2 3; do head -c 3000000 /dev/zero > "$0/f$i"; done; echo written; exec sleep 600`, tmp(s)}
			x, got = runToExit(t, m.f, s, out)
			if !x.StorageExceeded || x.Status != "signal: killed" || x.OOM {
				t.Errorf("got %+v, output %q; want killed for storage", x, got)
			}
		})
	}
}

// TestTmpMemoryAccounting shows the trade-off of Spec.DiskTmp: tmpfs pages
// count toward the memory limit, pages of a /tmp on disk do not.
func TestTmpMemoryAccounting(t *testing.T) {
	needMountNS(t)
	if !host.memoryCgroup() {
		t.Skip("no memory cgroup: tmpfs pages are not charged to the environment")
	}
	for _, disk := range []bool{false, true} {
		t.Run("disk="+strconv.FormatBool(disk), func(t *testing.T) {
			s, out := testSpec(t, host, "fill", "/tmp/big")
			s.MemoryMB, s.EphemeralMB, s.DiskTmp = 64, 150, disk
			x, text := runToExit(t, host, s, out)
			if disk {
				if x.OOM || x.Status != "exit status 0" || strings.TrimSpace(text) != "wrote 157286400 error EFBIG" {
					t.Errorf("disk /tmp: %+v %q; want 150 MB written, then EFBIG", x, text)
				}
			} else if !x.OOM {
				t.Errorf("tmpfs /tmp: %+v %q; want an OOM kill at 64 MB", x, text)
			}
		})
	}
}

func TestDiskTmp(t *testing.T) {
	needMountNS(t)
	s, out := testSpec(t, host, "sleep")
	s.DiskTmp, s.EphemeralMB = true, 4
	e := start(t, host, s)
	out.wait(t, "sleeping")
	if e.Paths().Tmp != "/tmp" {
		t.Errorf("Paths().Tmp = %q", e.Paths().Tmp)
	}
	if st, err := os.Stat(filepath.Join(s.WorkDir, "tmp")); err != nil || st.Mode()&os.ModeSticky == 0 {
		t.Errorf("host side of /tmp: %v %v", st, err)
	}
	if err := e.Kill(); err != nil {
		t.Fatal(err)
	}
	if exists(s.WorkDir) {
		t.Error("work directory left after Kill")
	}

	// Over the size in several files: the watcher kills the environment.
	s, out = testSpec(t, host)
	s.DiskTmp, s.EphemeralMB = true, 4
	s.Path, s.Args = "/bin/sh", []string{"sh", "-c", `for i in 1 2 3; do head -c 3000000 /dev/zero > /tmp/f$i; done; exec sleep 600`}
	if x, text := runToExit(t, host, s, out); !x.StorageExceeded || x.Status != "signal: killed" {
		t.Errorf("got %+v, output %q; want killed for storage", x, text)
	}
}
