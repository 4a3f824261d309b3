package rapi

import (
	"encoding/json"
	"net/http"
)

const (
	hdrXRayErrorCause     = "Lambda-Runtime-Function-Xray-Error-Cause"
	contentTypeErrorCause = "application/vnd.aws.lambda.error.cause+json"
)

// handleInvocationError serves POST /runtime/invocation/{id}/error. The
// body is kept verbatim: every client has its own document shape.
func (s *Server) handleInvocationError(w http.ResponseWriter, r *http.Request, id string) {
	inv, apiErr := s.beginAnswer(id, rtEvError)
	if apiErr != nil {
		apiErr.write(w)
		return
	}
	body, err := readBody(r.Body, r.ContentLength, s.maxResp)
	if err != nil {
		s.rejectBody(w, inv, err)
		return
	}
	typeHeader := r.Header.Get(hdrErrorType)
	o := outcome{
		status:       StatusError,
		errorType:    SanitizeErrorType(typeHeader),
		typeHeader:   typeHeader,
		responseMode: r.Header.Get(hdrResponseMode),
	}
	if ct := r.Header.Get("Content-Type"); ct == contentTypeErrorCause {
		o.body, o.contentType, o.xrayCause = splitErrorCause(body)
	} else {
		o.body, o.contentType, o.xrayCause = body, ct, validXRayCause([]byte(r.Header.Get(hdrXRayErrorCause)))
	}
	s.finishAnswer(inv, o)
	writeAccepted(w)
}

// handleInitError serves POST /runtime/init/error: init failed, the
// environment is done for. The body is the document later invokes return.
func (s *Server) handleInitError(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	from := s.rt.state
	ok := s.rt.apply(rtEvInitError)
	s.broadcastLocked()
	s.mu.Unlock()
	if !ok {
		runtimeTransitionError(from, rtInitError).write(w)
		return
	}
	body, err := readBody(r.Body, r.ContentLength, s.maxResp)
	if err != nil {
		s.log.Warn("rapi: reading init error", "err", err)
		body = []byte{}
	}
	typeHeader := r.Header.Get(hdrErrorType)
	contentType := contentTypeOctetStream
	if json.Valid(body) {
		contentType = contentTypeJSON
	}
	s.mu.Lock()
	s.failLocked(&Failure{Type: SanitizeErrorType(typeHeader), TypeHeader: typeHeader, Body: body, ContentType: contentType})
	s.mu.Unlock()
	writeAccepted(w)
}

// errorWithCause is the error document of the error-cause content type:
// the caller gets the error without its errorCause, X-Ray gets the cause.
type errorWithCause struct {
	ErrorMessage string          `json:"errorMessage"`
	ErrorType    string          `json:"errorType"`
	StackTrace   json.RawMessage `json:"stackTrace,omitempty"`
	ErrorCause   json.RawMessage `json:"errorCause,omitempty"`
}

// splitErrorCause parses an error-cause document into the caller's error
// document and the X-Ray cause; an unparsable one becomes RIE's
// "Invalid error body".
func splitErrorCause(body []byte) (doc []byte, contentType string, cause []byte) {
	var e errorWithCause
	if err := json.Unmarshal(body, &e); err != nil {
		doc, _ = json.Marshal(msgInvalidErrorBody)
		return doc, contentTypeOctetStream, nil
	}
	cause = validXRayCause(e.ErrorCause)
	e.ErrorCause = nil
	doc, _ = json.Marshal(e) // re-marshals what was just parsed
	return doc, contentTypeJSON, cause
}

// validXRayCause keeps an X-Ray error cause that is JSON and small enough;
// RIE crops oversized causes, lambkin drops them.
func validXRayCause(cause []byte) []byte {
	if len(cause) == 0 || len(cause) > maxXRayCauseSize || !json.Valid(cause) {
		return nil
	}
	return cause
}
