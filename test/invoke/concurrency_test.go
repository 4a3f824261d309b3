package invoke

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambkin/lambkin/internal/app"
	"github.com/lambkin/lambkin/internal/testserver"
)

// slowApp sleeps as long as the event says, and prints a marker line.
const slowApp = `
import os, time

def handler(event, context):
    print("MARKER %s" % event.get("id", ""))
    if event.get("fail"):
        raise RuntimeError("failing on purpose")
    time.sleep(event.get("sleep", 0))
    return {"init": os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"], "version": context.function_version}
`

// holdSlot starts a slow invocation in the background and returns once it
// is running; wait returns its outcome.
func holdSlot(t *testing.T, c *lambda.Client, name string, seconds float64, mod ...func(*lambda.InvokeInput)) (wait func() error) {
	t.Helper()
	var wg sync.WaitGroup
	var err error
	wg.Add(1)
	go func() {
		defer wg.Done()
		var out *lambda.InvokeOutput
		out, err = tryInvoke(c, name, `{"sleep":`+ftoa(seconds)+`}`, mod...)
		if err == nil && out.FunctionError != nil {
			err = errors.New(string(out.Payload))
		}
	}()
	time.Sleep(400 * time.Millisecond) // past the cold start
	return func() error { wg.Wait(); return err }
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func TestThrottling(t *testing.T) {
	s := start(t)
	c := s.Client("us-east-1")
	ctx := context.Background()
	name := python(t, c, types.RuntimePython312, fnName("throttle"), slowApp, nil)

	t.Run("reserved-1", func(t *testing.T) {
		if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String(name), ReservedConcurrentExecutions: aws.Int32(1)}); err != nil {
			t.Fatal(err)
		}
		wait := holdSlot(t, c, name, 1.5)
		_, err := tryInvoke(c, name, `{}`)
		throttled(t, err, types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded)
		if err := wait(); err != nil {
			t.Errorf("the slow invoke: %v", err)
		}
		// The slot is free again.
		ok(t, invoke(t, c, name, `{}`), nil)
	})
	t.Run("reserved-0", func(t *testing.T) {
		if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String(name), ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			_, err := tryInvoke(c, name, `{}`)
			throttled(t, err, types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded)
		}
		if _, err := c.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		ok(t, invoke(t, c, name, `{}`), nil)
	})
}

func TestAccountConcurrency(t *testing.T) {
	s := start(t, testserver.WithConfig(func(c *app.Config) {
		c.Limits.ConcurrentExecutions = 2
		c.Limits.UnreservedConcurrency = 1
	}))
	c := s.Client("us-east-1")
	a := python(t, c, types.RuntimePython312, fnName("acct-a"), slowApp, nil)
	b := python(t, c, types.RuntimePython312, fnName("acct-b"), slowApp, nil)
	waitA := holdSlot(t, c, a, 2)
	waitB := holdSlot(t, c, b, 1.6)
	_, err := tryInvoke(c, a, `{}`)
	throttled(t, err, types.ThrottleReasonConcurrentInvocationLimitExceeded)
	if err := waitA(); err != nil {
		t.Error(err)
	}
	if err := waitB(); err != nil {
		t.Error(err)
	}
	ok(t, invoke(t, c, b, `{}`), nil)
}

// logLines returns the lines of all of a function's log streams that
// contain substr.
func logLines(s *testserver.Server, name, substr string) []string {
	var out []string
	root := filepath.Join(s.DataDir, "logs", "us-east-1", "aws", "lambda", name)
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(p)
		for _, l := range strings.Split(string(b), "\n") {
			if strings.Contains(l, substr) {
				out = append(out, l)
			}
		}
		return nil
	})
	return out
}

