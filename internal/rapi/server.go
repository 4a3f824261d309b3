package rapi

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server is the Runtime API and Extensions API of one execution environment.
// Its methods are safe for concurrent use.
type Server struct {
	cfg     Config
	log     *slog.Logger
	now     func() time.Time
	newID   func() string
	maxResp int64
	ln      net.Listener
	http    *http.Server

	done      chan struct{}  // closed by Close: releases every blocked poll
	serveDone chan struct{}  // closed when the accept loop has returned
	conns     sync.WaitGroup // live connections (their goroutines)
	closeOnce sync.Once

	// registerBody and registerBodyAccount are the /extension/register
	// answers, without and with the accountId feature.
	registerBody, registerBodyAccount []byte

	mu       sync.Mutex
	changed  chan struct{} // closed and dropped on every state change; made on demand
	closed   bool          // Close was called
	stopping bool          // Shutdown was called: no more invokes
	rt       runtimeFSM
	exts     registry
	init     initState
	cur      *invocation // the latest invocation, kept until the next one
	invoking bool        // an Invoke call is in progress
	broken   error       // first fatal problem; the environment is unusable
}

// New starts a server for one environment: it listens (on cfg.Listener, or
// cfg.Addr) and serves until Shutdown or Close.
func New(cfg Config) (*Server, error) {
	ln := cfg.Listener
	if ln == nil {
		addr := cfg.Addr
		if addr == "" {
			addr = DefaultAddr
		}
		var err error
		if ln, err = net.Listen("tcp", addr); err != nil {
			return nil, fmt.Errorf("rapi: listen: %w", err)
		}
	}
	if cfg.AcceptConn != nil {
		ln = &vettingListener{Listener: ln, accept: cfg.AcceptConn}
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:       cfg,
		log:       logger,
		now:       cfg.Clock,
		newID:     cfg.NewID,
		maxResp:   cfg.maxResponse(),
		ln:        ln,
		done:      make(chan struct{}),
		serveDone: make(chan struct{}),
		rt:        runtimeFSM{state: rtStarted, box: newMailbox[*invocation]()},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.newID == nil {
		s.newID = newUUID
	}
	s.registerBody, s.registerBodyAccount = registerResponses(&cfg)
	s.http = &http.Server{
		Handler:                      handler{s},
		ConnState:                    s.trackConn,
		ErrorLog:                     slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		DisableGeneralOptionsHandler: true,
	}
	go func() {
		defer close(s.serveDone)
		_ = s.http.Serve(ln) // returns ErrServerClosed after Close
	}()
	return s, nil
}

// Addr returns the host:port to give the runtime as AWS_LAMBDA_RUNTIME_API.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close stops the server at once: it closes the listener and every
// connection, ends every pending long poll and returns when all goroutines
// the server started have finished. Pending Invoke and wait calls return
// ErrClosed. Close is idempotent; it must not be called from a handler.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.broadcastLocked()
		s.mu.Unlock()
		// Connections go first so that released polls cannot answer anyone.
		_ = s.http.Close()
		close(s.done)
		<-s.serveDone
		s.conns.Wait()
	})
	return nil
}

// trackConn counts live connections so that Close can wait for their goroutines.
func (s *Server) trackConn(_ net.Conn, state http.ConnState) {
	switch state {
	case http.StateNew:
		s.conns.Add(1)
	case http.StateClosed, http.StateHijacked:
		s.conns.Done()
	}
}

// broadcastLocked wakes everybody waiting in awaitLocked. Every change of
// the state guarded by s.mu is followed by a broadcast.
func (s *Server) broadcastLocked() {
	if s.changed != nil {
		close(s.changed)
		s.changed = nil
	}
}

// awaitLocked blocks until check reports done, returning check's error, or
// until ctx ends. s.mu is held on entry and on return; check runs under it.
// This is a condition variable that also honours contexts.
func (s *Server) awaitLocked(ctx context.Context, check func() (bool, error)) error {
	for {
		if done, err := check(); done {
			return err
		}
		if s.changed == nil {
			s.changed = make(chan struct{})
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
			s.mu.Lock()
		case <-ctx.Done():
			s.mu.Lock()
			if done, err := check(); done { // it may have happened meanwhile
				return err
			}
			return ctx.Err()
		}
	}
}

// failLocked records a fatal problem: the environment cannot be used
// afterwards, and init fails if it was not over yet.
func (s *Server) failLocked(f *Failure) {
	if !s.init.done && s.init.failure == nil {
		s.init.failure = f
	}
	if s.broken == nil {
		s.broken = f
	}
	s.broadcastLocked()
}
