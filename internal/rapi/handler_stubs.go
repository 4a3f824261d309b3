package rapi

import (
	"io"
	"net/http"
)

// handlePing serves GET /ping, which RIE keeps "for Hyrum's law".
func handlePing(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = io.WriteString(w, "pong")
}

// handleLogsSubscribe serves PUT /logs. Like RIE, lambkin does not deliver
// logs to extensions yet; it answers 202 with a Logs.NotSupported document
// so that extensions carry on without crashing.
func handleLogsSubscribe(w http.ResponseWriter, _ *http.Request) {
	writeBody(w, http.StatusAccepted, contentTypeJSON, errorDoc(msgLogsNotSupported, apiLogsNotSupported))
}

// handleTelemetrySubscribe serves PUT /telemetry, stubbed as RIE does
// (202 Telemetry.NotSupported) for the same reason as the Logs API.
func handleTelemetrySubscribe(w http.ResponseWriter, _ *http.Request) {
	writeBody(w, http.StatusAccepted, contentTypeJSON, errorDoc(msgTelemetryNotSupp, apiTelemetryNotSupported))
}
