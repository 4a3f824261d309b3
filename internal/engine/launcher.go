package engine

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lambkin/lambkin/internal/logs"
	"github.com/lambkin/lambkin/internal/rapi"
	"github.com/lambkin/lambkin/internal/runtimes/bootstrap"
	"github.com/lambkin/lambkin/internal/sandbox"
)

// Init time limits, as Lambda's: on-demand init may take 10 s; provisioned
// init up to 130 s or the function's timeout, whichever is longer.
const (
	onDemandInitLimit    = 10 * time.Second
	provisionedInitLimit = 130 * time.Second
)

// LauncherConfig configures a Launcher.
type LauncherConfig struct {
	Features   sandbox.Features
	WorkDir    string // per-environment work directories go under it
	RuntimeDir string // lambkin's bootstraps are installed here (/var/runtime)
	LogsDir    string
	Log        *slog.Logger
	Now        func() time.Time
}

// Launcher starts environments: a sandboxed runtime process tree behind
// its own Runtime API server, logging to its own log stream.
type Launcher struct {
	cfg  LauncherConfig
	logs logs.Dir
}

// NewLauncher installs the bootstraps and returns a Launcher.
func NewLauncher(cfg LauncherConfig) (*Launcher, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if err := bootstrap.Install(cfg.RuntimeDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.WorkDir, 0o755); err != nil {
		return nil, err
	}
	return &Launcher{cfg: cfg, logs: logs.Open(cfg.LogsDir)}, nil
}

// Start implements Starter.
func (l *Launcher) Start(ctx context.Context, fn *Function, initType string) (Environment, error) {
	began := l.cfg.Now()
	id := newEnvID()
	stream, err := l.logs.CreateStream(fn.Region, fn.Logging.Group, logStreamName(began, fn.Version, id), l.cfg.Now)
	if err != nil {
		return nil, err
	}
	e := &environment{fn: fn, log: stream, out: stream.Writer(), now: l.cfg.Now, initStarted: began}
	defer func() {
		if e.box == nil {
			e.closeParts()
		}
	}()

	extensions := listExtensions(fn.OptDir)
	e.extensions = len(extensions) > 0
	// The runtime can connect before sandbox.Start has returned its
	// handle: the peer check waits for it (boxSet) instead of refusing.
	var box atomic.Pointer[sandbox.Env]
	boxSet := make(chan struct{})
	var setBox sync.Once
	defer setBox.Do(func() { close(boxSet) })
	e.api, err = rapi.New(rapi.Config{
		FunctionName:       fn.Name,
		FunctionVersion:    fn.Version,
		Handler:            fn.Handler,
		AccountID:          fn.Account,
		ExternalExtensions: extensions,
		Logger:             l.cfg.Log,
		AcceptConn: func(c net.Conn) bool {
			select {
			case <-boxSet:
			case <-time.After(onDemandInitLimit):
			}
			env := box.Load()
			if env == nil {
				return false
			}
			ok, err := env.OwnsConnection(c.LocalAddr(), c.RemoteAddr())
			return err == nil && ok
		},
	})
	if err != nil {
		return nil, err
	}
	paths := l.cfg.Features.Layout(filepath.Join(l.cfg.WorkDir, id))
	path, args, err := command(fn, paths, extensions)
	if err != nil {
		return nil, err
	}
	prepared := l.cfg.Now()
	e.platform(platformInitStart, initStartLine(fn), map[string]any{
		"initializationType": initType, "phase": "init", "runtimeVersion": fn.Runtime.Label, "runtimeVersionArn": fn.Runtime.VersionARN,
	})
	env, err := sandbox.Start(l.cfg.Features, sandbox.Spec{
		ID:          id,
		Path:        path,
		Args:        args,
		Env:         environ(fn, paths, e.api.Addr(), stream, initType),
		Stdout:      e.out,
		Stderr:      e.out,
		TaskDir:     fn.CodeDir,
		LayersDir:   fn.OptDir,
		RuntimeDir:  l.cfg.RuntimeDir,
		WorkDir:     filepath.Join(l.cfg.WorkDir, id),
		EphemeralMB: fn.EphemeralMB,
		MemoryMB:    fn.MemoryMB,
		Binds:       binds(fn.Mounts),
	})
	if err != nil {
		return nil, err
	}
	box.Store(env)
	setBox.Do(func() { close(boxSet) })
	e.box = env
	go e.supervise()
	spawned := l.cfg.Now()

	limit := onDemandInitLimit
	if initType == InitProvisioned {
		limit = max(provisionedInitLimit, fn.Timeout)
	}
	initCtx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	res, err := e.api.WaitInit(initCtx)
	if err == nil && res.Err != nil {
		err = &InitError{Result: e.initFailure(res.Err)}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		err = &InitError{Result: e.initTimeout(limit)}
	}
	if err != nil {
		e.Close()
		return nil, err
	}
	e.initDuration = l.cfg.Now().Sub(began)
	l.cfg.Log.Debug("environment started", "function", fn.Name, "version", fn.Version, "initType", initType,
		"prepare", prepared.Sub(began), "spawn", spawned.Sub(prepared), "init", e.initDuration)
	return e, nil
}

