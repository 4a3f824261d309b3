package rapi

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestNextCarriesEventAndContextHeaders(t *testing.T) {
	s := newTestServer(t, Config{})
	rt, poll := startRuntime(t, s)
	deadline := time.UnixMilli(1_700_000_000_123)
	inv := &Invocation{
		RequestID:          "req-1",
		Payload:            []byte(`{"hello":"world"}`),
		Deadline:           deadline,
		InvokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:fn",
		TraceID:            "Root=1-5e1b4151-5ac6c58f3b8e4f0a1b2c3d4e;Parent=1a2b3c4d5e6f7a8b;Sampled=1",
		ClientContext:      `{"custom":{"k":"v"}}`,
		CognitoIdentity:    `{"cognitoIdentityId":"id","cognitoIdentityPoolId":"pool"}`,
		TenantID:           "tenant-7",
		ContentType:        "application/x-custom",
	}
	done := invokeAsync(s, inv)
	ev := recv(t, poll)
	if ev.status != http.StatusOK || string(ev.body) != `{"hello":"world"}` {
		t.Fatalf("next = %d %s", ev.status, ev.body)
	}
	wantHeaders := map[string]string{
		"Lambda-Runtime-Aws-Request-Id":       "req-1",
		"Lambda-Runtime-Deadline-Ms":          "1700000000123",
		"Lambda-Runtime-Invoked-Function-Arn": inv.InvokedFunctionArn,
		"Lambda-Runtime-Trace-Id":             inv.TraceID,
		"Lambda-Runtime-Client-Context":       inv.ClientContext,
		"Lambda-Runtime-Cognito-Identity":     inv.CognitoIdentity,
		"Lambda-Runtime-Aws-Tenant-Id":        "tenant-7",
		"Content-Type":                        "application/x-custom",
		"Content-Length":                      strconv.Itoa(len(inv.Payload)),
	}
	for k, v := range wantHeaders {
		if got := ev.header.Get(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}

	wantAccepted(t, rt.respond("req-1", []byte(`"ok"`), "Content-Type", "text/plain"))
	got := recv(t, done)
	if got.err != nil {
		t.Fatal(got.err)
	}
	r := got.res
	if r.Status != StatusOK || string(r.Body) != `"ok"` || r.ContentType != "text/plain" || r.RequestID != "req-1" {
		t.Errorf("result = %+v", r)
	}
	if r.Dispatched.IsZero() || r.Delivered.Before(r.Dispatched) || r.Answered.Before(r.Delivered) {
		t.Errorf("timestamps out of order: %v %v %v", r.Dispatched, r.Delivered, r.Answered)
	}
}

func TestNextOmitsEmptyHeaders(t *testing.T) {
	s := newTestServer(t, Config{})
	rt, poll := startRuntime(t, s)
	done := invokeAsync(s, &Invocation{RequestID: "req-1"})
	ev := recv(t, poll)
	for _, k := range []string{hdrDeadlineMs, hdrFunctionArn, hdrTraceID, hdrClientContext, hdrCognitoIdentity, hdrTenantID} {
		if _, ok := ev.header[k]; ok {
			t.Errorf("header %s present, want it left out", k)
		}
	}
	if ct := ev.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("default Content-Type = %q", ct)
	}
	if len(ev.body) != 0 {
		t.Errorf("body = %q", ev.body)
	}
	rt.respond("req-1", nil)
	if got := recv(t, done); got.err != nil || len(got.res.Body) != 0 {
		t.Errorf("result = %+v, %v", got.res, got.err)
	}
}

