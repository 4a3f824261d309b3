package sandbox

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
)

// facts is what "helper report" prints.
type facts struct {
	PID    int      `json:"pid"`
	Cwd    string   `json:"cwd"`
	Env    []string `json:"env"`
	FDs    []string `json:"fds"`
	NoFile []uint64 `json:"nofile"`
	Core   []uint64 `json:"core"`
	FSize  []uint64 `json:"fsize"`
	SigIgn string   `json:"sigign"`

	taskDir string // Spec.TaskDir of the run
}

// report runs "helper report" in mode m.
func report(t *testing.T, f Features) (facts, Exit) {
	t.Helper()
	s, out := testSpec(t, f, "report")
	x, text := runToExit(t, f, s, out)
	var r facts
	if err := json.Unmarshal([]byte(text), &r); err != nil {
		t.Fatalf("bad report %q: %v", text, err)
	}
	r.taskDir = s.TaskDir
	return r, x
}

func TestRuntimeView(t *testing.T) {
	for _, m := range allModes() {
		t.Run(m.name, func(t *testing.T) {
			r, x := report(t, m.f)
			if x.Status != "exit status 0" {
				t.Errorf("status %q", x.Status)
			}
			// Exactly Spec.Env: nothing of lambkin's, no init marker.
			if want := []string{"FOO=bar", "LANG=C"}; !reflect.DeepEqual(r.Env, want) {
				t.Errorf("env = %q, want %q", r.Env, want)
			}
			if r.NoFile[0] != MaxOpenFiles || r.NoFile[1] != MaxOpenFiles {
				t.Errorf("RLIMIT_NOFILE = %v", r.NoFile)
			}
			if r.Core[0] != 0 || r.Core[1] != 0 {
				t.Errorf("RLIMIT_CORE = %v", r.Core)
			}
			// Without a mount namespace the cwd is the work directory's task
			// symlink, which getcwd resolves to TaskDir.
			if want := "/var/task"; m.f.MountNS && r.Cwd != want {
				t.Errorf("cwd %q, want %q", r.Cwd, want)
			} else if !m.f.MountNS && r.Cwd != r.taskDir {
				t.Errorf("cwd %q, want %q", r.Cwd, r.taskDir)
			}
			if m.f.pidNS() != (r.PID == 1) {
				t.Errorf("pid %d in pid namespace=%v", r.PID, m.f.pidNS())
			}
		})
	}
}

// TestInheritance checks, with a shell rather than a Go program (whose
// runtime opens fds and installs signal handlers), that the runtime
// inherits only stdio and, without a mount namespace, an ignored SIGXFSZ.
func TestInheritance(t *testing.T) {
	for _, m := range allModes() {
		t.Run(m.name, func(t *testing.T) {
			s, out := testSpec(t, m.f)
			s.Path, s.Args = "/bin/sh", []string{"sh", "-c", "ls /proc/$$/fd; grep SigIgn /proc/$$/status"}
			x, text := runToExit(t, m.f, s, out)
			if x.Status != "exit status 0" {
				t.Fatalf("%+v %s", x, text)
			}
			// No pipeline in the script: the shell would hold the pipe's fds.
			fds, ign, _ := strings.Cut(text, "SigIgn:")
			if f := strings.Fields(fds); strings.Join(f, " ") != "0 1 2" {
				t.Errorf("open fds %q, want 0 1 2", f)
			}
			ign = strings.TrimSpace(ign)
			if got := sigBit(ign, syscall.SIGXFSZ); got == m.f.MountNS {
				t.Errorf("SIGXFSZ ignored=%v (mask %s), want %v", got, ign, !m.f.MountNS)
			}
		})
	}
}

// sigBit reports whether sig is set in a /proc/<pid>/status signal mask.
func sigBit(mask string, sig syscall.Signal) bool {
	var v uint64
	fmt.Sscanf(mask, "%x", &v)
	return v&(1<<(uint(sig)-1)) != 0
}

