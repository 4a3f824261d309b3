package rapi

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/textproto"
	"strings"
	"testing"
	"testing/iotest"
)

func TestRuntimeTransitionTable(t *testing.T) {
	allowed := map[runtimeEvent][]runtimeState{
		rtEvNext:      {rtStarted, rtReady, rtResponseSent},
		rtEvDeliver:   {rtReady},
		rtEvUndeliver: {rtRunning},
		rtEvResponse:  {rtRunning},
		rtEvError:     {rtRunning},
		rtEvSent:      {rtResponding, rtErroring},
		rtEvInitError: {rtStarted},
		rtEvExit:      {rtStarted, rtReady, rtRunning, rtResponding, rtErroring, rtResponseSent, rtInitError, rtExited},
	}
	for ev, states := range allowed {
		for s := rtStarted; s <= rtExited; s++ {
			want := false
			for _, a := range states {
				want = want || a == s
			}
			fsm := runtimeFSM{state: s}
			if got := fsm.apply(ev); got != want {
				t.Errorf("%v --%d--> allowed = %v, want %v", s, ev, got, want)
			}
			if want && fsm.state != ev.target() || !want && fsm.state != s {
				t.Errorf("%v --%d--> state %v", s, ev, fsm.state)
			}
		}
	}
}

func TestExtensionTransitionTable(t *testing.T) {
	allowed := map[extEvent][]extState{
		extEvNext:      {extRegistered, extReady, extRunning},
		extEvDeliver:   {extReady},
		extEvUndeliver: {extRunning},
		extEvInitError: {extRegistered},
		extEvExitError: {extRegistered, extReady, extRunning},
		extEvExit:      {extRegistered, extReady, extRunning, extInitError, extExitError},
	}
	for ev, states := range allowed {
		for s := extRegistered; s <= extExited; s++ {
			want := false
			for _, a := range states {
				want = want || a == s
			}
			e := &extension{state: s}
			if got := e.apply(ev); got != want {
				t.Errorf("%v --%d--> allowed = %v, want %v", s, ev, got, want)
			}
			if want && e.state != ev.target() || !want && e.state != s {
				t.Errorf("%v --%d--> state %v", s, ev, e.state)
			}
		}
	}
}

func TestMailbox(t *testing.T) {
	m := newMailbox[int]()
	if m.post(1) || m.post(2) {
		t.Fatal("post handed over without a poller")
	}
	if v, ok := m.take(); !ok || v != 1 {
		t.Fatalf("take = %d %v", v, ok)
	}
	m.unshift(0)
	if v, _ := m.take(); v != 0 {
		t.Fatalf("unshift: take = %d", v)
	}
	if v, _ := m.take(); v != 2 {
		t.Fatalf("take = %d", v)
	}
	if _, ok := m.take(); ok || !m.waiting {
		t.Fatal("empty take must leave the caller waiting")
	}
	if !m.post(3) || m.waiting || <-m.ch != 3 {
		t.Fatal("post to a waiting poller")
	}
	m.take()
	if _, ok := m.cancel(); ok || m.waiting {
		t.Fatal("cancel of an idle poller")
	}
	m.take()
	m.post(4)
	if v, ok := m.cancel(); !ok || v != 4 {
		t.Fatalf("cancel after hand-over = %d %v", v, ok)
	}
}

