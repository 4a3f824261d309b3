package sandbox

import (
	"errors"
	"os"
	"sync"
	"time"
)

// Env is one execution environment. Its methods are safe for concurrent use.
type Env struct {
	id      string
	paths   Paths
	workDir string // "" with a mount namespace
	pid     int
	proc    *os.Process
	exitW   *exitWatch
	be      backend
	rss     *rssWatcher  // nil where a memory cgroup limits memory
	disk    *diskWatcher // nil with a private tmpfs
	out     *output

	mu            sync.Mutex
	reaped        bool // the runtime's pid may be reused: no pgid signals
	killRequested bool
	exit          Exit

	done     chan struct{}
	killOnce sync.Once
	killErr  error
}

// memory returns the current memory accounting of the environment.
func (e *Env) memory() memStats {
	if e.rss != nil {
		return e.rss.stats()
	}
	m, _ := e.be.memory()
	return m
}

// SyncOutput waits, at most timeout, until everything the environment's
// processes have written to stdout and stderr so far has reached the
// Spec's writers: a function's log lines come before the platform's END.
func (e *Env) SyncOutput(timeout time.Duration) { e.out.sync(timeout) }

// Kill destroys the environment: it kills every process of the tree
// (including daemons that left the process group), waits until they are
// gone and their output is copied, then removes the cgroups and the work
// directory. It is idempotent; concurrent calls all wait for the first.
func (e *Env) Kill() error {
	e.killOnce.Do(func() {
		e.mu.Lock()
		e.killRequested = true
		e.mu.Unlock()
		e.killTree()
		<-e.done
		errs := []error{e.be.release(), e.exitW.close()}
		if e.workDir != "" {
			errs = append(errs, os.RemoveAll(e.workDir))
		}
		e.killErr = errors.Join(errs...)
	})
	return e.killErr
}

// Wait waits until the environment has ended (the runtime exited or was
// killed and no process of the tree is left) and returns how.
func (e *Env) Wait() Exit {
	<-e.done
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.exit
}

// Done is closed when the environment has ended; Wait then returns at once.
func (e *Env) Done() <-chan struct{} { return e.done }

// ID returns the environment's id.
func (e *Env) ID() string { return e.id }

// PID returns the runtime's pid in lambkin's pid namespace.
func (e *Env) PID() int { return e.pid }

// Paths returns where the function sees its directories.
func (e *Env) Paths() Paths { return e.paths }

// MaxMemory returns the peak memory use so far, in bytes (for the REPORT
// line after each invoke; the environment's peak, as Lambda reports).
func (e *Env) MaxMemory() uint64 {
	select {
	case <-e.done:
		return e.Wait().MaxMemory // the cgroup may be gone
	default:
		return e.memory().peak
	}
}

// Processes lists the pids (in lambkin's pid namespace) of the live
// processes of the environment.
func (e *Env) Processes() ([]int, error) { return e.be.pids() }

// Signal sends sig to the runtime process only. In a pid namespace the
// runtime is pid 1 there, and the kernel delivers to it only SIGKILL,
// SIGSTOP and signals it installed a handler for.
func (e *Env) Signal(sig os.Signal) error { return e.proc.Signal(sig) }

// Freeze stops every process of the environment (cgroup freezer, else
// SIGSTOP); Thaw resumes them.
func (e *Env) Freeze() error { return e.be.freeze(true) }

// Thaw resumes an environment stopped by Freeze.
func (e *Env) Thaw() error { return e.be.freeze(false) }
