// Package bootstrap holds lambkin's runtime bootstraps: the programs that sit
// between the Lambda Runtime API and a user's Python or Node.js handler,
// behaving like AWS's official runtime interface clients (awslambdaric and
// aws-lambda-nodejs-runtime-interface-client).
//
// Both are embedded in the lambkin binary. [Install] writes them into a
// directory that an execution environment mounts at /var/runtime; the
// runtime is then started as
//
//	python3 /var/runtime/bootstrap.py
//	node /var/runtime/index.mjs
//
// with the working directory at the task root and the Lambda environment
// variables (_HANDLER, AWS_LAMBDA_RUNTIME_API, LAMBDA_TASK_ROOT,
// AWS_LAMBDA_FUNCTION_*, AWS_LAMBDA_LOG_*) set. LAMBKIN_OPT_DIR, when set,
// replaces /opt as the directory where layers are found (Python:
// <dir>/python and <dir>/python/lib/pythonX.Y/site-packages; Node:
// <dir>/nodejs/node_modules and <dir>/nodejs/nodeNN/node_modules).
package bootstrap

import (
	_ "embed"
	"fmt"
	"os"
	"path/filepath"
)

// File names of the bootstraps inside an [Install] directory.
const (
	PythonFile = "bootstrap.py"
	NodeFile   = "index.mjs"
)

var (
	//go:embed python/bootstrap.py
	python string
	//go:embed node/index.mjs
	node string
)

// Python returns the Python bootstrap's source.
func Python() []byte { return []byte(python) }

// Node returns the Node.js bootstrap's source.
func Node() []byte { return []byte(node) }

// Install writes both bootstraps into dir, creating it if needed. A file that
// already has the right content is left alone, and a file is only ever
// replaced by renaming a complete copy over it, so Install can run
// concurrently with itself and with runtimes reading the files.
func Install(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("install bootstraps: %w", err)
	}
	for name, content := range map[string]string{PythonFile: python, NodeFile: node} {
		if err := writeFile(filepath.Join(dir, name), content); err != nil {
			return fmt.Errorf("install bootstraps: %w", err)
		}
	}
	return nil
}

func writeFile(path, content string) error {
	if current, err := os.ReadFile(path); err == nil && string(current) == content {
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
