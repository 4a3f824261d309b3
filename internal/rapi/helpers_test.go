package rapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

// testTimeout bounds every wait of the tests, so that a bug fails a test
// instead of hanging it.
const testTimeout = 10 * time.Second

// newTestServer starts a server that is closed when the test ends.
func newTestServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// client plays one process of the environment: it has its own pool of
// keep-alive connections.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

func newClient(t *testing.T, s *Server) *client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &client{t: t, base: "http://" + s.Addr(), http: &http.Client{Transport: tr}}
}

type reply struct {
	status int
	header http.Header
	body   []byte
	err    error
}

// request builds a request; headers come as key, value pairs.
func (c *client) request(method, path string, body []byte, headers ...string) *http.Request {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}

func (c *client) send(req *http.Request) reply {
	resp, err := c.http.Do(req)
	if err != nil {
		return reply{err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b, err: err}
}

// do sends a request and fails the test on transport errors.
func (c *client) do(method, path string, body []byte, headers ...string) reply {
	c.t.Helper()
	r := c.send(c.request(method, path, body, headers...))
	if r.err != nil {
		c.t.Fatalf("%s %s: %v", method, path, r.err)
	}
	return r
}

// async sends a request from a goroutine (long polls).
func (c *client) async(method, path string, body []byte, headers ...string) <-chan reply {
	req := c.request(method, path, body, headers...)
	ch := make(chan reply, 1)
	go func() { ch <- c.send(req) }()
	return ch
}

func (c *client) next() <-chan reply { return c.async(http.MethodGet, pathNext, nil) }

func (c *client) respond(id string, body []byte, headers ...string) reply {
	c.t.Helper()
	return c.do(http.MethodPost, invocationPrefix+id+"/response", body, headers...)
}

func (c *client) fail(id string, body []byte, headers ...string) reply {
	c.t.Helper()
	return c.do(http.MethodPost, invocationPrefix+id+"/error", body, headers...)
}

// recv waits for a reply.
func recv[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(testTimeout):
		t.Fatal("timed out waiting for a reply")
		panic("unreachable")
	}
}

// awaitState waits until cond holds on the server's state. It is woken by
// the server's own state-change broadcasts, not by polling.
func awaitState(t *testing.T, s *Server, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.awaitLocked(ctx, func() (bool, error) { return cond(), nil }); err != nil {
		t.Fatalf("server never reached the expected state: %v", err)
	}
}

// runtimePolling waits until the runtime's /next is blocked in the server.
func runtimePolling(t *testing.T, s *Server) {
	t.Helper()
	awaitState(t, s, func() bool { return s.rt.box.waiting })
}

type invokeReply struct {
	res *Result
	err error
}

func invokeAsync(s *Server, inv *Invocation) <-chan invokeReply {
	ch := make(chan invokeReply, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		defer cancel()
		res, err := s.Invoke(ctx, inv)
		ch <- invokeReply{res, err}
	}()
	return ch
}

// startRuntime makes a runtime client poll /next and waits for init.
func startRuntime(t *testing.T, s *Server) (*client, <-chan reply) {
	t.Helper()
	rt := newClient(t, s)
	poll := rt.next()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	res, err := s.WaitInit(ctx)
	if err != nil || res.Err != nil {
		t.Fatalf("init: %v %v", err, res.Err)
	}
	return rt, poll
}

// wantAPIError checks an error answer, body included, byte for byte.
func wantAPIError(t *testing.T, r reply, status int, errType, msg string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status = %d, want %d (body %s)", r.status, status, r.body)
	}
	want, _ := json.Marshal(map[string]string{"errorMessage": msg, "errorType": errType})
	if string(r.body) != string(want) {
		t.Errorf("body = %s\nwant   %s", r.body, want)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func wantAccepted(t *testing.T, r reply) {
	t.Helper()
	if r.status != http.StatusAccepted || string(r.body) != `{"status":"OK"}` {
		t.Errorf("got %d %s, want 202 {\"status\":\"OK\"}", r.status, r.body)
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}
