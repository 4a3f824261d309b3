package rapi

import (
	"context"
	"net/http"
	"strconv"
	"time"
)

// Headers of the /next answer, in canonical form.
const (
	hdrRequestID       = "Lambda-Runtime-Aws-Request-Id"
	hdrDeadlineMs      = "Lambda-Runtime-Deadline-Ms"
	hdrFunctionArn     = "Lambda-Runtime-Invoked-Function-Arn"
	hdrTraceID         = "Lambda-Runtime-Trace-Id"
	hdrClientContext   = "Lambda-Runtime-Client-Context"
	hdrCognitoIdentity = "Lambda-Runtime-Cognito-Identity"
	hdrTenantID        = "Lambda-Runtime-Aws-Tenant-Id"
)

// handleNext serves GET /runtime/invocation/next, the runtime's long poll.
// It never times out; it ends with an invocation, or unanswered when the
// client goes away or the server closes.
func (s *Server) handleNext(w http.ResponseWriter, r *http.Request) {
	s.awaitExtensionsBeforeFirstNext(r.Context())
	s.mu.Lock()
	from := s.rt.state
	if s.rt.box.waiting || !s.rt.apply(rtEvNext) {
		s.mu.Unlock()
		runtimeTransitionError(from, rtReady).write(w)
		return
	}
	s.runtimePolledLocked(from)
	inv, ok := s.rt.box.take()
	if ok {
		s.deliverLocked(inv)
	}
	s.broadcastLocked()
	s.mu.Unlock()

	if !ok {
		select {
		case inv = <-s.rt.box.ch:
		case <-r.Context().Done():
			s.abandonRuntimePoll()
			return
		case <-s.done:
			return // the connection is already closed
		}
	}
	writeInvocation(w, inv)
}

// extensionRegistrationWait bounds how long the runtime's first /next waits
// for the external extensions to register (Lambda's init limit).
const extensionRegistrationWait = 10 * time.Second

// awaitExtensionsBeforeFirstNext holds the runtime's first /next until the
// external extensions have registered. Lambda starts the runtime only after
// they did; lambkin starts both at once, so without this a fast runtime
// would close registration before a slower extension got to it.
func (s *Server) awaitExtensionsBeforeFirstNext(ctx context.Context) {
	s.mu.Lock()
	first := s.rt.state == rtStarted && len(s.cfg.ExternalExtensions) > 0
	s.mu.Unlock()
	if !first {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, extensionRegistrationWait)
	defer cancel()
	s.WaitRegistered(ctx) // on failure or timeout, registration closes as usual
}

// runtimePolledLocked does the bookkeeping of a /next coming from state from:
// the first one ends the runtime's init, one after an answer ends its part
// of the invoke phase.
func (s *Server) runtimePolledLocked(from runtimeState) {
	switch from {
	case rtStarted:
		s.init.runtimeReadyAt = s.now()
		s.checkInitLocked()
	case rtResponseSent:
		if inv := s.cur; inv != nil {
			inv.runtimeBack = true
			s.checkCompleteLocked(inv)
		}
	}
}

// abandonRuntimePoll withdraws a /next whose client went away. An event
// already handed to it was never written, so it is queued again.
func (s *Server) abandonRuntimePoll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if inv, ok := s.rt.box.cancel(); ok {
		s.rt.apply(rtEvUndeliver)
		s.rt.box.unshift(inv)
	}
	s.broadcastLocked()
}

// writeInvocation answers a /next with the event and its context headers;
// optional headers are only set when non-empty, as Lambda does.
func writeInvocation(w http.ResponseWriter, inv *invocation) {
	in := &inv.in
	contentType := in.ContentType
	if contentType == "" {
		contentType = contentTypeJSON
	}
	setHeaders(w.Header(),
		hdrRequestID, in.RequestID,
		hdrDeadlineMs, inv.deadlineMs,
		hdrFunctionArn, in.InvokedFunctionArn,
		hdrTraceID, in.TraceID,
		hdrClientContext, in.ClientContext,
		hdrCognitoIdentity, in.CognitoIdentity,
		hdrTenantID, in.TenantID,
		"Content-Type", contentType,
		"Content-Length", strconv.Itoa(len(in.Payload)),
	)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(in.Payload)
}
