package sandbox

import (
	"bytes"
	"fmt"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Set once by TestMain.
var (
	// helperDir holds the static helper binary, shown to the function as
	// /var/runtime (Spec.RuntimeDir), and a minimal sandbox init, "init".
	helperDir string
	// host is what Detect found.
	host Features
)

// helperDirEnv passes the built helper to child test processes.
const helperDirEnv = "LAMBKIN_SANDBOX_TEST_HELPER_DIR"

func TestMain(m *testing.M) {
	Init()
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	helperDir = os.Getenv(helperDirEnv)
	if helperDir == "" {
		dir, err := os.MkdirTemp("", "sandbox-helper-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		goBin, err := exec.LookPath("go")
		if err != nil {
			goBin = filepath.Join(build.Default.GOROOT, "bin", "go")
		}
		for _, name := range []string{"helper", "init"} {
			cmd := exec.Command(goBin, "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(dir, name), "./testdata/"+name)
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				fmt.Fprintf(os.Stderr, "build %s: %v\n%s", name, err, out)
				return 1
			}
		}
		helperDir = dir
	}
	host = Detect()
	code := m.Run()
	// No test may leave a function process behind.
	if code == 0 && os.Getenv(ownerModeEnv) == "" {
		if left, err := LiveProcesses(os.Getpid()); err != nil || len(left) > 0 {
			fmt.Fprintf(os.Stderr, "leaked environment processes: %v %v\n", left, err)
			return 1
		}
	}
	return code
}

// mode is one combination of isolation layers under test.
type mode struct {
	name string
	f    Features
}

// Mode names.
const (
	modeFull      = "full"      // everything Detect found
	modeNoPIDNS   = "nopidns"   // mount namespace, no pid namespace
	modeNoMountNS = "nomountns" // fallback layout, cgroups
	modeNoCgroup  = "nocgroup"  // namespaces, no cgroups (RSS polling, tree walk)
	modeBare      = "bare"      // no namespace, no cgroup
)

// allModes lists the modes; features that the host lacks make some modes
// equal to others, which is harmless.
func allModes() []mode {
	return []mode{
		{modeFull, host},
		{modeNoPIDNS, withoutPIDNS(host)},
		{modeNoMountNS, withoutMountNS(host)},
		{modeNoCgroup, withoutCgroups(host)},
		{modeBare, withoutCgroups(withoutMountNS(host))},
	}
}

// modeByName returns the named mode.
func modeByName(name string) (mode, bool) {
	for _, m := range allModes() {
		if m.name == name {
			return m, true
		}
	}
	return mode{}, false
}

func withoutPIDNS(f Features) Features { f.PIDNS = false; return f }

func withoutMountNS(f Features) Features { f.MountNS, f.PIDNS = false, false; return f }

func withoutCgroups(f Features) Features {
	f.CgroupV2, f.CgroupV2Memory, f.CgroupV2Pids, f.CgroupKill, f.CgroupFreeze = "", false, false, false, false
	f.CgroupV1Memory, f.CgroupV1Pids, f.CgroupV1Memsw = "", "", false
	return f
}

func withoutMemoryCgroup(f Features) Features {
	f.CgroupV2Memory, f.CgroupV1Memory, f.CgroupV1Memsw = false, "", false
	return f
}

// needMountNS skips when the host has no mount namespace.
func needMountNS(t testing.TB) {
	t.Helper()
	if !host.MountNS {
		t.Skipf("mount namespaces unavailable on this host: %v", host.Notes)
	}
}

// testSpec returns a spec that runs the helper with args in a fresh task
// and work directory, with output captured in the returned buffer.
func testSpec(t testing.TB, f Features, args ...string) (Spec, *lines) {
	t.Helper()
	task := t.TempDir()
	if err := os.WriteFile(filepath.Join(task, "hello.txt"), []byte("hello from the task"), 0o644); err != nil {
		t.Fatal(err)
	}
	work := filepath.Join(t.TempDir(), "env")
	out := &lines{}
	s := Spec{
		Path:       filepath.Join(f.Layout(work).Runtime, "helper"),
		Args:       append([]string{"helper"}, args...),
		Env:        []string{"FOO=bar", "LANG=C"},
		Stdout:     out,
		Stderr:     out,
		TaskDir:    task,
		RuntimeDir: helperDir,
		WorkDir:    work,
		MemoryMB:   128,
		// Short polls keep the fallback tests quick.
		PollInterval: 10 * time.Millisecond,
	}
	return s, out
}

// start starts s and registers a Kill at cleanup.
func start(t testing.TB, f Features, s Spec) *Env {
	t.Helper()
	e, err := Start(f, s)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := e.Kill(); err != nil {
			t.Errorf("Kill: %v", err)
		}
	})
	if l, ok := s.Stdout.(*lines); ok {
		l.mu.Lock()
		l.ended = e.Done()
		l.mu.Unlock()
	}
	return e
}

// runToExit starts s, waits for its end and returns it with the output.
func runToExit(t testing.TB, f Features, s Spec, out *lines) (Exit, string) {
	t.Helper()
	e := start(t, f, s)
	select {
	case <-e.Done():
	case <-time.After(30 * time.Second):
		t.Fatalf("environment did not end; output: %s", out)
	}
	return e.Wait(), out.String()
}

// lines is an io.Writer that lets a test wait for a line of output.
type lines struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
	ended   <-chan struct{} // the environment's Done, once started
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
	return len(p), nil
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// wait returns the first complete line starting with prefix, waiting for
// it to be written; it fails at once if the environment ends without it.
func (l *lines) wait(t testing.TB, prefix string) string {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for ended := false; ; {
		l.mu.Lock()
		for _, line := range strings.SplitAfter(l.buf.String(), "\n") {
			if strings.HasPrefix(line, prefix) && strings.HasSuffix(line, "\n") {
				l.mu.Unlock()
				return strings.TrimSpace(line)
			}
		}
		if ended { // Done comes after all output was copied
			l.mu.Unlock()
			t.Fatalf("environment ended without a line %q; output: %q", prefix, l.String())
		}
		if l.changed == nil {
			l.changed = make(chan struct{})
		}
		ch, endedCh := l.changed, l.ended
		l.mu.Unlock()
		select {
		case <-ch:
		case <-endedCh:
			ended = true
		case <-timeout:
			t.Fatalf("no line %q in output: %q", prefix, l.String())
		}
	}
}

// processesWith returns the live (non-zombie) processes whose command line
// contains token.
func processesWith(t testing.TB, token string) []int {
	t.Helper()
	pids, err := listPIDs()
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		if err == nil && bytes.Contains(b, []byte(token)) && pid != os.Getpid() {
			if s, err := readStat(pid); err == nil && !s.zombie() {
				out = append(out, pid)
			}
		}
	}
	return out
}

// fmtSscan is fmt.Sscanf.
func fmtSscan(s, format string, args ...any) (int, error) { return fmt.Sscanf(s, format, args...) }