func TestRoute(t *testing.T) {
	cases := []struct {
		path string
		ep   endpoint
		id   string
	}{
		{"/2018-06-01/runtime/invocation/next", epNext, ""},
		{"/2018-06-01/runtime/invocation/abc-1/response", epResponse, "abc-1"},
		{"/2018-06-01/runtime/invocation/abc-1/error", epError, "abc-1"},
		{"/2018-06-01/runtime/invocation//response", epResponse, ""},
		{"/2018-06-01/runtime/invocation/a/b/error", epNone, ""},
		{"/2018-06-01/runtime/invocation/abc", epNone, ""},
		{"/2018-06-01/runtime/init/error", epInitError, ""},
		{"/2020-01-01/extension/register", epExtRegister, ""},
		{"/2020-01-01/extension/event/next", epExtNext, ""},
		{"/2020-01-01/extension/init/error", epExtInitError, ""},
		{"/2020-01-01/extension/exit/error", epExtExitError, ""},
		{"/2020-08-15/logs", epLogs, ""},
		{"/2022-07-01/telemetry", epTelemetry, ""},
		{"/2018-06-01/ping", epPing, ""},
		{"/runtime/invocation/next", epNone, ""},
	}
	for _, tc := range cases {
		if ep, id := route(tc.path); ep != tc.ep || id != tc.id {
			t.Errorf("route(%q) = %d %q, want %d %q", tc.path, ep, id, tc.ep, tc.id)
		}
	}
	if n := testing.AllocsPerRun(100, func() { route("/2018-06-01/runtime/invocation/abc-1/response") }); n != 0 {
		t.Errorf("route allocates %v times", n)
	}
}

func TestReadBody(t *testing.T) {
	cases := []struct {
		name    string
		body    string
		hint    int64
		limit   int64
		wantErr error
	}{
		{"known length", "hello", 5, 10, nil},
		{"unknown length", strings.Repeat("x", 3000), -1, 5000, nil},
		{"at the limit", "12345", -1, 5, nil},
		{"over the limit", "123456", -1, 5, errTooLarge},
		{"declared over the limit", "123456", 6, 5, errTooLarge},
		{"empty", "", 0, 5, nil},
	}
	for _, tc := range cases {
		got, err := readBody(iotest.HalfReader(strings.NewReader(tc.body)), tc.hint, tc.limit)
		if !errors.Is(err, tc.wantErr) || err == nil && string(got) != tc.body {
			t.Errorf("%s: got %q, %v", tc.name, got, err)
		}
	}
	if _, err := readBody(iotest.ErrReader(io.ErrUnexpectedEOF), -1, 5); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read error = %v", err)
	}
}

func TestUUID(t *testing.T) {
	a, b := newUUID(), newUUID()
	if a == b || !isUUID(a) || a[14] != '4' || !strings.ContainsRune("89ab", rune(a[19])) {
		t.Errorf("uuids %s %s", a, b)
	}
	for _, bad := range []string{"", "6f1c2b8e-1d2a-4c3b-9a8d-7e6f5a4b3c2", "6f1c2b8e-1d2a-4c3b-9a8d_7e6f5a4b3c2d", "6f1c2b8e-1d2a-4c3b-9a8d-7e6f5a4b3c2g"} {
		if isUUID(bad) {
			t.Errorf("isUUID(%q)", bad)
		}
	}
}

func TestSetHeadersUsesCanonicalKeys(t *testing.T) {
	for _, k := range []string{hdrRequestID, hdrDeadlineMs, hdrFunctionArn, hdrTraceID, hdrClientContext,
		hdrCognitoIdentity, hdrTenantID, hdrExtIdentifier, hdrExtEventID} {
		if textproto.CanonicalMIMEHeaderKey(k) != k {
			t.Errorf("%q is not canonical", k)
		}
	}
	h := http.Header{}
	setHeaders(h, "A", "1", "B", "", "C", "3")
	h.Add("A", "more") // values must not clobber each other
	if len(h) != 2 || h.Get("C") != "3" || len(h["A"]) != 2 || h["C"][0] != "3" {
		t.Errorf("headers = %v", h)
	}
}

func TestEventDocuments(t *testing.T) {
	inv := &Invocation{RequestID: "r<1>", InvokedFunctionArn: "arn", TraceID: "Root=1"}
	ev := invokeEvent(inv)
	want := `{"eventType":"INVOKE","deadlineMs":0,"requestId":"r\u003c1\u003e","invokedFunctionArn":"arn","tracing":{"type":"X-Amzn-Trace-Id","value":"Root=1"}}`
	if ev.kind != eventInvoke || string(ev.body) != want {
		t.Errorf("INVOKE = %s", ev.body)
	}
	if !bytes.Contains(shutdownEvent(ShutdownFailure, inv.Deadline).body, []byte(`"shutdownReason":"failure"`)) {
		t.Error("SHUTDOWN reason missing")
	}
}
