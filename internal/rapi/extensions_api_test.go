package rapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"
)

// fakeExtension is an extension process driven by the test.
type fakeExtension struct {
	*client
	id string
}

func registerExtension(t *testing.T, s *Server, name, events string, headers ...string) *fakeExtension {
	t.Helper()
	c := newClient(t, s)
	r := c.do("POST", pathExtRegister, []byte(events), append([]string{hdrExtName, name}, headers...)...)
	if r.status != http.StatusOK {
		t.Fatalf("register %s: %d %s", name, r.status, r.body)
	}
	return &fakeExtension{client: c, id: r.header.Get(hdrExtIdentifier)}
}

func (x *fakeExtension) next() <-chan reply {
	return x.async("GET", pathExtNext, nil, hdrExtIdentifier, x.id)
}

func TestExtensionRegister(t *testing.T) {
	s := newTestServer(t, Config{FunctionName: "fn", FunctionVersion: "$LATEST", Handler: "app.handler", AccountID: "123456789012"})
	c := newClient(t, s)
	r := c.do("POST", pathExtRegister, []byte(`{"events":["INVOKE"]}`), hdrExtName, "ext")
	if r.status != 200 || string(r.body) != `{"functionName":"fn","functionVersion":"$LATEST","handler":"app.handler"}` {
		t.Errorf("register = %d %s", r.status, r.body)
	}
	if id := r.header.Get(hdrExtIdentifier); !isUUID(id) {
		t.Errorf("identifier %q is not a UUID", id)
	}
	r = c.do("POST", pathExtRegister, []byte(`{"events":[]}`), hdrExtName, "ext2", hdrExtAcceptFeature, "foo, accountId")
	if string(r.body) != `{"functionName":"fn","functionVersion":"$LATEST","handler":"app.handler","accountId":"123456789012"}` {
		t.Errorf("register with accountId = %s", r.body)
	}
}

func TestExtensionRegisterRefusals(t *testing.T) {
	s := newTestServer(t, Config{ExternalExtensions: []string{"ext"}})
	registerExtension(t, s, "ext", `{"events":["INVOKE","SHUTDOWN"]}`)
	registerExtension(t, s, "internal", `{}`)
	c := newClient(t, s)
	cases := []struct {
		name, body, typ, msg string
	}{
		{"", `{}`, "Extension.InvalidExtensionName", "Empty extension name"},
		{"x", `{"events":`, "InvalidRequestFormat", "unexpected end of JSON input"},
		{"x", `{"configurationKeys":["a"]}`, "InvalidRequestFormat", "configurationKeys are deprecated; use environment variables instead"},
		{"x", `{"events":["LOGS"]}`, "Extension.InvalidEventType", "LOGS: ErrorInvalidEventType"},
		{"x", `{"events":["SHUTDOWN"]}`, "Extension.InvalidEventType", "SHUTDOWN: ShutdownEventNotSupportedForInternalExtension"},
		{"ext", `{}`, "Extension.InvalidExtensionState", "State transition from Registered to Registered failed for extension ext. Error: State transition is not allowed"},
		{"internal", `{}`, "Extension.InvalidExtensionState", "Extension with this name already registered"},
	}
	for _, tc := range cases {
		wantAPIError(t, c.do("POST", pathExtRegister, []byte(tc.body), hdrExtName, tc.name), 403, tc.typ, tc.msg)
	}
	for i := 2; i < MaxExtensions; i++ {
		registerExtension(t, s, "more"+strconv.Itoa(i), `{}`)
	}
	wantAPIError(t, c.do("POST", pathExtRegister, []byte(`{}`), hdrExtName, "one-too-many"), 403,
		"Extension.TooManyExtensions", "Extension limit (10) reached")
}

func TestExtensionRegistrationClosesWhenRuntimePolls(t *testing.T) {
	s := newTestServer(t, Config{})
	startRuntime(t, s)
	wantAPIError(t, newClient(t, s).do("POST", pathExtRegister, []byte(`{}`), hdrExtName, "late"), 403,
		"Extension.RegistrationClosed", "Extension registration closed already")
}

func TestExtensionIdentifierIsChecked(t *testing.T) {
	s := newTestServer(t, Config{})
	c := newClient(t, s)
	const unknown = "6f1c2b8e-1d2a-4c3b-9a8d-7e6f5a4b3c2d"
	for _, path := range []string{pathExtNext, pathExtInitError, pathExtExitError} {
		method := "POST"
		if path == pathExtNext {
			method = "GET"
		}
		wantAPIError(t, c.do(method, path, nil, hdrExtErrorType, "Extension.X"), 403,
			"Extension.MissingExtensionIdentifier", "Missing Lambda-Extension-Identifier header")
		wantAPIError(t, c.do(method, path, nil, hdrExtIdentifier, "not-a-uuid", hdrExtErrorType, "Extension.X"), 403,
			"Extension.InvalidExtensionIdentifier", "Invalid Lambda-Extension-Identifier")
		wantAPIError(t, c.do(method, path, nil, hdrExtIdentifier, unknown, hdrExtErrorType, "Extension.X"), 403,
			"Extension.UnknownExtensionIdentifier", "Unknown extension "+unknown)
	}
	x := registerExtension(t, s, "ext", `{}`)
	wantAPIError(t, x.do("POST", pathExtInitError, nil, hdrExtIdentifier, x.id), 403,
		"Extension.MissingHeader", "Lambda-Extension-Function-Error-Type not found")
}

