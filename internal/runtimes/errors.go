package runtimes

import "errors"

// Errors callers can test with errors.Is.
var (
	// ErrUnknownRuntime: the runtime identifier is not one the catalog
	// knows (the service rejects those before asking).
	ErrUnknownRuntime = errors.New("unknown runtime identifier")
	// ErrUnknownVersion: no version of the runtime has that label or ARN.
	ErrUnknownVersion = errors.New("unknown runtime version")
	// ErrAlreadyRegistered: Add found the interpreter already registered
	// for the runtime; the existing version is returned with it.
	ErrAlreadyRegistered = errors.New("interpreter already registered")
	// ErrClosed: the catalog was closed.
	ErrClosed = errors.New("runtime catalog closed")
)

// UnavailableError says why a runtime (or one of its versions) cannot run
// on this host. Reason is a complete sentence for users: the service puts
// it in StateReason with StateReasonCode InvalidRuntime.
type UnavailableError struct {
	Runtime string
	Reason  string
}

func (e *UnavailableError) Error() string { return e.Reason }
