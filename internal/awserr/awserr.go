// Package awserr defines the error value that every layer of lambkin returns
// when a request must fail the way AWS Lambda fails it. The HTTP front turns
// it into the wire form (status, x-amzn-ErrorType, JSON body); the layers
// below only decide code, status and message.
package awserr

import "net/http"

// Error is an AWS-shaped API error.
type Error struct {
	Code    string // x-amzn-ErrorType, e.g. ResourceNotFoundException
	Status  int    // HTTP status
	Message string
	// Type is the body's "Type" member ("User", "Service"); empty omits it,
	// as AWS does for validation and quota errors.
	Type string
	// UpperMessage selects the body key "Message" instead of "message";
	// the casing follows the exception's shape in the service model.
	UpperMessage bool
	// Reason is the TooManyRequestsException "Reason" member.
	Reason string
	// RetryAfterSeconds, when positive, is sent as the Retry-After header.
	RetryAfterSeconds int
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// User returns a client error with Type "User" and a lower-case message key.
func User(status int, code, msg string) *Error {
	return &Error{Code: code, Status: status, Message: msg, Type: "User"}
}

// Validation returns the generic ValidationException (400, no Type).
func Validation(msg string) *Error {
	return &Error{Code: "ValidationException", Status: http.StatusBadRequest, Message: msg}
}

// InvalidParameter returns a 400 InvalidParameterValueException with Type "User".
func InvalidParameter(msg string) *Error {
	return User(http.StatusBadRequest, "InvalidParameterValueException", msg)
}

// InvalidParameterNoType returns a 400 InvalidParameterValueException without
// the Type member, as AWS sends for its quota-style checks.
func InvalidParameterNoType(msg string) *Error {
	return &Error{Code: "InvalidParameterValueException", Status: http.StatusBadRequest, Message: msg}
}

// NotFound returns a 404 ResourceNotFoundException ("Message" key, Type "User").
func NotFound(msg string) *Error {
	return &Error{Code: "ResourceNotFoundException", Status: http.StatusNotFound, Message: msg, Type: "User", UpperMessage: true}
}

// Conflict returns a 409 ResourceConflictException.
func Conflict(msg string) *Error {
	return User(http.StatusConflict, "ResourceConflictException", msg)
}

// PreconditionFailed returns a 412 PreconditionFailedException.
func PreconditionFailed(msg string) *Error {
	return User(http.StatusPreconditionFailed, "PreconditionFailedException", msg)
}

// Service returns a 500 ServiceException for failures that are lambkin's own.
func Service(msg string) *Error {
	return &Error{Code: "ServiceException", Status: http.StatusInternalServerError, Message: msg, Type: "Service", UpperMessage: true}
}

// TooManyRequests returns a 429 TooManyRequestsException with a Reason.
func TooManyRequests(msg, reason string) *Error {
	return &Error{Code: "TooManyRequestsException", Status: http.StatusTooManyRequests, Message: msg, Type: "User", Reason: reason}
}
