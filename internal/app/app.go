// Package app assembles a lambkin server from its parts: the store, the
// code store, the runtime catalog, the execution engine, the service and
// the HTTP API. It is the only place that knows all of them.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/lambkin/lambkin/internal/api"
	"github.com/lambkin/lambkin/internal/codestore"
	"github.com/lambkin/lambkin/internal/engine"
	"github.com/lambkin/lambkin/internal/lambda"
	"github.com/lambkin/lambkin/internal/runtimes"
	"github.com/lambkin/lambkin/internal/sandbox"
	"github.com/lambkin/lambkin/internal/store/boltstore"
	"github.com/lambkin/lambkin/internal/store/sealed"
)

// Config is what `lambkin serve` is told.
type Config struct {
	Listen  string
	DataDir string
	Region  string
	Account string

	StrictRuntimes bool
	// FavorDynamicCgroups sets the cgroup v2 hierarchy's favordynmods
	// option at start-up (host-wide): environments start 10-20 ms faster.
	FavorDynamicCgroups bool
	RuntimeConfig       string        // runtime catalog config file
	RolloutDelay        time.Duration // runtime rollouts reach phase 2 after this
	StateDelay          time.Duration
	IdleTimeout         time.Duration

	Limits       lambda.Limits
	FileSystems  map[string]string
	Destinations map[string]string
	Async        lambda.AsyncConfig
	MasterKey    []byte // environment variable encryption key; nil reads or creates <data-dir>/master.key

	Log *slog.Logger
}

// App is a running lambkin.
type App struct {
	cfg       Config
	listener  net.Listener
	http      *http.Server
	store     *sealed.Store
	code      *codestore.Store
	catalog   *runtimes.Catalog
	engine    *engine.Engine
	svc       *lambda.Service
	ready     atomic.Bool
	stopWatch context.CancelFunc
	served    chan error
}

// Start opens the data directory, starts every component and begins
// serving. It returns once the server accepts API calls.
func Start(cfg Config) (_ *App, err error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Limits == (lambda.Limits{}) {
		cfg.Limits = lambda.DefaultLimits()
	}
	a := &App{cfg: cfg, served: make(chan error, 1)}
	defer func() {
		if err != nil {
			a.closeParts()
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
		return nil, err
	}
	// Listen first: a second lambkin on the same address fails before it
	// touches the data directory.
	if a.listener, err = net.Listen("tcp", cfg.Listen); err != nil {
		return nil, err
	}
	if a.store, err = openStore(cfg); err != nil {
		return nil, err
	}
	if a.code, err = codestore.Open(filepath.Join(cfg.DataDir, "code")); err != nil {
		return nil, err
	}
	if cfg.FavorDynamicCgroups {
		changed, err := sandbox.FavorDynamicCgroups()
		switch {
		case err != nil:
			cfg.Log.Info("could not set favordynmods on the cgroup v2 hierarchy; environments start slower", "err", err)
		case changed:
			cfg.Log.Info("set favordynmods on the cgroup v2 hierarchy (host-wide) so that environments start faster; --favor-dynamic-cgroups=false leaves it alone")
		}
	}
	features := sandbox.Detect()
	features.InitExe = initExe()
	cfg.Log.Info("sandbox", "features", features.String(), "init", features.InitExe)
	if err := sandbox.Sweep(features); err != nil {
		cfg.Log.Warn("sweeping environments left by a previous run", "err", err)
	}
	if a.catalog, err = openCatalog(cfg); err != nil {
		return nil, err
	}
	launcher, err := engine.NewLauncher(engine.LauncherConfig{
		Features:   features,
		WorkDir:    filepath.Join(cfg.DataDir, "environments"),
		RuntimeDir: filepath.Join(cfg.DataDir, "runtime"),
		LogsDir:    filepath.Join(cfg.DataDir, "logs"),
		Log:        cfg.Log,
	})
	if err != nil {
		return nil, err
	}
	a.engine = engine.New(engine.Config{
		AccountConcurrency: cfg.Limits.ConcurrentExecutions,
		IdleTimeout:        cfg.IdleTimeout,
		Starter:            launcher,
		Log:                cfg.Log,
	})
	if a.svc, err = lambda.New(lambda.Deps{
		Store:    a.store,
		Code:     a.code,
		Runtimes: catalogAdapter{a.catalog},
		Executor: a.engine,
	}, lambda.Config{
		Account:      cfg.Account,
		Limits:       cfg.Limits,
		StateDelay:   cfg.StateDelay,
		FileSystems:  cfg.FileSystems,
		Destinations: cfg.Destinations,
		Async:        cfg.Async,
		Log:          cfg.Log,
	}); err != nil {
		return nil, err
	}
	watchCtx, cancel := context.WithCancel(context.Background())
	a.stopWatch = cancel
	go a.catalog.Watch(watchCtx, a.svc.RuntimesChanged)

	handler := api.New(a.svc, api.Options{
		Region:  cfg.Region,
		Account: cfg.Account,
		Log:     cfg.Log,
		Code:    codeFiles{a.code},
		Ready:   a.ready.Load,
	})
	a.http = &http.Server{Handler: handler, ReadHeaderTimeout: 30 * time.Second}
	go func() { a.served <- a.http.Serve(a.listener) }()
	a.ready.Store(true)
	return a, nil
}

// Addr is the address the API listens on.
func (a *App) Addr() string { return a.listener.Addr().String() }

// Shutdown stops accepting requests, lets those in flight finish (within
// ctx), then stops every environment and closes the data directory.
func (a *App) Shutdown(ctx context.Context) error {
	a.ready.Store(false)
	err := a.http.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		a.http.Close()
	}
	a.closeParts()
	return err
}

