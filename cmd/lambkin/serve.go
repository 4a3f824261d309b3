package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/lambkin/lambkin/internal/app"
	"github.com/lambkin/lambkin/internal/lambda"
)

func serve(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := app.Config{Limits: lambda.DefaultLimits(), FileSystems: map[string]string{}, Destinations: map[string]string{}}
	fs.StringVar(&cfg.Listen, "listen", "127.0.0.1:9001", "address to listen on")
	fs.StringVar(&cfg.DataDir, "data-dir", "./.lambkin", "where all state is kept")
	fs.StringVar(&cfg.Region, "region", "us-east-1", "region for requests whose signature names none")
	fs.StringVar(&cfg.Account, "account-id", "000000000000", "the account every resource belongs to")
	fs.BoolVar(&cfg.StrictRuntimes, "strict-runtimes", false, "serve a runtime only with an interpreter of its exact version")
	fs.BoolVar(&cfg.FavorDynamicCgroups, "favor-dynamic-cgroups", true, "set favordynmods on the cgroup v2 hierarchy (host-wide) so environments start faster")
	fs.StringVar(&cfg.RuntimeConfig, "runtime-config", "", "runtime catalog config file (default <data-dir>/runtimes.config.json)")
	fs.DurationVar(&cfg.RolloutDelay, "rollout-delay", 24*time.Hour, "time after a runtime promotion when every Auto function moves (phase 2)")
	fs.DurationVar(&cfg.StateDelay, "state-delay", 0, "least time functions stay Pending/InProgress after a change")
	fs.DurationVar(&cfg.IdleTimeout, "idle-timeout", 10*time.Minute, "reclaim environments idle this long")
	fs.IntVar(&cfg.Limits.ConcurrentExecutions, "concurrency-limit", cfg.Limits.ConcurrentExecutions, "account concurrency limit")
	fs.IntVar(&cfg.Limits.UnreservedConcurrency, "unreserved-minimum", cfg.Limits.UnreservedConcurrency, "minimum unreserved account concurrency")
	fs.DurationVar(&cfg.Async.RetryDelay, "async-retry-delay", time.Minute, "wait before retrying a failed asynchronous invocation (doubles)")
	masterKey := fs.String("master-key", "", "hex AES-256 key encrypting environment variables at rest (default: <data-dir>/master.key)")
	fs.Func("file-system", "map a file system access point ARN to a host directory: ARN=DIR (repeatable)", keyValue(cfg.FileSystems))
	fs.Func("destination", "deliver async destination or dead-letter messages for ARN to an HTTP endpoint: ARN=URL (repeatable)", keyValue(cfg.Destinations))
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *masterKey != "" {
		key, err := hex.DecodeString(*masterKey)
		if err != nil || len(key) != 32 {
			fmt.Fprintln(stderr, "lambkin: --master-key must be 64 hex digits (a 256-bit key)")
			return 2
		}
		cfg.MasterKey = key
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(stderr, "lambkin: --log-level:", err)
		return 2
	}
	cfg.Log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	a, err := app.Start(cfg)
	if err != nil {
		fmt.Fprintln(stderr, "lambkin:", err)
		return 1
	}
	cfg.Log.Info("lambkin serving", "version", version, "listen", a.Addr(), "dataDir", cfg.DataDir, "region", cfg.Region)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	waitErr := make(chan error, 1)
	go func() { waitErr <- a.Wait() }()
	select {
	case sig := <-stop:
		cfg.Log.Info("shutting down", "signal", sig.String())
	case err := <-waitErr:
		if err != nil {
			fmt.Fprintln(stderr, "lambkin:", err)
			return 1
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := a.Shutdown(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		fmt.Fprintln(stderr, "lambkin: shutdown:", err)
		return 1
	}
	return 0
}

// keyValue parses repeatable KEY=VALUE flags into m.
func keyValue(m map[string]string) func(string) error {
	return func(s string) error {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" || v == "" {
			return fmt.Errorf("want KEY=VALUE, got %q", s)
		}
		m[k] = v
		return nil
	}
}
