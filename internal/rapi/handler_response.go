package rapi

import (
	"encoding/base64"
	"errors"
	"net/http"
)

const (
	hdrResponseMode     = "Lambda-Runtime-Function-Response-Mode"
	hdrErrorType        = "Lambda-Runtime-Function-Error-Type"
	hdrErrorBody        = "Lambda-Runtime-Function-Error-Body" // trailer, base64
	responseModeStreams = "streaming"
)

// handleResponse serves POST /runtime/invocation/{id}/response.
func (s *Server) handleResponse(w http.ResponseWriter, r *http.Request, id string) {
	inv, apiErr := s.beginAnswer(id, rtEvResponse)
	if apiErr != nil {
		apiErr.write(w)
		return
	}
	mode := r.Header.Get(hdrResponseMode)
	if mode != "" && mode != responseModeStreams {
		f := &Failure{Type: ErrorTypeInvalidResponseMode, Message: msgInvalidMode}
		s.finishAnswer(inv, platformOutcome(id, f))
		newAPIError(http.StatusBadRequest, apiInvalidResponseMode, msgInvalidMode).write(w)
		return
	}
	body, err := readBody(r.Body, r.ContentLength, s.maxResp)
	if err != nil {
		s.rejectBody(w, inv, err)
		return
	}
	o := outcome{status: StatusOK, body: body, contentType: r.Header.Get("Content-Type"), responseMode: mode}
	// aws-lambda-go reports a response stream that failed midway in trailers.
	if t := r.Trailer.Get(hdrErrorType); t != "" {
		doc, _ := base64.StdEncoding.DecodeString(r.Trailer.Get(hdrErrorBody)) // undecodable: empty document
		o = outcome{status: StatusError, body: doc, contentType: contentTypeJSON,
			errorType: SanitizeErrorType(t), typeHeader: t, responseMode: mode}
	}
	s.finishAnswer(inv, o)
	writeAccepted(w)
}

// beginAnswer checks that id names the current invocation and moves the
// runtime into the answering state ev leads to.
func (s *Server) beginAnswer(id string, ev runtimeEvent) (*invocation, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// The request id is validated before the state, as RIE does: a stale or
	// unknown id is a 400 whatever the state.
	if s.cur == nil || id != s.cur.in.RequestID {
		return nil, newAPIError(http.StatusBadRequest, apiInvalidRequestID, msgInvalidRequestID)
	}
	from := s.rt.state
	if !s.rt.apply(ev) {
		return nil, runtimeTransitionError(from, ev.target())
	}
	s.broadcastLocked()
	return s.cur, nil
}

// finishAnswer records the answer (unless the invocation already has one,
// e.g. from an exit) and lets the runtime poll again.
func (s *Server) finishAnswer(inv *invocation, o outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rt.apply(rtEvSent) // refused only if the runtime exited meanwhile
	if !inv.abandoned {
		s.answerLocked(inv, o)
	}
	s.broadcastLocked()
}

// rejectBody ends an answer whose body could not be taken: too large
// (413, Function.ResponseSizeTooLarge) or cut short (400, Runtime.TruncatedResponse).
func (s *Server) rejectBody(w http.ResponseWriter, inv *invocation, err error) {
	if errors.Is(err, errTooLarge) {
		s.finishAnswer(inv, outcome{status: StatusError, body: responseTooLargeBody(s.maxResp),
			contentType: contentTypeJSON, errorType: ErrorTypeResponseSizeTooLarge})
		newAPIError(http.StatusRequestEntityTooLarge, apiRequestTooLarge, msgRequestTooLarge, s.maxResp).write(w)
		return
	}
	s.log.Warn("rapi: reading runtime answer", "requestId", inv.in.RequestID, "err", err)
	f := &Failure{Type: ErrorTypeTruncatedResponse, Message: msgTruncated}
	s.finishAnswer(inv, platformOutcome(inv.in.RequestID, f))
	newAPIError(http.StatusBadRequest, apiTruncatedRequest, msgTruncated).write(w)
}
