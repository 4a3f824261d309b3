package bootstrap

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// pythonApp is the task root every Python case runs against.
const pythonApp = `import os

counter = 0


def ok(event, context):
    return {"echo": event}


def raw(event, context):
    return b"\x00\xffraw"


def none(event, context):
    return None


def fail(event, context):
    raise ValueError("bad input " + str(event["x"]))


def unicode_error(event, context):
    raise ValueError("\u65e5\u672c\n\u8a9e")


def ctx(event, context):
    cc = context.client_context
    return {
        "aws_request_id": context.aws_request_id,
        "invoked_function_arn": context.invoked_function_arn,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "remaining_positive": 0 < context.get_remaining_time_in_millis() <= 30000,
        "custom": cc.custom,
        "env": cc.env,
        "installation_id": cc.client.installation_id,
        "identity": [context.identity.cognito_identity_id, context.identity.cognito_identity_pool_id],
    }


def count(event, context):
    global counter
    counter += 1
    return {"counter": counter, "trace": os.environ.get("_X_AMZN_TRACE_ID")}


def logs(event, context):
    import logging

    logging.getLogger().warning("warned %s", "here")
    logging.getLogger().info("informed")
    logging.getLogger("app.sub").error("extra %d", 1, extra={"k": "v"})
    print("printed")
    context.log("via context\n")
    return "logged"


def decimals(event, context):
    from decimal import Decimal

    return {"d": Decimal("1.10"), "big": Decimal("1E+3"), "nan": Decimal("NaN"), "s": "\u00e9"}


def unserializable(event, context):
    return {"s": {1}}


def layers(event, context):
    import layermod
    import sitemod

    return [layermod.NAME, sitemod.NAME]
`

func pythonFixture(t *testing.T, version string) string {
	return writeTree(t, map[string]string{
		"app.py":                 pythonApp,
		"bad.py":                 "def handler(event, context)\n    return 1\n",
		"boom.py":                "raise RuntimeError(\"init failed\")\n",
		"pkg/sub/mod.py":         "def handler(event, context):\n    return 'nested'\n",
		"opt/python/layermod.py": "NAME = 'layer'\n",
		"opt/python/lib/" + version + "/site-packages/sitemod.py": "NAME = 'site-packages'\n",
	})
}

// pythonInterpreter is one Python 3.8+ found on the host.
type pythonInterpreter struct {
	Name    string // for subtest names: "python3.11" or "pyenv-3.11.7"
	Path    string
	Version string // "python3.11"
}

// pythonInterpreters finds Debian's interpreters and pyenv's.
func pythonInterpreters(t *testing.T) []pythonInterpreter {
	t.Helper()
	pyenv := os.Getenv("PYENV_ROOT")
	if pyenv == "" {
		home, _ := os.UserHomeDir()
		pyenv = filepath.Join(home, ".pyenv")
	}
	system, _ := filepath.Glob("/usr/bin/python3.*")
	versions, _ := filepath.Glob(filepath.Join(pyenv, "versions", "*", "bin", "python3.*"))
	name := regexp.MustCompile(`/(python3\.(\d+))$`)
	var found []pythonInterpreter
	seen := map[string]bool{}
	for _, path := range append(system, versions...) {
		m := name.FindStringSubmatch(path)
		if m == nil {
			continue
		}
		if minor, _ := strconv.Atoi(m[2]); minor < 8 {
			continue
		}
		real, err := filepath.EvalSymlinks(path)
		if err != nil || seen[real] {
			continue
		}
		seen[real] = true
		label := m[1]
		if rel, err := filepath.Rel(filepath.Join(pyenv, "versions"), path); err == nil && !strings.HasPrefix(rel, "..") {
			label = "pyenv-" + strings.Split(rel, "/")[0]
		}
		found = append(found, pythonInterpreter{Name: label, Path: path, Version: m[1]})
	}
	if len(found) == 0 {
		t.Skip("no Python 3.8+ interpreter on this host")
	}
	return found
}

func TestPython(t *testing.T) {
	bootstrapPath := filepath.Join(runtimeDir(t), PythonFile)
	for _, py := range pythonInterpreters(t) {
		t.Run(py.Name, func(t *testing.T) {
			t.Parallel()
			testPython(t, py, bootstrapPath)
		})
	}
}

