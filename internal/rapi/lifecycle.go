package rapi

import (
	"context"
	"time"
)

// initState tracks the Init phase: it is over when the runtime has polled
// /next once and every registered extension has polled /event/next once.
type initState struct {
	runtimeReadyAt time.Time // first /next
	done           bool
	doneAt         time.Time
	failure        *Failure
}

// InitResult is the outcome of the Init phase.
type InitResult struct {
	// Err is why init failed: the runtime's /init/error document, a runtime
	// or extension exit, an extension's init or exit error. Nil on success.
	Err            *Failure
	RuntimeReadyAt time.Time // the runtime's first /next (zero if none)
	DoneAt         time.Time // init completed (zero on failure)
	Extensions     []ExtensionInfo
}

// WaitInit waits for the end of the Init phase and reports how it ended.
// The error is ctx's or ErrClosed; a failed init is reported in InitResult.Err.
func (s *Server) WaitInit(ctx context.Context) (InitResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.awaitLocked(ctx, func() (bool, error) {
		switch {
		case s.init.done || s.init.failure != nil:
			return true, nil
		case s.closed:
			return true, ErrClosed
		}
		return false, nil
	})
	if err != nil {
		return InitResult{}, err
	}
	return InitResult{
		Err:            s.init.failure,
		RuntimeReadyAt: s.init.runtimeReadyAt,
		DoneAt:         s.init.doneAt,
		Extensions:     s.exts.infos(),
	}, nil
}

// WaitRegistered waits until every extension of Config.ExternalExtensions
// has registered, which is when Lambda starts the runtime. It returns the
// init *Failure if one happened first (e.g. an extension exited).
func (s *Server) WaitRegistered(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.awaitLocked(ctx, func() (bool, error) {
		switch {
		case s.init.failure != nil:
			return true, s.init.failure
		case s.closed:
			return true, ErrClosed
		}
		for _, name := range s.cfg.ExternalExtensions {
			if s.exts.byName(name) == nil {
				return false, nil
			}
		}
		return true, nil
	})
}

// RuntimeExited tells the server that the runtime process exited; status is
// the exit text, e.g. "exit status 3" or "signal: killed" (empty: unknown).
// An unanswered invocation gets a Runtime.ExitError result, unfinished init
// fails, and the environment is unusable.
func (s *Server) RuntimeExited(status string) {
	s.RuntimeFailed(ErrorTypeRuntimeExit, runtimeExitMessage(status))
}

// RuntimeFailed is RuntimeExited with an error type and message of the
// supervisor's choosing, e.g. Runtime.OutOfMemory after an OOM kill. The
// first report of a failure wins; later ones do not change results.
func (s *Server) RuntimeFailed(errorType, message string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rt.apply(rtEvExit)
	f := &Failure{Type: errorType, Message: message}
	if inv := s.cur; inv != nil && !inv.answered && !inv.abandoned {
		s.answerLocked(inv, platformOutcome(inv.in.RequestID, f))
	}
	s.failLocked(f)
}

// ExtensionExited tells the server that the process of an external
// extension exited, with its exit text. During Shutdown that is expected;
// otherwise it is an Extension.Crash that ends the environment.
func (s *Server) ExtensionExited(name, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.exts.byName(name)
	if e != nil {
		e.apply(extEvExit)
		s.broadcastLocked()
	}
	if s.stopping || s.closed {
		return
	}
	if e == nil && !s.cfg.isExternal(name) {
		return // not one of ours
	}
	s.failLocked(&Failure{Type: ErrorTypeExtensionCrash, Message: "Extension " + name + " exited: " + status})
}

// registrationOpenLocked reports whether extensions may still register:
// only during Init, until the runtime first polls /next.
func (s *Server) registrationOpenLocked() bool {
	return s.rt.state == rtStarted && s.init.failure == nil && !s.closed && !s.stopping
}

// checkInitLocked ends the Init phase once everyone polled.
func (s *Server) checkInitLocked() {
	if s.init.done || s.init.failure != nil || s.init.runtimeReadyAt.IsZero() {
		return
	}
	for _, e := range s.exts.list {
		if e.state == extRegistered {
			return
		}
	}
	s.init.done = true
	s.init.doneAt = s.now()
	s.broadcastLocked()
}
