package runtimes

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Options configure a Catalog. The zero value works.
type Options struct {
	// ConfigFile is the config file; empty means
	// <data-dir>/runtimes.config.json, which may be absent.
	ConfigFile string
	// Strict turns closest-match fallback off: a runtime whose exact
	// interpreter is not installed is unavailable. Interpreters mapped
	// explicitly (config file, Add) are still used.
	Strict bool
	// BootstrapHash returns the content hash of lambkin's bootstrap of a
	// kind (BootstrapPython, BootstrapNode); it is part of every version's
	// identity, so a new bootstrap makes new runtime versions. See
	// HashBootstraps. Nil hashes every kind as "".
	BootstrapHash func(kind string) string
	// RolloutDelay completes phase 2 of a rollout automatically this long
	// after a promotion, in a catalog that runs Watch (the server). Zero:
	// only `promote --complete` completes it.
	RolloutDelay time.Duration
	// PollInterval is how often Watch checks the catalog file (default 1s).
	PollInterval time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Logger receives discovery and rollout messages (default: discarded).
	Logger *slog.Logger
	// Getenv reads PATH, HOME, PYENV_ROOT and NVM_DIR for discovery
	// (default os.Getenv).
	Getenv func(string) string
}

// Catalog is the runtime catalog of one data directory. It is safe for
// concurrent use, and several processes may open the same directory.
type Catalog struct {
	opts   Options
	log    *slog.Logger
	store  *store
	probes *prober
	cfg    config

	scanMu sync.Mutex // one discovery at a time
	// syncMu orders installing states read from or written to the file, so
	// an older state never replaces a newer one.
	syncMu sync.Mutex
	mu     sync.RWMutex
	host   host
	// cfgErrors says why configured interpreters were rejected, per runtime.
	cfgErrors map[string][]string
	st        *fileState
	stamp     stamp
	arnMu     sync.Mutex                     // guards arns, filled lazily under c.mu read locks
	arns      map[string]map[string]arnEntry // region → ARN hex → version
	changed   chan struct{}                  // closed (and replaced) on every change
	closed    chan struct{}
	closeOnce sync.Once
}

// arnEntry is what an ARN hex stands for.
type arnEntry struct {
	runtime, label, arch string
}

// Open opens (creating if needed) the catalog in dataDir, discovers this
// host's interpreters and registers builds it has not seen as new versions.
// On a runtime's first registration its best exact build (or, without one,
// its closest match) is promoted; builds discovered later are only
// registered, for an admin to promote, except that a build replacing the
// promoted one at the same path (an upgrade in place, or a new lambkin
// bootstrap) takes over its promotion, since the old build can no longer
// run.
func Open(dataDir string, opts Options) (*Catalog, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if opts.BootstrapHash == nil {
		opts.BootstrapHash = func(string) string { return "" }
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.RolloutDelay < 0 {
		return nil, fmt.Errorf("runtimes: negative rollout delay %v", opts.RolloutDelay)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	cfgPath, explicit := opts.ConfigFile, opts.ConfigFile != ""
	if !explicit {
		cfgPath = filepath.Join(dataDir, ConfigFileName)
	}
	cfg, err := loadConfig(cfgPath, explicit)
	if err != nil {
		return nil, err
	}
	s, err := openStore(dataDir)
	if err != nil {
		return nil, err
	}
	st, stm, err := s.read()
	if err != nil {
		s.close()
		return nil, err
	}
	c := &Catalog{
		opts:    opts,
		log:     log,
		store:   s,
		probes:  newProber(st.Probes),
		cfg:     cfg,
		st:      st,
		stamp:   stm,
		changed: make(chan struct{}),
		closed:  make(chan struct{}),
	}
	if _, err := c.Rescan(); err != nil {
		s.close()
		return nil, err
	}
	return c, nil
}

// Close releases the catalog's lock file. Watch loops return.
func (c *Catalog) Close() error {
	var err error
	c.closeOnce.Do(func() {
		close(c.closed)
		err = c.store.close()
	})
	return err
}

// ConfigFile returns the config file the catalog read (it may not exist).
func (c *Catalog) ConfigFile() string { return c.cfg.path }

// setState installs a state read from or written to the file and wakes
// watchers.
func (c *Catalog) setState(st *fileState, stm stamp) {
	c.mu.Lock()
	c.st, c.stamp = st, stm
	c.arnMu.Lock()
	c.arns = nil
	c.arnMu.Unlock()
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
}

// update runs fn as a locked read-modify-write of the catalog file and
// installs the result.
func (c *Catalog) update(fn func(*fileState) (bool, error)) error {
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	st, stm, changed, err := c.store.update(fn)
	if err != nil {
		return err
	}
	c.mu.RLock()
	same := stm == c.stamp
	c.mu.RUnlock()
	if changed || !same {
		c.setState(st, stm)
	}
	return nil
}

// Rescan runs discovery again and registers builds not seen before, as Open
// does (for instance after an interpreter was installed while the server
// runs). It reports whether the catalog changed.
func (c *Catalog) Rescan() (bool, error) {
	c.scanMu.Lock()
	defer c.scanMu.Unlock()
	ctx := context.Background()
	h := discover(ctx, c.probes, c.opts.Getenv, c.log)
	plan, cfgErrors := c.plan(ctx, h)
	c.mu.Lock()
	c.host, c.cfgErrors = h, cfgErrors
	gen := c.st.Generation
	c.mu.Unlock()
	err := c.update(func(st *fileState) (bool, error) {
		changed := c.register(st, plan)
		if c.mergeProbes(st) {
			changed = true
		}
		if c.completeDue(st) {
			changed = true
		}
		return changed, nil
	})
	if err != nil {
		return false, err
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.st.Generation != gen, nil
}
