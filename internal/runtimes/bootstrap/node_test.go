package bootstrap

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// nodeApp is the CommonJS module most Node cases run.
const nodeApp = `let counter = 0;

exports.ok = async (event) => ({ echo: event });
exports.nested = { deep: { fn: async () => "nested" } };
exports.notfn = 42;
exports.rejectString = async () => {
  throw "boom";
};
exports.typeError = async () => {
  throw new TypeError("bad thing");
};
exports.callback = (event, context, callback) => {
  setTimeout(() => console.log("timer fired"), 50);
  callback(null, { callback: true });
};
exports.callbackNoWait = (event, context, callback) => {
  context.callbackWaitsForEmptyEventLoop = false;
  setTimeout(() => console.log("late timer fired"), 1000);
  callback(null, { waited: false });
};
exports.unicodeError = async () => {
  throw new Error("日本\n語");
};
exports.callbackError = (event, context, callback) => callback(new RangeError("out of range"));
exports.succeed = (event, context) => context.succeed({ succeeded: true });
exports.syncNoCallback = () => {};
exports.pending = async () => new Promise(() => {});
exports.ctx = async (event, context) => ({
  awsRequestId: context.awsRequestId,
  invokedFunctionArn: context.invokedFunctionArn,
  functionName: context.functionName,
  functionVersion: context.functionVersion,
  memoryLimitInMB: context.memoryLimitInMB,
  logGroupName: context.logGroupName,
  logStreamName: context.logStreamName,
  remainingPositive: context.getRemainingTimeInMillis() > 0 && context.getRemainingTimeInMillis() <= 30000,
  clientContext: context.clientContext,
  identity: context.identity,
  waits: context.callbackWaitsForEmptyEventLoop,
});
exports.count = async () => ({ counter: ++counter, trace: process.env._X_AMZN_TRACE_ID ?? null });
exports.logs = async () => {
  console.log("hello %s", "world");
  console.info("multi\nline");
  console.debug("debugged");
  console.error(new Error("oops"));
  return "logged";
};
exports.uncaught = () => {
  setImmediate(() => {
    throw new Error("async boom");
  });
};
exports.unhandled = () => {
  Promise.reject(new Error("late"));
};
exports.layers = async () => [require("layerlib").name, require("layer20lib").name];
`

func nodeFixture(t *testing.T) string {
	major := strings.TrimPrefix(strings.Split(nodeVersion(t), ".")[0], "v")
	return writeTree(t, map[string]string{
		"index.js":            nodeApp,
		"esm/app.mjs":         "export const handler = async (event) => ({ esm: true, event });\n",
		"esmpkg/package.json": `{"type": "module"}`,
		"esmpkg/index.js":     "export const handler = async () => 'esm via package.json';\n",
		"cjs/mod.cjs":         "module.exports.handler = async () => 'cjs';\n",
		"bad.js":              "module.exports = {\n",
		"throws.js":           "throw new Error('init failed');\n",
		"stream.js":           "exports.handler = awslambda.streamifyResponse(async (event, stream) => stream.end());\n",
		"opt/nodejs/node_modules/layerlib/index.js":                     "exports.name = 'layer';\n",
		"opt/nodejs/node" + major + "/node_modules/layer20lib/index.js": "exports.name = 'versioned layer';\n",
	})
}

