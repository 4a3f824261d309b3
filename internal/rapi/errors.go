package rapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// This file is the error taxonomy of the package: the error types and
// message formats of the API answers (what runtimes and extensions see), the
// function error types (what the invoke caller sees) and the Go errors of
// the platform-side methods.

// Function error types as the invoke caller sees them. Runtime-reported types
// are passed through when they match the sanitising rule of SanitizeErrorType.
const (
	ErrorTypeRuntimeExit          = "Runtime.ExitError"
	ErrorTypeRuntimeUnknown       = "Runtime.Unknown"
	ErrorTypeFunctionUnknown      = "Function.Unknown"
	ErrorTypeResponseSizeTooLarge = "Function.ResponseSizeTooLarge"
	ErrorTypeTruncatedResponse    = "Runtime.TruncatedResponse"
	ErrorTypeInvalidResponseMode  = "Runtime.InvalidResponseModeHeader"
	ErrorTypeSandboxTimedout      = "Sandbox.Timedout"
	ErrorTypeExtensionInit        = "Extension.InitError"
	ErrorTypeExtensionExit        = "Extension.ExitError"
	ErrorTypeExtensionCrash       = "Extension.Crash"
)

// Error types of the 4xx answers of the Runtime API.
const (
	apiInvalidStateTransition = "InvalidStateTransition"
	apiInvalidRequestID       = "InvalidRequestID"
	apiInvalidResponseMode    = "InvalidFunctionResponseMode"
	apiRequestTooLarge        = "RequestEntityTooLarge"
	apiTruncatedRequest       = "TruncatedHTTPRequest"
	apiNotFound               = "NotFound"
	apiMethodNotAllowed       = "MethodNotAllowed"
)

// Error types of the 4xx answers of the Extensions, Logs and Telemetry APIs.
const (
	apiExtMissingID          = "Extension.MissingExtensionIdentifier"
	apiExtInvalidID          = "Extension.InvalidExtensionIdentifier"
	apiExtUnknownID          = "Extension.UnknownExtensionIdentifier"
	apiExtInvalidName        = "Extension.InvalidExtensionName"
	apiExtRegistrationClosed = "Extension.RegistrationClosed"
	apiExtInvalidState       = "Extension.InvalidExtensionState"
	apiExtMissingHeader      = "Extension.MissingHeader"
	apiExtTooMany            = "Extension.TooManyExtensions"
	apiExtInvalidEventType   = "Extension.InvalidEventType"
	apiInvalidRequestFormat  = "InvalidRequestFormat"
	apiLogsNotSupported      = "Logs.NotSupported"
	apiTelemetryNotSupported = "Telemetry.NotSupported"
)

// Message texts and formats, as RIE words them.
const (
	msgRuntimeTransition   = "State transition from %s to %s failed for runtime. Error: %s"
	msgExtensionTransition = "State transition from %s to %s failed for extension %s. Error: %s"
	msgNotAllowed          = "State transition is not allowed"
	msgInvalidRequestID    = "Invalid request ID"
	msgInvalidMode         = "Invalid function response mode"
	msgRequestTooLarge     = "Exceeded maximum allowed payload size (%d bytes)."
	msgResponseTooLarge    = "Response payload size exceeded maximum allowed payload size (%d bytes)."
	msgTruncated           = "HTTP request detected as truncated"
	msgRuntimeExited       = "Runtime exited with error: "
	msgRuntimeNoReason     = "Runtime exited without providing a reason"
	msgInvalidErrorBody    = "Invalid error body"
	msgMissingExtID        = "Missing Lambda-Extension-Identifier header"
	msgInvalidExtID        = "Invalid Lambda-Extension-Identifier"
	msgUnknownExtID        = "Unknown extension %s"
	msgEmptyExtName        = "Empty extension name"
	msgRegistrationClosed  = "Extension registration closed already"
	msgDuplicateExtension  = "Extension with this name already registered"
	msgTooManyExtensions   = "Extension limit (%d) reached"
	msgDeprecatedConfig    = "configurationKeys are deprecated; use environment variables instead"
	msgInvalidEvent        = "%s: ErrorInvalidEventType"
	msgShutdownInternal    = "%s: ShutdownEventNotSupportedForInternalExtension"
	msgMissingHeader       = "%s not found"
	msgLogsNotSupported    = "Logs API is not supported"
	msgTelemetryNotSupp    = "Telemetry API is not supported"
)

// Go errors of the platform-side methods.
var (
	// ErrClosed is returned once the server is shutting down or closed.
	ErrClosed = errors.New("rapi: server closed")
	// ErrBusy is returned by Invoke while another Invoke call is running.
	ErrBusy = errors.New("rapi: another invoke is in progress")
	// ErrAbandoned wraps the context error of an invoke given up before the
	// runtime answered; the environment is unusable afterwards.
	ErrAbandoned = errors.New("rapi: invoke abandoned")
)

