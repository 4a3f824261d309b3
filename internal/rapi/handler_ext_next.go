package rapi

import "net/http"

// handleExtNext serves GET /extension/event/next, an extension's long poll.
// Polling again acknowledges the event the extension held.
func (s *Server) handleExtNext(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	e, apiErr := s.extensionOfLocked(r)
	if apiErr != nil {
		s.mu.Unlock()
		apiErr.write(w)
		return
	}
	from := e.state
	if e.box.waiting || !e.apply(extEvNext) {
		s.mu.Unlock()
		extensionTransitionError(from, extReady, e.id).write(w)
		return
	}
	s.extensionPolledLocked(e, from)
	ev, ok := e.box.take()
	if ok {
		e.deliverLocked(ev)
	}
	s.broadcastLocked()
	s.mu.Unlock()

	if !ok {
		select {
		case ev = <-e.box.ch:
		case <-r.Context().Done():
			s.abandonExtensionPoll(e)
			return
		case <-s.done:
			return // the connection is already closed
		}
	}
	h := w.Header()
	h.Set(hdrExtEventID, s.newID())
	writeBody(w, http.StatusOK, contentTypeJSON, ev.body)
}

// extensionPolledLocked does the bookkeeping of a poll coming from state
// from: the first one ends the extension's init, one while holding an event
// acknowledges it.
func (s *Server) extensionPolledLocked(e *extension, from extState) {
	switch {
	case from == extRegistered:
		s.checkInitLocked()
	case from == extRunning && e.held == eventInvoke && e.owesInvoke:
		e.owesInvoke = false
		if inv := s.cur; inv != nil {
			inv.pendingExts--
			s.checkCompleteLocked(inv)
		}
	case from == extRunning && e.held == eventShutdown:
		e.owesShutdown = false
	}
	e.held = 0
}

// abandonExtensionPoll withdraws a poll whose client went away; an event
// handed to it was never written and is queued again.
func (s *Server) abandonExtensionPoll(e *extension) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ev, ok := e.box.cancel(); ok {
		e.apply(extEvUndeliver)
		e.held = 0
		e.box.unshift(ev)
	}
	s.broadcastLocked()
}

// extensionOfLocked finds the extension a request names in its
// Lambda-Extension-Identifier header.
func (s *Server) extensionOfLocked(r *http.Request) (*extension, *apiError) {
	id := r.Header.Get(hdrExtIdentifier)
	switch {
	case id == "":
		return nil, newAPIError(http.StatusForbidden, apiExtMissingID, msgMissingExtID)
	case !isUUID(id):
		return nil, newAPIError(http.StatusForbidden, apiExtInvalidID, msgInvalidExtID)
	}
	e := s.exts.byID(id)
	if e == nil {
		return nil, newAPIError(http.StatusForbidden, apiExtUnknownID, msgUnknownExtID, id)
	}
	return e, nil
}
