package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// Init turns the process into a sandbox init when it was started as one by
// Start or Detect: it prepares the environment, then execs the runtime and
// never returns. In any other process it returns at once. main (and TestMain)
// must call it before doing anything else, because package state and
// goroutines of the regular program must not run in a sandbox init.
func Init() {
	if !isInit() {
		return
	}
	// The parent-death signal set at fork belongs to the thread that was
	// forked, and Go may exec from another thread: execve then makes that
	// thread the process and the signal is lost. So exec from a locked
	// thread that carries the signal too. Until then, the original thread
	// still has it.
	runtime.LockOSThread()
	code := 125
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0, 0, 0); err == nil {
		code = runInit()
	}
	// Not os.Exit: no exit hooks (the race detector's would sleep 1s).
	syscall.Exit(code)
}

// isInit reports whether this process was started as a sandbox init.
func isInit() bool { return len(os.Args) > 0 && os.Args[0] == initArg0 }

// errNotInitialised: a sandbox init reached Detect or Start, so main did
// not call Init first; starting another init would recurse.
var errNotInitialised = errors.New("sandbox: main must call sandbox.Init first")

// runInit is the sandbox init; its result is the exit code when it does not
// exec (probe, or failure).
func runInit() int {
	// The runtime inherits only stdio: not the protocol pipes, nor fds
	// lambkin itself inherited without close-on-exec.
	if err := cloexecFrom(configFD); err != nil {
		return 125
	}
	status := os.NewFile(statusFD, "sandbox-status")
	if status == nil {
		return 125
	}
	if _, err := status.Write([]byte{helloByte}); err != nil {
		return 125
	}
	var cfg initConfig
	err := readConfig(&cfg)
	if err == nil {
		err = setUp(cfg)
	}
	if err == nil && cfg.Probe {
		return 0
	}
	if err == nil {
		err = syscall.Exec(cfg.Path, cfg.Args, cfg.Env)
		err = fmt.Errorf("exec %s: %w", cfg.Path, err)
	}
	_, _ = io.WriteString(status, err.Error())
	return 126
}

// cloexecFrom marks every fd from first on close-on-exec.
func cloexecFrom(first int) error {
	err := unix.CloseRange(uint(first), math.MaxUint32, unix.CLOSE_RANGE_CLOEXEC)
	if err == nil {
		return nil
	}
	// Before Linux 5.11: one by one.
	d, err := os.Open("/proc/self/fd")
	if err != nil {
		return err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return err
	}
	for _, n := range names {
		if fd, err := strconv.Atoi(n); err == nil && fd >= first {
			syscall.CloseOnExec(fd)
		}
	}
	return nil
}

// readConfig reads the JSON configuration from the config pipe.
func readConfig(cfg *initConfig) error {
	f := os.NewFile(configFD, "sandbox-config")
	if f == nil {
		return fmt.Errorf("sandbox init: no config pipe")
	}
	defer f.Close()
	if err := json.NewDecoder(f).Decode(cfg); err != nil {
		return fmt.Errorf("sandbox init: read config: %w", err)
	}
	return nil
}

// setUp does everything that must happen inside the new process before
// the runtime starts.
func setUp(cfg initConfig) error {
	if cfg.Mounts != nil {
		if err := cfg.Mounts.apply(); err != nil {
			return err
		}
	}
	if cfg.Dir != "" {
		if err := os.Chdir(cfg.Dir); err != nil {
			return err
		}
	}
	for _, l := range cfg.Rlimits {
		// syscall.Setrlimit, not unix: it also stops syscall.Exec from
		// restoring the soft RLIMIT_NOFILE Go saw at startup.
		if err := syscall.Setrlimit(l.Resource, &syscall.Rlimit{Cur: l.Cur, Max: l.Max}); err != nil {
			return fmt.Errorf("setrlimit %d: %w", l.Resource, err)
		}
	}
	if cfg.IgnoreXFSZ {
		signal.Ignore(syscall.SIGXFSZ)
	}
	if cfg.Subreaper {
		if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
			return fmt.Errorf("set child subreaper: %w", err)
		}
	}
	return nil
}