func TestInvocationErrorIsPassedThroughVerbatim(t *testing.T) {
	goPanic := `{"errorMessage":"kaboom","errorType":"string","stackTrace":[{"path":"main.go","line":3,"label":"main"}]}`
	cases := []struct {
		name                 string
		body                 string
		headers              []string
		wantBody, wantCT     string
		wantType, wantHeader string
		wantCause            string
	}{
		{name: "aws-lambda-go, no type header", body: goPanic,
			headers:  []string{"Content-Type", "application/json"},
			wantBody: goPanic, wantCT: "application/json", wantType: ErrorTypeRuntimeUnknown},
		{name: "python with type header and x-ray cause",
			body:     `{"errorMessage":"boom","errorType":"ValueError","requestId":"req-1","stackTrace":["  File x\n"]}`,
			headers:  []string{"Lambda-Runtime-Function-Error-Type", "Unhandled", "Lambda-Runtime-Function-XRay-Error-Cause", `{"working_directory":"/var/task"}`},
			wantBody: `{"errorMessage":"boom","errorType":"ValueError","requestId":"req-1","stackTrace":["  File x\n"]}`,
			wantType: ErrorTypeRuntimeUnknown, wantHeader: "Unhandled", wantCause: `{"working_directory":"/var/task"}`},
		{name: "valid function type kept, invalid x-ray cause dropped", body: "not json",
			headers:  []string{"Lambda-Runtime-Function-Error-Type", "Function.MyError", "Lambda-Runtime-Function-XRay-Error-Cause", "{oops"},
			wantBody: "not json", wantType: "Function.MyError", wantHeader: "Function.MyError"},
		{name: "error cause content type is split",
			body:     `{"errorMessage":"m","errorType":"T","stackTrace":["a"],"errorCause":{"paths":[]}}`,
			headers:  []string{"Content-Type", contentTypeErrorCause},
			wantBody: `{"errorMessage":"m","errorType":"T","stackTrace":["a"]}`, wantCT: "application/json",
			wantType: ErrorTypeRuntimeUnknown, wantCause: `{"paths":[]}`},
		{name: "invalid error cause document", body: `{`,
			headers:  []string{"Content-Type", contentTypeErrorCause},
			wantBody: `"Invalid error body"`, wantCT: "application/octet-stream", wantType: ErrorTypeRuntimeUnknown},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, Config{})
			rt, _ := startRuntime(t, s)
			done := invokeAsync(s, &Invocation{RequestID: "req-1"})
			runtimeGotEvent(t, s)
			wantAccepted(t, rt.fail("req-1", []byte(tc.body), tc.headers...))
			got := recv(t, done)
			if got.err != nil {
				t.Fatal(got.err)
			}
			r := got.res
			if r.Status != StatusError || string(r.Body) != tc.wantBody || r.ContentType != tc.wantCT ||
				r.ErrorType != tc.wantType || r.ErrorTypeHeader != tc.wantHeader || string(r.XRayErrorCause) != tc.wantCause {
				t.Errorf("result = status %v body %s ct %q type %q header %q cause %s",
					r.Status, r.Body, r.ContentType, r.ErrorType, r.ErrorTypeHeader, r.XRayErrorCause)
			}
		})
	}
}

// runtimeGotEvent waits until the runtime's poll holds the invocation.
func runtimeGotEvent(t *testing.T, s *Server) {
	t.Helper()
	awaitState(t, s, func() bool { return s.rt.state == rtRunning })
}

func TestAnswerForUnknownRequestID(t *testing.T) {
	s := newTestServer(t, Config{})
	rt, _ := startRuntime(t, s)
	// No invocation yet.
	wantAPIError(t, rt.respond("req-1", nil), 400, "InvalidRequestID", "Invalid request ID")
	done := invokeAsync(s, &Invocation{RequestID: "req-1"})
	runtimeGotEvent(t, s)
	wantAPIError(t, rt.respond("other", nil), 400, "InvalidRequestID", "Invalid request ID")
	wantAPIError(t, rt.fail("other", nil), 400, "InvalidRequestID", "Invalid request ID")
	wantAccepted(t, rt.respond("req-1", []byte("1")))
	if got := recv(t, done); got.err != nil || string(got.res.Body) != "1" {
		t.Errorf("the valid answer was not taken: %+v %v", got.res, got.err)
	}
}

func TestWrongStateCallsAreRefused(t *testing.T) {
	const pre = "State transition from "
	const post = " failed for runtime. Error: State transition is not allowed"
	s := newTestServer(t, Config{})
	rt, _ := startRuntime(t, s)

	// A second poll while one is pending.
	wantAPIError(t, recv(t, rt.next()), 403, "InvalidStateTransition", pre+"Ready to Ready"+post)
	// init/error after init.
	wantAPIError(t, rt.do("POST", pathInitError, []byte("{}")), 403, "InvalidStateTransition", pre+"Ready to InitError"+post)

	done := invokeAsync(s, &Invocation{RequestID: "req-1"})
	runtimeGotEvent(t, s)
	// Polling again before answering.
	wantAPIError(t, recv(t, rt.next()), 403, "InvalidStateTransition", pre+"Running to Ready"+post)
	wantAccepted(t, rt.respond("req-1", []byte("1")))
	recv(t, done)
	// Answering twice, either way.
	wantAPIError(t, rt.respond("req-1", nil), 403, "InvalidStateTransition", pre+"RuntimeResponseSentState to InvocationResponse"+post)
	wantAPIError(t, rt.fail("req-1", nil), 403, "InvalidStateTransition", pre+"RuntimeResponseSentState to InvocationErrorResponse"+post)
}

