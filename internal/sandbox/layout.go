package sandbox

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Paths tells where the function sees its directories: put Task in
// LAMBDA_TASK_ROOT (it is also the working directory), Opt in /opt-based
// paths (PATH, PYTHONPATH, NODE_PATH...), Runtime in LAMBDA_RUNTIME_DIR and
// Tmp in TMPDIR.
type Paths struct {
	Task    string
	Opt     string
	Runtime string
	Tmp     string
}

// Layout returns the paths an environment with work directory workDir will
// see: the standard Lambda ones with a mount namespace, otherwise
// directories under workDir (task, opt and runtime are symlinks to the host
// directories, tmp is a real directory).
func (f Features) Layout(workDir string) Paths {
	if f.MountNS {
		return Paths{Task: taskMount, Opt: optMount, Runtime: runtimeMount, Tmp: tmpMount}
	}
	return Paths{
		Task:    filepath.Join(workDir, "task"),
		Opt:     filepath.Join(workDir, "opt"),
		Runtime: filepath.Join(workDir, "runtime"),
		Tmp:     filepath.Join(workDir, "tmp"),
	}
}

// makeWorkDir creates the environment's work directory, which must not
// exist or be empty since Kill removes it with everything inside.
func makeWorkDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	names, err := d.Readdirnames(1)
	d.Close()
	if len(names) > 0 {
		return fmt.Errorf("work directory %s is not empty", dir)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// makeFallbackLayout creates the per-environment layout used without a
// mount namespace. Read-only code is not enforced there.
func makeFallbackLayout(p Paths, s Spec) error {
	link := func(target, name string) error {
		if target == "" {
			return os.Mkdir(name, 0o755)
		}
		abs, err := filepath.Abs(target)
		if err != nil {
			return err
		}
		return os.Symlink(abs, name)
	}
	if err := link(s.TaskDir, p.Task); err != nil {
		return err
	}
	if err := link(s.LayersDir, p.Opt); err != nil {
		return err
	}
	if err := link(s.RuntimeDir, p.Runtime); err != nil {
		return err
	}
	return makeTmpDir(p.Tmp)
}

// makeTmpDir creates a directory with the mode of /tmp.
func makeTmpDir(dir string) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	return os.Chmod(dir, os.ModeSticky|0o777) // Mkdir is subject to umask
}
