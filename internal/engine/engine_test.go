package engine

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeStarter starts fake environments and counts what happens to them.
type fakeStarter struct {
	started, closed atomic.Int64
	failInit        func(fn *Function, initType string) bool
	delay           time.Duration
}

type fakeEnv struct {
	s        *fakeStarter
	fn       *Function
	initType string
	calls    atomic.Int64
	closed   atomic.Bool
}

func (s *fakeStarter) Start(ctx context.Context, fn *Function, initType string) (Environment, error) {
	if s.delay > 0 {
		time.Sleep(s.delay)
	}
	if s.failInit != nil && s.failInit(fn, initType) {
		return nil, &InitError{Result: &Result{FunctionError: "Unhandled", ErrorType: "Runtime.ImportModuleError"}}
	}
	s.started.Add(1)
	return &fakeEnv{s: s, fn: fn, initType: initType}, nil
}

func (e *fakeEnv) Invoke(ctx context.Context, inv *Invocation) (*Result, bool) {
	n := e.calls.Add(1)
	if string(inv.Payload) == "crash" {
		return &Result{FunctionError: "Unhandled", ErrorType: "Runtime.ExitError"}, false
	}
	if string(inv.Payload) == "slow" {
		time.Sleep(100 * time.Millisecond)
	}
	return &Result{Payload: []byte(e.initType + ":" + e.fn.Key + ":" + string(rune('0'+n)))}, true
}

func (e *fakeEnv) Close() {
	if !e.closed.Swap(true) {
		e.s.closed.Add(1)
	}
}

func newTestEngine(t *testing.T, s *fakeStarter, mut ...func(*Config)) *Engine {
	cfg := Config{AccountConcurrency: 100, IdleTimeout: time.Minute, Starter: s}
	for _, m := range mut {
		m(&cfg)
	}
	e := New(cfg)
	t.Cleanup(e.Close)
	return e
}

func fn(key string) *Function {
	return &Function{Key: key, Group: "r/f", Version: "$LATEST", Timeout: time.Second}
}