// command is how the environment starts the runtime: the package's own
// bootstrap for provided.*, an interpreter running lambkin's bootstrap
// otherwise; behind a small shell that starts the external extensions
// first when the layers bring any.
func command(fn *Function, p sandbox.Paths, extensions []string) (string, []string, error) {
	var path string
	var args []string
	switch fn.Runtime.Bootstrap {
	case "":
		path = filepath.Join(p.Task, "bootstrap")
		args = []string{path}
	case "python":
		path, args = fn.Runtime.Interpreter, []string{fn.Runtime.Interpreter, filepath.Join(p.Runtime, bootstrap.PythonFile)}
	case "node":
		path, args = fn.Runtime.Interpreter, []string{fn.Runtime.Interpreter, filepath.Join(p.Runtime, bootstrap.NodeFile)}
	default:
		return "", nil, fmt.Errorf("no bootstrap %q", fn.Runtime.Bootstrap)
	}
	if len(extensions) == 0 {
		return path, args, nil
	}
	// Extensions get the environment without the runtime's own keys (those
	// starting with "_"), as in Lambda.
	script := `for e in "$LAMBKIN_EXTENSIONS_DIR"/*; do [ -x "$e" ] && env -u _HANDLER -u _X_AMZN_TRACE_ID "$e" & done; exec "$@"`
	return "/bin/sh", append([]string{"/bin/sh", "-c", script, "lambkin-init"}, args...), nil
}

// binds are the function's file systems as sandbox bind mounts.
func binds(mounts []Mount) []sandbox.Bind {
	var out []sandbox.Bind
	for _, m := range mounts {
		out = append(out, sandbox.Bind{HostDir: m.HostDir, Path: m.MountPath})
	}
	return out
}

// listExtensions names the executables a function's layers put in
// /opt/extensions.
func listExtensions(optDir string) []string {
	if optDir == "" {
		return nil
	}
	entries, err := os.ReadDir(filepath.Join(optDir, "extensions"))
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if info, err := e.Info(); err == nil && !e.IsDir() && info.Mode()&0o111 != 0 {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	return names
}

// environ is the runtime's environment: the function's own variables, then
// what Lambda sets (which the function cannot override).
func environ(fn *Function, p sandbox.Paths, api string, stream *logs.Stream, initType string) []string {
	vars := map[string]string{
		"PATH":            "/usr/local/bin:/usr/bin:/bin:" + p.Opt + "/bin",
		"LD_LIBRARY_PATH": p.Opt + "/lib",
		"LANG":            "en_US.UTF-8",
		"TZ":              ":UTC",
	}
	for k, v := range fn.Environment {
		vars[k] = v
	}
	platform := map[string]string{
		"_HANDLER":                        fn.Handler,
		"AWS_LAMBDA_RUNTIME_API":          api,
		"AWS_LAMBDA_FUNCTION_NAME":        fn.Name,
		"AWS_LAMBDA_FUNCTION_VERSION":     fn.Version,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(fn.MemoryMB),
		"AWS_LAMBDA_LOG_GROUP_NAME":       fn.Logging.Group,
		"AWS_LAMBDA_LOG_STREAM_NAME":      stream.Name(),
		"AWS_LAMBDA_INITIALIZATION_TYPE":  initType,
		"AWS_REGION":                      fn.Region,
		"AWS_DEFAULT_REGION":              fn.Region,
		"AWS_EXECUTION_ENV":               "AWS_Lambda_" + fn.Runtime.ID,
		"LAMBDA_TASK_ROOT":                p.Task,
		"LAMBDA_RUNTIME_DIR":              p.Runtime,
		"LAMBKIN_OPT_DIR":                 p.Opt,
		"LAMBKIN_EXTENSIONS_DIR":          p.Opt + "/extensions",
	}
	if fn.Runtime.ID == "" || strings.HasPrefix(fn.Runtime.ID, "provided") {
		delete(platform, "AWS_EXECUTION_ENV") // Lambda sets none for OS-only runtimes
	}
	if fn.Logging.Format == "JSON" {
		platform["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
		platform["AWS_LAMBDA_LOG_LEVEL"] = fn.Logging.ApplicationLevel
	}
	if p.Tmp != "/tmp" {
		platform["TMPDIR"] = p.Tmp
	}
	for k, v := range platform {
		vars[k] = v
	}
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// initStartLine is the INIT_START log line: the runtime version and, so
// nobody has to guess, the interpreter that serves it.
func initStartLine(fn *Function) string {
	line := "INIT_START Runtime Version: " + fn.Runtime.Label + "\tRuntime Version ARN: " + fn.Runtime.VersionARN
	if fn.Runtime.Interpreter != "" {
		line += "\tInterpreter: " + fn.Runtime.Interpreter
	}
	return line
}

// logStreamName is Lambda's stream name: YYYY/MM/DD/[version]<32 hex>.
func logStreamName(t time.Time, version, id string) string {
	return t.UTC().Format("2006/01/02") + "/[" + version + "]" + id
}

func newEnvID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
