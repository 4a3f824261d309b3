package sandbox

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Environment of the owner child process (TestOwnerProcess).
const (
	ownerModeEnv  = "LAMBKIN_SANDBOX_TEST_OWNER_MODE"
	ownerTokenEnv = "LAMBKIN_SANDBOX_TEST_OWNER_TOKEN"
)

// TestOwnerProcess is not a test by itself: TestPdeathsig runs the test
// binary with it as a stand-in lambkin that starts an environment and is
// then killed with SIGKILL.
func TestOwnerProcess(t *testing.T) {
	name := os.Getenv(ownerModeEnv)
	if name == "" {
		t.Skip("only runs as a child of TestPdeathsig")
	}
	m, ok := modeByName(name)
	if !ok {
		t.Fatalf("unknown mode %q", name)
	}
	s, out := testSpec(t, m.f, "daemon", os.Getenv(ownerTokenEnv))
	if _, err := Start(m.f, s); err != nil {
		t.Fatal(err)
	}
	out.wait(t, "ready")
	os.Stdout.WriteString("OWNER READY\n")
	for { // until killed
		time.Sleep(time.Hour)
	}
}

func TestPdeathsig(t *testing.T) {
	for _, name := range []string{modeFull, modeNoPIDNS, modeNoCgroup} {
		m, _ := modeByName(name)
		t.Run(name, func(t *testing.T) {
			if name != modeNoCgroup && !m.f.anyCgroup() {
				t.Skip("no cgroups on this host")
			}
			// Several rounds: losing the parent-death signal used to depend
			// on which thread the init exec'd from.
			for range 4 {
				ownerDies(t, m)
			}
		})
	}
}

// ownerDies starts an owner process that starts an environment with a
// setsid'd daemon, kills the owner with SIGKILL and checks what is left.
func ownerDies(t *testing.T, m mode) {
	token := "pdeathsig-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	owner := exec.Command(os.Args[0], "-test.run=^TestOwnerProcess$", "-test.count=1")
	owner.Env = append(os.Environ(), ownerModeEnv+"="+m.name, ownerTokenEnv+"="+token, helperDirEnv+"="+helperDir)
	owner.Stderr = os.Stderr
	stdout, err := owner.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := owner.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "OWNER READY") {
				ready <- true
				return
			}
		}
		ready <- false
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatal("owner process ended before its environment was ready")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("owner process not ready")
	}
	before := processesWith(t, token)
	if len(before) != 2 { // the runtime and its setsid'd grandchild
		t.Fatalf("environment processes before: %v", before)
	}
	runtimePID := processesWith(t, "daemon\x00"+token)
	if len(runtimePID) != 1 {
		t.Fatalf("runtime: %v", runtimePID)
	}
	ownerPID := owner.Process.Pid
	if err := owner.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = owner.Wait()

	switch {
	case m.f.pidNS():
		// The runtime gets SIGKILL; the kernel then kills its pid namespace.
		waitExit(t, before)
	case m.f.anyCgroup():
		// Without a pid namespace only the runtime dies; the daemon stays
		// in its cgroup until Sweep (which a concurrent lambkin test
		// process may run first).
		waitExit(t, runtimePID)
		left, err := LiveProcesses(ownerPID)
		if err != nil || (len(left) == 0 && len(processesWith(t, token)) > 0) {
			t.Fatalf("LiveProcesses(%d) = %v, %v; want the daemon", ownerPID, left, err)
		}
	default:
		// Without cgroup nor pid namespace the daemon escapes for good:
		// only the runtime dies. Clean up the daemon by hand.
		waitExit(t, runtimePID)
		for _, pid := range processesWith(t, token) {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
		waitExit(t, before)
		return
	}
	if err := Sweep(m.f); err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if left := processesWith(t, token); len(left) > 0 {
		t.Errorf("processes left after Sweep: %v", left)
	}
	if left, _ := LiveProcesses(ownerPID); len(left) > 0 {
		t.Errorf("LiveProcesses after Sweep: %v", left)
	}
	for _, parent := range []string{m.f.CgroupV2, m.f.CgroupV1Memory, m.f.CgroupV1Pids} {
		if parent == "" {
			continue
		}
		if dirs, _ := filepath.Glob(filepath.Join(parent, strconv.Itoa(ownerPID)+"-*")); len(dirs) > 0 {
			t.Errorf("cgroups left after Sweep: %v", dirs)
		}
	}
}

// waitExit waits until every process in pids has exited, using pidfds
// (readable on exit) rather than polling /proc.
func waitExit(t *testing.T, pids []int) {
	t.Helper()
	var fds []unix.PollFd
	for _, pid := range pids {
		fd, err := unix.PidfdOpen(pid, 0)
		if err != nil {
			continue // already gone
		}
		defer unix.Close(fd)
		fds = append(fds, unix.PollFd{Fd: int32(fd), Events: unix.POLLIN})
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(fds) > 0 {
		ms := int(time.Until(deadline).Milliseconds())
		if ms <= 0 {
			for _, pid := range pids {
				b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
				c, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
				t.Logf("%d %q\n%s", pid, c, b)
			}
			t.Fatalf("%d of %v still alive", len(fds), pids)
		}
		n, err := unix.Poll(fds, ms)
		if err != nil && err != unix.EINTR {
			t.Fatal(err)
		}
		if n == 0 {
			continue
		}
		rest := fds[:0]
		for _, p := range fds {
			if p.Revents == 0 {
				rest = append(rest, p)
			}
		}
		fds = rest
	}
}
