package sandbox

import (
	"os"
	"testing"
)

// memoryModes are the ways the memory limit is enforced.
func memoryModes(t *testing.T) []mode {
	var ms []mode
	if host.memoryCgroup() {
		ms = append(ms, mode{"cgroup", host})
	} else {
		t.Logf("no memory cgroup on this host: only RSS polling is tested (%v)", host.Notes)
	}
	ms = append(ms,
		mode{"rss-poll", withoutMemoryCgroup(host)},
		mode{"rss-poll-tree", withoutCgroups(host)},
	)
	return ms
}

const mb = 1 << 20

func TestMemoryLimitKillsAndReportsOOM(t *testing.T) {
	for _, m := range memoryModes(t) {
		t.Run(m.name, func(t *testing.T) {
			s, out := testSpec(t, m.f, "alloc", "300")
			s.MemoryMB = 128
			x, text := runToExit(t, m.f, s, out)
			if !x.OOM || x.Status != "signal: killed" || x.Killed {
				t.Fatalf("got %+v, output %q; want an OOM kill", x, text)
			}
			// The kernel stops the tree at the limit; the poller sees it
			// somewhere past the limit, at most the whole allocation.
			low, high := uint64(100*mb), uint64(340*mb)
			if m.f.memoryCgroup() {
				high = 129 * mb
			}
			if x.MaxMemory < low || x.MaxMemory > high {
				t.Errorf("MaxMemory = %d MB, want %d..%d MB", x.MaxMemory/mb, low/mb, high/mb)
			}
			t.Logf("max memory used: %d MB", x.MaxMemoryMB())
		})
	}
}

func TestMemoryUnderLimit(t *testing.T) {
	for _, m := range memoryModes(t) {
		t.Run(m.name, func(t *testing.T) {
			s, out := testSpec(t, m.f, "alloc", "40")
			s.MemoryMB = 128
			e := start(t, m.f, s)
			out.wait(t, "allocated")
			if e.rss != nil {
				e.rss.sample() // the poller may not have sampled since
			}
			if peak := e.MaxMemory(); peak < 40*mb || peak > 128*mb {
				t.Errorf("live MaxMemory = %d MB, want 40..128", peak/mb)
			}
			if err := e.Kill(); err != nil {
				t.Fatal(err)
			}
			x := e.Wait()
			if x.OOM || !x.Killed || x.MaxMemory < 40*mb {
				t.Errorf("got %+v", x)
			}
			if got := e.MaxMemory(); got != x.MaxMemory {
				t.Errorf("MaxMemory after the end = %d, want %d", got, x.MaxMemory)
			}
		})
	}
}

func TestMemoryLimitPython(t *testing.T) {
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Skipf("%s not installed", python)
	}
	for _, m := range memoryModes(t) {
		t.Run(m.name, func(t *testing.T) {
			s, out := testSpec(t, m.f)
			s.MemoryMB = 128
			// Hold the memory: a poller cannot see what is already freed.
			s.Path, s.Args = python, []string{"python3", "-S", "-c",
				"import time; b = bytearray(300*1024*1024); print('allocated', flush=True); time.sleep(600)"}
			x, text := runToExit(t, m.f, s, out)
			if !x.OOM || x.Status != "signal: killed" {
				t.Fatalf("got %+v, output %q; want an OOM kill", x, text)
			}
			if x.MaxMemory < 100*mb {
				t.Errorf("MaxMemory = %d MB", x.MaxMemory/mb)
			}
		})
	}
}