// Failure is a fatal error of the environment: init failed, the runtime or an
// extension exited or reported an unrecoverable error. It is returned as an
// error by the platform-side methods once it happened.
type Failure struct {
	// Type is the error type the invoke caller gets, e.g. Runtime.ExitError.
	Type string
	// TypeHeader is the error type exactly as the runtime or extension sent
	// it, empty for platform-detected failures.
	TypeHeader string
	// Message is the platform's description; empty when Body came from the runtime.
	Message string
	// Body is the runtime's own error document (from /init/error), verbatim.
	Body []byte
	// ContentType of Body.
	ContentType string
}

// Error describes the failure as "rapi: <type>: <message>".
func (f *Failure) Error() string {
	if f.Message != "" {
		return "rapi: " + f.Type + ": " + f.Message
	}
	return "rapi: " + f.Type
}

// Payload returns the document the invoke caller gets for this failure: the
// runtime's own body when it posted one, else the platform's JSON.
func (f *Failure) Payload(requestID string) []byte {
	if f.Body != nil {
		return f.Body
	}
	return PlatformErrorBody(requestID, f.Type, f.Message)
}

// PlatformErrorBody renders an error generated by the platform the way
// Lambda does: {"errorType":T,"errorMessage":"RequestId: <id> Error: <msg>"}.
// The prefix is left out when requestID is empty.
func PlatformErrorBody(requestID, errorType, message string) []byte {
	if requestID != "" {
		message = "RequestId: " + requestID + " Error: " + message
	}
	b, _ := json.Marshal(struct {
		Type    string `json:"errorType"`
		Message string `json:"errorMessage"`
	}{errorType, message}) // strings always marshal
	return b
}

// TimeoutMessage is Lambda's text for an invoke that ran out of time,
// e.g. "Task timed out after 1.00 seconds"; it goes with ErrorTypeSandboxTimedout.
func TimeoutMessage(timeout time.Duration) string {
	return "Task timed out after " + strconv.FormatFloat(timeout.Seconds(), 'f', 2, 64) + " seconds"
}

// runtimeExitMessage words a runtime exit status ("exit status 3",
// "signal: killed") the way Lambda reports it.
func runtimeExitMessage(status string) string {
	if status == "" {
		return msgRuntimeNoReason
	}
	return msgRuntimeExited + status
}

// responseTooLargeBody is the caller's document for an oversized response;
// unlike platform errors it has no RequestId prefix (measured on Lambda).
func responseTooLargeBody(limit int64) []byte {
	b, _ := json.Marshal(struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}{fmt.Sprintf(msgResponseTooLarge, limit), ErrorTypeResponseSizeTooLarge})
	return b
}

// SanitizeErrorType maps an error type header of a runtime to the type the
// platform records: "(Runtime|Function).Xxx" passes, anything else becomes
// Function.Unknown (for a "Function." prefix) or Runtime.Unknown. Unlike
// RIE's unanchored regular expression, the whole value must match.
func SanitizeErrorType(t string) string {
	if name, ok := strings.CutPrefix(t, "Runtime."); ok && validTypeName(name) {
		return t
	}
	name, ok := strings.CutPrefix(t, "Function.")
	switch {
	case ok && validTypeName(name):
		return t
	case ok:
		return ErrorTypeFunctionUnknown
	}
	return ErrorTypeRuntimeUnknown
}

// validTypeName reports whether s matches [A-Z][a-zA-Z]+.
func validTypeName(s string) bool {
	if len(s) < 2 || s[0] < 'A' || s[0] > 'Z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// apiError is a 4xx/5xx answer of the APIs.
type apiError struct {
	status int
	typ    string
	msg    string
}

// newAPIError builds an answer; format is used as is without args.
func newAPIError(status int, typ, format string, args ...any) *apiError {
	if len(args) > 0 {
		format = fmt.Sprintf(format, args...)
	}
	return &apiError{status: status, typ: typ, msg: format}
}

// runtimeTransitionError is the 403 for a runtime call its state forbids.
func runtimeTransitionError(from, to runtimeState) *apiError {
	return newAPIError(http.StatusForbidden, apiInvalidStateTransition, msgRuntimeTransition, from, to, msgNotAllowed)
}

// extensionTransitionError is the 403 for an extension call its state
// forbids; who is the name (register) or identifier (other calls), as in RIE.
func extensionTransitionError(from, to extState, who string) *apiError {
	return newAPIError(http.StatusForbidden, apiExtInvalidState, msgExtensionTransition, from, to, who, msgNotAllowed)
}
