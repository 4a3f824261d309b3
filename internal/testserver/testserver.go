// Package testserver starts a real lambkin (HTTP API, store, engine,
// sandboxes) inside a test, on a random loopback port with its own data
// directory, and gives tests real AWS clients for it.
//
// Packages that use it must call sandbox.Init from TestMain: environments
// re-execute the test binary to set up their namespaces.
package testserver

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/lambkin/lambkin/internal/app"
	lk "github.com/lambkin/lambkin/internal/lambda"
)

// Server is a running lambkin.
type Server struct {
	App     *app.App
	URL     string // http://127.0.0.1:port
	DataDir string
	cfg     app.Config
}

// Option adjusts the server's configuration.
type Option func(*app.Config)

// WithDataDir reuses a data directory (to test restarts).
func WithDataDir(dir string) Option { return func(c *app.Config) { c.DataDir = dir } }

// WithStateDelay holds functions in Pending/InProgress at least d.
func WithStateDelay(d time.Duration) Option { return func(c *app.Config) { c.StateDelay = d } }

// WithConfig applies any change to the configuration.
func WithConfig(f func(*app.Config)) Option { return Option(f) }

// Start starts a server and stops it when the test ends.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	cfg := app.Config{
		Listen:       "127.0.0.1:0",
		DataDir:      filepath.Join(t.TempDir(), "data"),
		Region:       "us-east-1",
		Account:      "000000000000",
		IdleTimeout:  10 * time.Minute,
		RolloutDelay: time.Hour,
		// As lambkin serve does by default.
		FavorDynamicCgroups: true,
		Limits:              lk.DefaultLimits(),
		Log:                 slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if level := os.Getenv("LAMBKIN_TEST_LOG"); level != "" {
		var l slog.Level
		l.UnmarshalText([]byte(level)) // "debug", "info", ...; anything else is info
		cfg.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
	}
	for _, o := range opts {
		o(&cfg)
	}
	a, err := app.Start(cfg)
	if err != nil {
		t.Fatalf("starting lambkin: %v", err)
	}
	s := &Server{App: a, URL: "http://" + a.Addr(), DataDir: cfg.DataDir, cfg: cfg}
	t.Cleanup(func() { s.Stop() })
	return s
}

// Stop shuts the server down (idempotent).
func (s *Server) Stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.App.Shutdown(ctx)
}

// Restart stops the server and starts a new one on the same data directory.
func (s *Server) Restart(t testing.TB) *Server {
	s.Stop()
	return Start(t, WithConfig(func(c *app.Config) { *c = s.cfg; c.Listen = "127.0.0.1:0" }))
}

// Client is an aws-sdk-go-v2 Lambda client for the server in region.
func (s *Server) Client(region string) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:       region,
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLAMBKIN", "secret", ""),
		HTTPClient:   &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		Retryer:      aws.NopRetryer{},
	})
}
