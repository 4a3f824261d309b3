//go:build linux

package rapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestAWSLambdaGoCompatibility runs a function built on the official Go
// runtime client (testdata/gofn) against the server, as a child process.
func TestAWSLambdaGoCompatibility(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a Go function")
	}
	bin := buildGoFunction(t)

	t.Run("init registers the client's internal extension", func(t *testing.T) {
		s, _ := startGoFunction(t, bin)
		res, err := s.WaitInit(testCtx(t))
		if err != nil || res.Err != nil {
			t.Fatal(err, res.Err)
		}
		if len(res.Extensions) != 1 || res.Extensions[0].Name != "GoLangEnableSIGTERM" || res.Extensions[0].External {
			t.Errorf("extensions = %+v", res.Extensions)
		}
	})

	t.Run("context, success and returned error", func(t *testing.T) {
		s, _ := startGoFunction(t, bin)
		deadline := time.Now().Add(time.Minute).Truncate(time.Millisecond)
		inv := &Invocation{
			RequestID:          "11111111-2222-3333-4444-555555555555",
			Payload:            []byte(`{"action":"echo"}`),
			Deadline:           deadline,
			InvokedFunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:gofn:live",
			TraceID:            "Root=1-65f1a2b3-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1",
			ClientContext:      `{"client":{"installation_id":"i"},"custom":{"tenant":"acme"},"env":{}}`,
			CognitoIdentity:    `{"cognitoIdentityId":"us-east-1:abc","cognitoIdentityPoolId":"us-east-1:pool"}`,
		}
		res := invokeOK(t, s, inv)
		var got echoDoc
		if err := json.Unmarshal(res.Body, &got); err != nil {
			t.Fatalf("%v: %s", err, res.Body)
		}
		want := echoDoc{RequestID: inv.RequestID, InvokedFunctionArn: inv.InvokedFunctionArn, DeadlineMs: deadline.UnixMilli(),
			ClientCustom: map[string]string{"tenant": "acme"}, CognitoIdentityID: "us-east-1:abc", TraceID: inv.TraceID, FunctionName: "gofn"}
		if got.RequestID != want.RequestID || got.InvokedFunctionArn != want.InvokedFunctionArn || got.DeadlineMs != want.DeadlineMs ||
			got.ClientCustom["tenant"] != "acme" || got.CognitoIdentityID != want.CognitoIdentityID || got.TraceID != want.TraceID ||
			got.FunctionName != want.FunctionName {
			t.Errorf("function saw %+v\nwant %+v", got, want)
		}
		if _, err := res.WaitComplete(testCtx(t)); err != nil {
			t.Fatal(err)
		}

		res, err := s.Invoke(testCtx(t), &Invocation{RequestID: "req-2", Deadline: inAMinute(), Payload: []byte(`{"action":"error"}`)})
		if err != nil {
			t.Fatal(err)
		}
		if res.Status != StatusError || string(res.Body) != `{"errorMessage":"boom","errorType":"errorString"}` ||
			res.ErrorTypeHeader != "" || res.ErrorType != ErrorTypeRuntimeUnknown || len(res.XRayErrorCause) == 0 {
			t.Errorf("error result = %v %s header %q type %q cause %s", res.Status, res.Body, res.ErrorTypeHeader, res.ErrorType, res.XRayErrorCause)
		}
		// A returned error leaves the runtime alive.
		if _, err := res.WaitComplete(testCtx(t)); err != nil {
			t.Fatal(err)
		}
		invokeOK(t, s, &Invocation{RequestID: "req-3", Deadline: inAMinute(), Payload: []byte(`{}`)})
		if err := s.Shutdown(testCtx(t), ShutdownSpindown); err != nil {
			t.Error(err)
		}
	})

	t.Run("panic", func(t *testing.T) {
		s, _ := startGoFunction(t, bin)
		res, err := s.Invoke(testCtx(t), &Invocation{RequestID: "req-1", Deadline: inAMinute(), Payload: []byte(`{"action":"panic"}`)})
		if err != nil {
			t.Fatal(err)
		}
		// The client posts the panic, with a stack of objects, then exits 1.
		var doc struct {
			Message    string `json:"errorMessage"`
			Type       string `json:"errorType"`
			StackTrace []struct {
				Path  string `json:"path"`
				Line  int    `json:"line"`
				Label string `json:"label"`
			} `json:"stackTrace"`
		}
		if err := json.Unmarshal(res.Body, &doc); err != nil || res.Status != StatusError || doc.Message != "kaboom" ||
			doc.Type != "string" || len(doc.StackTrace) == 0 || doc.StackTrace[0].Line == 0 {
			t.Errorf("panic result = %v %s (%v)", res.Status, res.Body, err)
		}
		_, err = res.WaitComplete(testCtx(t))
		var f *Failure
		if !errors.As(err, &f) || f.Type != ErrorTypeRuntimeExit || f.Message != "Runtime exited with error: exit status 1" {
			t.Errorf("WaitComplete after panic = %v", err)
		}
	})

	t.Run("exit mid-invoke", func(t *testing.T) {
		s, _ := startGoFunction(t, bin)
		res, err := s.Invoke(testCtx(t), &Invocation{RequestID: "req-1", Deadline: inAMinute(), Payload: []byte(`{"action":"exit"}`)})
		if err != nil {
			t.Fatal(err)
		}
		want := `{"errorType":"Runtime.ExitError","errorMessage":"RequestId: req-1 Error: Runtime exited with error: exit status 3"}`
		if res.Status != StatusError || res.ErrorType != ErrorTypeRuntimeExit || string(res.Body) != want {
			t.Errorf("exit result = %v %q %s", res.Status, res.ErrorType, res.Body)
		}
	})

	t.Run("oversized response", func(t *testing.T) {
		s, _ := startGoFunction(t, bin)
		payload := `{"action":"big","size":` + strconv.Itoa(DefaultMaxResponseSize) + `}` // JSON quotes push it over
		res, err := s.Invoke(testCtx(t), &Invocation{RequestID: "req-1", Deadline: inAMinute(), Payload: []byte(payload)})
		if err != nil {
			t.Fatal(err)
		}
		want := `{"errorMessage":"Response payload size exceeded maximum allowed payload size (6291556 bytes).","errorType":"Function.ResponseSizeTooLarge"}`
		if res.Status != StatusError || res.ErrorType != ErrorTypeResponseSizeTooLarge || string(res.Body) != want {
			t.Errorf("result = %v %q %s", res.Status, res.ErrorType, res.Body)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		s, _ := startGoFunction(t, bin)
		ctx, cancel := context.WithTimeout(testCtx(t), 200*time.Millisecond)
		defer cancel()
		_, err := s.Invoke(ctx, &Invocation{RequestID: "req-1", Deadline: inAMinute(), Payload: []byte(`{"action":"sleep","sleepMs":60000}`)})
		if !errors.Is(err, ErrAbandoned) || !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Invoke = %v", err)
		}
	})
}