func TestResponseMode(t *testing.T) {
	s := newTestServer(t, Config{})
	rt, poll := startRuntime(t, s)

	done := invokeAsync(s, &Invocation{RequestID: "req-1"})
	recv(t, poll)
	wantAccepted(t, rt.respond("req-1", []byte("chunk"), hdrResponseMode, "streaming"))
	if got := recv(t, done); got.err != nil || got.res.ResponseMode != "streaming" || got.res.Status != StatusOK {
		t.Errorf("streaming result = %+v %v", got.res, got.err)
	}

	poll = rt.next()
	done = invokeAsync(s, &Invocation{RequestID: "req-2"})
	recv(t, poll)
	wantAPIError(t, rt.respond("req-2", []byte("x"), hdrResponseMode, "buffered-please"), 400,
		"InvalidFunctionResponseMode", "Invalid function response mode")
	got := recv(t, done)
	want := `{"errorType":"Runtime.InvalidResponseModeHeader","errorMessage":"RequestId: req-2 Error: Invalid function response mode"}`
	if got.err != nil || got.res.ErrorType != ErrorTypeInvalidResponseMode || string(got.res.Body) != want {
		t.Errorf("result = %+v %v", got.res, got.err)
	}
	// The runtime may carry on.
	rt.next()
	runtimePolling(t, s)
}

func TestResponseSizeLimit(t *testing.T) {
	const limit = DefaultMaxResponseSize // 6291556
	cases := []struct {
		name    string
		size    int
		chunked bool
		tooBig  bool
	}{
		{"exactly the limit", limit, false, false},
		{"one byte over", limit + 1, false, true},
		{"over, length unknown", limit + 1, true, true},
		{"far over, length unknown", 2 * limit, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newTestServer(t, Config{})
			rt, poll := startRuntime(t, s)
			done := invokeAsync(s, &Invocation{RequestID: "req-1"})
			recv(t, poll)
			body := bytes.Repeat([]byte("a"), tc.size)
			req := rt.request("POST", invocationPrefix+"req-1/response", body)
			if tc.chunked {
				req.Body = io.NopCloser(bytes.NewReader(body))
				req.ContentLength = -1
			}
			r := rt.send(req)
			got := recv(t, done)
			if got.err != nil {
				t.Fatal(got.err)
			}
			if !tc.tooBig {
				wantAccepted(t, r)
				if got.res.Status != StatusOK || len(got.res.Body) != tc.size {
					t.Errorf("result: status %v, %d bytes", got.res.Status, len(got.res.Body))
				}
				return
			}
			// The server may close the connection before the client has
			// written everything; the caller's result is what matters.
			if r.err == nil {
				wantAPIError(t, r, 413, "RequestEntityTooLarge", "Exceeded maximum allowed payload size (6291556 bytes).")
			}
			want := `{"errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}`
			if got.res.Status != StatusError || got.res.ErrorType != "Function.ResponseSizeTooLarge" || string(got.res.Body) != want {
				t.Errorf("result = %v %q %s", got.res.Status, got.res.ErrorType, got.res.Body)
			}
		})
	}
}

func TestResponseErrorTrailer(t *testing.T) {
	s := newTestServer(t, Config{})
	rt, poll := startRuntime(t, s)
	done := invokeAsync(s, &Invocation{RequestID: "req-1"})
	recv(t, poll)
	req := rt.request("POST", invocationPrefix+"req-1/response", nil)
	req.Body = io.NopCloser(strings.NewReader("partial"))
	req.ContentLength = -1
	req.Trailer = http.Header{
		hdrErrorType: {"Function.StreamFailed"},
		hdrErrorBody: {"eyJlcnJvck1lc3NhZ2UiOiJ4In0="}, // {"errorMessage":"x"}
	}
	wantAccepted(t, rt.send(req))
	got := recv(t, done)
	if got.err != nil || got.res.Status != StatusError || got.res.ErrorType != "Function.StreamFailed" ||
		string(got.res.Body) != `{"errorMessage":"x"}` {
		t.Errorf("result = %+v %v", got.res, got.err)
	}
}

