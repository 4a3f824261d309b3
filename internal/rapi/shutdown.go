package rapi

import "context"

// Shutdown ends the environment gracefully: it refuses further invokes,
// sends SHUTDOWN (with ctx's deadline as deadlineMs) to the extensions
// subscribed to it, waits until each has polled /event/next again or exited,
// then closes the server as Close does. It returns ctx's error when the
// extensions did not finish in time; the server is closed either way.
func (s *Server) Shutdown(ctx context.Context, reason ShutdownReason) error {
	s.mu.Lock()
	if !s.stopping && !s.closed {
		s.stopping = true
		deadline, ok := ctx.Deadline()
		if !ok {
			deadline = s.now().Add(defaultShutdownGrace)
		}
		ev := shutdownEvent(reason, deadline)
		for _, e := range s.exts.list {
			if !e.shutdown || e.state.terminal() {
				continue
			}
			e.owesShutdown = true
			if e.box.post(ev) {
				e.deliverLocked(ev)
			}
		}
		s.broadcastLocked()
	}
	err := s.awaitLocked(ctx, s.shutdownAckedLocked)
	s.mu.Unlock()
	_ = s.Close()
	return err
}

// shutdownAckedLocked reports whether every extension sent SHUTDOWN is done
// with it: polled again, or gone.
func (s *Server) shutdownAckedLocked() (bool, error) {
	if s.closed {
		return true, nil
	}
	for _, e := range s.exts.list {
		if e.owesShutdown && !e.state.terminal() {
			return false, nil
		}
	}
	return true, nil
}
