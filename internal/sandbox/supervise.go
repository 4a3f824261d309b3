package sandbox

import (
	"fmt"
	"os"
	"syscall"
	"time"
)

// Teardown bounds: how long the tree may take to die after SIGKILL, and how
// long output may keep flowing after that.
const (
	goneTimeout  = 10 * time.Second
	outputGrace  = time.Second
	maxGoneDelay = 5 * time.Millisecond
)

// supervise waits for the runtime to exit, then ends the rest of the
// environment, records the Exit and closes done.
func (e *Env) supervise() {
	var st *os.ProcessState
	var err error
	if werr := e.exitW.wait(); werr == nil {
		// The runtime is a zombie: its pid and process group are still
		// ours. A Lambda environment dies with its runtime: kill the rest.
		e.killTree()
		e.setReaped()
		st, err = e.proc.Wait()
	} else {
		// No pollable pidfd: reap first, kill the rest by the backend.
		e.setReaped()
		st, err = e.proc.Wait()
		e.killTree()
	}
	x := exitFromState(st, err)
	if gerr := e.waitGone(); gerr != nil && x.Err == nil {
		x.Err = gerr
	}
	if e.rss != nil {
		e.rss.close()
	}
	if e.disk != nil {
		e.disk.close()
		x.StorageExceeded = e.disk.exceeded.Load()
	}
	m := e.memory()
	x.OOM, x.MaxMemory = m.oom, m.peak
	e.out.wait(outputGrace)

	e.mu.Lock()
	x.Killed = e.killRequested && x.Signal == syscall.SIGKILL
	e.exit = x
	e.mu.Unlock()
	close(e.done)
}

// setReaped records that the runtime's pid may be reused from now on.
func (e *Env) setReaped() {
	e.mu.Lock()
	e.reaped = true
	e.mu.Unlock()
}

// killTree sends SIGKILL to the whole environment: the process group (only
// while the runtime is unreaped, so its id cannot have been reused) and
// whatever the backend tracks.
func (e *Env) killTree() {
	e.mu.Lock()
	if !e.reaped {
		_ = syscall.Kill(-e.pid, syscall.SIGKILL)
	}
	e.mu.Unlock()
	_ = e.be.kill()
}

// waitGone waits until the backend sees no process, killing again on each
// round (a process may have forked while the previous kill was sent).
func (e *Env) waitGone() error {
	delay := 50 * time.Microsecond
	deadline := time.Now().Add(goneTimeout)
	for {
		pids, err := e.be.pids()
		if err != nil {
			return err
		}
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sandbox: %d processes survived SIGKILL: %v", len(pids), pids)
		}
		_ = e.be.kill()
		time.Sleep(delay)
		delay = min(2*delay, maxGoneDelay)
	}
}
