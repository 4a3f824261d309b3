package rapi

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"time"
)

// ShutdownReason is the shutdownReason of a SHUTDOWN event.
type ShutdownReason string

// Shutdown reasons Lambda sends.
const (
	ShutdownSpindown ShutdownReason = "spindown"
	ShutdownTimeout  ShutdownReason = "timeout"
	ShutdownFailure  ShutdownReason = "failure"
)

type tracing struct {
	Type  string `json:"type"`
	Value string `json:"value"`
}

type invokeEventDoc struct {
	EventType          string  `json:"eventType"`
	DeadlineMs         int64   `json:"deadlineMs"`
	RequestID          string  `json:"requestId"`
	InvokedFunctionArn string  `json:"invokedFunctionArn"`
	Tracing            tracing `json:"tracing"`
}

type shutdownEventDoc struct {
	EventType      string         `json:"eventType"`
	DeadlineMs     int64          `json:"deadlineMs"`
	ShutdownReason ShutdownReason `json:"shutdownReason"`
}

// invokeEvent renders the INVOKE event of an invocation.
func invokeEvent(in *Invocation) event {
	body, _ := json.Marshal(invokeEventDoc{
		EventType:          "INVOKE",
		DeadlineMs:         epochMs(in.Deadline),
		RequestID:          in.RequestID,
		InvokedFunctionArn: in.InvokedFunctionArn,
		Tracing:            tracing{Type: "X-Amzn-Trace-Id", Value: in.TraceID},
	}) // plain strings and numbers always marshal
	return event{kind: eventInvoke, body: body}
}

// shutdownEvent renders the SHUTDOWN event.
func shutdownEvent(reason ShutdownReason, deadline time.Time) event {
	body, _ := json.Marshal(shutdownEventDoc{
		EventType:      "SHUTDOWN",
		DeadlineMs:     epochMs(deadline),
		ShutdownReason: reason,
	})
	return event{kind: eventShutdown, body: body}
}

// epochMs is t in Unix milliseconds, 0 for the zero time.
func epochMs(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// newUUID returns a random (version 4) UUID in its canonical text form.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (it crashes instead)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	var s [36]byte
	hex.Encode(s[0:8], b[0:4])
	hex.Encode(s[9:13], b[4:6])
	hex.Encode(s[14:18], b[6:8])
	hex.Encode(s[19:23], b[8:10])
	hex.Encode(s[24:], b[10:])
	s[8], s[13], s[18], s[23] = '-', '-', '-', '-'
	return string(s[:])
}

// isUUID reports whether s is a UUID in canonical text form.
func isUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
