package invoke

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambkin/lambkin/internal/app"
	"github.com/lambkin/lambkin/internal/testserver"
)

// extension is an external extension in a layer: it registers for INVOKE
// and SHUTDOWN through the Extensions API and prints what it receives.
const extension = `#!/usr/bin/env python3
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2020-01-01/extension"
req = urllib.request.Request(api + "/register", data=json.dumps({"events": ["INVOKE", "SHUTDOWN"]}).encode(),
                             headers={"Lambda-Extension-Name": "probe"}, method="POST")
ident = urllib.request.urlopen(req).headers["Lambda-Extension-Identifier"]
while True:
    ev = json.load(urllib.request.urlopen(urllib.request.Request(api + "/event/next", headers={"Lambda-Extension-Identifier": ident})))
    print("EXTENSION " + ev["eventType"] + " " + ev.get("requestId", ev.get("shutdownReason", "")), flush=True)
    if ev["eventType"] == "SHUTDOWN":
        break
`

func TestExtensions(t *testing.T) {
	s := start(t)
	c := s.Client("us-east-1")
	ctx := context.Background()
	layer, err := c.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{
		LayerName: aws.String("probe-extension"),
		Content:   &types.LayerVersionContentInput{ZipFile: zipOf(t, file{name: "extensions/probe", mode: 0o755, body: extension})},
	})
	if err != nil {
		t.Fatal(err)
	}
	name := python(t, c, types.RuntimePython312, fnName("ext"), "def handler(e, c):\n    return 'ran'\n", func(in *lambda.CreateFunctionInput) {
		in.Layers = []string{aws.ToString(layer.LayerVersionArn)}
	})
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name)})
	if err != nil || string(out.Payload) != `"ran"` {
		t.Fatalf("invoke: %v %s", err, out.Payload)
	}
	// Deleting the function ends its environment: the extension gets SHUTDOWN.
	if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		log := readLogs(t, s.DataDir, name)
		if strings.Contains(log, "EXTENSION INVOKE ") && strings.Contains(log, "EXTENSION SHUTDOWN spindown") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("extension events missing from the log:\n%s", log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readLogs concatenates a function's log streams.
func readLogs(t *testing.T, dataDir, name string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(filepath.Join(dataDir, "logs", "us-east-1", "aws", "lambda", name), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(path)
			b.Write(data)
		}
		return nil
	})
	return b.String()
}

// A runtime lambkin cannot run here fails at creation, never at invoke
// time, with a reason naming what to install; strict mode refuses the
// closest-interpreter fallback the same way.
func TestUnavailableRuntimes(t *testing.T) {
	for _, tc := range []struct {
		name    string
		runtime types.Runtime
		strict  bool
		reason  string
	}{
		{"java21 has no interpreter", types.RuntimeJava21, false, "java21"},
		{"strict refuses the closest python", types.RuntimePython314, true, "Python 3.14"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t, testserver.WithConfig(func(c *app.Config) { c.StrictRuntimes = tc.strict }))
			c := s.Client("us-east-1")
			ctx := context.Background()
			name := fnName("unavailable")
			_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
				FunctionName: aws.String(name), Runtime: tc.runtime, Handler: aws.String("x.handler"), Role: aws.String(role),
				Code: &types.FunctionCode{ZipFile: zipOf(t, file{name: "x.py", body: "def handler(e, c): return 1\n"})},
			})
			if err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				cfg, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
				if err != nil {
					t.Fatal(err)
				}
				if cfg.State == types.StateFailed {
					if cfg.StateReasonCode != types.StateReasonCodeInvalidRuntime || !strings.Contains(aws.ToString(cfg.StateReason), tc.reason) {
						t.Fatalf("failed with %s: %s", cfg.StateReasonCode, aws.ToString(cfg.StateReason))
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("state %s", cfg.State)
				}
				time.Sleep(20 * time.Millisecond)
			}
			_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(name)})
			if err == nil || !strings.Contains(err.Error(), "The function is currently in the following state: Failed") {
				t.Fatalf("invoking a Failed function: %v", err)
			}
		})
	}
}
