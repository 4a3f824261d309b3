package sandbox

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// Start starts an environment with the layers of f and returns once the
// runtime has been exec'd (setup errors, such as a missing binary, are
// returned here). It may be called from any goroutine. The caller must
// call Kill eventually, also after the runtime exited, to free the cgroups
// and the work directory.
func Start(f Features, s Spec) (*Env, error) {
	s, err := s.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	if len(s.Binds) > 0 && !f.MountNS {
		return nil, fmt.Errorf("sandbox: file system mounts need a mount namespace, which this host does not allow")
	}
	e := &Env{id: s.ID, paths: f.Layout(s.WorkDir), done: make(chan struct{})}
	var u undo
	if err := e.prepare(f, s, &u); err != nil {
		u.run()
		return nil, fmt.Errorf("sandbox: start %s: %w", s.ID, err)
	}
	if err := e.spawn(f, s); err != nil {
		u.run()
		return nil, fmt.Errorf("sandbox: start %s: %w", s.ID, err)
	}
	if _, ok := e.be.memory(); !ok {
		e.rss = startRSSWatcher(s.memoryBytes(), s.PollInterval, e.be.pids, e.killTree)
	}
	switch {
	case !f.MountNS:
		e.disk = startDiskWatcher(e.paths.Tmp, s.ephemeralBytes(), s.PollInterval, e.killTree)
	case s.DiskTmp:
		e.disk = startDiskWatcher(diskTmpDir(s), s.ephemeralBytes(), s.PollInterval, e.killTree)
	}
	go e.supervise()
	return e, nil
}

// hostTmp reports whether /tmp is a host directory, watched rather than
// enforced by the kernel.
func hostTmp(f Features, s Spec) bool { return !f.MountNS || s.DiskTmp }

// diskTmpDir is the host directory behind /tmp with Spec.DiskTmp.
func diskTmpDir(s Spec) string { return filepath.Join(s.WorkDir, "tmp") }

// undo collects the steps that revert a failed Start, run last first.
type undo []func()

func (u *undo) add(f func()) { *u = append(*u, f) }

func (u undo) run() {
	for i := len(u) - 1; i >= 0; i-- {
		u[i]()
	}
}

// prepare creates what lives outside the process: the fallback layout,
// the cgroups and the output pipes.
func (e *Env) prepare(f Features, s Spec, u *undo) error {
	if hostTmp(f, s) { // otherwise no host directory is needed
		if err := makeWorkDir(s.WorkDir); err != nil {
			return err
		}
		e.workDir = s.WorkDir
		u.add(func() { _ = os.RemoveAll(s.WorkDir) })
		layout := makeFallbackLayout
		if f.MountNS {
			layout = func(Paths, Spec) error { return makeTmpDir(diskTmpDir(s)) }
		}
		if err := layout(e.paths, s); err != nil {
			return fmt.Errorf("layout: %w", err)
		}
	}
	e.be = &treeBackend{pidNS: f.pidNS()}
	if f.anyCgroup() {
		cb, err := newCgroupBackend(f, strconv.Itoa(os.Getpid())+"-"+s.ID, s)
		if err != nil {
			return err
		}
		e.be = cb
		u.add(func() { _ = cb.release() })
	}
	out, err := newOutput(s.Stdout, s.Stderr)
	if err != nil {
		return fmt.Errorf("output: %w", err)
	}
	e.out = out
	u.add(out.abort)
	return nil
}

// spawn starts the sandbox init, moves it into the backend and lets it
// exec the runtime. On error the init is dead and reaped.
func (e *Env) spawn(f Features, s Spec) error {
	var flags uintptr
	if f.MountNS {
		flags |= syscall.CLONE_NEWNS
	}
	if f.pidNS() {
		flags |= syscall.CLONE_NEWPID
	}
	l, err := startInit(f.initExe(), flags, e.out.stdout, e.out.stderr)
	e.out.started()
	if err != nil {
		return err
	}
	e.proc, e.pid = l.proc, l.proc.Pid
	// Opened before the runtime runs: our unreaped child cannot be
	// replaced by another process with the same pid.
	if e.exitW, err = watchExit(e.pid); err != nil {
		l.abort()
		return err
	}
	if err := e.be.attach(e.pid); err != nil {
		l.abort()
		e.exitW.close()
		return err
	}
	if err := l.release(initConfigFor(f, s, e.paths, e.be)); err != nil {
		e.exitW.close()
		return err
	}
	return nil
}

// initConfigFor builds what the sandbox init must do for s.
func initConfigFor(f Features, s Spec, p Paths, be backend) initConfig {
	cfg := initConfig{
		Dir:  p.Task,
		Path: s.Path,
		Args: s.Args,
		Env:  s.Env,
		Rlimits: []rlimit{
			{Resource: syscall.RLIMIT_NOFILE, Cur: MaxOpenFiles, Max: MaxOpenFiles},
			{Resource: syscall.RLIMIT_CORE},
		},
	}
	if cfg.Env == nil {
		cfg.Env = []string{}
	}
	if f.MountNS {
		cfg.Mounts = &mountPlan{
			TaskDir: s.TaskDir, OptDir: s.LayersDir, RuntimeDir: s.RuntimeDir,
			TmpBytes: s.ephemeralBytes(), ProcFS: f.pidNS(), Binds: s.Binds,
		}
		if s.DiskTmp {
			cfg.Mounts.TmpDir = diskTmpDir(s)
		}
	}
	if hostTmp(f, s) {
		size := uint64(s.ephemeralBytes())
		cfg.Rlimits = append(cfg.Rlimits, rlimit{Resource: syscall.RLIMIT_FSIZE, Cur: size, Max: size})
		cfg.IgnoreXFSZ = true
	}
	if _, tree := be.(*treeBackend); tree && !f.pidNS() {
		cfg.Subreaper = true
	}
	return cfg
}
