package engine

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Initialization types, as AWS_LAMBDA_INITIALIZATION_TYPE names them.
const (
	InitOnDemand    = "on-demand"
	InitProvisioned = "provisioned-concurrency"
)

// Environment is one execution environment: a sandboxed runtime behind its
// own Runtime API, initialized and ready. It runs one invocation at a time.
type Environment interface {
	// Invoke runs one invocation. usable is false when the environment
	// cannot take another one (it timed out, crashed or ran out of memory);
	// the engine then closes it.
	Invoke(ctx context.Context, inv *Invocation) (res *Result, usable bool)
	// Close ends the environment and its whole process tree.
	Close()
}

// Starter starts environments. Start returns once init has finished; when
// the function's init failed it returns an *InitError.
type Starter interface {
	Start(ctx context.Context, fn *Function, initType string) (Environment, error)
}

// InitError is a function's failed init: the invocation that asked for the
// environment gets Result, as Lambda returns the init error to the caller.
type InitError struct{ Result *Result }

func (e *InitError) Error() string { return "function init failed: " + e.Result.ErrorType }

// Config configures an Engine.
type Config struct {
	// AccountConcurrency is the account's concurrency limit.
	AccountConcurrency int
	// IdleTimeout is how long an on-demand environment may stay idle
	// before it is reclaimed.
	IdleTimeout time.Duration
	Starter     Starter
	Log         *slog.Logger
	Now         func() time.Time
}

// Engine schedules invocations onto environments.
type Engine struct {
	cfg    Config
	leases *leases

	mu      sync.Mutex
	pools   map[string]*pool           // Function.Key -> pool
	current map[string]string          // group/version -> the Key new invocations use
	prov    map[string]*provisionedSet // provision key (group:qualifier) -> set
	closed  bool

	stop chan struct{}
	wg   sync.WaitGroup
}

// New returns an Engine and starts its idle reaper.
func New(cfg Config) *Engine {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 10 * time.Minute
	}
	e := &Engine{
		cfg:     cfg,
		leases:  newLeases(cfg.AccountConcurrency),
		pools:   map[string]*pool{},
		current: map[string]string{},
		prov:    map[string]*provisionedSet{},
		stop:    make(chan struct{}),
	}
	e.wg.Add(1)
	go e.reapIdle()
	return e
}

// ErrClosed is returned by Invoke after Close.
var ErrClosed = errors.New("engine: closed")

// Invoke runs an invocation on a provisioned environment of the qualifier
// invoked when one is free, otherwise on an on-demand environment (warm if
// one is idle, cold otherwise) under an on-demand lease.
func (e *Engine) Invoke(ctx context.Context, inv *Invocation) (*Result, error) {
	fn := inv.Function
	if set := e.provisionedSet(fn.Group + ":" + inv.Qualifier); set != nil {
		for h := set.take(fn.Key); h != nil; h = set.take(fn.Key) {
			res, usable := h.env.Invoke(ctx, inv)
			set.giveBack(h, usable)
			if res != nil || ctx.Err() != nil {
				return res, ctx.Err()
			}
		}
	}
	release, err := e.leases.acquireOnDemand(fn.Group)
	if err != nil {
		return nil, err
	}
	defer release()
	for {
		p, h, err := e.checkout(fn)
		if err != nil {
			return nil, err
		}
		if h == nil {
			env, err := e.cfg.Starter.Start(ctx, fn, InitOnDemand)
			if err != nil {
				e.abandon(p)
				var initErr *InitError
				if errors.As(err, &initErr) {
					return initErr.Result, nil
				}
				return nil, err
			}
			h = &envHandle{env: env}
		}
		res, usable := h.env.Invoke(ctx, inv)
		e.checkin(p, h, usable)
		switch {
		case res != nil:
			return res, nil
		case ctx.Err() != nil:
			return nil, ctx.Err()
		}
		// The environment died after its previous answer: use another.
	}
}