func testPython(t *testing.T, py pythonInterpreter, bootstrapPath string) {
	root := pythonFixture(t, py.Version)
	start := func(t *testing.T, handler string, extra map[string]string) (*fakeRuntimeAPI, *runtimeProcess) {
		api := newFakeRuntimeAPI(t)
		env := map[string]string{"_HANDLER": handler}
		for k, v := range extra {
			env[k] = v
		}
		return api, startRuntime(t, api, root, []string{py.Path, bootstrapPath}, env)
	}
	invoke := func(t *testing.T, handler, event string) runtimePost {
		api, p := start(t, handler, nil)
		return api.Invoke(t, p, invocation{RequestID: requestID(1), Event: event})
	}

	t.Run("dict result", func(t *testing.T) {
		post := invoke(t, "app.ok", `{"a": [1, 2.5, "x"]}`)
		wantResponse(t, post, requestID(1), "application/json", `{"echo": {"a": [1, 2.5, "x"]}}`)
	})
	t.Run("bytes result", func(t *testing.T) {
		post := invoke(t, "app.raw", `{}`)
		wantResponse(t, post, requestID(1), "application/unknown", "\x00\xffraw")
	})
	t.Run("None result", func(t *testing.T) {
		wantResponse(t, invoke(t, "app.none", `{}`), requestID(1), "application/json", "null")
	})
	t.Run("Decimal result", func(t *testing.T) {
		post := invoke(t, "app.decimals", `{}`)
		wantResponse(t, post, requestID(1), "application/json", `{"d": 1.10, "big": 1E+3, "nan": NaN, "s": "\u00e9"}`)
	})
	t.Run("python3.12 keeps non-ASCII", func(t *testing.T) {
		// awslambdaric's encoder special case for that runtime.
		api, p := start(t, "app.decimals", map[string]string{"AWS_EXECUTION_ENV": "AWS_Lambda_python3.12"})
		post := api.Invoke(t, p, invocation{RequestID: requestID(1), Event: `{}`})
		wantResponse(t, post, requestID(1), "application/json", `{"d": 1.10, "big": 1E+3, "nan": NaN, "s": "é"}`)
	})
	t.Run("event that is not JSON", func(t *testing.T) {
		post := invoke(t, "app.ok", `{not json`)
		wantError(t, post, "error", "Runtime.UnmarshalError", map[string]any{
			"errorMessage": "Unable to unmarshal input: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
			"errorType":    "Runtime.UnmarshalError",
			"requestId":    requestID(1),
			"stackTrace":   []any{},
		})
	})
	t.Run("nested module path", func(t *testing.T) {
		wantResponse(t, invoke(t, "pkg/sub/mod.handler", `{}`), requestID(1), "application/json", `"nested"`)
	})

	t.Run("handler raises", func(t *testing.T) {
		api, p := start(t, "app.fail", nil)
		post := api.Invoke(t, p, invocation{RequestID: requestID(7), Event: `{"x": 42}`})
		line := lineOf(t, pythonApp, `raise ValueError`)
		frame := fmt.Sprintf("  File \"%s/app.py\", line %d, in fail\n    raise ValueError(\"bad input \" + str(event[\"x\"]))\n", root, line)
		wantError(t, post, "error", "ValueError", map[string]any{
			"errorMessage": "bad input 42",
			"errorType":    "ValueError",
			"requestId":    requestID(7),
			"stackTrace":   []any{frame},
		})
		wantXRayCause(t, post, "ValueError", "bad input 42", root+"/app.py", line, "fail")
		// awslambdaric's log record: one line, \r between lines, indentation as NO-BREAK SPACEs.
		p.stdout.WaitFor(t, "[ERROR] ValueError: bad input 42\rTraceback (most recent call last):\r"+
			fmt.Sprintf("\u00a0\u00a0File \"%s/app.py\", line %d, in fail\r", root, line)+
			"\u00a0\u00a0\u00a0\u00a0raise ValueError(\"bad input \" + str(event[\"x\"]))\n")
	})
	t.Run("non-ASCII error message", func(t *testing.T) {
		post := invoke(t, "app.unicode_error", `{}`)
		body := wantError(t, post, "error", "ValueError", nil)
		if body["errorMessage"] != "\u65e5\u672c\n\u8a9e" {
			t.Errorf("errorMessage %q", body["errorMessage"])
		}
		wantXRayCause(t, post, "ValueError", "\u65e5\u672c\n\u8a9e", root+"/app.py", lineOf(t, pythonApp, `raise ValueError("\u65e5`), "unicode_error")
	})
	t.Run("unserializable result", func(t *testing.T) {
		post := invoke(t, "app.unserializable", `{}`)
		wantError(t, post, "error", "Runtime.MarshalError", map[string]any{
			"errorMessage": "Unable to marshal response: Object of type set is not JSON serializable",
			"errorType":    "Runtime.MarshalError",
			"requestId":    requestID(1),
			"stackTrace":   []any{},
		})
	})

	t.Run("context", func(t *testing.T) {
		api, p := start(t, "app.ctx", nil)
		post := api.Invoke(t, p, invocation{
			RequestID:     requestID(3),
			Event:         `{}`,
			ClientContext: `{"custom": {"k": "v"}, "env": {"platform": "x"}, "client": {"installation_id": "inst"}}`,
			Identity:      `{"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"}`,
		})
		wantJSON(t, post, map[string]any{
			"aws_request_id":       requestID(3),
			"invoked_function_arn": "arn:aws:lambda:us-east-1:000000000000:function:fn",
			"function_name":        "fn",
			"function_version":     "$LATEST",
			"memory_limit_in_mb":   "128",
			"log_group_name":       "/aws/lambda/fn",
			"log_stream_name":      "2026/01/02/[$LATEST]0123456789abcdef",
			"remaining_positive":   true,
			"custom":               map[string]any{"k": "v"},
			"env":                  map[string]any{"platform": "x"},
			"installation_id":      "inst",
			"identity":             []any{"id-1", "pool-1"},
		})
	})

	t.Run("warm reuse and trace id", func(t *testing.T) {
		api, p := start(t, "app.count", nil)
		trace := "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
		post := api.Invoke(t, p, invocation{RequestID: requestID(1), Event: `{}`, TraceID: trace})
		wantJSON(t, post, map[string]any{"counter": 1.0, "trace": trace})
		post = api.Invoke(t, p, invocation{RequestID: requestID(2), Event: `{}`})
		wantJSON(t, post, map[string]any{"counter": 2.0, "trace": nil})
		if n := api.Connections(); n != 1 {
			t.Errorf("runtime used %d connections for two invokes, want one kept alive", n)
		}
	})

	t.Run("text logs", func(t *testing.T) {
		api, p := start(t, "app.logs", nil)
		wantResponse(t, api.Invoke(t, p, invocation{RequestID: requestID(4), Event: `{}`}), requestID(4), "application/json", `"logged"`)
		out := p.stdout.WaitFor(t, "via context\n")
		prefix := `\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t` + regexp.QuoteMeta(requestID(4)) + `\t`
		wantMatch(t, out, `(?m)^\[WARNING\]`+prefix+`warned here$`)
		wantMatch(t, out, `(?m)^\[ERROR\]`+prefix+`extra 1$`)
		wantMatch(t, out, `(?m)^printed$`)
		if strings.Contains(out, "informed") {
			t.Errorf("INFO record logged although the default level is WARNING:\n%s", out)
		}
	})

	t.Run("JSON logs", func(t *testing.T) {
		api, p := start(t, "app.logs", map[string]string{"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"})
		api.Invoke(t, p, invocation{RequestID: requestID(5), Event: `{}`})
		records := jsonRecords(t, p.stdout.WaitFor(t, "via context\n"))
		want := []map[string]any{
			{"level": "WARNING", "message": "warned here", "logger": "root", "requestId": requestID(5)},
			{"level": "INFO", "message": "informed", "logger": "root", "requestId": requestID(5)},
			{"level": "ERROR", "message": "extra 1", "logger": "app.sub", "requestId": requestID(5), "k": "v"},
		}
		if len(records) != len(want) {
			t.Fatalf("got %d JSON records, want %d: %v", len(records), len(want), records)
		}
		for i, rec := range records {
			ts, _ := rec["timestamp"].(string)
			if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(ts) {
				t.Errorf("record %d timestamp %q", i, ts)
			}
			delete(rec, "timestamp")
			if !reflect.DeepEqual(rec, want[i]) {
				t.Errorf("record %d = %v, want %v", i, rec, want[i])
			}
		}
	})

	t.Run("JSON error log", func(t *testing.T) {
		api, p := start(t, "app.fail", map[string]string{"AWS_LAMBDA_LOG_FORMAT": "JSON"})
		api.Invoke(t, p, invocation{RequestID: requestID(6), Event: `{"x": 1}`})
		records := jsonRecords(t, p.stdout.WaitFor(t, `"errorType": "ValueError"`))
		rec := records[len(records)-1]
		if ts, _ := rec["timestamp"].(string); !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$`).MatchString(ts) {
			t.Errorf("timestamp %q, want awslambdaric's second-precision form", ts)
		}
		if rec["level"] != "ERROR" || rec["errorMessage"] != "bad input 1" || rec["requestId"] != requestID(6) {
			t.Errorf("error record = %v", rec)
		}
	})

	t.Run("layers", func(t *testing.T) {
		api, p := start(t, "app.layers", map[string]string{"LAMBKIN_OPT_DIR": filepath.Join(root, "opt")})
		post := api.Invoke(t, p, invocation{RequestID: requestID(1), Event: `{}`})
		wantResponse(t, post, requestID(1), "application/json", `["layer", "site-packages"]`)
	})

	// Init failures: posted to /init/error with awslambdaric's texts, then exit 1.
	initCases := []struct {
		name, handler, errorType, message string
		stackTrace                        []any
	}{
		{"malformed handler", "nodot", "Runtime.MalformedHandlerName", "Bad handler 'nodot': not enough values to unpack (expected 2, got 1)", nil},
		{"import error", "nope.handler", "Runtime.ImportModuleError", "Unable to import module 'nope': No module named 'nope'", nil},
		{"missing handler", "app.missing", "Runtime.HandlerNotFound", "Handler 'missing' missing on module 'app'", nil},
		{"built-in module", "sys.handler", "Runtime.BuiltInModuleConflict", "Cannot use built-in module sys as a handler module", nil},
	}
	syntaxMessage, syntaxTrace := pythonSyntaxError(t, py, root)
	initCases = append(initCases, struct {
		name, handler, errorType, message string
		stackTrace                        []any
	}{"syntax error", "bad.handler", "Runtime.UserCodeSyntaxError", "Syntax error in module 'bad': " + syntaxMessage, []any{syntaxTrace}})
	for _, tc := range initCases {
		t.Run(tc.name, func(t *testing.T) {
			api, p := start(t, tc.handler, nil)
			post := api.NextPost(t, p)
			if tc.stackTrace == nil {
				tc.stackTrace = []any{}
			}
			wantError(t, post, "init/error", tc.errorType, map[string]any{
				"errorMessage": tc.message,
				"errorType":    tc.errorType,
				"requestId":    "",
				"stackTrace":   tc.stackTrace,
			})
			if code := p.ExitCode(t); code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			out := p.stdout.String()
			wantMatch(t, out, `(?m)^\[WARNING\]\t\S+Z\t\tLAMBDA_WARNING: Unhandled exception\.`)
			if !strings.Contains(out, "[ERROR] "+tc.errorType+": "+tc.message+"\rTraceback (most recent call last):") {
				t.Errorf("stdout lacks the error record:\n%s", out)
			}
		})
	}

	t.Run("exception at import", func(t *testing.T) {
		api, p := start(t, "boom.handler", nil)
		post := api.NextPost(t, p)
		body := wantError(t, post, "init/error", "RuntimeError", nil)
		trace, _ := body["stackTrace"].([]any)
		last := fmt.Sprintf("  File \"%s/boom.py\", line 1, in <module>\n    raise RuntimeError(\"init failed\")\n", root)
		if body["errorMessage"] != "init failed" || len(trace) == 0 || trace[len(trace)-1] != last {
			t.Errorf("body = %v, want message %q and last frame %q", body, "init failed", last)
		}
		for _, frame := range trace {
			if strings.Contains(frame.(string), PythonFile) {
				t.Errorf("bootstrap frame in the user's trace: %q", frame)
			}
		}
	})
}

// pythonSyntaxError asks the interpreter what importing bad.py raises, so the
// expected text follows each Python version's wording.
func pythonSyntaxError(t *testing.T, py pythonInterpreter, root string) (message, frame string) {
	t.Helper()
	script := `
import json, sys
sys.path.insert(0, sys.argv[1])
try:
    import bad
except SyntaxError as e:
    print(json.dumps([str(e), '  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]))
`
	cmd := exec.Command(py.Path, "-B", "-c", script, root)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", py.Path, err)
	}
	var parts [2]string
	if err := json.Unmarshal(out, &parts); err != nil {
		t.Fatalf("%s printed %q: %v", py.Path, out, err)
	}
	return parts[0], parts[1]
}

func wantResponse(t *testing.T, post runtimePost, id, contentType, body string) {
	t.Helper()
	if post.Kind != "response" || post.RequestID != id {
		t.Fatalf("got %s for %q (%s), want response for %q", post.Kind, post.RequestID, post.Body, id)
	}
	if got := post.Header.Get("Content-Type"); got != contentType {
		t.Errorf("Content-Type %q, want %q", got, contentType)
	}
	if string(post.Body) != body {
		t.Errorf("body %q, want %q", post.Body, body)
	}
}

// wantError checks an error post's kind, error-type header and (unless want
// is nil) its exact JSON body; it returns the decoded body.
func wantError(t *testing.T, post runtimePost, kind, errorType string, want map[string]any) map[string]any {
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
	if want != nil && !reflect.DeepEqual(body, want) {
		t.Errorf("error body\n got %#v\nwant %#v", body, want)
	}
	return body
}

func wantXRayCause(t *testing.T, post runtimePost, errorType, message, path string, line int, label string) {
	t.Helper()
	var cause struct {
		WorkingDirectory string `json:"working_directory"`
		Exceptions       []struct {
			Message, Type string
			Stack         []struct {
				Label, Path string
				Line        int
			}
		}
		Paths []string
	}
	header := post.Header.Get("Lambda-Runtime-Function-XRay-Error-Cause")
	if err := json.Unmarshal([]byte(header), &cause); err != nil {
		t.Fatalf("X-Ray cause %q: %v", header, err)
	}
	if len(cause.Exceptions) != 1 || cause.Exceptions[0].Type != errorType || cause.Exceptions[0].Message != message ||
		len(cause.Exceptions[0].Stack) == 0 || cause.WorkingDirectory == "" {
		t.Fatalf("X-Ray cause = %+v", cause)
	}
	frame := cause.Exceptions[0].Stack[0]
	if frame.Path != path || frame.Line != line || frame.Label != label || !reflect.DeepEqual(cause.Paths, []string{path}) {
		t.Errorf("X-Ray cause frame = %+v, paths %v; want %s:%d in %s", frame, cause.Paths, path, line, label)
	}
}

func wantJSON(t *testing.T, post runtimePost, want any) {
	t.Helper()
	if post.Kind != "response" {
		t.Fatalf("got %s: %s", post.Kind, post.Body)
	}
	var got any
	if err := json.Unmarshal(post.Body, &got); err != nil {
		t.Fatalf("body %q: %v", post.Body, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("body\n got %#v\nwant %#v", got, want)
	}
}

func wantMatch(t *testing.T, out, pattern string) {
	t.Helper()
	if !regexp.MustCompile(pattern).MatchString(out) {
		t.Errorf("output does not match %s:\n%q", pattern, out)
	}
}

// jsonRecords decodes the lines of out that are JSON objects.
func jsonRecords(t *testing.T, out string) []map[string]any {
	t.Helper()
	var records []map[string]any
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		records = append(records, rec)
	}
	return records
}
