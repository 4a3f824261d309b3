package rapi

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

func TestListenAddress(t *testing.T) {
	a := newTestServer(t, Config{})
	b := newTestServer(t, Config{})
	if a.Addr() == b.Addr() {
		t.Errorf("two environments share %s", a.Addr())
	}
	if host, _, _ := net.SplitHostPort(a.Addr()); host != "127.0.0.1" {
		t.Errorf("default host = %s", host)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := newTestServer(t, Config{Listener: ln})
	if c.Addr() != ln.Addr().String() {
		t.Errorf("Addr = %s, want the given listener's %s", c.Addr(), ln.Addr())
	}
	if _, err := New(Config{Addr: "256.0.0.1:0"}); err == nil {
		t.Error("New with a bad address succeeded")
	}
}

func TestCloseEndsEverythingWithoutLeaks(t *testing.T) {
	before := runtime.NumGoroutine()
	s, err := New(Config{ExternalExtensions: []string{"ext"}})
	if err != nil {
		t.Fatal(err)
	}
	x := registerExtension(t, s, "ext", `{"events":["INVOKE"]}`)
	idle := registerExtension(t, s, "idle", `{}`)
	xPoll, idlePoll := x.next(), idle.next()
	rt := newClient(t, s)
	rtPoll := rt.next()
	if _, err := s.WaitInit(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	invoke := invokeAsync(s, &Invocation{RequestID: "req-1"})
	recv(t, rtPoll)
	recv(t, xPoll)
	rt.respond("req-1", nil)
	res := recv(t, invoke).res
	// Both poll again and block; one more Invoke waits for nobody.
	rtPoll, xPoll = rt.next(), x.next()
	if _, err := res.WaitComplete(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	blocked := make(chan error, 1)
	go func() {
		_, err := s.Invoke(testCtx(t), &Invocation{RequestID: "req-2"})
		blocked <- err
	}()
	awaitState(t, s, func() bool { return s.cur.in.RequestID == "req-2" })

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := recv(t, blocked); !errors.Is(err, ErrClosed) {
		t.Errorf("pending Invoke = %v, want ErrClosed", err)
	}
	if r := recv(t, idlePoll); r.err == nil {
		t.Errorf("idle extension's poll answered %d", r.status)
	}
	// These polls got req-2 or nothing, depending on timing; either way
	// they ended.
	recv(t, rtPoll)
	recv(t, xPoll)
	if _, err := s.WaitInit(testCtx(t)); err != nil {
		t.Errorf("WaitInit after Close = %v (init had completed)", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
	for _, c := range []*client{rt, x.client, idle.client} {
		c.http.CloseIdleConnections()
	}
	// Close waited for the server's goroutines; the clients' need a moment.
	deadline := time.Now().Add(testTimeout)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines left, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

func TestCloseReleasesWaitersWithErrClosed(t *testing.T) {
	s := newTestServer(t, Config{ExternalExtensions: []string{"ext"}})
	waits := make(chan error, 3)
	go func() { _, err := s.WaitInit(testCtx(t)); waits <- err }()
	go func() { waits <- s.WaitRegistered(testCtx(t)) }()
	go func() { _, err := s.Invoke(testCtx(t), &Invocation{RequestID: "x"}); waits <- err }()
	awaitState(t, s, func() bool { return s.invoking })
	_ = s.Close()
	for range 3 {
		if err := recv(t, waits); !errors.Is(err, ErrClosed) {
			t.Errorf("waiter got %v, want ErrClosed", err)
		}
	}
}

// TestAcceptConnKeepsOtherEnvironmentsOut plays two environments whose
// clients come from different loopback addresses; each server's peer check
// (a fake of the sandbox's process check) admits its own client only.
func TestAcceptConnKeepsOtherEnvironmentsOut(t *testing.T) {
	var checks atomic.Int32
	onlyFrom := func(ip string) func(net.Conn) bool {
		return func(c net.Conn) bool {
			checks.Add(1)
			return c.RemoteAddr().(*net.TCPAddr).IP.String() == ip
		}
	}
	a := newTestServer(t, Config{AcceptConn: onlyFrom("127.0.0.1")})
	b := newTestServer(t, Config{Addr: "127.0.0.1:0", AcceptConn: onlyFrom("127.0.0.2")})

	own := clientFrom(t, a, "127.0.0.1")
	foreign := clientFrom(t, a, "127.0.0.2") // environment b's runtime, dialling a
	bRuntime := clientFrom(t, b, "127.0.0.2")

	ownPoll := own.next()
	if _, err := a.WaitInit(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	if r := recv(t, foreign.next()); r.err == nil {
		t.Fatalf("foreign client got an answer: %d %s", r.status, r.body)
	}
	if r := foreign.send(foreign.request("POST", pathExtRegister, []byte(`{}`))); r.err == nil {
		t.Fatalf("foreign client registered: %d", r.status)
	}
	done := invokeAsync(a, &Invocation{RequestID: "a-1", Payload: []byte("secret")})
	if ev := recv(t, ownPoll); string(ev.body) != "secret" {
		t.Fatalf("own client got %s", ev.body)
	}
	// Several requests on one kept-alive connection are vetted once.
	before := checks.Load()
	for range 3 {
		own.do("GET", pathPing, nil)
	}
	if n := checks.Load() - before; n != 0 {
		t.Errorf("kept-alive connection vetted %d more times", n)
	}
	own.respond("a-1", nil)
	recv(t, done)
	// b serves its own client.
	bRuntime.next()
	if _, err := b.WaitInit(testCtx(t)); err != nil {
		t.Fatal(err)
	}
}

// clientFrom is a client whose connections come from the loopback address ip.
func clientFrom(t *testing.T, s *Server, ip string) *client {
	c := newClient(t, s)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c.http.Transport.(*http.Transport).DialContext = d.DialContext
	return c
}

func TestInjectedClockAndIDs(t *testing.T) {
	var ticks, ids atomic.Int64
	epoch := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newTestServer(t, Config{
		Clock: func() time.Time { return epoch.Add(time.Duration(ticks.Add(1)) * time.Second) },
		NewID: func() string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", ids.Add(1)) },
	})
	x := registerExtension(t, s, "ext", `{"events":["INVOKE"]}`)
	if x.id != "00000000-0000-4000-8000-000000000001" {
		t.Errorf("extension id = %s", x.id)
	}
	xPoll := x.next()
	rt, rtPoll := startRuntime(t, s)
	done := invokeAsync(s, &Invocation{RequestID: "req-1"})
	if ev := recv(t, xPoll); ev.header.Get(hdrExtEventID) != "00000000-0000-4000-8000-000000000002" {
		t.Errorf("event id = %s", ev.header.Get(hdrExtEventID))
	}
	recv(t, rtPoll)
	rt.respond("req-1", nil)
	r := recv(t, done).res
	for _, ts := range []time.Time{r.Dispatched, r.Delivered, r.Answered} {
		if ts.Before(epoch) || ts.After(epoch.Add(time.Minute)) {
			t.Errorf("timestamp %v does not come from the injected clock", ts)
		}
	}
}
