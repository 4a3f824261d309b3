package sandbox

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkStart measures Start (spawn to exec) plus running to exit and
// Kill (teardown, cgroup removal) of a trivial runtime in each mode, with
// the test binary or a minimal binary as sandbox init. The ms-to-exec
// metric is Start alone. Work directories are kept out of /tmp, where
// directory operations are slow on the build machines (~2 ms per mkdir).
func BenchmarkStart(b *testing.B) {
	base := b.TempDir()
	if dir, err := os.MkdirTemp("/var/tmp", "sandbox-bench-"); err == nil {
		base = dir
		defer os.RemoveAll(dir)
	}
	for _, m := range allModes() {
		for _, variant := range []string{"true", "helper", "true+tinyinit"} {
			f := m.f
			if strings.HasSuffix(variant, "+tinyinit") {
				f.InitExe = filepath.Join(helperDir, "init")
			}
			b.Run(m.name+"/"+variant, func(b *testing.B) {
				var toExec time.Duration
				i := 0
				for b.Loop() {
					i++
					s, _ := testSpec(b, f, "exit", "0")
					s.WorkDir = filepath.Join(base, m.name+variant+strconv.Itoa(i))
					s.Path = filepath.Join(f.Layout(s.WorkDir).Runtime, "helper")
					s.Stdout, s.Stderr = nil, nil
					if strings.HasPrefix(variant, "true") {
						s.Path, s.Args = "/bin/true", nil
					}
					t0 := time.Now()
					e, err := Start(f, s)
					if err != nil {
						b.Fatal(err)
					}
					toExec += time.Since(t0)
					if x := e.Wait(); x.Status != "exit status 0" {
						b.Fatal(x)
					}
					if err := e.Kill(); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(toExec.Microseconds())/1000/float64(b.N), "ms-to-exec")
			})
		}
	}
}

// TestManyIdleEnvironments holds 200 idle environments at once, the
// number lambkin must sustain, and logs what each costs lambkin.
func TestManyIdleEnvironments(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	const n = 200
	runtime.GC()
	g0, fd0, th0, rss0 := runtime.NumGoroutine(), countFDs(t), selfStatus(t, "Threads"), selfStatus(t, "VmRSS")
	kernel0 := kernelMemory(t)
	envs := make([]*Env, 0, n)
	t0 := time.Now()
	for range n {
		s, out := testSpec(t, host)
		// A small C runtime, so that the kernel figures are the sandbox's.
		s.Path, s.Args = "/bin/sh", []string{"sh", "-c", "echo sleeping; exec sleep 600"}
		e := start(t, host, s)
		envs = append(envs, e)
		out.wait(t, "sleeping")
	}
	startAll := time.Since(t0)
	runtime.GC()
	g1, fd1, th1, rss1 := runtime.NumGoroutine(), countFDs(t), selfStatus(t, "Threads"), selfStatus(t, "VmRSS")
	kernel1 := kernelMemory(t)
	for _, e := range envs {
		select {
		case <-e.Done():
			t.Fatalf("environment %s ended: %+v", e.ID(), e.Wait())
		default:
		}
	}
	var rssEnv uint64
	for _, e := range envs {
		n, _ := rssBytes(e.PID())
		rssEnv += n
	}
	t0 = time.Now()
	for _, e := range envs {
		if err := e.Kill(); err != nil {
			t.Fatal(err)
		}
	}
	killAll := time.Since(t0)
	t.Logf("%d environments (%v): start+ready %v (%.2f ms each), kill %v (%.2f ms each)",
		n, host.killPath(), startAll, float64(startAll.Microseconds())/1000/n, killAll, float64(killAll.Microseconds())/1000/n)
	t.Logf("per environment in lambkin: %.1f goroutines, %.1f fds, %.2f threads, %.1f KB RSS",
		float64(g1-g0)/n, float64(fd1-fd0)/n, float64(th1-th0)/n, float64(rss1-rss0)/n)
	var parts []string
	for k, v := range kernel1 {
		parts = append(parts, k+" "+strconv.FormatFloat(float64(v-kernel0[k])/n, 'f', 1, 64)+" KB")
	}
	slices.Sort(parts)
	t.Logf("per environment in the kernel: %s; runtime (sleep) RSS %.1f KB", strings.Join(parts, ", "), float64(rssEnv)/1024/n)
}

// countFDs counts our open fds.
func countFDs(t *testing.T) int {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// selfStatus reads a numeric field (first number) of /proc/self/status.
func selfStatus(t *testing.T, key string) int {
	return procField(t, "/proc/self/status", key)
}

// kernelMemory returns the kernel's own memory use from /proc/meminfo, in KB.
func kernelMemory(t *testing.T) map[string]int {
	m := map[string]int{}
	for _, k := range []string{"Slab", "Percpu", "KernelStack", "PageTables", "Shmem"} {
		m[k] = procField(t, "/proc/meminfo", k)
	}
	m["used"] = procField(t, "/proc/meminfo", "MemTotal") - procField(t, "/proc/meminfo", "MemAvailable")
	return m
}

func procField(t *testing.T, file, key string) int {
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), key+":"); ok {
			n, _ := strconv.Atoi(strings.Fields(v)[0])
			return n
		}
	}
	t.Fatalf("%s: no %s", file, key)
	return 0
}