func TestInitWaitsForEveryExtension(t *testing.T) {
	s := newTestServer(t, Config{ExternalExtensions: []string{"ext"}})
	registered := make(chan error, 1)
	go func() { registered <- s.WaitRegistered(testCtx(t)) }()
	x := registerExtension(t, s, "ext", `{"events":["INVOKE"]}`)
	if err := recv(t, registered); err != nil {
		t.Fatal(err)
	}
	internal := registerExtension(t, s, "GoLangEnableSIGTERM", `{}`)
	rt := newClient(t, s)
	rt.next()
	runtimePolling(t, s)
	x.next()
	awaitState(t, s, func() bool { return x.clientPolling(s) })
	s.mu.Lock()
	done := s.init.done
	s.mu.Unlock()
	if done {
		t.Fatal("init over before every extension polled")
	}
	internal.next()
	res, err := s.WaitInit(testCtx(t))
	if err != nil || res.Err != nil {
		t.Fatal(err, res.Err)
	}
	if len(res.Extensions) != 2 || res.Extensions[0].Name != "ext" || !res.Extensions[0].External ||
		len(res.Extensions[0].Events) != 1 || res.Extensions[1].External || len(res.Extensions[1].Events) != 0 {
		t.Errorf("extensions = %+v", res.Extensions)
	}
	if res.RuntimeReadyAt.IsZero() || res.DoneAt.Before(res.RuntimeReadyAt) {
		t.Errorf("times = %v, %v", res.RuntimeReadyAt, res.DoneAt)
	}
}

// clientPolling reports whether the extension's poll is blocked in s.
func (x *fakeExtension) clientPolling(s *Server) bool {
	e := s.exts.byID(x.id)
	return e != nil && e.box.waiting
}

func TestExtensionInvokeAndShutdownFlow(t *testing.T) {
	s := newTestServer(t, Config{ExternalExtensions: []string{"ext"}})
	x := registerExtension(t, s, "ext", `{"events":["INVOKE","SHUTDOWN"]}`)
	idle := registerExtension(t, s, "idle", `{"events":[]}`) // never gets events
	xPoll, idlePoll := x.next(), idle.next()
	rt, rtPoll := startRuntime(t, s)

	deadline := time.UnixMilli(1_800_000_000_000)
	done := invokeAsync(s, &Invocation{RequestID: "req-1", Deadline: deadline, InvokedFunctionArn: "arn:fn", TraceID: "Root=1-a"})
	ev := recv(t, xPoll)
	if ev.status != 200 || !isUUID(ev.header.Get(hdrExtEventID)) ||
		string(ev.body) != `{"eventType":"INVOKE","deadlineMs":1800000000000,"requestId":"req-1","invokedFunctionArn":"arn:fn","tracing":{"type":"X-Amzn-Trace-Id","value":"Root=1-a"}}` {
		t.Fatalf("INVOKE event = %d %v %s", ev.status, ev.header, ev.body)
	}
	recv(t, rtPoll)
	wantAccepted(t, rt.respond("req-1", []byte("ok")))
	got := recv(t, done)
	if got.err != nil {
		t.Fatal(got.err)
	}

	// The invoke phase lasts until the runtime and the extension poll again.
	completed := make(chan error, 1)
	go func() { _, err := got.res.WaitComplete(testCtx(t)); completed <- err }()
	next := invokeAsync(s, &Invocation{RequestID: "req-2"})
	rtPoll = rt.next()
	runtimePolling(t, s)
	s.mu.Lock()
	early := s.cur.in.RequestID != "req-1" || s.cur.complete
	s.mu.Unlock()
	if early {
		t.Fatal("next invoke started before the extension polled again")
	}
	xPoll = x.next()
	if err := recv(t, completed); err != nil {
		t.Fatal(err)
	}
	recv(t, rtPoll)
	recv(t, xPoll)
	rt.respond("req-2", nil)
	recv(t, next)
	xPoll = x.next()
	rt.next()

	// SHUTDOWN goes to the subscriber; Shutdown returns when it polled again.
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(testTimeout))
	defer cancel()
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(ctx, ShutdownSpindown) }()
	ev = recv(t, xPoll)
	var doc map[string]any
	if err := json.Unmarshal(ev.body, &doc); err != nil {
		t.Fatal(err)
	}
	d, _ := ctx.Deadline()
	if doc["eventType"] != "SHUTDOWN" || doc["shutdownReason"] != "spindown" || doc["deadlineMs"] != float64(d.UnixMilli()) || len(doc) != 3 {
		t.Errorf("SHUTDOWN event = %s", ev.body)
	}
	if _, err := s.Invoke(testCtx(t), &Invocation{RequestID: "late"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Invoke during shutdown: %v", err)
	}
	final := x.next()
	if err := recv(t, shut); err != nil {
		t.Fatal(err)
	}
	// Pending polls end with the connection.
	if r := recv(t, final); r.err == nil {
		t.Errorf("poll after shutdown answered %d %s", r.status, r.body)
	}
	if r := recv(t, idlePoll); r.err == nil {
		t.Errorf("idle extension's poll answered %d %s", r.status, r.body)
	}
}

