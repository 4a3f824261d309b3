package invoke

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// nodeFiles is the test function's code: an async ES module handler and a
// CommonJS callback handler.
var nodeFiles = []file{
	{name: "index.mjs", body: `
let count = 0;
export const handler = async (event, context) => {
  count++;
  switch (event.op) {
    case "throw": throw new TypeError("bad type " + event.n);
    case "reject": return Promise.reject("just a string");
    case "count": return { count, pid: process.pid };
  }
  return {
    event,
    requestId: context.awsRequestId,
    arn: context.invokedFunctionArn,
    name: context.functionName,
    version: context.functionVersion,
    memory: context.memoryLimitInMB,
    logGroup: context.logGroupName,
    remaining: context.getRemainingTimeInMillis(),
    node: process.version,
  };
};
`},
	{name: "callback.js", body: `
exports.handler = function (event, context, callback) {
  if (event.op === "fail") {
    callback(new Error("callback failed"));
    return;
  }
  setTimeout(() => callback(null, { echo: event, via: "callback", name: context.functionName }), 5);
};
`},
}

// ricDir is where the CI setup installs the official Node.js runtime
// interface client (see testdata/node-ric/package.json).
const ricDir = "testdata/node-ric/node_modules/aws-lambda-ric"

const ricInstall = "cd test/invoke/testdata/node-ric && npm install --ignore-scripts --no-audit --no-fund && npm rebuild aws-lambda-ric --foreground-scripts"

