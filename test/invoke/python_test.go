package invoke

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambkin/lambkin/internal/sandbox"
)

// pyApp is one module that does whatever the event's "op" asks, so a few
// functions cover every case.
const pyApp = `
import json, os, sys, time

COUNT = 0

def handler(event, context):
    global COUNT
    COUNT += 1
    op = event.get("op")
    if op == "context":
        return {
            "event": event,
            "requestId": context.aws_request_id,
            "arn": context.invoked_function_arn,
            "name": context.function_name,
            "version": context.function_version,
            "memory": context.memory_limit_in_mb,
            "logGroup": context.log_group_name,
            "logStream": context.log_stream_name,
            "remaining": context.get_remaining_time_in_millis(),
        }
    if op == "count":
        return {"count": COUNT, "pid": os.getpid()}
    if op == "env":
        return dict(os.environ)
    if op == "raise":
        raise ValueError("bad value: " + str(event.get("n")))
    if op == "sleep":
        time.sleep(event["s"])
        return "slept"
    if op == "exit":
        os._exit(3)
    if op == "oom":
        blocks = []
        for _ in range(300):
            blocks.append(bytearray(1 << 20))
        return len(blocks)
    if op == "tmp":
        st = os.statvfs("/tmp")
        out = {"size": st.f_blocks * st.f_frsize}
        try:
            with open("/tmp/big", "wb") as f:
                chunk = bytes(1 << 20)
                for _ in range(event.get("mb", 0)):
                    f.write(chunk)
                f.flush()
            out["wrote"] = True
        except OSError as e:
            out["errno"] = e.errno
        finally:
            try:
                os.remove("/tmp/big")
            except OSError:
                pass
        return out
    if op == "readonly":
        try:
            open("/var/task/new.txt", "w").write("x")
            return {"cwd": os.getcwd(), "file": __file__, "wrote": True}
        except OSError as e:
            return {"cwd": os.getcwd(), "file": __file__, "errno": e.errno}
    if op == "clientcontext":
        cc = context.client_context
        return {"custom": cc.custom, "env": cc.env, "client": cc.client and {"installation_id": cc.client.installation_id}}
    if op == "log":
        for i in range(event.get("n", 1)):
            print("line %d %s" % (i, "x" * 100))
        return "logged"
    if op == "version":
        return {"version": sys.version, "executable": sys.executable}
    return event
`

func TestPython(t *testing.T) {
	s := start(t)
	c := s.Client("us-east-1")
	for _, rt := range []types.Runtime{types.RuntimePython312, types.RuntimePython311} {
		t.Run(string(rt), func(t *testing.T) {
			testPython(t, c, rt)
		})
	}
}