// inAMinute is a deadline: aws-lambda-go fails invocations without one.
func inAMinute() time.Time { return time.Now().Add(time.Minute) }

// echoDoc is what testdata/gofn answers to {"action":"echo"}.
type echoDoc struct {
	RequestID          string            `json:"requestId"`
	InvokedFunctionArn string            `json:"invokedFunctionArn"`
	DeadlineMs         int64             `json:"deadlineMs"`
	ClientCustom       map[string]string `json:"clientCustom"`
	CognitoIdentityID  string            `json:"cognitoIdentityId"`
	TraceID            string            `json:"traceId"`
	FunctionName       string            `json:"functionName"`
}

func invokeOK(t *testing.T, s *Server, inv *Invocation) *Result {
	t.Helper()
	res, err := s.Invoke(testCtx(t), inv)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != StatusOK {
		t.Fatalf("%s: %v %s", inv.RequestID, res.Status, res.Body)
	}
	return res
}

// buildGoFunction builds testdata/gofn the way Lambda Go functions are built.
func buildGoFunction(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the function with")
	}
	bin := filepath.Join(t.TempDir(), "bootstrap")
	cmd := exec.Command(goTool, "build", "-tags", "lambda.norpc", "-o", bin, "./testdata/gofn")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the function: %v\n%s", err, out)
	}
	return bin
}

// startGoFunction starts a server and the function as its runtime, in its
// own process group. The supervisor part reports the exit to the server;
// cleanup kills the group and waits, so no process outlives the test.
func startGoFunction(t *testing.T, bin string) (*Server, *exec.Cmd) {
	t.Helper()
	s := newTestServer(t, Config{FunctionName: "gofn", FunctionVersion: "$LATEST", Handler: "bootstrap"})
	var out bytes.Buffer
	cmd := exec.Command(bin)
	cmd.Dir = t.TempDir()
	cmd.Env = []string{
		"AWS_LAMBDA_RUNTIME_API=" + s.Addr(),
		"_HANDLER=bootstrap",
		"AWS_LAMBDA_FUNCTION_NAME=gofn",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/gofn",
		"AWS_LAMBDA_LOG_STREAM_NAME=2026/01/01/[$LATEST]0123456789abcdef",
		"TZ=:UTC",
	}
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		status := "exit status 0"
		if err := cmd.Wait(); err != nil {
			status = err.Error()
		}
		s.RuntimeExited(status)
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		if t.Failed() {
			t.Logf("function output:\n%s", out.String())
		}
	})
	return s, cmd
}
