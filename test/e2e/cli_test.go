package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestCLISession is the session the README shows, with AWS CLI v1.
func TestCLISession(t *testing.T) {
	s := startServer(t, "")
	zip1, zip1Bytes := writeZip(t, echoV1)
	zip2, zip2Bytes := writeZip(t, echoV2)
	const fn = "cli-echo"
	arn := "arn:aws:lambda:us-east-1:000000000000:function:" + fn

	// create-function
	created := mustCLI(t, s, "create-function", "--function-name", fn, "--runtime", "python3.12",
		"--role", role, "--handler", "lambda_function.handler", "--zip-file", "fileb://"+zip1,
		"--description", "first", "--timeout", "5")
	wantFields(t, "create-function", created, map[string]any{
		"FunctionName": fn, "FunctionArn": arn, "Runtime": "python3.12", "Role": role,
		"Handler": "lambda_function.handler", "Description": "first", "Timeout": 5.0, "MemorySize": 128.0,
		"Version": "$LATEST", "PackageType": "Zip", "CodeSize": float64(len(zip1Bytes)),
	})
	if st := created["State"]; st != "Pending" && st != "Active" {
		t.Errorf("create-function State = %v, want Pending or Active", st)
	}
	mustCLI(t, s, "wait", "function-active-v2", "--function-name", fn)

	// get-function: Code.Location downloads the very zip.
	got := mustCLI(t, s, "get-function", "--function-name", fn)
	cfg := got["Configuration"].(map[string]any)
	wantFields(t, "get-function", cfg, map[string]any{"State": "Active", "LastUpdateStatus": "Successful", "CodeSha256": created["CodeSha256"]})
	code := got["Code"].(map[string]any)
	if code["RepositoryType"] != "S3" {
		t.Errorf("Code.RepositoryType = %v, want S3", code["RepositoryType"])
	}
	if dl := download(t, code["Location"].(string)); !bytes.Equal(dl, zip1Bytes) {
		t.Errorf("Code.Location served %d bytes that differ from the uploaded %d-byte zip", len(dl), len(zip1Bytes))
	}

	// get-function-configuration equals get-function's Configuration.
	gfc := mustCLI(t, s, "get-function-configuration", "--function-name", fn)
	if !reflect.DeepEqual(gfc, cfg) {
		t.Errorf("get-function-configuration = %v\nget-function Configuration = %v", gfc, cfg)
	}

	// update-function-configuration
	upd := mustCLI(t, s, "update-function-configuration", "--function-name", fn,
		"--timeout", "7", "--memory-size", "256", "--environment", `{"Variables":{"GREETING":"hello"}}`)
	wantFields(t, "update-function-configuration", upd, map[string]any{"Timeout": 7.0, "MemorySize": 256.0})
	if env, _ := upd["Environment"].(map[string]any); env == nil || !reflect.DeepEqual(env["Variables"], map[string]any{"GREETING": "hello"}) {
		t.Errorf("update-function-configuration Environment = %v", upd["Environment"])
	}
	if upd["RevisionId"] == gfc["RevisionId"] {
		t.Errorf("RevisionId did not change on update")
	}
	mustCLI(t, s, "wait", "function-updated-v2", "--function-name", fn)
	gfc = mustCLI(t, s, "get-function-configuration", "--function-name", fn)
	wantFields(t, "get-function-configuration after update", gfc, map[string]any{"Timeout": 7.0, "MemorySize": 256.0, "LastUpdateStatus": "Successful"})

	// invoke $LATEST: the payload comes back, with the environment.
	if out := invokeCLI(t, s, fn, "", `{"hello":"world","n":1}`); !reflect.DeepEqual(out, map[string]any{
		"echo": map[string]any{"hello": "world", "n": 1.0}, "greeting": "hello", "code": 1.0,
	}) {
		t.Errorf("invoke returned %v", out)
	}

	// publish-version 1
	v1 := mustCLI(t, s, "publish-version", "--function-name", fn, "--description", "v1")
	wantFields(t, "publish-version", v1, map[string]any{"Version": "1", "FunctionArn": arn + ":1", "Description": "v1", "MemorySize": 256.0})

	// update-function-code, then publish-version 2
	uc := mustCLI(t, s, "update-function-code", "--function-name", fn, "--zip-file", "fileb://"+zip2)
	wantFields(t, "update-function-code", uc, map[string]any{"CodeSize": float64(len(zip2Bytes)), "Version": "$LATEST"})
	if uc["CodeSha256"] == created["CodeSha256"] {
		t.Errorf("update-function-code: CodeSha256 unchanged")
	}
	mustCLI(t, s, "wait", "function-updated-v2", "--function-name", fn)
	got = mustCLI(t, s, "get-function", "--function-name", fn)
	if dl := download(t, got["Code"].(map[string]any)["Location"].(string)); !bytes.Equal(dl, zip2Bytes) {
		t.Errorf("after update-function-code, Code.Location does not serve the new zip")
	}
	v2 := mustCLI(t, s, "publish-version", "--function-name", fn)
	wantFields(t, "publish-version", v2, map[string]any{"Version": "2", "CodeSha256": uc["CodeSha256"]})

	// list-functions
	lf := mustCLI(t, s, "list-functions")
	fns := lf["Functions"].([]any)
	if len(fns) != 1 || fns[0].(map[string]any)["FunctionName"] != fn {
		t.Errorf("list-functions = %v, want just %s", lf, fn)
	}
	lv := mustCLI(t, s, "list-versions-by-function", "--function-name", fn)
	var versions []string
	for _, v := range lv["Versions"].([]any) {
		versions = append(versions, v.(map[string]any)["Version"].(string))
	}
	if !reflect.DeepEqual(versions, []string{"$LATEST", "1", "2"}) {
		t.Errorf("list-versions-by-function versions = %v", versions)
	}

	// Aliases.
	al := mustCLI(t, s, "create-alias", "--function-name", fn, "--name", "live", "--function-version", "1", "--description", "prod")
	wantFields(t, "create-alias", al, map[string]any{"Name": "live", "FunctionVersion": "1", "Description": "prod", "AliasArn": arn + ":live"})
	ga := mustCLI(t, s, "get-alias", "--function-name", fn, "--name", "live")
	if !reflect.DeepEqual(ga, al) {
		t.Errorf("get-alias = %v, create-alias returned %v", ga, al)
	}
	ua := mustCLI(t, s, "update-alias", "--function-name", fn, "--name", "live",
		"--routing-config", `{"AdditionalVersionWeights":{"2":0.25}}`, "--revision-id", al["RevisionId"].(string))
	wantFields(t, "update-alias", ua, map[string]any{"FunctionVersion": "1",
		"RoutingConfig": map[string]any{"AdditionalVersionWeights": map[string]any{"2": 0.25}}})
	if ua["RevisionId"] == al["RevisionId"] {
		t.Errorf("update-alias did not change RevisionId")
	}
	// The old RevisionId is now stale.
	if _, err := awsCLI(t, s, "us-east-1", "update-alias", "--function-name", fn, "--name", "live",
		"--description", "x", "--revision-id", al["RevisionId"].(string)); err == nil || !strings.Contains(err.Error(), "PreconditionFailedException") {
		t.Errorf("update-alias with a stale revision id: err = %v, want PreconditionFailedException", err)
	}
	mustCLI(t, s, "create-alias", "--function-name", fn, "--name", "beta", "--function-version", "2")
	la := mustCLI(t, s, "list-aliases", "--function-name", fn)
	var names []string
	for _, a := range la["Aliases"].([]any) {
		m := a.(map[string]any)
		names = append(names, m["Name"].(string))
		if m["Name"] == "live" && !reflect.DeepEqual(m["RoutingConfig"], ua["RoutingConfig"]) {
			t.Errorf("list-aliases: live RoutingConfig = %v", m["RoutingConfig"])
		}
	}
	if !reflect.DeepEqual(names, []string{"beta", "live"}) {
		t.Errorf("list-aliases names = %v, want [beta live]", names)
	}

	// invoke versions and aliases: each runs its own code.
	if out := invokeCLI(t, s, fn, "1", `"v1?"`); out["code"] != 1.0 || out["echo"] != "v1?" {
		t.Errorf("invoke :1 = %v", out)
	}
	if out := invokeCLI(t, s, fn, "beta", `[1,2,3]`); out["code"] != 2.0 || !reflect.DeepEqual(out["echo"], []any{1.0, 2.0, 3.0}) {
		t.Errorf("invoke :beta = %v", out)
	}

	// delete-function removes everything.
	// botocore 1.43 models DeleteFunction's output as {StatusCode}: the
	// HTTP status, 204 as in AWS.
	if out := mustCLI(t, s, "delete-function", "--function-name", fn); out != nil && out["StatusCode"] != 204.0 {
		t.Errorf("delete-function printed %v", out)
	}
	_, err := awsCLI(t, s, "us-east-1", "get-function", "--function-name", fn)
	if err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("get-function after delete: err = %v, want ResourceNotFoundException", err)
	}
	if lf := mustCLI(t, s, "list-functions"); len(lf["Functions"].([]any)) != 0 {
		t.Errorf("list-functions after delete = %v", lf)
	}
}

// wantFields checks that got has every key of want with that value.
func wantFields(t *testing.T, what string, got, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("%s: %s = %#v, want %#v", what, k, got[k], v)
		}
	}
}

// invokeCLI runs `aws lambda invoke` and returns the decoded function
// result, checking StatusCode 200 and no FunctionError.
func invokeCLI(t *testing.T, s *server, fn, qualifier, payload string) map[string]any {
	t.Helper()
	outFile := filepath.Join(t.TempDir(), "out.json")
	args := []string{"invoke", "--function-name", fn, "--payload", payload}
	if qualifier != "" {
		args = append(args, "--qualifier", qualifier)
	}
	meta := mustCLI(t, s, append(args, outFile)...)
	if meta["StatusCode"] != 200.0 || meta["FunctionError"] != nil {
		t.Errorf("invoke %s:%s metadata = %v", fn, qualifier, meta)
	}
	if qualifier != "" && meta["ExecutedVersion"] == nil {
		t.Errorf("invoke %s:%s: no ExecutedVersion", fn, qualifier)
	}
	b, err := os.ReadFile(outFile)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("invoke %s:%s result %q is not a JSON object: %v", fn, qualifier, b, err)
	}
	return out
}

func download(t *testing.T, url string) []byte {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return b
}