func testPython(t *testing.T, c *lambda.Client, rt types.Runtime) {
	name := python(t, c, rt, fnName("py"), pyApp, func(in *lambda.CreateFunctionInput) {
		in.Timeout = aws.Int32(1)
		in.MemorySize = aws.Int32(128)
		in.Environment = &types.Environment{Variables: map[string]string{"MY_VAR": "mine", "TZ": "Europe/Paris"}}
	})
	ctx := context.Background()

	t.Run("context", func(t *testing.T) {
		out := invoke(t, c, name, `{"op":"context","x":[1,2]}`)
		var got map[string]any
		ok(t, out, &got)
		if aws.ToString(out.ExecutedVersion) != "$LATEST" {
			t.Errorf("ExecutedVersion %q", aws.ToString(out.ExecutedVersion))
		}
		want := map[string]any{
			"arn":      "arn:aws:lambda:us-east-1:000000000000:function:" + name,
			"name":     name,
			"version":  "$LATEST",
			"memory":   "128",
			"logGroup": "/aws/lambda/" + name,
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s = %v, want %v", k, got[k], v)
			}
		}
		if ev, _ := json.Marshal(got["event"]); string(ev) != `{"op":"context","x":[1,2]}` {
			t.Errorf("event %s", ev)
		}
		if id, _ := got["requestId"].(string); len(id) != 36 {
			t.Errorf("requestId %q", id)
		}
		if r, _ := got["remaining"].(float64); r <= 0 || r > 1000 {
			t.Errorf("remaining %v ms, want in (0, 1000]", r)
		}
		if ls, _ := got["logStream"].(string); !strings.Contains(ls, "/[$LATEST]") {
			t.Errorf("logStream %q", ls)
		}
	})

	t.Run("warm", func(t *testing.T) {
		// The leak check at the end has teeth: it sees this environment.
		if live, err := sandbox.LiveProcesses(os.Getpid()); err != nil || len(live) == 0 {
			t.Errorf("sandbox.LiveProcesses sees no function process while one is warm (%v)", err)
		}
		var a, b struct{ Count, Pid int }
		ok(t, invoke(t, c, name, `{"op":"count"}`), &a)
		ok(t, invoke(t, c, name, `{"op":"count"}`), &b)
		if b.Count != a.Count+1 || a.Pid != b.Pid {
			t.Errorf("not reused: %+v then %+v", a, b)
		}
	})

	t.Run("env", func(t *testing.T) {
		var env map[string]string
		ok(t, invoke(t, c, name, `{"op":"env"}`), &env)
		want := map[string]string{
			"AWS_LAMBDA_FUNCTION_NAME":        name,
			"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
			"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
			"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + name,
			"AWS_REGION":                      "us-east-1",
			"AWS_DEFAULT_REGION":              "us-east-1",
			"AWS_EXECUTION_ENV":               "AWS_Lambda_" + string(rt),
			"LAMBDA_TASK_ROOT":                "/var/task",
			"LAMBDA_RUNTIME_DIR":              "/var/runtime",
			"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
			"_HANDLER":                        "app.handler",
			"TZ":                              "Europe/Paris", // TZ is not reserved: the function's own wins
			"MY_VAR":                          "mine",
		}
		for k, v := range want {
			if env[k] != v {
				t.Errorf("%s = %q, want %q", k, env[k], v)
			}
		}
		if !strings.Contains(env["AWS_LAMBDA_LOG_STREAM_NAME"], "/[$LATEST]") {
			t.Errorf("AWS_LAMBDA_LOG_STREAM_NAME = %q", env["AWS_LAMBDA_LOG_STREAM_NAME"])
		}
		if api := env["AWS_LAMBDA_RUNTIME_API"]; !strings.Contains(api, ":") {
			t.Errorf("AWS_LAMBDA_RUNTIME_API = %q", api)
		}
	})

	t.Run("readonly-task", func(t *testing.T) {
		var got struct {
			Cwd, File string
			Wrote     bool
			Errno     int
		}
		ok(t, invoke(t, c, name, `{"op":"readonly"}`), &got)
		if got.Cwd != "/var/task" || got.File != "/var/task/app.py" {
			t.Errorf("cwd %q file %q", got.Cwd, got.File)
		}
		if got.Wrote || got.Errno != 30 { // EROFS
			t.Errorf("writing /var/task: wrote=%v errno=%d, want EROFS (30)", got.Wrote, got.Errno)
		}
	})

	t.Run("client-context", func(t *testing.T) {
		cc := `{"custom":{"k":"v"},"env":{"platform":"test"},"client":{"installation_id":"inst-1"}}`
		out := invoke(t, c, name, `{"op":"clientcontext"}`, func(in *lambda.InvokeInput) {
			in.ClientContext = aws.String(base64.StdEncoding.EncodeToString([]byte(cc)))
		})
		var got map[string]any
		ok(t, out, &got)
		b, _ := json.Marshal(got)
		if string(b) != `{"client":{"installation_id":"inst-1"},"custom":{"k":"v"},"env":{"platform":"test"}}` {
			t.Errorf("client context seen by the handler: %s", b)
		}
	})

	t.Run("log-tail", func(t *testing.T) {
		out := invoke(t, c, name, `{"op":"log","n":60}`, func(in *lambda.InvokeInput) { in.LogType = types.LogTypeTail })
		ok(t, out, nil)
		raw, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
		if err != nil {
			t.Fatalf("LogResult: %v", err)
		}
		if len(raw) > 4096 || len(raw) < 3000 {
			t.Errorf("log tail is %d bytes, want the last 4 KB", len(raw))
		}
		log := string(raw)
		if strings.Contains(log, "line 0 ") || !strings.Contains(log, "line 59 ") {
			t.Errorf("tail is not the end of the log:\n%s", log)
		}
		if !strings.Contains(log, "\nEND RequestId: ") || !strings.Contains(log, "\nREPORT RequestId: ") {
			t.Errorf("no END/REPORT lines:\n%s", log)
		}
		short := invoke(t, c, name, `{"op":"log","n":1}`, func(in *lambda.InvokeInput) { in.LogType = types.LogTypeTail })
		raw, _ = base64.StdEncoding.DecodeString(aws.ToString(short.LogResult))
		if !strings.HasPrefix(string(raw), "START RequestId: ") || !strings.Contains(string(raw), " Version: $LATEST\n") {
			t.Errorf("short log has no START line:\n%s", raw)
		}
		if plain := invoke(t, c, name, `{"op":"count"}`); plain.LogResult != nil {
			t.Errorf("LogResult without LogType Tail: %q", aws.ToString(plain.LogResult))
		}
	})

	t.Run("exception", func(t *testing.T) {
		out := invoke(t, c, name, `{"op":"raise","n":7}`)
		body := unhandled(t, out)
		if k := keys(body); k != "errorMessage,errorType,requestId,stackTrace" {
			t.Errorf("error body keys %s: %s", k, out.Payload)
		}
		if body["errorType"] != "ValueError" || body["errorMessage"] != "bad value: 7" {
			t.Errorf("error body %s", out.Payload)
		}
		if st, _ := body["stackTrace"].([]any); len(st) == 0 || !strings.Contains(fmt.Sprint(st[len(st)-1]), "raise ValueError") {
			t.Errorf("stackTrace %v", body["stackTrace"])
		}
		// A handled exception keeps the environment.
		var a struct{ Count int }
		ok(t, invoke(t, c, name, `{"op":"count"}`), &a)
		if a.Count < 2 {
			t.Errorf("environment replaced after a handler exception (count %d)", a.Count)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		out := invoke(t, c, name, `{"op":"sleep","s":2}`)
		body := unhandled(t, out)
		var id string
		if m, _ := body["errorMessage"].(string); strings.HasPrefix(m, "RequestId: ") {
			id = strings.Fields(m)[1]
		}
		want := fmt.Sprintf(`{"errorType":"Sandbox.Timedout","errorMessage":"RequestId: %s Error: Task timed out after 1.00 seconds"}`, id)
		if id == "" || string(out.Payload) != want {
			t.Errorf("timeout body\n got %s\nwant %s", out.Payload, want)
		}
		expectColdStart(t, c, name, "a timeout")
	})

	t.Run("crash", func(t *testing.T) {
		out := invoke(t, c, name, `{"op":"exit"}`)
		unhandled(t, out)
		if !platformError(out.Payload, "Runtime.ExitError", "Runtime exited with error: exit status 3") {
			t.Errorf("crash body %s", out.Payload)
		}
		expectColdStart(t, c, name, "a crash")
	})

	t.Run("oom", func(t *testing.T) {
		out := invoke(t, c, name, `{"op":"oom"}`)
		unhandled(t, out)
		if !platformError(out.Payload, "Runtime.OutOfMemory", "Runtime exited with error: signal: killed") {
			t.Errorf("OOM body %s", out.Payload)
		}
		expectColdStart(t, c, name, "OOM")
	})

	t.Run("new-configuration", func(t *testing.T) {
		if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
			FunctionName: aws.String(name),
			Environment:  &types.Environment{Variables: map[string]string{"MY_VAR": "updated"}},
		}); err != nil {
			t.Fatal(err)
		}
		waitActive(t, c, name, nil)
		var env map[string]string
		ok(t, invoke(t, c, name, `{"op":"env"}`), &env)
		if env["MY_VAR"] != "updated" {
			t.Errorf("MY_VAR = %q after the update, want updated", env["MY_VAR"])
		}
	})

	t.Run("init-errors", func(t *testing.T) {
		mod := python(t, c, rt, fnName("py-import"), "import no_such_module\n\ndef handler(e, c):\n    return 1\n", nil)
		out := invoke(t, c, mod, `{}`)
		body := unhandled(t, out)
		if body["errorType"] != "Runtime.ImportModuleError" || body["errorMessage"] != "Unable to import module 'app': No module named 'no_such_module'" {
			t.Errorf("import error body %s", out.Payload)
		}
		if k := keys(body); k != "errorMessage,errorType,requestId,stackTrace" {
			t.Errorf("import error keys %s", k)
		}
		missing := python(t, c, rt, fnName("py-nohandler"), "def other(e, c):\n    return 1\n", nil)
		out = invoke(t, c, missing, `{}`)
		body = unhandled(t, out)
		if body["errorType"] != "Runtime.HandlerNotFound" || body["errorMessage"] != "Handler 'handler' missing on module 'app'" {
			t.Errorf("handler-not-found body %s", out.Payload)
		}
		// The init error is returned again by the next invoke.
		again := unhandled(t, invoke(t, c, missing, `{}`))
		if again["errorType"] != "Runtime.HandlerNotFound" {
			t.Errorf("second invoke: %v", again)
		}
	})
}

