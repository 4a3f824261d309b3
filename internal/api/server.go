// Package api is lambkin's HTTP front: it routes Lambda's REST-JSON requests
// to operations (from the generated model), binds and validates their input,
// calls the service, and writes outputs and errors exactly as AWS shapes
// them. Everything lambkin adds of its own lives under /_lambkin/.
package api

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"strings"

	"github.com/lambkin/lambkin/internal/api/model"
	"github.com/lambkin/lambkin/internal/api/validate"
	"github.com/lambkin/lambkin/internal/awserr"
	"github.com/lambkin/lambkin/internal/ids"
	"github.com/lambkin/lambkin/internal/lambda"
)

// Options configure a Server.
type Options struct {
	Region  string // default region, when a request names none
	Account string
	Log     *slog.Logger
	// Code serves stored packages for GetFunction's Code.Location.
	Code CodeFiles
	// Ready reports whether the server accepts API calls yet.
	Ready func() bool
}

// CodeFiles opens stored packages by content address (hex SHA-256).
type CodeFiles interface {
	OpenZip(hexRef string) (*os.File, int64, error)
}

// Server is the Lambda API as an http.Handler.
type Server struct {
	opts     Options
	router   *router
	handlers map[string]handler
}

// handler runs one operation on a bound request.
type handler func(ctx context.Context, sc lambda.Scope, op *model.Op, r *http.Request, labels map[string]string, body []byte) (any, error)

// New returns the API server for svc.
func New(svc *lambda.Service, opts Options) *Server {
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	return &Server{opts: opts, router: newRouter(model.Operations), handlers: operations(svc)}
}

// operation adapts a service method to a handler: it builds the input
// struct from the request, validates it against the model and calls fn.
func operation[I, O any](fn func(context.Context, lambda.Scope, *I) (*O, error)) handler {
	return func(ctx context.Context, sc lambda.Scope, op *model.Op, r *http.Request, labels map[string]string, body []byte) (any, error) {
		in := new(I)
		shape := model.Shape(op.Input)
		if err := bind(in, shape, body, labels, r); err != nil {
			return nil, err
		}
		if err := validate.Check(op.Input, in); err != nil {
			return nil, err
		}
		return fn(ctx, sc, in)
	}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := ids.UUID()
	w.Header().Set("x-amzn-RequestId", requestID)
	defer func() {
		if p := recover(); p != nil {
			s.opts.Log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", p)
			writeError(w, nil, awserr.Service("An internal error occurred in lambkin."))
		}
	}()
	if strings.HasPrefix(r.URL.Path, "/_lambkin/") {
		s.serveLambkin(w, r)
		return
	}
	op, labels, ok := s.router.match(r)
	if !ok {
		writeError(w, nil, errUnknownOperation(r))
		return
	}
	h, ok := s.handlers[op.Name]
	if !ok {
		writeError(w, nil, errNotImplemented(op.Name))
		return
	}
	limit := requestLimit(op.Name)
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		writeError(w, s.opts.Log, err)
		return
	}
	if int64(len(body)) > limit {
		writeError(w, nil, errRequestTooLarge(op.Name, limit))
		return
	}
	sc := lambda.Scope{
		Region:    requestRegion(r, s.opts.Region),
		Account:   s.opts.Account,
		RequestID: requestID,
		BaseURL:   baseURL(r),
		TraceID:   r.Header.Get("X-Amzn-Trace-Id"),
	}
	out, err := h(r.Context(), sc, op, r, labels, body)
	if err != nil {
		writeError(w, s.opts.Log, err)
		return
	}
	writeOutput(w, op, out)
}

// serveLambkin serves lambkin's own endpoints.
func (s *Server) serveLambkin(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/_lambkin/health":
		if s.opts.Ready != nil && !s.opts.Ready() {
			http.Error(w, `{"status":"starting"}`, http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`)
	case strings.HasPrefix(r.URL.Path, "/_lambkin/code/") && r.Method == http.MethodGet:
		s.serveCode(w, r)
	default:
		writeError(w, nil, errUnknownOperation(r))
	}
}

var codePathRE = regexp.MustCompile(`^/_lambkin/code/([0-9a-f]{64})\.zip$`)

// serveCode downloads a stored package: the URL GetFunction and
// GetLayerVersion return as Location.
func (s *Server) serveCode(w http.ResponseWriter, r *http.Request) {
	m := codePathRE.FindStringSubmatch(r.URL.Path)
	if m == nil || s.opts.Code == nil {
		http.NotFound(w, r)
		return
	}
	f, size, err := s.opts.Code.OpenZip(m[1])
	if err != nil {
		http.NotFound(w, r)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Content-Length", fmt.Sprint(size))
	io.Copy(w, f)
}

// credentialScope finds the region in a SigV4 credential scope
// (AKID/date/region/service/aws4_request).
var credentialScope = regexp.MustCompile(`Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/`)

// requestRegion is the region a request is served in: its SigV4 credential
// scope's, else the server's.
func requestRegion(r *http.Request, fallback string) string {
	if m := credentialScope.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		return m[1]
	}
	if cred := r.URL.Query().Get("X-Amz-Credential"); cred != "" {
		if parts := strings.Split(cred, "/"); len(parts) >= 3 {
			return parts[2]
		}
	}
	return fallback
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// requestLimit is the largest body an operation accepts: the code upload
// operations take up to the CreateFunction request limit (cf-10), the
// others the invocation payload limit.
func requestLimit(op string) int64 {
	switch op {
	case "CreateFunction", "UpdateFunctionCode", "PublishLayerVersion":
		return 70167211
	}
	return 6291456
}

// errRequestTooLarge is cf-10. Invoke is "InvokeFunction" in the
// service's own words.
func errRequestTooLarge(op string, limit int64) error {
	if op == "Invoke" {
		op = "InvokeFunction"
	}
	return &awserr.Error{Code: "RequestEntityTooLargeException", Status: http.StatusRequestEntityTooLarge,
		Message: fmt.Sprintf("Request must be smaller than %d bytes for the %s operation", limit, op)}
}

func errUnknownOperation(r *http.Request) error {
	return &awserr.Error{Code: "UnknownOperationException", Status: http.StatusNotFound,
		Message: fmt.Sprintf("No Lambda operation matches %s %s.", r.Method, r.URL.Path)}
}

// errNotImplemented answers operations of the model that lambkin does not
// implement: 501, so that SDKs do not retry.
func errNotImplemented(op string) error {
	return &awserr.Error{Code: "NotImplementedException", Status: http.StatusNotImplemented, Type: "Service",
		Message: fmt.Sprintf("lambkin does not implement the %s operation yet.", op)}
}
