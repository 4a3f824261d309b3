package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"
)

// selfExe is the running binary, the default sandbox init.
const selfExe = "/proc/self/exe"

// handshakeTimeout bounds each wait for the sandbox init: for its hello
// (Go runtime start-up) and then for the outcome of setup and exec.
const handshakeTimeout = 10 * time.Second

// launch is a sandbox init that started and is waiting for its config.
type launch struct {
	proc   *os.Process
	config *os.File // write end, parent → init
	status *os.File // read end, init → parent
}

// startInit starts the sandbox init exe in its own process group, killed
// when lambkin dies, with stdio from files (nil = /dev/null) and waits for
// its hello. cloneflags selects the namespaces.
func startInit(exe string, cloneflags uintptr, stdout, stderr *os.File) (*launch, error) {
	if isInit() {
		return nil, errNotInitialised
	}
	cfgR, cfgW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	stR, stW, err := os.Pipe()
	if err != nil {
		cfgR.Close()
		cfgW.Close()
		return nil, err
	}
	l := &launch{config: cfgW, status: stR}
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		closeAll(cfgR, stW, cfgW, stR)
		return nil, err
	}
	if stdout == nil {
		stdout = devnull
	}
	if stderr == nil {
		stderr = devnull
	}
	attr := &os.ProcAttr{
		Dir: "/",
		// The init needs no environment; the runtime gets Spec.Env.
		Env:   []string{},
		Files: []*os.File{devnull, stdout, stderr, cfgR, stW},
		Sys: &syscall.SysProcAttr{
			Setpgid:    true,
			Pdeathsig:  syscall.SIGKILL,
			Cloneflags: cloneflags,
		},
	}
	// Fork from a fresh goroutine: Pdeathsig fires when the forking thread
	// exits, which happens to a thread locked by a goroutine that ends
	// without unlocking; a fresh goroutine never runs on such a thread.
	started := make(chan error, 1)
	go func() {
		var err error
		l.proc, err = os.StartProcess(exe, []string{initArg0}, attr)
		started <- err
	}()
	err = <-started
	closeAll(devnull, cfgR, stW) // the child holds its own copies
	if err != nil {
		closeAll(cfgW, stR)
		return nil, fmt.Errorf("start sandbox init: %w", err)
	}
	var hello [1]byte
	if err := l.read(hello[:]); err != nil || hello[0] != helloByte {
		l.abort()
		return nil, fmt.Errorf("sandbox init did not answer (does main call sandbox.Init first?): %v", err)
	}
	return l, nil
}

// read fills b from the status pipe within the handshake timeout.
func (l *launch) read(b []byte) error {
	if err := l.status.SetReadDeadline(time.Now().Add(handshakeTimeout)); err != nil {
		return err
	}
	_, err := io.ReadFull(l.status, b)
	return err
}

// release sends the config and waits until the init has exec'd the
// runtime (or, for a probe, exited). On error the init is dead and reaped.
func (l *launch) release(cfg initConfig) error {
	err := json.NewEncoder(l.config).Encode(cfg)
	if cerr := l.config.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		l.abort()
		return fmt.Errorf("send config to sandbox init: %w", err)
	}
	if err := l.status.SetReadDeadline(time.Now().Add(handshakeTimeout)); err != nil {
		l.abort()
		return err
	}
	msg, err := io.ReadAll(l.status)
	l.status.Close()
	switch {
	case err != nil:
		l.abort()
		return fmt.Errorf("sandbox init: %w", err)
	case len(msg) > 0:
		l.abort()
		return errors.New(string(msg))
	}
	return nil
}

// abort kills and reaps the init.
func (l *launch) abort() {
	closeAll(l.config, l.status)
	_ = l.proc.Kill()
	_, _ = l.proc.Wait()
}

// probe starts a sandbox init with cloneflags that prepares a scratch
// layout (tmpfs /tmp, and /proc if procFS) and exits.
func probe(cloneflags uintptr, procFS bool) error {
	l, err := startInit(selfExe, cloneflags, nil, nil)
	if err != nil {
		return err
	}
	cfg := initConfig{Probe: true, Mounts: &mountPlan{Probe: true, TmpBytes: 1 << 20, ProcFS: procFS}}
	if err := l.release(cfg); err != nil {
		return err
	}
	st, err := l.proc.Wait()
	if err != nil {
		return err
	}
	if !st.Success() {
		return fmt.Errorf("probe: %v", st)
	}
	return nil
}

// closeAll closes files, ignoring nils and errors.
func closeAll(files ...*os.File) {
	for _, f := range files {
		if f != nil {
			f.Close()
		}
	}
}
