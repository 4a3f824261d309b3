package engine

import (
	"context"
	"errors"
	"sync"
)

// Provisioned concurrency: each config (a version or alias of a function)
// is a set of environments initialized ahead of invocations with
// AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency. A reconciler per
// set converges it to the desired count and configuration, starting new
// environments before it releases old ones.

// provisionAttempts is how many init failures in a row mark a set FAILED.
const provisionAttempts = 3

// provisionParallelism bounds how many environments one set starts at once.
const provisionParallelism = 8

type provisionedSet struct {
	e     *Engine
	key   string
	group string

	mu       sync.Mutex
	fn       *Function // desired configuration
	want     int
	envs     []*provEnv
	starting int
	failures int
	failed   bool
	closed   bool

	wake chan struct{}
	done chan struct{}
}

type provEnv struct {
	h    *envHandle
	key  string // Function.Key it was started for
	busy bool
}

// Provision implements lambda's Executor: key should hold n initialized
// environments of fn (n == 0 releases them).
func (e *Engine) Provision(key string, fn *Function, n int) {
	e.mu.Lock()
	set := e.prov[key]
	if fn == nil || n <= 0 {
		delete(e.prov, key)
		e.mu.Unlock()
		if set != nil {
			set.shutdown()
			e.recountProvisioned(set.group)
		}
		return
	}
	if e.closed {
		e.mu.Unlock()
		return
	}
	if set == nil {
		set = &provisionedSet{e: e, key: key, group: fn.Group, wake: make(chan struct{}, 1), done: make(chan struct{})}
		e.prov[key] = set
		e.wg.Add(1)
		go set.reconcile()
	}
	e.mu.Unlock()

	set.mu.Lock()
	set.fn, set.want = fn, n
	set.failures, set.failed = 0, false
	set.mu.Unlock()
	e.recountProvisioned(fn.Group)
	set.poke()
}

// ProvisionStatus implements lambda's Executor.
func (e *Engine) ProvisionStatus(key string) (ProvisionStatus, bool) {
	set := e.provisionedSet(key)
	if set == nil {
		return ProvisionStatus{}, false
	}
	return set.status(), true
}

func (e *Engine) provisionedSet(key string) *provisionedSet {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.prov[key]
}

// recountProvisioned tells the leases a function's provisioned total.
func (e *Engine) recountProvisioned(group string) {
	e.mu.Lock()
	total := 0
	for _, set := range e.prov {
		if set.group == group {
			set.mu.Lock()
			total += set.want
			set.mu.Unlock()
		}
	}
	e.mu.Unlock()
	e.leases.setProvisioned(group, total)
}

func (s *provisionedSet) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// status reports the set as the API shows it. While it moves to a new
// configuration, the environments of the old one still count as allocated.
func (s *provisionedSet) status() ProvisionStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	current, ready := 0, len(s.envs)
	for _, pe := range s.envs {
		if pe.key == s.fn.Key {
			current++
		}
	}
	allocated := min(ready, s.want)
	switch {
	case s.failed:
		return ProvisionStatus{Status: "FAILED", Reason: "FUNCTION_ERROR_INIT_FAILURE", Allocated: allocated, Available: allocated}
	case current >= s.want && ready == current:
		return ProvisionStatus{Status: "READY", Allocated: s.want, Available: s.want}
	}
	return ProvisionStatus{Status: "IN_PROGRESS", Allocated: allocated, Available: allocated}
}

// take checks out an idle environment of the given configuration.
func (s *provisionedSet) take(fnKey string) *envHandle {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, pe := range s.envs {
		if !pe.busy && pe.key == fnKey {
			pe.busy = true
			return pe.h
		}
	}
	return nil
}

// giveBack returns an environment after an invocation; an unusable one is
// closed and replaced.
func (s *provisionedSet) giveBack(h *envHandle, usable bool) {
	s.mu.Lock()
	var drop bool
	for i, pe := range s.envs {
		if pe.h == h {
			pe.busy = false
			if !usable || s.closed || pe.key != s.fn.Key {
				s.envs = append(s.envs[:i], s.envs[i+1:]...)
				drop = true
			}
			break
		}
	}
	s.mu.Unlock()
	if drop {
		h.env.Close()
		s.poke()
	}
}

// reconcile converges the set until it is shut down.
func (s *provisionedSet) reconcile() {
	defer s.e.wg.Done()
	for {
		select {
		case <-s.done:
			return
		case <-s.wake:
		}
		s.converge()
	}
}

// converge starts what is missing of the desired configuration, then
// releases what is surplus or of an older configuration.
func (s *provisionedSet) converge() {
	s.mu.Lock()
	fn, want := s.fn, s.want
	current := 0
	for _, pe := range s.envs {
		if pe.key == fn.Key {
			current++
		}
	}
	missing := want - current - s.starting
	if s.failed || s.closed {
		missing = 0
	}
	missing = min(missing, provisionParallelism)
	s.starting += max(missing, 0)
	var surplus []*envHandle
	if missing <= 0 && current >= want {
		surplus = s.takeSurplusLocked(fn.Key, want)
	}
	s.mu.Unlock()
	closeAll(surplus)

	var wg sync.WaitGroup
	for i := 0; i < missing; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.startOne(fn)
		}()
	}
	wg.Wait()
	if missing > 0 {
		s.poke() // there may be more to start, or surplus to release now
	}
}

// takeSurplusLocked removes idle environments beyond want of the current
// configuration and every idle one of an older configuration.
func (s *provisionedSet) takeSurplusLocked(key string, want int) []*envHandle {
	var out []*envHandle
	kept, keep := 0, s.envs[:0]
	for _, pe := range s.envs {
		switch {
		case pe.busy:
			keep = append(keep, pe) // closed when given back, if surplus
		case pe.key == key && kept < want:
			kept++
			keep = append(keep, pe)
		default:
			out = append(out, pe.h)
		}
	}
	s.envs = keep
	return out
}

func (s *provisionedSet) startOne(fn *Function) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-s.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	env, err := s.e.cfg.Starter.Start(ctx, fn, InitProvisioned)
	cancel()

	s.mu.Lock()
	s.starting--
	switch {
	case err == nil && !s.closed:
		s.envs = append(s.envs, &provEnv{h: &envHandle{env: env}, key: fn.Key})
		s.failures = 0
		env = nil
	case err != nil:
		var initErr *InitError
		if !errors.As(err, &initErr) {
			s.e.cfg.Log.Error("provisioned concurrency: starting environment", "config", s.key, "err", err)
		}
		s.failures++
		if s.failures >= provisionAttempts {
			s.failed = true
		}
	}
	s.mu.Unlock()
	if env != nil {
		env.Close()
	}
}

// shutdown stops the reconciler and closes every environment.
func (s *provisionedSet) shutdown() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	envs := s.envs
	s.envs = nil
	s.mu.Unlock()
	close(s.done)
	for _, pe := range envs {
		if !pe.busy {
			pe.h.env.Close()
		}
	}
}
