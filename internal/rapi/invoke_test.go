package rapi

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestInvokeBeforeTheRuntimePolls(t *testing.T) {
	s := newTestServer(t, Config{})
	done := invokeAsync(s, &Invocation{RequestID: "req-1", Payload: []byte("1")})
	rt := newClient(t, s)
	ev := recv(t, rt.next())
	if ev.header.Get(hdrRequestID) != "req-1" || string(ev.body) != "1" {
		t.Fatalf("event = %v %s", ev.header, ev.body)
	}
	rt.respond("req-1", []byte("2"))
	if got := recv(t, done); got.err != nil || string(got.res.Body) != "2" {
		t.Errorf("result = %+v %v", got.res, got.err)
	}
}

func TestOneInvokeAtATime(t *testing.T) {
	s := newTestServer(t, Config{})
	rt, _ := startRuntime(t, s)
	first := invokeAsync(s, &Invocation{RequestID: "req-1"})
	runtimeGotEvent(t, s)
	if _, err := s.Invoke(testCtx(t), &Invocation{RequestID: "req-2"}); !errors.Is(err, ErrBusy) {
		t.Errorf("concurrent Invoke = %v, want ErrBusy", err)
	}
	if _, err := s.Invoke(testCtx(t), &Invocation{}); err == nil {
		t.Error("Invoke without request id succeeded")
	}
	rt.respond("req-1", nil)
	recv(t, first)
}

func TestInvokeCompletesWhenTheRuntimePollsAgain(t *testing.T) {
	s := newTestServer(t, Config{})
	rt, poll := startRuntime(t, s)
	done := invokeAsync(s, &Invocation{RequestID: "req-1"})
	recv(t, poll)
	rt.respond("req-1", []byte("ok"))
	res := recv(t, done).res
	s.mu.Lock()
	complete := res.inv.complete
	s.mu.Unlock()
	if complete {
		t.Fatal("invoke complete before the runtime polled again")
	}
	// The next invoke waits for that too, then goes to the new poll.
	next := invokeAsync(s, &Invocation{RequestID: "req-2"})
	poll = rt.next()
	at, err := res.WaitComplete(testCtx(t))
	if err != nil || at.Before(res.Answered) {
		t.Fatalf("WaitComplete = %v, %v", at, err)
	}
	if ev := recv(t, poll); ev.header.Get(hdrRequestID) != "req-2" {
		t.Fatalf("second event = %v", ev.header)
	}
	rt.respond("req-2", nil)
	recv(t, next)
}

func TestInvokeTimeout(t *testing.T) {
	s := newTestServer(t, Config{})
	rt, poll := startRuntime(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	res, err := s.Invoke(ctx, &Invocation{RequestID: "req-1"})
	if res != nil || !errors.Is(err, ErrAbandoned) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Invoke = %v, %v", res, err)
	}
	if late := time.Since(start) - 100*time.Millisecond; late > time.Second {
		t.Errorf("Invoke returned %v after its deadline", late)
	}
	recv(t, poll)
	// A late answer is taken without effect; the environment stays unusable.
	wantAccepted(t, rt.respond("req-1", []byte("late")))
	if _, err := s.Invoke(testCtx(t), &Invocation{RequestID: "req-2"}); !errors.Is(err, ErrAbandoned) {
		t.Errorf("Invoke after a timeout = %v", err)
	}
}

func TestRuntimeExitDuringInvoke(t *testing.T) {
	s := newTestServer(t, Config{})
	_, poll := startRuntime(t, s)
	done := invokeAsync(s, &Invocation{RequestID: "req-1"})
	recv(t, poll)
	s.RuntimeExited("exit status 3")
	got := recv(t, done)
	if got.err != nil {
		t.Fatal(got.err)
	}
	want := `{"errorType":"Runtime.ExitError","errorMessage":"RequestId: req-1 Error: Runtime exited with error: exit status 3"}`
	if r := got.res; r.Status != StatusError || r.ErrorType != ErrorTypeRuntimeExit || string(r.Body) != want || r.ContentType != "application/json" {
		t.Errorf("result = %v %q %s", r.Status, r.ErrorType, r.Body)
	}
	var f *Failure
	if _, err := got.res.WaitComplete(testCtx(t)); !errors.As(err, &f) || f.Type != ErrorTypeRuntimeExit {
		t.Errorf("WaitComplete = %v", err)
	}
	if _, err := s.Invoke(testCtx(t), &Invocation{RequestID: "req-2"}); !errors.As(err, &f) {
		t.Errorf("Invoke after exit = %v", err)
	}
}

func TestRuntimeExitDuringInit(t *testing.T) {
	for status, msg := range map[string]string{
		"exit status 1":  "Runtime exited with error: exit status 1",
		"signal: killed": "Runtime exited with error: signal: killed",
		"":               "Runtime exited without providing a reason",
	} {
		s := newTestServer(t, Config{})
		s.RuntimeExited(status)
		res, err := s.WaitInit(testCtx(t))
		if err != nil || res.Err == nil || res.Err.Type != ErrorTypeRuntimeExit || res.Err.Message != msg {
			t.Errorf("WaitInit after exit %q = %+v, %v", status, res.Err, err)
		}
	}
	s := newTestServer(t, Config{})
	s.RuntimeFailed("Runtime.OutOfMemory", "Runtime exited with error: signal: killed")
	res, _ := s.WaitInit(testCtx(t))
	if got := string(res.Err.Payload("id")); got != `{"errorType":"Runtime.OutOfMemory","errorMessage":"RequestId: id Error: Runtime exited with error: signal: killed"}` {
		t.Errorf("OOM payload = %s", got)
	}
}

func TestAbandonedPollGivesTheEventToTheNextPoll(t *testing.T) {
	s := newTestServer(t, Config{})
	rt := newClient(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	req := rt.request(http.MethodGet, pathNext, nil).WithContext(ctx)
	gone := make(chan reply, 1)
	go func() { gone <- rt.send(req) }()
	if _, err := s.WaitInit(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	runtimePolling(t, s)
	cancel()
	recv(t, gone)
	awaitState(t, s, func() bool { return !s.rt.box.waiting })
	done := invokeAsync(s, &Invocation{RequestID: "req-1"})
	awaitState(t, s, func() bool { return s.cur != nil })
	if ev := recv(t, rt.next()); ev.header.Get(hdrRequestID) != "req-1" {
		t.Fatalf("event = %d %v", ev.status, ev.header)
	}
	rt.respond("req-1", nil)
	recv(t, done)
}

func TestAbandonedPollHandsBackADeliveredEvent(t *testing.T) {
	// White-box: the event was handed to a poll whose client vanished
	// before it was written; it must be queued again, state rolled back.
	s := newTestServer(t, Config{})
	s.mu.Lock()
	s.rt.apply(rtEvNext)
	s.rt.box.take() // the poll now waits
	inv := s.dispatchLocked(&Invocation{RequestID: "req-1"})
	s.mu.Unlock()
	s.abandonRuntimePoll()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rt.state != rtReady {
		t.Errorf("state = %v, want Ready", s.rt.state)
	}
	if got, ok := s.rt.box.take(); !ok || got != inv {
		t.Error("the event was not queued again")
	}
}