// checkout finds an idle environment of fn's configuration, or reserves the
// right to start one (h == nil). It also retires the idle environments of
// an older configuration of the same version.
func (e *Engine) checkout(fn *Function) (*pool, *envHandle, error) {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil, nil, ErrClosed
	}
	slot := fn.Group + "/" + fn.Version
	var stale []*envHandle
	if old := e.current[slot]; old != fn.Key {
		e.current[slot] = fn.Key
		if op := e.pools[old]; op != nil {
			stale = op.drain()
			if op.empty() {
				delete(e.pools, old)
			}
		}
	}
	p := e.pools[fn.Key]
	if p == nil {
		p = &pool{fn: fn}
		e.pools[fn.Key] = p
	}
	h := p.take()
	e.mu.Unlock()
	closeAll(stale)
	return p, h, nil
}

// checkin returns an environment to its pool, or closes it when it is not
// usable or its configuration is no longer current.
func (e *Engine) checkin(p *pool, h *envHandle, usable bool) {
	e.mu.Lock()
	keep := usable && !e.closed && e.current[p.fn.Group+"/"+p.fn.Version] == p.fn.Key
	if keep {
		p.put(h, e.cfg.Now())
	} else {
		p.busy--
		if p.empty() && e.pools[p.fn.Key] == p && e.current[p.fn.Group+"/"+p.fn.Version] != p.fn.Key {
			delete(e.pools, p.fn.Key)
		}
	}
	e.mu.Unlock()
	if !keep {
		h.env.Close()
	}
}

// abandon gives back the slot of a cold start that produced no environment.
func (e *Engine) abandon(p *pool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p.busy--
	if p.empty() && e.pools[p.fn.Key] == p && e.current[p.fn.Group+"/"+p.fn.Version] != p.fn.Key {
		delete(e.pools, p.fn.Key)
	}
}

// SetReserved records a function's reserved concurrency (nil: none).
func (e *Engine) SetReserved(group string, reserved *int) { e.leases.setReserved(group, reserved) }

// Retire ends every environment of a function, provisioned ones included,
// and forgets its concurrency settings.
func (e *Engine) Retire(group string) {
	e.mu.Lock()
	var doomed []*envHandle
	for key, p := range e.pools {
		if p.fn.Group == group {
			doomed = append(doomed, p.drain()...)
			delete(e.pools, key)
		}
	}
	for slot := range e.current {
		if len(slot) > len(group) && slot[:len(group)+1] == group+"/" {
			delete(e.current, slot)
		}
	}
	var sets []*provisionedSet
	for key, set := range e.prov {
		if set.group == group {
			sets = append(sets, set)
			delete(e.prov, key)
		}
	}
	e.mu.Unlock()
	closeAll(doomed)
	for _, set := range sets {
		set.shutdown()
	}
	e.leases.forget(group)
}

// Close ends every environment and waits for background work.
func (e *Engine) Close() {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return
	}
	e.closed = true
	var doomed []*envHandle
	for key, p := range e.pools {
		doomed = append(doomed, p.drain()...)
		delete(e.pools, key)
	}
	sets := make([]*provisionedSet, 0, len(e.prov))
	for key, set := range e.prov {
		sets = append(sets, set)
		delete(e.prov, key)
	}
	e.mu.Unlock()
	close(e.stop)
	closeAll(doomed)
	for _, set := range sets {
		set.shutdown()
	}
	e.wg.Wait()
}

// reapIdle closes on-demand environments idle longer than IdleTimeout.
func (e *Engine) reapIdle() {
	defer e.wg.Done()
	tick := time.NewTicker(min(e.cfg.IdleTimeout/4, time.Second))
	defer tick.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-tick.C:
		}
		cutoff := e.cfg.Now().Add(-e.cfg.IdleTimeout)
		e.mu.Lock()
		var doomed []*envHandle
		for key, p := range e.pools {
			doomed = append(doomed, p.expire(cutoff)...)
			if p.empty() && e.current[p.fn.Group+"/"+p.fn.Version] != key {
				delete(e.pools, key)
			}
		}
		e.mu.Unlock()
		closeAll(doomed)
	}
}

// IdleEnvironments counts idle on-demand environments (for tests and stats).
func (e *Engine) IdleEnvironments() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	n := 0
	for _, p := range e.pools {
		n += len(p.idle)
	}
	return n
}

func closeAll(hs []*envHandle) {
	var wg sync.WaitGroup
	for _, h := range hs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.env.Close()
		}()
	}
	wg.Wait()
}
