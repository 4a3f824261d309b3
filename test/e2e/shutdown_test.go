package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambkin/lambkin/internal/sandbox"
)

// startWithEnvironments starts a server and invokes two functions so that
// it runs two environments, and returns their processes.
func startWithEnvironments(t *testing.T) (*server, []proc) {
	t.Helper()
	s := startServer(t, "")
	c := goClient(s, "us-east-1")
	ctx := context.Background()
	for _, fn := range []string{"env-a", "env-b"} {
		if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
			FunctionName: aws.String(fn), Runtime: types.RuntimePython312, Role: aws.String(role),
			Handler: aws.String("lambda_function.handler"), Code: &types.FunctionCode{ZipFile: zipOf(t, echoV1)},
		}); err != nil {
			t.Fatal(err)
		}
		waitReady(t, c, fn, 5*time.Second)
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fn), Payload: []byte(`{}`)})
		if err != nil || out.FunctionError != nil {
			t.Fatalf("invoke %s: %v %v", fn, out, err)
		}
	}
	procs := descendants(s.Pid)
	if len(procs) == 0 {
		t.Fatalf("no process descends from lambkin (pid %d) after two invocations", s.Pid)
	}
	live, err := sandbox.LiveProcesses(s.Pid)
	if err != nil {
		t.Fatal(err)
	}
	if len(live) == 0 {
		t.Logf("sandbox.LiveProcesses(%d) finds no environment (no cgroups here?); relying on the process tree", s.Pid)
	}
	// Everything LiveProcesses finds must be in the tree too.
	inTree := map[int]bool{}
	for _, p := range procs {
		inTree[p.PID] = true
	}
	for _, p := range live {
		if !inTree[p.PID] {
			t.Errorf("environment process %+v is not a descendant of lambkin %d", p, s.Pid)
		}
	}
	t.Logf("lambkin %d runs %d function processes, e.g. %q", s.Pid, len(procs), procs[0].Cmdline)
	return s, procs
}

// shutdownIdle lets the environments go idle before SIGTERM.
var shutdownIdle = 300 * time.Millisecond

// TestGracefulShutdown: SIGTERM with live environments exits 0 within a
// few seconds and leaves no function process behind.
func TestGracefulShutdown(t *testing.T) {
	s, procs := startWithEnvironments(t)
	time.Sleep(shutdownIdle)
	code, took := s.Terminate(10 * time.Second)
	t.Logf("SIGTERM to exit: %v", took)
	if code != 0 {
		t.Errorf("exit code %d after SIGTERM, want 0", code)
	}
	if took > 5*time.Second {
		t.Errorf("SIGTERM to exit took %v, want under 5s", took)
	}
	if left := waitGone(procs, 0); len(left) > 0 {
		t.Errorf("function processes outlived a graceful shutdown: %+v", left)
	}
	if live, _ := sandbox.LiveProcesses(s.Pid); len(live) > 0 {
		t.Errorf("sandbox.LiveProcesses(%d) after shutdown: %+v", s.Pid, live)
	}
}

// TestKill9Environments: after SIGKILL the environments die too (parent
// death signal), and a restart on the same data directory is clean.
func TestKill9Environments(t *testing.T) {
	s, procs := startWithEnvironments(t)
	s.Kill()
	if left := waitGone(procs, 3*time.Second); len(left) > 0 {
		t.Errorf("function processes outlived lambkin's SIGKILL by 3s: %+v", left)
	}
	if live, _ := sandbox.LiveProcesses(s.Pid); len(live) > 0 {
		t.Errorf("sandbox.LiveProcesses(%d) after SIGKILL: %+v", s.Pid, live)
	}
	// The next lambkin sweeps what is left and serves the functions again.
	s2 := startServer(t, s.DataDir)
	c := goClient(s2, "us-east-1")
	out, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("env-a"), Payload: []byte(`"again"`)})
	if err != nil || out.FunctionError != nil || string(out.Payload) != `{"echo": "again", "greeting": null, "code": 1}` {
		t.Errorf("invoke after SIGKILL and restart: %v %v", out, err)
	}
	if code, _ := s2.Terminate(10 * time.Second); code != 0 {
		t.Errorf("exit code %d", code)
	}
}

// TestColdStart: from exec to /_lambkin/health 200 in under 2 s, on an
// empty data directory and on one with data.
func TestColdStart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, dir)
	t.Logf("cold start, empty data directory: %v", s.Startup)
	if s.Startup > 2*time.Second {
		t.Errorf("cold start took %v, want under 2s", s.Startup)
	}
	c := goClient(s, "us-east-1")
	for _, fn := range []string{"a", "b", "c"} {
		if _, err := c.CreateFunction(context.Background(), &lambda.CreateFunctionInput{
			FunctionName: aws.String(fn), Runtime: types.RuntimePython312, Role: aws.String(role),
			Handler: aws.String("lambda_function.handler"), Code: &types.FunctionCode{ZipFile: zipOf(t, echoV1)},
		}); err != nil {
			t.Fatal(err)
		}
	}
	if code, _ := s.Terminate(10 * time.Second); code != 0 {
		t.Errorf("exit code %d", code)
	}
	s2 := startServer(t, dir)
	t.Logf("cold start, existing data directory: %v", s2.Startup)
	if s2.Startup > 2*time.Second {
		t.Errorf("restart took %v, want under 2s", s2.Startup)
	}
	// lambkin version works too.
	out, err := runBinary("version")
	if err != nil || len(out) < len("lambkin ") || out[:len("lambkin ")] != "lambkin " {
		t.Errorf("lambkin version = %q, %v", out, err)
	}
}