func TestUnknownPathsAndMethodsAnswerJSON(t *testing.T) {
	s := newTestServer(t, Config{})
	c := newClient(t, s)
	wantAPIError(t, c.do("GET", "/", nil), 404, "NotFound", "Not found: GET /")
	wantAPIError(t, c.do("GET", "/2018-06-01/runtime/invocation/x/y/response", nil), 404, "NotFound",
		"Not found: GET /2018-06-01/runtime/invocation/x/y/response")
	wantAPIError(t, c.do("POST", "/2018-06-01/runtime/invocation/next", nil), 405, "MethodNotAllowed",
		"Method POST not allowed on /2018-06-01/runtime/invocation/next")
	r := c.do("GET", "/2018-06-01/runtime/invocation/id/response", nil)
	wantAPIError(t, r, 405, "MethodNotAllowed", "Method GET not allowed on /2018-06-01/runtime/invocation/id/response")
	if r.header.Get("Allow") != "POST" {
		t.Errorf("Allow = %q", r.header.Get("Allow"))
	}
}

func TestPingAndSubscriptionStubs(t *testing.T) {
	s := newTestServer(t, Config{})
	c := newClient(t, s)
	if r := c.do("GET", pathPing, nil); r.status != 200 || string(r.body) != "pong" {
		t.Errorf("ping = %d %s", r.status, r.body)
	}
	wantAPIError(t, c.do("PUT", pathTelemetryAPI, []byte(`{}`)), 202, "Telemetry.NotSupported", "Telemetry API is not supported")
	wantAPIError(t, c.do("PUT", pathLogsAPI, []byte(`{}`)), 202, "Logs.NotSupported", "Logs API is not supported")
}

func TestInitErrorFailsTheEnvironment(t *testing.T) {
	s := newTestServer(t, Config{})
	rt := newClient(t, s)
	doc := `{"errorMessage":"Unable to import module 'app': No module named 'x'","errorType":"Runtime.ImportModuleError","requestId":"","stackTrace":[]}`
	wantAccepted(t, rt.do("POST", pathInitError, []byte(doc), hdrErrorType, "Runtime.ImportModuleError"))
	res, err := s.WaitInit(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	f := res.Err
	if f == nil || f.Type != "Runtime.ImportModuleError" || f.TypeHeader != "Runtime.ImportModuleError" ||
		string(f.Body) != doc || f.ContentType != "application/json" || string(f.Payload("req-1")) != doc {
		t.Fatalf("init failure = %+v", f)
	}
	// Invokes get the init error; the runtime's exit does not replace it.
	s.RuntimeExited("exit status 1")
	_, err = s.Invoke(testCtx(t), &Invocation{RequestID: "req-1"})
	var got *Failure
	if !errors.As(err, &got) || got != f {
		t.Errorf("Invoke error = %v, want the init failure", err)
	}
	// Terminal state.
	wantAPIError(t, rt.do("POST", pathInitError, nil), 403, "InvalidStateTransition",
		"State transition from Exited to InitError failed for runtime. Error: State transition is not allowed")
}

func TestInitErrorWithoutJSON(t *testing.T) {
	s := newTestServer(t, Config{})
	rt := newClient(t, s)
	wantAccepted(t, rt.do("POST", pathInitError, []byte("plain text"), hdrErrorType, "Unhandled"))
	res, _ := s.WaitInit(testCtx(t))
	if f := res.Err; f == nil || f.Type != "Runtime.Unknown" || f.TypeHeader != "Unhandled" || f.ContentType != "application/octet-stream" {
		t.Errorf("init failure = %+v", f)
	}
}

func TestSanitizeErrorType(t *testing.T) {
	cases := map[string]string{
		"":                          "Runtime.Unknown",
		"Unhandled":                 "Runtime.Unknown",
		"Runtime.ImportModuleError": "Runtime.ImportModuleError",
		"Function.MyError":          "Function.MyError",
		"Function.":                 "Function.Unknown",
		"Function.lower":            "Function.Unknown",
		"Function.My-Error":         "Function.Unknown",
		"Runtime.X":                 "Runtime.Unknown",
		"Runtime.Bad1":              "Runtime.Unknown",
		"Extension.Crash":           "Runtime.Unknown",
		"XRuntime.Foo":              "Runtime.Unknown",
	}
	for in, want := range cases {
		if got := SanitizeErrorType(in); got != want {
			t.Errorf("SanitizeErrorType(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPlatformErrorTexts(t *testing.T) {
	if got := string(PlatformErrorBody("id-1", "Sandbox.Timedout", TimeoutMessage(1500*time.Millisecond))); got !=
		`{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: id-1 Error: Task timed out after 1.50 seconds"}` {
		t.Errorf("timeout body = %s", got)
	}
	if got := string(PlatformErrorBody("", "Runtime.ExitError", "x")); got != `{"errorType":"Runtime.ExitError","errorMessage":"x"}` {
		t.Errorf("body without request id = %s", got)
	}
}
