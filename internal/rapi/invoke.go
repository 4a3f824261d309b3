package rapi

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Invocation is one event for the function.
type Invocation struct {
	RequestID          string
	Payload            []byte    // not copied: do not modify it once passed to Invoke
	ContentType        string    // of Payload; empty means application/json
	Deadline           time.Time // needed: aws-lambda-go and the Node client fail without it
	InvokedFunctionArn string
	TraceID            string // Root=1-...;Parent=...;Sampled=1
	ClientContext      string // decoded JSON (the Invoke API sends it base64)
	CognitoIdentity    string // JSON {"cognitoIdentityId":..,"cognitoIdentityPoolId":..}
	TenantID           string
}

// Status is the kind of an invocation's outcome.
type Status uint8

const (
	// StatusOK: the runtime posted /response.
	StatusOK Status = iota
	// StatusError: the runtime posted /error, or the platform failed the
	// invocation (oversized response, runtime exit, ...); see Result.ErrorType.
	StatusError
)

// String returns "ok" or "error".
func (s Status) String() string {
	if s == StatusOK {
		return "ok"
	}
	return "error"
}

// Result is the outcome of an invocation, as soon as the runtime answered.
// Its fields do not change after Invoke returned it.
type Result struct {
	RequestID string
	Status    Status
	// Body is what the caller gets: the runtime's document verbatim, or the
	// platform's error document.
	Body []byte
	// ContentType is the runtime's Content-Type for Body (may be empty), or
	// application/json for platform documents.
	ContentType string
	// ErrorType is set for StatusError: the runtime's sanitised type (see
	// SanitizeErrorType) or a platform type such as Runtime.ExitError.
	ErrorType string
	// ErrorTypeHeader is the Lambda-Runtime-Function-Error-Type the runtime
	// sent, verbatim (empty for clients that send none, like aws-lambda-go).
	ErrorTypeHeader string
	// XRayErrorCause is the runtime's X-Ray error cause, when valid JSON.
	XRayErrorCause []byte
	// ResponseMode is "streaming" when the runtime declared it.
	ResponseMode string

	Dispatched time.Time // Invoke handed the event over
	Delivered  time.Time // the runtime's /next received it (zero if never)
	Answered   time.Time // the answer was complete

	srv *Server
	inv *invocation
}

// invocation is the server's record of one Invoke call.
type invocation struct {
	in         Invocation
	deadlineMs string // Lambda-Runtime-Deadline-Ms, empty without a deadline
	res        Result

	answered    bool // res is final
	abandoned   bool // Invoke gave up waiting
	runtimeBack bool // the runtime polled /next after answering
	pendingExts int  // INVOKE subscribers that have not polled again
	complete    bool
	completeAt  time.Time
}

// outcome is an answer for an invocation, from the runtime or the platform.
type outcome struct {
	status       Status
	body         []byte
	contentType  string
	errorType    string
	typeHeader   string
	xrayCause    []byte
	responseMode string
}

// platformOutcome is the invocation result for a failure the platform saw.
func platformOutcome(requestID string, f *Failure) outcome {
	return outcome{status: StatusError, body: f.Payload(requestID), contentType: contentTypeJSON, errorType: f.Type}
}