// expectColdStart checks that the next invoke of pyApp runs in a new
// environment: its per-environment invoke count starts again at 1.
func expectColdStart(t *testing.T, c *lambda.Client, name, after string) {
	t.Helper()
	var got struct{ Count int }
	ok(t, invoke(t, c, name, `{"op":"count"}`), &got)
	if got.Count != 1 {
		t.Errorf("after %s the next invoke is not a cold start: count %d", after, got.Count)
	}
}

// platformError reports whether body is exactly Lambda's platform error
// {"errorType":T,"errorMessage":"RequestId: <id> Error: msg"}.
func platformError(body []byte, typ, msg string) bool {
	var m map[string]string
	if json.Unmarshal(body, &m) != nil || len(m) != 2 || m["errorType"] != typ {
		return false
	}
	em := m["errorMessage"]
	if !strings.HasPrefix(em, "RequestId: ") || !strings.HasSuffix(em, " Error: "+msg) {
		return false
	}
	id := strings.TrimSuffix(strings.TrimPrefix(em, "RequestId: "), " Error: "+msg)
	return len(id) == 36 && string(body) == fmt.Sprintf(`{"errorType":%q,"errorMessage":"RequestId: %s Error: %s"}`, typ, id, msg)
}

func TestPythonTmp(t *testing.T) {
	s := start(t)
	c := s.Client("us-east-1")
	name := python(t, c, types.RuntimePython312, fnName("py-tmp"), pyApp, func(in *lambda.CreateFunctionInput) {
		in.MemorySize = aws.Int32(1024)
		in.EphemeralStorage = &types.EphemeralStorage{Size: aws.Int32(512)}
		in.Timeout = aws.Int32(30)
	})
	var env map[string]string
	ok(t, invoke(t, c, name, `{"op":"env"}`), &env)
	if env["TZ"] != ":UTC" {
		t.Errorf("TZ = %q, want :UTC", env["TZ"])
	}
	var got struct {
		Size  int64
		Wrote bool
		Errno int
	}
	ok(t, invoke(t, c, name, `{"op":"tmp","mb":100}`), &got)
	if got.Size < 500<<20 || got.Size > 520<<20 {
		t.Errorf("/tmp size %d, want about 512 MB", got.Size)
	}
	if !got.Wrote {
		t.Errorf("writing 100 MB to /tmp failed: errno %d", got.Errno)
	}
	got.Wrote = false
	ok(t, invoke(t, c, name, `{"op":"tmp","mb":520}`), &got)
	if got.Wrote || got.Errno != 28 { // ENOSPC
		t.Errorf("writing 520 MB to a 512 MB /tmp: wrote=%v errno=%d, want ENOSPC (28)", got.Wrote, got.Errno)
	}
}