func invoke(t *testing.T, e *Engine, f *Function, payload string) *Result {
	t.Helper()
	res, err := e.Invoke(context.Background(), &Invocation{Function: f, Payload: []byte(payload)})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestWarmReuseAndNewConfiguration(t *testing.T) {
	s := &fakeStarter{}
	e := newTestEngine(t, s)
	a := fn("r/f/$LATEST@1")
	if got := string(invoke(t, e, a, "x").Payload); got != "on-demand:r/f/$LATEST@1:1" {
		t.Fatalf("first invoke: %s", got)
	}
	if got := string(invoke(t, e, a, "x").Payload); got != "on-demand:r/f/$LATEST@1:2" {
		t.Fatalf("second invoke did not reuse the environment: %s", got)
	}
	// A new configuration of the same version gets a new environment and
	// retires the idle old one.
	b := fn("r/f/$LATEST@2")
	if got := string(invoke(t, e, b, "x").Payload); got != "on-demand:r/f/$LATEST@2:1" {
		t.Fatalf("new configuration: %s", got)
	}
	if s.started.Load() != 2 || s.closed.Load() != 1 {
		t.Fatalf("started %d closed %d, want 2 and 1", s.started.Load(), s.closed.Load())
	}
}

func TestUnusableEnvironmentIsReplaced(t *testing.T) {
	s := &fakeStarter{}
	e := newTestEngine(t, s)
	f := fn("k")
	invoke(t, e, f, "crash")
	invoke(t, e, f, "x")
	if s.started.Load() != 2 || s.closed.Load() != 1 {
		t.Fatalf("started %d closed %d", s.started.Load(), s.closed.Load())
	}
}

func TestInitErrorIsTheResult(t *testing.T) {
	s := &fakeStarter{failInit: func(*Function, string) bool { return true }}
	e := newTestEngine(t, s)
	res := invoke(t, e, fn("k"), "x")
	if res.ErrorType != "Runtime.ImportModuleError" {
		t.Fatalf("got %+v", res)
	}
	if n := e.IdleEnvironments(); n != 0 {
		t.Fatalf("%d idle environments after a failed init", n)
	}
}

func TestIdleEnvironmentsAreReaped(t *testing.T) {
	s := &fakeStarter{}
	var mu sync.Mutex
	now := time.Now()
	e := newTestEngine(t, s, func(c *Config) {
		c.IdleTimeout = 40 * time.Millisecond
		c.Now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	})
	invoke(t, e, fn("k"), "x")
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	deadline := time.Now().Add(2 * time.Second)
	for (e.IdleEnvironments() > 0 || s.closed.Load() == 0) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if e.IdleEnvironments() != 0 || s.closed.Load() != 1 {
		t.Fatalf("idle %d closed %d", e.IdleEnvironments(), s.closed.Load())
	}
}

func TestReservedConcurrencyThrottles(t *testing.T) {
	s := &fakeStarter{}
	e := newTestEngine(t, s)
	e.SetReserved("r/f", ptr(1))
	f := fn("k")
	done := make(chan struct{})
	go func() {
		defer close(done)
		invoke(t, e, f, "slow")
	}()
	time.Sleep(30 * time.Millisecond)
	_, err := e.Invoke(context.Background(), &Invocation{Function: f, Payload: []byte("x")})
	var te *ThrottleError
	if !errors.As(err, &te) || te.Reason != ReasonReserved {
		t.Fatalf("second concurrent invoke: %v", err)
	}
	<-done
}

func waitStatus(t *testing.T, e *Engine, key, want string) ProvisionStatus {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		st, _ := e.ProvisionStatus(key)
		if st.Status == want {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("status %+v, want %s", st, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestProvisionedLifecycle(t *testing.T) {
	s := &fakeStarter{delay: 10 * time.Millisecond}
	e := newTestEngine(t, s)
	v1 := &Function{Key: "r/f/1@a", Group: "r/f", Version: "1", Timeout: time.Second}
	e.Provision("r/f:1", v1, 3)
	if st, _ := e.ProvisionStatus("r/f:1"); st.Status != "IN_PROGRESS" {
		t.Fatalf("right after Provision: %+v", st)
	}
	st := waitStatus(t, e, "r/f:1", "READY")
	if st.Allocated != 3 || st.Available != 3 {
		t.Fatalf("READY with %+v", st)
	}
	// Invocations of the version use provisioned environments.
	res, err := e.Invoke(context.Background(), &Invocation{Function: v1, Qualifier: "1", Payload: []byte("x")})
	if err != nil || string(res.Payload[:len(InitProvisioned)]) != InitProvisioned {
		t.Fatalf("invoke on provisioned: %v %s", err, res.Payload)
	}
	// Scaling down closes the surplus only.
	e.Provision("r/f:1", v1, 1)
	deadline := time.Now().Add(2 * time.Second)
	for s.closed.Load() != 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if s.closed.Load() != 2 || s.started.Load() != 3 {
		t.Fatalf("scale down: started %d closed %d", s.started.Load(), s.closed.Load())
	}
	// A new configuration is started before the old one is released.
	v2 := &Function{Key: "r/f/2@b", Group: "r/f", Version: "2", Timeout: time.Second}
	e.Provision("r/f:1", v2, 1)
	waitStatus(t, e, "r/f:1", "READY")
	if s.started.Load() != 4 || s.closed.Load() != 3 {
		t.Fatalf("move: started %d closed %d", s.started.Load(), s.closed.Load())
	}
	e.Provision("r/f:1", nil, 0)
	if _, ok := e.ProvisionStatus("r/f:1"); ok {
		t.Fatal("status after delete")
	}
	if s.closed.Load() != 4 {
		t.Fatalf("delete left environments: closed %d", s.closed.Load())
	}
}

func TestProvisionedInitFailure(t *testing.T) {
	s := &fakeStarter{failInit: func(_ *Function, initType string) bool { return initType == InitProvisioned }}
	e := newTestEngine(t, s)
	e.Provision("r/f:1", &Function{Key: "k", Group: "r/f", Version: "1"}, 1)
	st := waitStatus(t, e, "r/f:1", "FAILED")
	if st.Reason != "FUNCTION_ERROR_INIT_FAILURE" || st.Allocated != 0 {
		t.Fatalf("FAILED with %+v", st)
	}
}

func TestRetireClosesEverything(t *testing.T) {
	s := &fakeStarter{}
	e := newTestEngine(t, s)
	invoke(t, e, fn("k"), "x")
	e.Provision("r/f:1", &Function{Key: "p", Group: "r/f", Version: "1"}, 2)
	waitStatus(t, e, "r/f:1", "READY")
	e.Retire("r/f")
	if s.closed.Load() != s.started.Load() {
		t.Fatalf("started %d closed %d", s.started.Load(), s.closed.Load())
	}
}