// waitLines waits until n log lines contain substr.
func waitLines(t *testing.T, s *testserver.Server, name, substr string, n int, within time.Duration) []string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		lines := logLines(s, name, substr)
		if len(lines) >= n || time.Now().After(deadline) {
			return lines
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestAsync(t *testing.T) {
	s := start(t, testserver.WithConfig(func(c *app.Config) {
		c.Async.RetryDelay = 200 * time.Millisecond
		c.Async.ThrottleDelay = 300 * time.Millisecond
		c.Async.MaxBackoff = 300 * time.Millisecond
	}))
	c := s.Client("us-east-1")
	name := python(t, c, types.RuntimePython312, fnName("async"), slowApp, nil)

	t.Run("event", func(t *testing.T) {
		out, err := tryInvoke(c, name, `{"id":"ev-ok"}`, func(in *lambda.InvokeInput) { in.InvocationType = types.InvocationTypeEvent })
		if err != nil {
			t.Fatal(err)
		}
		if out.StatusCode != 202 || len(out.Payload) != 0 || out.ExecutedVersion != nil {
			t.Errorf("Event invoke: status %d, payload %q, executed version %v", out.StatusCode, out.Payload, out.ExecutedVersion)
		}
		if lines := waitLines(t, s, name, "MARKER ev-ok", 1, 5*time.Second); len(lines) != 1 {
			t.Errorf("the event ran %d times, want once", len(lines))
		}
	})
	t.Run("retries", func(t *testing.T) {
		if _, err := tryInvoke(c, name, `{"id":"ev-fail","fail":true}`, func(in *lambda.InvokeInput) { in.InvocationType = types.InvocationTypeEvent }); err != nil {
			t.Fatal(err)
		}
		waitLines(t, s, name, "MARKER ev-fail", 3, 5*time.Second)
		time.Sleep(1200 * time.Millisecond) // a fourth attempt would come after 800 ms
		if lines := logLines(s, name, "MARKER ev-fail"); len(lines) != 3 {
			t.Errorf("a failing event ran %d times, want 3 (2 retries)", len(lines))
		}
	})
	t.Run("survives-restart", func(t *testing.T) {
		// Hold the function's only slot so the event is throttled and
		// stays queued, then restart.
		if _, err := c.PutFunctionConcurrency(context.Background(), &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String(name), ReservedConcurrentExecutions: aws.Int32(1)}); err != nil {
			t.Fatal(err)
		}
		wait := holdSlot(t, c, name, 3)
		out, err := tryInvoke(c, name, `{"id":"ev-restart"}`, func(in *lambda.InvokeInput) { in.InvocationType = types.InvocationTypeEvent })
		if err != nil || out.StatusCode != 202 {
			t.Fatalf("Event invoke: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
		if n := len(logLines(s, name, "MARKER ev-restart")); n != 0 {
			t.Fatalf("the event ran while the slot was held (%d)", n)
		}
		s2 := s.Restart(t)
		wait() // the held invocation ended with the server
		if lines := waitLines(t, s2, name, "MARKER ev-restart", 1, 8*time.Second); len(lines) != 1 {
			t.Errorf("after a restart the queued event ran %d times, want once", len(lines))
		}
	})
}

func TestProvisioned(t *testing.T) {
	s := start(t)
	c := s.Client("us-east-1")
	ctx := context.Background()
	name := python(t, c, types.RuntimePython312, fnName("prov"), slowApp, nil)
	v, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	version := aws.ToString(v.Version)
	waitActive(t, c, name, aws.String(version))

	t.Run("ready", func(t *testing.T) {
		if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String(name), ReservedConcurrentExecutions: aws.Int32(2)}); err != nil {
			t.Fatal(err)
		}
		put, err := c.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
			FunctionName: aws.String(name), Qualifier: aws.String(version), ProvisionedConcurrentExecutions: aws.Int32(2),
		})
		if err != nil {
			t.Fatal(err)
		}
		if put.Status != types.ProvisionedConcurrencyStatusEnumInProgress || aws.ToInt32(put.RequestedProvisionedConcurrentExecutions) != 2 {
			t.Errorf("Put: status %s requested %d", put.Status, aws.ToInt32(put.RequestedProvisionedConcurrentExecutions))
		}
		got := waitProvisioned(t, c, name, version, 10*time.Second)
		if got.Status != types.ProvisionedConcurrencyStatusEnumReady ||
			aws.ToInt32(got.AllocatedProvisionedConcurrentExecutions) != 2 || aws.ToInt32(got.AvailableProvisionedConcurrentExecutions) != 2 {
			t.Fatalf("provisioned: %s allocated %d available %d reason %s", got.Status,
				aws.ToInt32(got.AllocatedProvisionedConcurrentExecutions), aws.ToInt32(got.AvailableProvisionedConcurrentExecutions), aws.ToString(got.StatusReason))
		}
		var res struct{ Init, Version string }
		ok(t, invoke(t, c, name, `{}`, func(in *lambda.InvokeInput) { in.Qualifier = aws.String(version) }), &res)
		if res.Init != "provisioned-concurrency" || res.Version != version {
			t.Errorf("version %s ran with %+v, want provisioned-concurrency", version, res)
		}
	})
	t.Run("latest-throttled", func(t *testing.T) {
		// All of the reserved concurrency is provisioned for version 1:
		// nothing is left for $LATEST.
		_, err := tryInvoke(c, name, `{}`)
		throttled(t, err, types.ThrottleReasonReservedFunctionConcurrentInvocationLimitExceeded)
	})
	t.Run("init-failure", func(t *testing.T) {
		bad := python(t, c, types.RuntimePython312, fnName("prov-bad"), `
import os
if os.environ["AWS_LAMBDA_INITIALIZATION_TYPE"] == "provisioned-concurrency":
    raise RuntimeError("refusing provisioned init")

def handler(event, context):
    return "on-demand is fine"
`, nil)
		bv, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(bad)})
		if err != nil {
			t.Fatal(err)
		}
		waitActive(t, c, bad, bv.Version)
		if _, err := c.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
			FunctionName: aws.String(bad), Qualifier: bv.Version, ProvisionedConcurrentExecutions: aws.Int32(1),
		}); err != nil {
			t.Fatal(err)
		}
		got := waitProvisioned(t, c, bad, aws.ToString(bv.Version), 10*time.Second)
		if got.Status != types.ProvisionedConcurrencyStatusEnumFailed || aws.ToString(got.StatusReason) != "FUNCTION_ERROR_INIT_FAILURE" {
			t.Errorf("provisioned init failure: status %s reason %q", got.Status, aws.ToString(got.StatusReason))
		}
		var res string
		ok(t, invoke(t, c, bad, `{}`), &res)
		if res != "on-demand is fine" {
			t.Errorf("on-demand invoke: %q", res)
		}
	})
}

// waitProvisioned polls until the config leaves IN_PROGRESS.
func waitProvisioned(t *testing.T, c *lambda.Client, name, qualifier string, within time.Duration) *lambda.GetProvisionedConcurrencyConfigOutput {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		got, err := c.GetProvisionedConcurrencyConfig(context.Background(), &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String(name), Qualifier: aws.String(qualifier)})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != types.ProvisionedConcurrencyStatusEnumInProgress || time.Now().After(deadline) {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}
