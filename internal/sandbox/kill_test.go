package sandbox

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// uniqueToken returns a string to find a test's processes by command line.
func uniqueToken(t *testing.T) string {
	return "tok-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
}

func TestKillDestroysTree(t *testing.T) {
	for _, m := range allModes() {
		t.Run(m.name, func(t *testing.T) {
			token := uniqueToken(t)
			s, out := testSpec(t, m.f, "daemon", token)
			e := start(t, m.f, s)
			out.wait(t, "ready")
			procs := processesWith(t, token)
			if len(procs) != 2 { // the runtime and the setsid'd grandchild
				t.Fatalf("processes with token: %v", procs)
			}
			tracked, err := e.Processes()
			if err != nil {
				t.Fatal(err)
			}
			for _, pid := range procs {
				if !slices.Contains(tracked, pid) {
					t.Errorf("pid %d not in Processes() = %v", pid, tracked)
				}
			}
			if !slices.Contains(tracked, e.PID()) {
				t.Errorf("runtime %d not in Processes() = %v", e.PID(), tracked)
			}
			if m.f.anyCgroup() {
				live, err := LiveProcesses(os.Getpid())
				if err != nil {
					t.Fatal(err)
				}
				n := 0
				for _, p := range live {
					if p.Env == e.ID() && slices.Contains(procs, p.PID) {
						n++
					}
				}
				if n != len(procs) {
					t.Errorf("LiveProcesses = %v, want %v in env %s", live, procs, e.ID())
				}
			}

			if err := e.Kill(); err != nil {
				t.Fatal(err)
			}
			// Kill returns only once the whole tree is gone.
			if left := processesWith(t, token); len(left) > 0 {
				t.Errorf("survivors: %v", left)
			}
			if x := e.Wait(); !x.Killed || x.Status != "signal: killed" || x.Err != nil {
				t.Errorf("exit %+v", x)
			}
			assertReleased(t, m.f, e, s)
		})
	}
}

// assertReleased checks that the environment's cgroups and work directory
// are gone.
func assertReleased(t *testing.T, f Features, e *Env, s Spec) {
	t.Helper()
	if exists(s.WorkDir) {
		t.Errorf("work directory %s left", s.WorkDir)
	}
	name := strconv.Itoa(os.Getpid()) + "-" + e.ID()
	for _, parent := range []string{f.CgroupV2, f.CgroupV1Memory, f.CgroupV1Pids} {
		if parent != "" && exists(filepath.Join(parent, name)) {
			t.Errorf("cgroup %s left", filepath.Join(parent, name))
		}
	}
}

func TestRuntimeExitEndsEnvironment(t *testing.T) {
	for _, m := range allModes() {
		t.Run(m.name, func(t *testing.T) {
			if !m.f.pidNS() && !m.f.anyCgroup() {
				t.Skip("known limitation: without cgroup or pid namespace, a daemon started after the last tree walk escapes when the runtime exits")
			}
			token := uniqueToken(t)
			s, out := testSpec(t, m.f, "orphan", token)
			x, text := runToExit(t, m.f, s, out)
			if x.Status != "exit status 0" || x.Killed {
				t.Errorf("exit %+v, output %q", x, text)
			}
			// Done means the whole environment is gone, not just the runtime.
			if left := processesWith(t, token); len(left) > 0 {
				t.Errorf("survivors: %v", left)
			}
		})
	}
}

func TestKillConcurrentWithWait(t *testing.T) {
	for _, m := range allModes() {
		t.Run(m.name, func(t *testing.T) {
			s, out := testSpec(t, m.f, "sleep")
			e := start(t, m.f, s)
			out.wait(t, "sleeping")
			var wg sync.WaitGroup
			exits := make(chan Exit, 8)
			errs := make(chan error, 8)
			for range 8 {
				wg.Add(2)
				go func() { defer wg.Done(); exits <- e.Wait() }()
				go func() { defer wg.Done(); errs <- e.Kill() }()
			}
			wg.Wait()
			close(exits)
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("Kill: %v", err)
				}
			}
			for x := range exits {
				if x.Status != "signal: killed" || !x.Killed {
					t.Errorf("Wait: %+v", x)
				}
			}
			assertReleased(t, m.f, e, s)
		})
	}
}

func TestKillAfterExit(t *testing.T) {
	for _, m := range allModes() {
		t.Run(m.name, func(t *testing.T) {
			s, out := testSpec(t, m.f, "exit", "4")
			e := start(t, m.f, s)
			<-e.Done()
			for range 2 {
				if err := e.Kill(); err != nil {
					t.Fatal(err)
				}
			}
			if x := e.Wait(); x.Status != "exit status 4" || x.Killed {
				t.Errorf("exit %+v, output %q", x, out)
			}
			assertReleased(t, m.f, e, s)
			if err := e.Signal(os.Interrupt); err == nil {
				t.Error("Signal after the end succeeded")
			}
		})
	}
}

func TestKillFrozen(t *testing.T) {
	for _, m := range allModes() {
		t.Run(m.name, func(t *testing.T) {
			token := uniqueToken(t)
			s, out := testSpec(t, m.f, "daemon", token)
			e := start(t, m.f, s)
			out.wait(t, "ready")
			if err := e.Freeze(); err != nil {
				t.Fatal(err)
			}
			if err := e.Kill(); err != nil {
				t.Fatal(err)
			}
			if left := processesWith(t, token); len(left) > 0 {
				t.Errorf("survivors: %v", left)
			}
			if x := e.Wait(); !x.Killed {
				t.Errorf("exit %+v", x)
			}
		})
	}
}

func TestStartFromLockedThread(t *testing.T) {
	// A goroutine that ends while locked to its thread takes the thread
	// down; the runtime must not get Pdeathsig from that.
	var e *Env
	var err error
	s, out := testSpec(t, host, "sleep")
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
		e, err = Start(host, s)
	}()
	<-done
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Kill() })
	out.ended = e.Done()
	out.wait(t, "sleeping")
	// Exiting a locked thread is asynchronous; give the kernel a moment to
	// deliver a (wrong) Pdeathsig before checking. No event to wait on.
	time.Sleep(50 * time.Millisecond)
	select {
	case <-e.Done():
		t.Fatalf("environment died with its starting thread: %+v", e.Wait())
	default:
	}
}