// Invoke runs one invocation: it waits until the environment is ready (init
// done and the previous invoke complete), hands the event to the runtime's
// pending or next /next, sends INVOKE to subscribed extensions and returns
// once the runtime answered. Only one Invoke may run at a time (ErrBusy).
//
// A runtime that exits before answering yields a Runtime.ExitError result.
// When ctx ends while the runtime holds the event, Invoke returns an error
// wrapping ErrAbandoned and ctx.Err(), and the environment is unusable; when
// it ends before the event was handed over, Invoke returns ctx.Err() and the
// environment is left as it was. A *Failure error means the environment had
// already failed (init error, exited runtime, ...).
func (s *Server) Invoke(ctx context.Context, in *Invocation) (*Result, error) {
	if in == nil || in.RequestID == "" {
		return nil, errors.New("rapi: invocation without request id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.invoking {
		return nil, ErrBusy
	}
	s.invoking = true
	s.broadcastLocked()
	defer func() {
		s.invoking = false
		s.broadcastLocked()
	}()

	if err := s.awaitLocked(ctx, s.readyForInvokeLocked); err != nil {
		return nil, err
	}
	inv := s.dispatchLocked(in)
	err := s.awaitLocked(ctx, func() (bool, error) {
		switch {
		case inv.answered:
			return true, nil
		case s.closed:
			return true, ErrClosed
		}
		return false, nil
	})
	if err == nil {
		return &inv.res, nil
	}
	if !s.closed {
		inv.abandoned = true
		err = fmt.Errorf("%w: request %s: %w", ErrAbandoned, in.RequestID, err)
		if s.broken == nil {
			s.broken = err
		}
		s.broadcastLocked()
	}
	return nil, err
}

// readyForInvokeLocked is the condition for starting an invocation.
func (s *Server) readyForInvokeLocked() (bool, error) {
	switch {
	case s.closed || s.stopping:
		return true, ErrClosed
	case s.init.failure != nil:
		return true, s.init.failure
	case s.broken != nil:
		return true, s.broken
	case !s.init.done:
		return false, nil
	case s.cur != nil && !s.cur.complete:
		return false, nil
	}
	return true, nil
}

// dispatchLocked makes in the current invocation and posts it to the runtime
// and to the extensions subscribed to INVOKE.
func (s *Server) dispatchLocked(in *Invocation) *invocation {
	inv := &invocation{in: *in}
	if !in.Deadline.IsZero() {
		inv.deadlineMs = strconv.FormatInt(in.Deadline.UnixMilli(), 10)
	}
	inv.res = Result{RequestID: in.RequestID, Dispatched: s.now(), srv: s, inv: inv}
	s.cur = inv
	if s.rt.box.post(inv) {
		s.deliverLocked(inv)
	}
	var ev event
	for _, e := range s.exts.list {
		if !e.invoke || e.state.terminal() {
			continue
		}
		if ev.body == nil {
			ev = invokeEvent(in)
		}
		e.owesInvoke = true
		inv.pendingExts++
		if e.box.post(ev) {
			e.deliverLocked(ev)
		}
	}
	s.broadcastLocked()
	return inv
}

// deliverLocked records that the runtime's poll now holds inv.
func (s *Server) deliverLocked(inv *invocation) {
	if !s.rt.apply(rtEvDeliver) {
		s.log.Warn("rapi: invocation handed over in unexpected state", "state", s.rt.state)
	}
	inv.res.Delivered = s.now()
}

// answerLocked makes o the invocation's result, unless it already has one.
func (s *Server) answerLocked(inv *invocation, o outcome) {
	if inv == nil || inv.answered {
		return
	}
	inv.answered = true
	r := &inv.res
	r.Status, r.Body, r.ContentType = o.status, o.body, o.contentType
	r.ErrorType, r.ErrorTypeHeader, r.XRayErrorCause = o.errorType, o.typeHeader, o.xrayCause
	r.ResponseMode = o.responseMode
	r.Answered = s.now()
	s.checkCompleteLocked(inv)
	s.broadcastLocked()
}

// checkCompleteLocked ends the invoke phase once the runtime answered and
// polled again, and every INVOKE subscriber polled again.
func (s *Server) checkCompleteLocked(inv *invocation) {
	if inv.complete || !inv.answered || !inv.runtimeBack || inv.pendingExts > 0 {
		return
	}
	inv.complete = true
	inv.completeAt = s.now()
	s.broadcastLocked()
}

// WaitComplete waits for the end of the invoke phase: the runtime polled
// /next again and every extension subscribed to INVOKE polled
// /event/next again. The environment takes the next Invoke only then (Invoke
// waits for it itself); until then the function may still be running. It
// returns when that happened, or the *Failure (or abandonment) that ended
// the environment first, e.g. a runtime that exits after posting /error.
func (r *Result) WaitComplete(ctx context.Context) (time.Time, error) {
	s, inv := r.srv, r.inv
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.awaitLocked(ctx, func() (bool, error) {
		switch {
		case inv.complete:
			return true, nil
		case s.broken != nil:
			return true, s.broken
		case s.closed:
			return true, ErrClosed
		}
		return false, nil
	})
	if err != nil {
		return time.Time{}, err
	}
	return inv.completeAt, nil
}
