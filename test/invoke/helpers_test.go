// Package invoke tests invocation end to end: a real lambkin (HTTP API,
// engine, sandboxed runtimes) driven by the aws-sdk-go-v2 Lambda client.
package invoke

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambkin/lambkin/internal/sandbox"
	"github.com/lambkin/lambkin/internal/testserver"
)

func TestMain(m *testing.M) {
	sandbox.Init()
	os.Exit(m.Run())
}

const role = "arn:aws:iam::000000000000:role/lambda-role"

// start starts a lambkin and, when the test ends and the server has
// stopped, checks that no function process outlived it.
func start(t *testing.T, opts ...testserver.Option) *testserver.Server {
	t.Helper()
	t.Cleanup(func() { assertNoLeaks(t) }) // registered first: runs after the server stopped
	return testserver.Start(t, opts...)
}

// assertNoLeaks fails when a process of an environment started by this
// test binary is still alive.
func assertNoLeaks(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		live, err := sandbox.LiveProcesses(os.Getpid())
		if err != nil {
			t.Errorf("listing live processes: %v", err)
			return
		}
		if len(live) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, p := range live {
				t.Errorf("leaked function process %d (env %s): %s", p.PID, p.Env, p.Cmdline)
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// file is one entry of a deployment package.
type file struct {
	name string
	body string
	mode os.FileMode // 0 means 0644
}

func zipOf(t testing.TB, files ...file) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range files {
		mode := f.mode
		if mode == 0 {
			mode = 0o644
		}
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate}
		h.SetMode(mode)
		fw, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write([]byte(f.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

var fnSeq atomic.Int64

// fnName is a unique function name for a test.
func fnName(prefix string) string {
	return prefix + "-" + strconv.FormatInt(fnSeq.Add(1), 10)
}

// create creates a function and waits until it is Active.
func create(t testing.TB, c *lambda.Client, in *lambda.CreateFunctionInput) *lambda.GetFunctionConfigurationOutput {
	t.Helper()
	ctx := context.Background()
	if in.Role == nil {
		in.Role = aws.String(role)
	}
	if _, err := c.CreateFunction(ctx, in); err != nil {
		t.Fatalf("CreateFunction %s: %v", aws.ToString(in.FunctionName), err)
	}
	return waitActive(t, c, aws.ToString(in.FunctionName), nil)
}

// waitActive waits until a function (version) is Active and its last
// update succeeded.
func waitActive(t testing.TB, c *lambda.Client, name string, qualifier *string) *lambda.GetFunctionConfigurationOutput {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for {
		out, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name), Qualifier: qualifier})
		if err != nil {
			t.Fatalf("GetFunctionConfiguration %s: %v", name, err)
		}
		if out.State == types.StateActive && out.LastUpdateStatus != types.LastUpdateStatusInProgress {
			return out
		}
		if out.State == types.StateFailed {
			t.Fatalf("function %s failed: %s %s", name, out.StateReasonCode, aws.ToString(out.StateReason))
		}
		if time.Now().After(deadline) {
			t.Fatalf("function %s still %s/%s", name, out.State, out.LastUpdateStatus)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// python creates a Python function from one module, handler "app.handler".
func python(t testing.TB, c *lambda.Client, runtime types.Runtime, name, code string, mod func(*lambda.CreateFunctionInput)) string {
	t.Helper()
	in := &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Runtime:      runtime,
		Handler:      aws.String("app.handler"),
		Timeout:      aws.Int32(5),
		Code:         &types.FunctionCode{ZipFile: zipOf(t, file{name: "app.py", body: code})},
	}
	if mod != nil {
		mod(in)
	}
	create(t, c, in)
	return name
}

// invoke invokes synchronously and fails the test on an API error.
func invoke(t testing.TB, c *lambda.Client, name string, payload string, mod ...func(*lambda.InvokeInput)) *lambda.InvokeOutput {
	t.Helper()
	out, err := tryInvoke(c, name, payload, mod...)
	if err != nil {
		t.Fatalf("Invoke %s: %v", name, err)
	}
	return out
}

func tryInvoke(c *lambda.Client, name string, payload string, mod ...func(*lambda.InvokeInput)) (*lambda.InvokeOutput, error) {
	in := &lambda.InvokeInput{FunctionName: aws.String(name)}
	if payload != "" {
		in.Payload = []byte(payload)
	}
	for _, m := range mod {
		m(in)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return c.Invoke(ctx, in)
}

// ok asserts a successful invocation and decodes its JSON result.
func ok(t testing.TB, out *lambda.InvokeOutput, v any) {
	t.Helper()
	if out.FunctionError != nil {
		t.Fatalf("function error %s: %s", aws.ToString(out.FunctionError), out.Payload)
	}
	if out.StatusCode != 200 {
		t.Fatalf("status %d", out.StatusCode)
	}
	if v != nil {
		if err := json.Unmarshal(out.Payload, v); err != nil {
			t.Fatalf("decoding %q: %v", out.Payload, err)
		}
	}
}

// unhandled asserts an Unhandled function error and decodes the body.
func unhandled(t testing.TB, out *lambda.InvokeOutput) map[string]any {
	t.Helper()
	if out.StatusCode != 200 {
		t.Errorf("status %d, want 200", out.StatusCode)
	}
	if aws.ToString(out.FunctionError) != "Unhandled" {
		t.Fatalf("FunctionError %q, want Unhandled; payload %s", aws.ToString(out.FunctionError), out.Payload)
	}
	var m map[string]any
	if err := json.Unmarshal(out.Payload, &m); err != nil {
		t.Fatalf("error body %q: %v", out.Payload, err)
	}
	return m
}

// keys returns a JSON object's keys, sorted.
func keys(m map[string]any) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ",")
}

// throttled asserts a 429 TooManyRequestsException with reason.
func throttled(t testing.TB, err error, reason types.ThrottleReason) {
	t.Helper()
	var tm *types.TooManyRequestsException
	if !errors.As(err, &tm) {
		t.Fatalf("got %v, want TooManyRequestsException", err)
	}
	if tm.Reason != reason {
		t.Errorf("Reason %q, want %q", tm.Reason, reason)
	}
	if tm.ErrorMessage() != "Rate Exceeded." {
		t.Errorf("message %q, want %q", tm.ErrorMessage(), "Rate Exceeded.")
	}
}
