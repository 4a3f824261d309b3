package rapi

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
)

const (
	contentTypeJSON        = "application/json"
	contentTypeOctetStream = "application/octet-stream"
	acceptedBody           = `{"status":"OK"}`
)

// writeBody writes a complete answer with an explicit length, so that
// keep-alive connections never fall back to chunked encoding.
func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	setHeaders(w.Header(), "Content-Type", contentType, "Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body) // a vanished client is not the server's problem
}

// writeAccepted answers 202 {"status":"OK"}.
func writeAccepted(w http.ResponseWriter) {
	setHeaders(w.Header(), "Content-Type", contentTypeJSON, "Content-Length", strconv.Itoa(len(acceptedBody)))
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, acceptedBody)
}

// setHeaders sets single-valued headers from key, value pairs, leaving out
// empty values. All values share one allocation, which matters on the
// invoke path. Keys must be in canonical form.
func setHeaders(h http.Header, kv ...string) {
	vals := make([]string, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			continue
		}
		vals = append(vals, kv[i+1])
		n := len(vals)
		h[kv[i]] = vals[n-1 : n : n]
	}
}

// write sends the error as {"errorMessage":..,"errorType":..}.
func (e *apiError) write(w http.ResponseWriter) {
	writeBody(w, e.status, contentTypeJSON, errorDoc(e.msg, e.typ))
}

// errorDoc renders the error document every API answers with.
func errorDoc(message, errorType string) []byte {
	b, _ := json.Marshal(struct {
		Message string `json:"errorMessage"`
		Type    string `json:"errorType"`
	}{message, errorType}) // strings always marshal
	return b
}

// registerResponses renders the /extension/register answers once.
func registerResponses(cfg *Config) (plain, withAccount []byte) {
	type doc struct {
		FunctionName    string `json:"functionName"`
		FunctionVersion string `json:"functionVersion"`
		Handler         string `json:"handler"`
		AccountID       string `json:"accountId,omitempty"`
	}
	d := doc{FunctionName: cfg.FunctionName, FunctionVersion: cfg.FunctionVersion, Handler: cfg.Handler}
	plain, _ = json.Marshal(d)
	d.AccountID = cfg.AccountID
	withAccount, _ = json.Marshal(d)
	return plain, withAccount
}
