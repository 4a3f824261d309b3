package invoke

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// traceHandler returns the X-Ray trace header the runtime set for the
// invocation.
const traceHandler = `
import os
def handler(event, context):
    return os.environ.get("_X_AMZN_TRACE_ID", "")
`

func TestTracing(t *testing.T) {
	s := start(t)
	c := s.Client("us-east-1")
	active := python(t, c, types.RuntimePython312, fnName("traced"), traceHandler, func(in *lambda.CreateFunctionInput) {
		in.TracingConfig = &types.TracingConfig{Mode: types.TracingModeActive}
	})
	var got string
	ok(t, invoke(t, c, active, `{}`), &got)
	if !strings.HasPrefix(got, "Root=1-") || !strings.HasSuffix(got, ";Sampled=1") || !strings.Contains(got, ";Parent=") {
		t.Errorf("Active tracing: trace header %q", got)
	}

	passThrough := python(t, c, types.RuntimePython312, fnName("passthrough"), traceHandler, nil)
	const caller = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
	out, err := c.Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String(passThrough)}, func(o *lambda.Options) {
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Build.Add(middleware.BuildMiddlewareFunc("trace", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
				if req, ok := in.Request.(*smithyhttp.Request); ok {
					req.Header.Set("X-Amzn-Trace-Id", caller)
				}
				return next.HandleBuild(ctx, in)
			}), middleware.After)
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	ok(t, out, &got)
	if got != caller {
		t.Errorf("PassThrough: the function saw %q, want the caller's %q", got, caller)
	}
}

// LogFormat JSON: platform events are JSON records, and the application
// log level reaches the runtime.
func TestJSONLogs(t *testing.T) {
	s := start(t)
	c := s.Client("us-east-1")
	name := python(t, c, types.RuntimePython312, fnName("jsonlogs"), `
import logging
def handler(event, context):
    logging.getLogger().warning("careful")
    return "ok"
`, func(in *lambda.CreateFunctionInput) {
		in.LoggingConfig = &types.LoggingConfig{LogFormat: types.LogFormatJson}
	})
	ok(t, invoke(t, c, name, `{}`), nil)
	deadline := time.Now().Add(3 * time.Second)
	for {
		log := readLogs(t, s.DataDir, name)
		var start, report, app bool
		for _, line := range strings.Split(log, "\n") {
			_, msg, _ := strings.Cut(line, "\t")
			var rec map[string]any
			if json.Unmarshal([]byte(msg), &rec) != nil {
				continue
			}
			switch {
			case rec["type"] == "platform.start":
				start = true
			case rec["type"] == "platform.report":
				report = true
			case rec["message"] == "careful" && rec["level"] == "WARNING":
				app = true
			}
		}
		if start && report && app {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("JSON records missing (start %v, report %v, application %v):\n%s", start, report, app, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Provisioned concurrency is desired state: after a restart the
// reconciler provisions it again.
func TestProvisionedSurvivesRestart(t *testing.T) {
	s := start(t)
	c := s.Client("us-east-1")
	ctx := context.Background()
	name := python(t, c, types.RuntimePython312, fnName("pc-restart"), "def handler(e, c):\n    return 1\n", nil)
	v, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	waitActive(t, c, name, v.Version)
	if _, err := c.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
		FunctionName: aws.String(name), Qualifier: v.Version, ProvisionedConcurrentExecutions: aws.Int32(1),
	}); err != nil {
		t.Fatal(err)
	}
	if got := waitProvisioned(t, c, name, aws.ToString(v.Version), 10*time.Second); got.Status != types.ProvisionedConcurrencyStatusEnumReady {
		t.Fatalf("before restart: %s", got.Status)
	}
	s = s.Restart(t)
	c = s.Client("us-east-1")
	if got := waitProvisioned(t, c, name, aws.ToString(v.Version), 10*time.Second); got.Status != types.ProvisionedConcurrencyStatusEnumReady ||
		aws.ToInt32(got.AllocatedProvisionedConcurrentExecutions) != 1 {
		t.Fatalf("after restart: %s allocated %d", got.Status, aws.ToInt32(got.AllocatedProvisionedConcurrentExecutions))
	}
	ok(t, invoke(t, c, name, `{}`, func(in *lambda.InvokeInput) { in.Qualifier = v.Version }), nil)
}