// Wait returns when the HTTP server stops.
func (a *App) Wait() error {
	err := <-a.served
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

func (a *App) closeParts() {
	if a.stopWatch != nil {
		a.stopWatch()
	}
	if a.svc != nil {
		a.svc.Close()
	}
	if a.engine != nil {
		a.engine.Close()
	}
	if a.catalog != nil {
		a.catalog.Close()
	}
	if a.code != nil {
		a.code.Close()
	}
	if a.store != nil {
		a.store.Close()
	}
	if a.listener != nil && a.http == nil {
		a.listener.Close()
	}
}

// initExe is the lambkin-init binary next to this one, if it was built:
// environments start faster with it than by re-executing lambkin itself
// ("" makes the sandbox do that).
func initExe() string {
	self, err := os.Executable()
	if err != nil {
		return ""
	}
	init := filepath.Join(filepath.Dir(self), "lambkin-init")
	if st, err := os.Stat(init); err != nil || st.Mode()&0o111 == 0 {
		return ""
	}
	return init
}

// openStore opens the database, sealing the buckets that hold function
// configurations and event payloads with the master key.
func openStore(cfg Config) (*sealed.Store, error) {
	key := cfg.MasterKey
	if key == nil {
		var err error
		if key, err = sealed.LoadOrCreateKey(filepath.Join(cfg.DataDir, "master.key")); err != nil {
			return nil, err
		}
	}
	db, err := boltstore.Open(filepath.Join(cfg.DataDir, "lambkin.db"))
	if err != nil {
		return nil, err
	}
	st, err := sealed.New(db, key, lambda.SealedBuckets...)
	if err != nil {
		db.Close()
		return nil, err
	}
	return st, nil
}

// codeFiles serves stored zips to the API's download endpoint.
type codeFiles struct{ s *codestore.Store }

func (c codeFiles) OpenZip(hexRef string) (*os.File, int64, error) {
	ref, err := codestore.ParseRef(hexRef)
	if err != nil {
		return nil, 0, fmt.Errorf("bad code reference: %w", err)
	}
	return c.s.Open(ref)
}