func TestExitStatus(t *testing.T) {
	for _, m := range allModes() {
		t.Run(m.name, func(t *testing.T) {
			cases := []struct {
				args   []string
				status string
				code   int
				sig    syscall.Signal
			}{
				{[]string{"exit", "0"}, "exit status 0", 0, 0},
				{[]string{"exit", "3"}, "exit status 3", 3, 0},
				{[]string{"segv"}, "signal: segmentation fault", -1, syscall.SIGSEGV},
			}
			// A signal a process sends itself is dropped when it is pid 1 of
			// a pid namespace and has no handler; elsewhere it kills.
			if m.f.pidNS() {
				cases = append(cases, struct {
					args   []string
					status string
					code   int
					sig    syscall.Signal
				}{[]string{"raise", "15"}, "exit status 2", 2, 0}) // Go's SIGTERM handler falls back to exit(2)
			} else {
				cases = append(cases, struct {
					args   []string
					status string
					code   int
					sig    syscall.Signal
				}{[]string{"raise", "15"}, "signal: terminated", -1, syscall.SIGTERM})
			}
			for _, c := range cases {
				s, out := testSpec(t, m.f, c.args...)
				x, _ := runToExit(t, m.f, s, out)
				if x.Status != c.status || x.Code != c.code || x.Signal != c.sig || x.Killed || x.OOM {
					t.Errorf("%v: got %+v, want status %q code %d signal %v", c.args, x, c.status, c.code, c.sig)
				}
			}
		})
	}
}

func TestKilledStatus(t *testing.T) {
	for _, m := range allModes() {
		t.Run(m.name, func(t *testing.T) {
			s, out := testSpec(t, m.f, "sleep")
			e := start(t, m.f, s)
			out.wait(t, "sleeping")
			if err := e.Kill(); err != nil {
				t.Fatal(err)
			}
			x := e.Wait()
			if x.Status != "signal: killed" || !x.Killed || x.OOM || x.Signal != syscall.SIGKILL {
				t.Errorf("got %+v", x)
			}
		})
	}
}

func TestStartErrors(t *testing.T) {
	for _, m := range allModes() {
		t.Run(m.name, func(t *testing.T) {
			s, _ := testSpec(t, m.f)
			s.ID = "missing-runtime"
			s.Path = filepath.Join(filepath.Dir(s.Path), "no-such-runtime")
			if _, err := Start(m.f, s); err == nil || !strings.Contains(err.Error(), "no such file") {
				t.Errorf("missing runtime: err = %v", err)
			}
			assertNoCgroup(t, m.f, s)

			s, _ = testSpec(t, m.f)
			s.ID = "bad-path"
			s.Path = "helper"
			if _, err := Start(m.f, s); err == nil {
				t.Error("relative path accepted")
			}
			s, _ = testSpec(t, m.f)
			s.ID = "../x"
			if _, err := Start(m.f, s); err == nil {
				t.Error("bad id accepted")
			}
		})
	}
}

// assertNoCgroup checks that a failed Start removed its work directory and
// left no environment cgroup of this process.
func assertNoCgroup(t *testing.T, f Features, s Spec) {
	t.Helper()
	if exists(s.WorkDir) {
		t.Errorf("work directory %s left behind", s.WorkDir)
	}
	for _, parent := range []string{f.CgroupV2, f.CgroupV1Memory, f.CgroupV1Pids} {
		if parent == "" {
			continue
		}
		if dir := filepath.Join(parent, fmt.Sprintf("%d-%s", syscall.Getpid(), s.ID)); exists(dir) {
			t.Errorf("cgroup left behind: %s", dir)
		}
	}
}

func TestInitExe(t *testing.T) {
	f := host
	f.InitExe = filepath.Join(helperDir, "init")
	r, x := report(t, f)
	if x.Status != "exit status 0" || !reflect.DeepEqual(r.Env, []string{"FOO=bar", "LANG=C"}) {
		t.Errorf("with a minimal init: %+v %+v", x, r)
	}
	// A binary that does not call Init is detected, not waited for.
	f.InitExe = "/bin/true"
	s, _ := testSpec(t, f, "exit", "0")
	s.ID = "no-init"
	if _, err := Start(f, s); err == nil || !strings.Contains(err.Error(), "sandbox.Init") {
		t.Errorf("init without Init: err = %v", err)
	}
	assertNoCgroup(t, f, s)
}
