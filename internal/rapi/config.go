package rapi

import (
	"log/slog"
	"net"
	"time"
)

const (
	// DefaultAddr gives every environment a fresh loopback port.
	DefaultAddr = "127.0.0.1:0"
	// DefaultMaxResponseSize is the largest /response body accepted:
	// 6 MiB plus the 100 bytes of slack Lambda allows (6291556 bytes).
	DefaultMaxResponseSize = 6*1024*1024 + 100
	// MaxExtensions is Lambda's limit on registered extensions.
	MaxExtensions = 10

	// defaultShutdownGrace sets the SHUTDOWN event's deadlineMs when the
	// Shutdown context has no deadline (RIE resets with 2000 ms).
	defaultShutdownGrace = 2 * time.Second
	// maxXRayCauseSize bounds the X-Ray error cause kept from a runtime.
	maxXRayCauseSize = 64 * 1024
	// maxRegisterBody bounds the /extension/register document.
	maxRegisterBody = 64 * 1024
)

// Config describes one execution environment's API server.
type Config struct {
	// Addr is the TCP address to listen on; empty means DefaultAddr.
	Addr string
	// Listener, when set, is served instead of listening on Addr, e.g. a
	// listener opened inside the sandbox's network namespace. The server
	// owns it and closes it.
	Listener net.Listener
	// AcceptConn, when set, vets every accepted connection once (clients
	// keep connections alive); a rejected connection is closed unanswered.
	// It runs on the accept loop, so it should be quick.
	AcceptConn func(c net.Conn) bool

	// FunctionName, FunctionVersion and Handler are returned to extensions
	// on registration.
	FunctionName    string
	FunctionVersion string
	Handler         string
	// AccountID is returned to extensions that ask for the accountId
	// feature (Lambda-Extension-Accept-Feature).
	AccountID string

	// ExternalExtensions names the extension executables the supervisor
	// launches (file names in /opt/extensions). Only they may subscribe to
	// SHUTDOWN; any other registrant is an internal extension of the
	// runtime process. WaitRegistered waits for all of them.
	ExternalExtensions []string

	// MaxResponseSize bounds /response and /error bodies; 0 means
	// DefaultMaxResponseSize.
	MaxResponseSize int64

	// Logger receives diagnostics about misbehaving clients; nil discards.
	Logger *slog.Logger
	// Clock stamps results and phases; nil means time.Now.
	Clock func() time.Time
	// NewID makes extension and event identifiers, which must be UUIDs;
	// nil means random (version 4) UUIDs.
	NewID func() string
}

// maxResponse is the effective body limit of /response and /error.
func (c *Config) maxResponse() int64 {
	if c.MaxResponseSize > 0 {
		return c.MaxResponseSize
	}
	return DefaultMaxResponseSize
}

// isExternal reports whether name is one of the launched extensions.
func (c *Config) isExternal(name string) bool {
	for _, n := range c.ExternalExtensions {
		if n == name {
			return true
		}
	}
	return false
}