func TestShutdownGivesUpAtDeadline(t *testing.T) {
	s := newTestServer(t, Config{ExternalExtensions: []string{"ext"}})
	x := registerExtension(t, s, "ext", `{"events":["SHUTDOWN"]}`)
	poll := x.next()
	startRuntime(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := s.Shutdown(ctx, ShutdownTimeout)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Shutdown = %v", err)
	}
	if r := recv(t, poll); r.status != 200 {
		t.Errorf("SHUTDOWN not delivered: %v", r.err)
	}
	if _, err := s.WaitInit(testCtx(t)); err != nil {
		t.Errorf("WaitInit after shutdown = %v", err) // init had completed
	}
}

func TestExtensionExitCountsAsShutdownDone(t *testing.T) {
	s := newTestServer(t, Config{ExternalExtensions: []string{"ext"}})
	x := registerExtension(t, s, "ext", `{"events":["SHUTDOWN"]}`)
	poll := x.next()
	startRuntime(t, s)
	shut := make(chan error, 1)
	go func() { shut <- s.Shutdown(testCtx(t), ShutdownSpindown) }()
	recv(t, poll)
	s.ExtensionExited("ext", "exit status 0")
	if err := recv(t, shut); err != nil {
		t.Errorf("Shutdown = %v", err)
	}
}

func TestExtensionInitError(t *testing.T) {
	s := newTestServer(t, Config{ExternalExtensions: []string{"ext"}})
	x := registerExtension(t, s, "ext", `{}`)
	wantAccepted(t, x.do("POST", pathExtInitError, []byte(`{"errorMessage":"no config"}`), hdrExtIdentifier, x.id, hdrExtErrorType, "Extension.ConfigInvalid"))
	res, err := s.WaitInit(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if f := res.Err; f == nil || f.Type != ErrorTypeExtensionInit || f.TypeHeader != "Extension.ConfigInvalid" {
		t.Errorf("init failure = %+v", res.Err)
	}
	// Only once, and not after polling.
	wantAPIError(t, x.do("POST", pathExtInitError, nil, hdrExtIdentifier, x.id, hdrExtErrorType, "Extension.X"), 403,
		"Extension.InvalidExtensionState", "State transition from InitError to InitError failed for extension "+x.id+". Error: State transition is not allowed")
}

func TestExtensionFailuresDuringInvoke(t *testing.T) {
	for _, how := range []string{"exit error", "crash"} {
		t.Run(how, func(t *testing.T) {
			s := newTestServer(t, Config{ExternalExtensions: []string{"ext"}})
			x := registerExtension(t, s, "ext", `{"events":["INVOKE"]}`)
			xPoll := x.next()
			rt, rtPoll := startRuntime(t, s)
			done := invokeAsync(s, &Invocation{RequestID: "req-1"})
			recv(t, xPoll)
			recv(t, rtPoll)
			rt.respond("req-1", []byte("ok"))
			got := recv(t, done)
			wantType := ErrorTypeExtensionExit
			if how == "crash" {
				s.ExtensionExited("ext", "signal: killed")
				wantType = ErrorTypeExtensionCrash
			} else {
				wantAccepted(t, x.do("POST", pathExtExitError, nil, hdrExtIdentifier, x.id, hdrExtErrorType, "Extension.Boom"))
			}
			rt.next()
			_, err := got.res.WaitComplete(testCtx(t))
			var f *Failure
			if !errors.As(err, &f) || f.Type != wantType {
				t.Errorf("WaitComplete = %v, want a %s failure", err, wantType)
			}
			if _, err := s.Invoke(testCtx(t), &Invocation{RequestID: "req-2"}); !errors.As(err, &f) {
				t.Errorf("Invoke on a failed environment = %v", err)
			}
		})
	}
}

func TestExtensionCrashBeforeRegistering(t *testing.T) {
	s := newTestServer(t, Config{ExternalExtensions: []string{"ext"}})
	s.ExtensionExited("ext", "exit status 2")
	var f *Failure
	if err := s.WaitRegistered(testCtx(t)); !errors.As(err, &f) || f.Type != ErrorTypeExtensionCrash ||
		f.Message != "Extension ext exited: exit status 2" {
		t.Errorf("WaitRegistered = %v", err)
	}
	s.ExtensionExited("stranger", "exit status 1") // not ours: ignored
}
