package rapi

import (
	"net/http"
	"strings"
)

// API paths. The Runtime API is versioned 2018-06-01, the Extensions API
// 2020-01-01, the Logs API 2020-08-15 and the Telemetry API 2022-07-01.
const (
	pathNext          = "/2018-06-01/runtime/invocation/next"
	invocationPrefix  = "/2018-06-01/runtime/invocation/"
	pathInitError     = "/2018-06-01/runtime/init/error"
	pathPing          = "/2018-06-01/ping"
	pathExtRegister   = "/2020-01-01/extension/register"
	pathExtNext       = "/2020-01-01/extension/event/next"
	pathExtInitError  = "/2020-01-01/extension/init/error"
	pathExtExitError  = "/2020-01-01/extension/exit/error"
	pathLogsAPI       = "/2020-08-15/logs"
	pathTelemetryAPI  = "/2022-07-01/telemetry"
	suffixResponse    = "/response"
	suffixInvokeError = "/error"
)

// endpoint identifies one API operation.
type endpoint uint8

const (
	epNone endpoint = iota
	epNext
	epResponse
	epError
	epInitError
	epPing
	epExtRegister
	epExtNext
	epExtInitError
	epExtExitError
	epLogs
	epTelemetry
)

// method is the HTTP method the endpoint accepts.
func (ep endpoint) method() string {
	switch ep {
	case epNext, epPing, epExtNext:
		return http.MethodGet
	case epLogs, epTelemetry:
		return http.MethodPut
	}
	return http.MethodPost
}

// route maps a path to its endpoint and, for invocation answers, the
// request id it names. It allocates nothing.
func route(path string) (endpoint, string) {
	switch path {
	case pathNext:
		return epNext, ""
	case pathInitError:
		return epInitError, ""
	case pathPing:
		return epPing, ""
	case pathExtRegister:
		return epExtRegister, ""
	case pathExtNext:
		return epExtNext, ""
	case pathExtInitError:
		return epExtInitError, ""
	case pathExtExitError:
		return epExtExitError, ""
	case pathLogsAPI:
		return epLogs, ""
	case pathTelemetryAPI:
		return epTelemetry, ""
	}
	rest, ok := strings.CutPrefix(path, invocationPrefix)
	if !ok {
		return epNone, ""
	}
	if id, ok := strings.CutSuffix(rest, suffixResponse); ok && !strings.Contains(id, "/") {
		return epResponse, id
	}
	if id, ok := strings.CutSuffix(rest, suffixInvokeError); ok && !strings.Contains(id, "/") {
		return epError, id
	}
	return epNone, ""
}

// handler dispatches requests to the server's endpoint handlers. It is kept
// apart from Server so that the server cannot be mounted elsewhere, around
// its connection vetting.
type handler struct{ s *Server }

// ServeHTTP routes a request; unknown paths and methods get JSON errors.
func (h handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ep, id := route(r.URL.Path)
	if ep == epNone {
		newAPIError(http.StatusNotFound, apiNotFound, "Not found: %s %s", r.Method, r.URL.Path).write(w)
		return
	}
	if r.Method != ep.method() {
		w.Header().Set("Allow", ep.method())
		newAPIError(http.StatusMethodNotAllowed, apiMethodNotAllowed, "Method %s not allowed on %s", r.Method, r.URL.Path).write(w)
		return
	}
	s := h.s
	switch ep {
	case epNext:
		s.handleNext(w, r)
	case epResponse:
		s.handleResponse(w, r, id)
	case epError:
		s.handleInvocationError(w, r, id)
	case epInitError:
		s.handleInitError(w, r)
	case epPing:
		handlePing(w, r)
	case epExtRegister:
		s.handleExtRegister(w, r)
	case epExtNext:
		s.handleExtNext(w, r)
	case epExtInitError:
		s.handleExtInitError(w, r)
	case epExtExitError:
		s.handleExtExitError(w, r)
	case epLogs:
		handleLogsSubscribe(w, r)
	case epTelemetry:
		handleTelemetrySubscribe(w, r)
	}
}