func nodeVersion(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("node", "--version").Output()
	if err != nil {
		t.Skipf("node not available: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// nodeRun starts the Node bootstrap for handler in root.
func nodeRun(t *testing.T, root, handler string, extra map[string]string) (*fakeRuntimeAPI, *runtimeProcess) {
	t.Helper()
	api := newFakeRuntimeAPI(t)
	env := map[string]string{"_HANDLER": handler}
	for k, v := range extra {
		env[k] = v
	}
	return api, startRuntime(t, api, root, []string{"node", filepath.Join(runtimeDir(t), NodeFile)}, env)
}

func TestNode(t *testing.T) {
	root := nodeFixture(t)
	invoke := func(t *testing.T, handler, event string) runtimePost {
		api, p := nodeRun(t, root, handler, nil)
		return api.Invoke(t, p, invocation{RequestID: requestID(1), Event: event})
	}

	t.Run("async result", func(t *testing.T) {
		wantResponse(t, invoke(t, "index.ok", `{"a":[1,2.5,"x"]}`), requestID(1), "application/json", `{"echo":{"a":[1,2.5,"x"]}}`)
	})
	t.Run("nested property", func(t *testing.T) {
		wantResponse(t, invoke(t, "index.nested.deep.fn", `{}`), requestID(1), "application/json", `"nested"`)
	})
	t.Run("ESM .mjs in a directory", func(t *testing.T) {
		wantResponse(t, invoke(t, "esm/app.handler", `{"k":1}`), requestID(1), "application/json", `{"esm":true,"event":{"k":1}}`)
	})
	t.Run("ESM .js under type module", func(t *testing.T) {
		wantResponse(t, invoke(t, "esmpkg/index.handler", `{}`), requestID(1), "application/json", `"esm via package.json"`)
	})
	t.Run("CommonJS .cjs", func(t *testing.T) {
		wantResponse(t, invoke(t, "cjs/mod.handler", `{}`), requestID(1), "application/json", `"cjs"`)
	})
	t.Run("callback waits for the event loop", func(t *testing.T) {
		api, p := nodeRun(t, root, "index.callback", nil)
		// The handler calls back at once and leaves a 50 ms timer: the
		// answer may only come once the timer ran. (Its log line is read
		// from a pipe, so it can arrive after the answer: time the answer.)
		began := time.Now()
		post := api.Invoke(t, p, invocation{RequestID: requestID(1), Event: `{}`})
		if waited := time.Since(began); waited < 50*time.Millisecond {
			t.Errorf("response posted after %v, before the pending 50 ms timer ran", waited)
		}
		wantResponse(t, post, requestID(1), "application/json", `{"callback":true}`)
	})
	t.Run("callback without waiting", func(t *testing.T) {
		api, p := nodeRun(t, root, "index.callbackNoWait", nil)
		post := api.Invoke(t, p, invocation{RequestID: requestID(1), Event: `{}`})
		wantResponse(t, post, requestID(1), "application/json", `{"waited":false}`)
		if strings.Contains(p.stdout.String(), "late timer fired") {
			t.Errorf("response waited for the timer although callbackWaitsForEmptyEventLoop = false")
		}
	})
	t.Run("context.succeed", func(t *testing.T) {
		wantResponse(t, invoke(t, "index.succeed", `{}`), requestID(1), "application/json", `{"succeeded":true}`)
	})
	t.Run("sync handler without callback answers null", func(t *testing.T) {
		wantResponse(t, invoke(t, "index.syncNoCallback", `{}`), requestID(1), "application/json", `null`)
	})

	t.Run("string rejection", func(t *testing.T) {
		post := invoke(t, "index.rejectString", `{}`)
		wantNodeError(t, post, "error", "")
		if string(post.Body) != `{"errorType":"string","errorMessage":"boom","trace":[]}` {
			t.Errorf("body %s", post.Body)
		}
	})
	t.Run("thrown TypeError", func(t *testing.T) {
		api, p := nodeRun(t, root, "index.typeError", nil)
		post := api.Invoke(t, p, invocation{RequestID: requestID(2), Event: `{}`})
		body := wantNodeError(t, post, "error", "")
		wantTrace(t, body, "TypeError", "bad thing", "    at exports.typeError [as handler] ("+root+"/index.js:")
		p.stdout.WaitFor(t, "\t"+requestID(2)+"\tERROR\tInvoke Error \t{\"errorType\":\"TypeError\",\"errorMessage\":\"bad thing\",\"stack\":[\"TypeError: bad thing\"")
	})
	t.Run("non-ASCII error message", func(t *testing.T) {
		post := invoke(t, "index.unicodeError", `{}`)
		body := wantNodeError(t, post, "error", "")
		wantTrace(t, body, "Error", "日本\n語", "")
		var cause struct{ Exceptions []struct{ Message string } }
		if err := json.Unmarshal([]byte(post.Header.Get("Lambda-Runtime-Function-XRay-Error-Cause")), &cause); err != nil ||
			len(cause.Exceptions) != 1 || cause.Exceptions[0].Message != "日本\n語" {
			t.Errorf("X-Ray cause %q (%v)", post.Header.Get("Lambda-Runtime-Function-XRay-Error-Cause"), err)
		}
	})
	t.Run("callback error", func(t *testing.T) {
		body := wantNodeError(t, invoke(t, "index.callbackError", `{}`), "error", "")
		wantTrace(t, body, "RangeError", "out of range", "    at exports.callbackError [as handler] (")
	})
	t.Run("async promise never settled", func(t *testing.T) {
		body := wantNodeError(t, invoke(t, "index.pending", `{}`), "error", "")
		wantTrace(t, body, "Runtime.NodeJsExit",
			"The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes",
			"")
	})
	t.Run("uncaught exception", func(t *testing.T) {
		api, p := nodeRun(t, root, "index.uncaught", nil)
		body := wantNodeError(t, api.Invoke(t, p, invocation{RequestID: requestID(1), Event: `{}`}), "error", "")
		wantTrace(t, body, "Error", "async boom", "")
		if code := p.ExitCode(t); code != 129 {
			t.Errorf("exit code %d, want 129", code)
		}
		p.stdout.WaitFor(t, "\tERROR\tUncaught Exception \t{\"errorType\":\"Error\",\"errorMessage\":\"async boom\"")
	})
	t.Run("unhandled rejection", func(t *testing.T) {
		api, p := nodeRun(t, root, "index.unhandled", nil)
		body := wantNodeError(t, api.Invoke(t, p, invocation{RequestID: requestID(1), Event: `{}`}), "error", "")
		wantTrace(t, body, "Runtime.UnhandledPromiseRejection", "Error: late", "")
		if code := p.ExitCode(t); code != 128 {
			t.Errorf("exit code %d, want 128", code)
		}
	})

	t.Run("context", func(t *testing.T) {
		api, p := nodeRun(t, root, "index.ctx", nil)
		post := api.Invoke(t, p, invocation{
			RequestID:     requestID(3),
			Event:         `{}`,
			ClientContext: `{"custom":{"k":"v"},"client":{"installation_id":"inst"}}`,
			Identity:      `{"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"}`,
		})
		wantJSON(t, post, map[string]any{
			"awsRequestId":       requestID(3),
			"invokedFunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:fn",
			"functionName":       "fn",
			"functionVersion":    "$LATEST",
			"memoryLimitInMB":    "128",
			"logGroupName":       "/aws/lambda/fn",
			"logStreamName":      "2026/01/02/[$LATEST]0123456789abcdef",
			"remainingPositive":  true,
			"clientContext":      map[string]any{"custom": map[string]any{"k": "v"}, "client": map[string]any{"installation_id": "inst"}},
			"identity":           map[string]any{"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"},
			"waits":              true,
		})
	})
	t.Run("warm reuse and trace id", func(t *testing.T) {
		api, p := nodeRun(t, root, "index.count", nil)
		trace := "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"
		wantJSON(t, api.Invoke(t, p, invocation{RequestID: requestID(1), Event: `{}`, TraceID: trace}), map[string]any{"counter": 1.0, "trace": trace})
		wantJSON(t, api.Invoke(t, p, invocation{RequestID: requestID(2), Event: `{}`}), map[string]any{"counter": 2.0, "trace": nil})
		if n := api.Connections(); n != 1 {
			t.Errorf("runtime used %d connections for two invokes, want one kept alive", n)
		}
	})
	t.Run("text logs", func(t *testing.T) {
		api, p := nodeRun(t, root, "index.logs", nil)
		api.Invoke(t, p, invocation{RequestID: requestID(4), Event: `{}`})
		out := p.stdout.WaitFor(t, "Error: oops")
		prefix := `(?m)^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t` + regexp.QuoteMeta(requestID(4)) + `\t`
		wantMatch(t, out, prefix+`INFO\thello world$`)
		wantMatch(t, out, prefix+`INFO\tmulti\rline$`)
		wantMatch(t, out, prefix+`DEBUG\tdebugged$`)
		wantMatch(t, out, prefix+`ERROR\tError: oops\r    at exports.logs \[as handler\] `)
	})
	t.Run("JSON logs", func(t *testing.T) {
		api, p := nodeRun(t, root, "index.logs", map[string]string{"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"})
		api.Invoke(t, p, invocation{RequestID: requestID(5), Event: `{}`})
		records := jsonRecords(t, p.stdout.WaitFor(t, `"errorMessage":"oops"`))
		if len(records) != 3 {
			t.Fatalf("got %d records, want 3 (DEBUG filtered): %v", len(records), records)
		}
		for i, want := range []map[string]any{
			{"level": "INFO", "requestId": requestID(5), "message": "hello world"},
			{"level": "INFO", "requestId": requestID(5), "message": "multi\nline"},
			{"level": "ERROR", "requestId": requestID(5)},
		} {
			for k, v := range want {
				if records[i][k] != v {
					t.Errorf("record %d: %s = %v, want %v", i, k, records[i][k], v)
				}
			}
		}
		if msg, _ := records[2]["message"].(map[string]any); msg["errorType"] != "Error" || msg["errorMessage"] != "oops" {
			t.Errorf("error record message = %v", records[2]["message"])
		}
	})
	t.Run("layers on NODE_PATH", func(t *testing.T) {
		api, p := nodeRun(t, root, "index.layers", map[string]string{"LAMBKIN_OPT_DIR": filepath.Join(root, "opt")})
		wantJSON(t, api.Invoke(t, p, invocation{RequestID: requestID(1), Event: `{}`}), []any{"layer", "versioned layer"})
	})

	// Init failures: logged as an uncaught exception, posted to /init/error
	// with the Runtime.* type in the header, then exit 129.
	for _, tc := range []struct{ name, handler, errorType, message string }{
		{"relative path", "../index.ok", "Runtime.MalformedHandlerName", "'../index.ok' is not a valid handler name. Use absolute paths when specifying root directories in handler names."},
		{"no dot", "nodot", "Runtime.MalformedHandlerName", "Bad handler"},
		{"import error", "missing.handler", "Runtime.ImportModuleError", "Error: Cannot find module 'missing'\nRequire stack:\n- <bootstrap>"},
		{"handler not exported", "index.nope", "Runtime.HandlerNotFound", "index.nope is undefined or not exported"},
		{"handler not a function", "index.notfn", "Runtime.HandlerNotFound", "index.notfn is not a function"},
		{"syntax error", "bad.handler", "Runtime.UserCodeSyntaxError", "SyntaxError: Unexpected end of input"},
		{"exception at import", "throws.handler", "Error", "init failed"},
		{"response streaming", "stream.handler", "Runtime.MalformedStreamingHandler", "lambkin does not support response streaming yet."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			api, p := nodeRun(t, root, tc.handler, nil)
			body := wantNodeError(t, api.NextPost(t, p), "init/error", tc.errorType)
			bootstrapPath := p.cmd.Args[1]
			wantTrace(t, body, tc.errorType, strings.ReplaceAll(tc.message, "<bootstrap>", bootstrapPath), "")
			if code := p.ExitCode(t); code != 129 {
				t.Errorf("exit code %d, want 129", code)
			}
			p.stdout.WaitFor(t, "\tundefined\tERROR\tUncaught Exception \t{\"errorType\":\""+tc.errorType+"\"")
		})
	}
}

// wantNodeError checks an error post's kind and error-type header and
// returns its body, which must have exactly aws-lambda-ric's three fields.
func wantNodeError(t *testing.T, post runtimePost, kind, errorType string) map[string]any {
	t.Helper()
	if post.Kind != kind {
		t.Fatalf("got %s (%s), want %s", post.Kind, post.Body, kind)
	}
	if got := post.Header.Get("Lambda-Runtime-Function-Error-Type"); got != errorType {
		t.Errorf("error type header %q, want %q", got, errorType)
	}
	var body map[string]any
	if err := json.Unmarshal(post.Body, &body); err != nil {
		t.Fatalf("error body %q: %v", post.Body, err)
	}
	var keys []string
	for k := range body {
		keys = append(keys, k)
	}
	if len(keys) != 3 || body["errorType"] == nil || body["errorMessage"] == nil || body["trace"] == nil {
		t.Errorf("error body has fields %v, want errorType, errorMessage, trace", keys)
	}
	return body
}

// wantTrace checks errorType, errorMessage, the trace's first line (as
// V8 prints it) and, if frame is set, that the second line starts with it.
func wantTrace(t *testing.T, body map[string]any, errorType, message, frame string) {
	t.Helper()
	if body["errorType"] != errorType || body["errorMessage"] != message {
		t.Errorf("error %v: %q, want %v: %q", body["errorType"], body["errorMessage"], errorType, message)
	}
	trace, _ := body["trace"].([]any)
	first := errorType + ": " + strings.Split(message, "\n")[0]
	if len(trace) == 0 || trace[0] != first {
		t.Fatalf("trace %q, want it to start with %q", trace, first)
	}
	if frame != "" && (len(trace) < 2 || !strings.HasPrefix(trace[1].(string), frame)) {
		t.Errorf("trace %q, want second line to start with %q", trace, frame)
	}
}

// TestNodeMatchesOfficialClient runs fixtures through both lambkin's
// bootstrap and AWS's aws-lambda-ric (a package directory named by
// LAMBKIN_OFFICIAL_NODE_RIC, with its native addon built) and compares what
// each posts. Trace lines inside either runtime are left out, since the two
// runtimes' own frames differ.
func TestNodeMatchesOfficialClient(t *testing.T) {
	ric := os.Getenv("LAMBKIN_OFFICIAL_NODE_RIC")
	if ric == "" {
		t.Skip("LAMBKIN_OFFICIAL_NODE_RIC not set")
	}
	// 3.x ships bin/index.mjs (handler as argument) over dist/index.mjs;
	// 4.x is a single index.mjs reading _HANDLER.
	official := runtimeUnderTest{argv: []string{"node", filepath.Join(ric, "index.mjs")}, file: filepath.Join(ric, "index.mjs"), dir: ric}
	// lambkin follows the client of Lambda's nodejs20.x/22.x runtimes: 3.x
	// plus Runtime.NodeJsExit, added after 3.3.0. 4.x is the Node 24 client.
	var knownDifferences map[string]string
	compareExitCodes := true
	if _, err := os.Stat(filepath.Join(ric, "bin", "index.mjs")); err == nil {
		official.argv[1], official.file, official.handlerArg = filepath.Join(ric, "bin", "index.mjs"), filepath.Join(ric, "dist", "index.mjs"), true
		knownDifferences = map[string]string{
			"index.pending": "3.3.0 predates Runtime.NodeJsExit and answers null when an async handler's promise never settles",
		}
	} else {
		callbacks := "4.x rejects handlers with a callback parameter at init (Runtime.CallbackHandlerDeprecated)"
		noHandlers := "4.x sets no beforeExit, uncaughtException or unhandledRejection handlers: the process just exits"
		knownDifferences = map[string]string{
			"index.callback":      callbacks,
			"index.callbackError": callbacks,
			"index.succeed":       "4.x's context has no succeed, fail or done",
			"index.ctx":           "4.x's context has no callbackWaitsForEmptyEventLoop",
			"index.pending":       noHandlers,
			"index.uncaught":      noHandlers,
			"index.unhandled":     noHandlers,
			"bad.handler":         "4.x keeps the SyntaxError's own stack as the trace",
		}
		compareExitCodes = false // 4.x exits 1 after an init error, 3.x 129
	}
	dir := runtimeDir(t)
	ours := runtimeUnderTest{argv: []string{"node", filepath.Join(dir, NodeFile)}, file: filepath.Join(dir, NodeFile), dir: dir}
	root := nodeFixture(t)
	for _, handler := range []string{
		"index.ok", "index.nested.deep.fn", "esm/app.handler", "esmpkg/index.handler", "cjs/mod.handler",
		"index.callback", "index.succeed", "index.syncNoCallback", "index.rejectString", "index.typeError",
		"index.callbackError", "index.pending", "index.uncaught", "index.unhandled", "index.ctx",
		"../index.ok", "nodot", "missing.handler", "index.nope", "index.notfn", "bad.handler", "throws.handler",
	} {
		t.Run(handler, func(t *testing.T) {
			if reason, ok := knownDifferences[handler]; ok {
				t.Skip(reason)
			}
			a, aCode := ours.run(t, root, handler)
			b, bCode := official.run(t, root, handler)
			if a.Kind != b.Kind || a.Header.Get("Lambda-Runtime-Function-Error-Type") != b.Header.Get("Lambda-Runtime-Function-Error-Type") {
				t.Errorf("post: lambkin %s %q, official %s %q", a.Kind, a.Header.Get("Lambda-Runtime-Function-Error-Type"),
					b.Kind, b.Header.Get("Lambda-Runtime-Function-Error-Type"))
			}
			if !reflect.DeepEqual(ours.comparable(a.Body), official.comparable(b.Body)) {
				t.Errorf("body differs\nlambkin:  %s\nofficial: %s", a.Body, b.Body)
			}
			if compareExitCodes && aCode != bCode {
				t.Errorf("exit: lambkin %d, official %d", aCode, bCode)
			}
		})
	}
}

// runtimeUnderTest is a Node runtime client to compare.
type runtimeUnderTest struct {
	argv       []string
	file       string // the runtime's code, as it appears in error texts
	dir        string // where all of the runtime's code is
	handlerArg bool   // whether the handler goes on the command line
}

// run serves one invoke (or none if init fails) and returns the runtime's
// post and, for runtimes that exit, their exit code (-1 if still running).
func (r runtimeUnderTest) run(t *testing.T, root, handler string) (runtimePost, int) {
	t.Helper()
	api := newFakeRuntimeAPI(t)
	argv := r.argv
	if r.handlerArg {
		argv = append(argv[:len(argv):len(argv)], handler)
	}
	p := startRuntime(t, api, root, argv, map[string]string{"_HANDLER": handler})
	var post runtimePost
	select {
	case <-api.firstNext:
		post = api.Invoke(t, p, invocation{RequestID: requestID(1), Event: `{"k":1}`})
	case post = <-api.posts:
	case <-p.exited:
		t.Fatalf("%v exited: %v\n%s\n%s", argv, p.err, p.stdout, p.stderr)
	case <-time.After(waitLimit):
		t.Fatalf("%v neither asked for work nor posted", argv)
	}
	code := -1
	if post.Kind != "response" && handler != "index.rejectString" && handler != "index.typeError" &&
		handler != "index.callbackError" && handler != "index.pending" {
		code = p.ExitCode(t)
	}
	return post, code
}

// comparable decodes a posted body, naming the runtime's file "<runtime>"
// and dropping trace frames inside the runtime or Node itself.
func (r runtimeUnderTest) comparable(body []byte) any {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return string(body)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	if msg, ok := m["errorMessage"].(string); ok {
		m["errorMessage"] = strings.ReplaceAll(msg, r.file, "<runtime>")
	}
	if trace, ok := m["trace"].([]any); ok {
		kept := []any{}
		for _, line := range trace {
			s := line.(string)
			if s == "- "+r.file { // in "Require stack:" lists
				kept = append(kept, "- <runtime>")
			} else if !strings.Contains(s, r.dir) && !strings.Contains(s, "node:internal") {
				kept = append(kept, s)
			}
		}
		m["trace"] = kept
	}
	return m
}