// ricFiles vendors the installed aws-lambda-ric and its runtime
// dependencies into a provided.al2023 package, with a shell bootstrap.
func ricFiles(t *testing.T) []file {
	t.Helper()
	if _, err := os.Stat(filepath.Join(ricDir, "package.json")); err != nil {
		t.Skipf("aws-lambda-ric is not installed in %s; the CI setup must run: %s", filepath.Dir(filepath.Dir(ricDir)), ricInstall)
	}
	if _, err := os.Stat(filepath.Join(ricDir, "rapid-client.node")); err != nil {
		t.Fatalf("aws-lambda-ric is installed but its native addon rapid-client.node was not built (npm install --ignore-scripts skips the build); run: %s", ricInstall)
	}
	files := []file{{name: "bootstrap", mode: 0o755, body: "#!/bin/sh\nexec node \"$LAMBDA_TASK_ROOT/node_modules/aws-lambda-ric/index.mjs\"\n"}}
	add := func(root, prefix string, keep func(rel string) bool) {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			if !keep(rel) {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			info, _ := d.Info()
			files = append(files, file{name: prefix + filepath.ToSlash(rel), body: string(b), mode: info.Mode().Perm()})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The client itself: the bundle, its package.json and the native addon
	// (not the sources and build trees of its native dependencies).
	add(ricDir, "node_modules/aws-lambda-ric/", func(rel string) bool {
		return rel == "index.mjs" || rel == "package.json" || rel == "rapid-client.node"
	})
	// Its one runtime dependency besides the build tools.
	add(filepath.Join(filepath.Dir(ricDir), "@aws", "lambda-invoke-store"), "node_modules/@aws/lambda-invoke-store/", func(string) bool { return true })
	return files
}

func TestNode(t *testing.T) {
	s := start(t)
	c := s.Client("us-east-1")
	t.Run("lambkin-bootstrap", func(t *testing.T) {
		testNode(t, c, types.RuntimeNodejs20x, nodeFiles)
	})
	t.Run("aws-lambda-ric", func(t *testing.T) {
		testNode(t, c, types.RuntimeProvidedal2023, append(ricFiles(t), nodeFiles...))
	})
}

func testNode(t *testing.T, c *lambda.Client, rt types.Runtime, files []file) {
	code := zipOf(t, files...)
	mk := func(handler string) string {
		name := fnName("node")
		create(t, c, &lambda.CreateFunctionInput{
			FunctionName: aws.String(name),
			Runtime:      rt,
			Handler:      aws.String(handler),
			Timeout:      aws.Int32(5),
			Code:         &types.FunctionCode{ZipFile: code},
		})
		return name
	}
	async := mk("index.handler")

	t.Run("async", func(t *testing.T) {
		var got map[string]any
		ok(t, invoke(t, c, async, `{"a":1}`), &got)
		if ev, _ := json.Marshal(got["event"]); string(ev) != `{"a":1}` {
			t.Errorf("event %s", ev)
		}
		if got["name"] != async || got["version"] != "$LATEST" || got["memory"] != "128" ||
			got["arn"] != "arn:aws:lambda:us-east-1:000000000000:function:"+async || got["logGroup"] != "/aws/lambda/"+async {
			t.Errorf("context %v", got)
		}
		if id, _ := got["requestId"].(string); len(id) != 36 {
			t.Errorf("requestId %v", got["requestId"])
		}
		if r, _ := got["remaining"].(float64); r <= 0 || r > 5000 {
			t.Errorf("remaining %v", got["remaining"])
		}
	})
	t.Run("warm", func(t *testing.T) {
		var a, b struct{ Count, Pid int }
		ok(t, invoke(t, c, async, `{"op":"count"}`), &a)
		ok(t, invoke(t, c, async, `{"op":"count"}`), &b)
		if b.Count != a.Count+1 || a.Pid != b.Pid {
			t.Errorf("not reused: %+v then %+v", a, b)
		}
	})
	t.Run("throw", func(t *testing.T) {
		out := invoke(t, c, async, `{"op":"throw","n":5}`)
		body := unhandled(t, out)
		if k := keys(body); k != "errorMessage,errorType,trace" {
			t.Errorf("error keys %s: %s", k, out.Payload)
		}
		if body["errorType"] != "TypeError" || body["errorMessage"] != "bad type 5" {
			t.Errorf("error body %s", out.Payload)
		}
		if tr, _ := body["trace"].([]any); len(tr) == 0 || !strings.HasPrefix(tr[0].(string), "TypeError: bad type 5") {
			t.Errorf("trace %v", body["trace"])
		}
	})
	t.Run("reject-string", func(t *testing.T) {
		out := invoke(t, c, async, `{"op":"reject"}`)
		body := unhandled(t, out)
		if body["errorType"] != "string" || body["errorMessage"] != "just a string" {
			t.Errorf("error body %s", out.Payload)
		}
	})
	t.Run("callback", func(t *testing.T) {
		cb := mk("callback.handler")
		if rt == types.RuntimeProvidedal2023 {
			// aws-lambda-ric 4.x refuses callback handlers (Node.js 24
			// semantics) unless AWS_EXECUTION_ENV names nodejs22.x: an
			// init error, in the client's own shape.
			out := invoke(t, c, cb, `{}`)
			body := unhandled(t, out)
			if body["errorType"] != "Runtime.CallbackHandlerDeprecated" || keys(body) != "errorMessage,errorType,trace" {
				t.Errorf("callback handler under aws-lambda-ric 4: %s", out.Payload)
			}
			return
		}
		var got struct {
			Echo      map[string]any
			Via, Name string
		}
		ok(t, invoke(t, c, cb, `{"k":"v"}`), &got)
		if got.Via != "callback" || got.Echo["k"] != "v" || got.Name != cb {
			t.Errorf("callback result %+v", got)
		}
		out := invoke(t, c, cb, `{"op":"fail"}`)
		body := unhandled(t, out)
		if body["errorType"] != "Error" || body["errorMessage"] != "callback failed" {
			t.Errorf("callback error %s", out.Payload)
		}
	})
	t.Run("init-errors", func(t *testing.T) {
		missing := mk("nosuch.handler")
		body := unhandled(t, invoke(t, c, missing, `{}`))
		if body["errorType"] != "Runtime.ImportModuleError" {
			t.Errorf("missing module: %v", body)
		}
		noHandler := mk("index.nope")
		body = unhandled(t, invoke(t, c, noHandler, `{}`))
		if body["errorType"] != "Runtime.HandlerNotFound" || body["errorMessage"] != "index.nope is undefined or not exported" {
			t.Errorf("missing handler: %v", body)
		}
	})
}
