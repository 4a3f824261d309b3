package rapi

import "net/http"

// handleExtInitError serves POST /extension/init/error: the extension
// could not initialise, so init fails with Extension.InitError.
func (s *Server) handleExtInitError(w http.ResponseWriter, r *http.Request) {
	if apiErr := s.extensionError(r, extEvInitError, ErrorTypeExtensionInit, "failed to initialize"); apiErr != nil {
		apiErr.write(w)
		return
	}
	writeAccepted(w)
}

// handleExtExitError serves POST /extension/exit/error: the extension
// reports an error before exiting, and the environment fails with
// Extension.ExitError (unless it is shutting down anyway).
func (s *Server) handleExtExitError(w http.ResponseWriter, r *http.Request) {
	if apiErr := s.extensionError(r, extEvExitError, ErrorTypeExtensionExit, "reported an exit error"); apiErr != nil {
		apiErr.write(w)
		return
	}
	writeAccepted(w)
}

// extensionError moves the extension by ev and fails the environment.
func (s *Server) extensionError(r *http.Request, ev extEvent, failureType, what string) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, apiErr := s.extensionOfLocked(r)
	if apiErr != nil {
		return apiErr
	}
	typeHeader := r.Header.Get(hdrExtErrorType)
	if typeHeader == "" {
		return newAPIError(http.StatusForbidden, apiExtMissingHeader, msgMissingHeader, hdrExtErrorType)
	}
	from := e.state
	if !e.apply(ev) {
		return extensionTransitionError(from, ev.target(), e.id)
	}
	if !s.stopping {
		s.failLocked(&Failure{Type: failureType, TypeHeader: typeHeader,
			Message: "Extension " + e.name + " " + what + ": " + typeHeader})
	}
	s.broadcastLocked()
	return nil
}
