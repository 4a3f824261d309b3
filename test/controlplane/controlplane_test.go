// Package controlplane drives lambkin's control plane with aws-sdk-go-v2
// against the real HTTP server: layers, resource policies, tags, event
// invoke and URL configs, concurrency and account settings.
package controlplane

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"

	"github.com/lambkin/lambkin/internal/sandbox"
	"github.com/lambkin/lambkin/internal/testserver"
)

func TestMain(m *testing.M) {
	sandbox.Init()
	os.Exit(m.Run())
}

var ctx = context.Background()

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for name, body := range files {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(f, body)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// apiError returns the AWS error code and message of err.
func apiError(t *testing.T, err error) (string, string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want an API error, got %v", err)
	}
	return ae.ErrorCode(), ae.ErrorMessage()
}

func createPython(t *testing.T, c *lambda.Client, name string, code []byte, layers ...string) {
	t.Helper()
	_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Runtime:      types.RuntimePython312,
		Handler:      aws.String("index.handler"),
		Role:         aws.String("arn:aws:iam::000000000000:role/r"),
		Code:         &types.FunctionCode{ZipFile: code},
		Layers:       layers,
	})
	if err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	w := lambda.NewFunctionActiveV2Waiter(c, func(o *lambda.FunctionActiveV2WaiterOptions) {
		o.MinDelay = 20 * time.Millisecond
		o.MaxDelay = 100 * time.Millisecond
	})
	if err := w.Wait(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)}, 20*time.Second); err != nil {
		t.Fatalf("waiting for %s: %v", name, err)
	}
}

func TestLayers(t *testing.T) {
	s := testserver.Start(t)
	c := s.Client("us-east-1")
	layerZip := zipOf(t, map[string]string{"python/greeting.py": "WORD = 'from a layer'\n"})
	v1, err := c.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{
		LayerName:          aws.String("greet"),
		Content:            &types.LayerVersionContentInput{ZipFile: layerZip},
		CompatibleRuntimes: []types.Runtime{types.RuntimePython312},
		LicenseInfo:        aws.String("MIT"),
	})
	if err != nil {
		t.Fatal(err)
	}
	if v1.Version != 1 || aws.ToString(v1.LayerVersionArn) != "arn:aws:lambda:us-east-1:000000000000:layer:greet:1" || aws.ToString(v1.Description) != "" {
		t.Fatalf("publish: %+v", v1)
	}
	// The Content.Location URL downloads the zip.
	resp, err := http.Get(aws.ToString(v1.Content.Location))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, layerZip) {
		t.Fatal("layer download differs from the upload")
	}
	v2, err := c.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{LayerName: aws.String("greet"), Content: &types.LayerVersionContentInput{ZipFile: layerZip}})
	if err != nil || v2.Version != 2 {
		t.Fatalf("second publish: %v %+v", err, v2)
	}
	list, err := c.ListLayerVersions(ctx, &lambda.ListLayerVersionsInput{LayerName: aws.String("greet")})
	if err != nil || len(list.LayerVersions) != 2 || list.LayerVersions[0].Version != 2 {
		t.Fatalf("list versions (newest first): %v %+v", err, list)
	}
	filtered, err := c.ListLayers(ctx, &lambda.ListLayersInput{CompatibleRuntime: types.RuntimePython312})
	if err != nil || len(filtered.Layers) != 1 || filtered.Layers[0].LatestMatchingVersion.Version != 1 {
		t.Fatalf("runtime filter picks version 1 (version 2 declares no runtimes): %v %+v", err, filtered)
	}

	// A function using the layer imports from /opt/python.
	code := zipOf(t, map[string]string{"index.py": "import greeting\ndef handler(e, c):\n    return greeting.WORD\n"})
	createPython(t, c, "uses-layer", code, aws.ToString(v1.LayerVersionArn))
	out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("uses-layer")})
	if err != nil || string(out.Payload) != `"from a layer"` || out.FunctionError != nil {
		t.Fatalf("invoke with layer: %v %s", err, out.Payload)
	}

	// Referencing rules: two versions of one layer, a missing version.
	_, err = c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("uses-layer"),
		Layers:       []string{aws.ToString(v1.LayerVersionArn), aws.ToString(v2.LayerVersionArn)},
	})
	if code, msg := apiError(t, err); code != "InvalidParameterValueException" || !strings.HasPrefix(msg, "Two different versions of the same layer") {
		t.Fatalf("two versions: %s %s", code, msg)
	}
	_, err = c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
		FunctionName: aws.String("uses-layer"),
		Layers:       []string{"arn:aws:lambda:us-east-1:000000000000:layer:greet:9"},
	})
	if code, msg := apiError(t, err); code != "InvalidParameterValueException" || msg != "Layer version arn:aws:lambda:us-east-1:000000000000:layer:greet:9 does not exist." {
		t.Fatalf("missing version: %s %s", code, msg)
	}

	// Layer permissions.
	perm, err := c.AddLayerVersionPermission(ctx, &lambda.AddLayerVersionPermissionInput{
		LayerName: aws.String("greet"), VersionNumber: aws.Int64(1), StatementId: aws.String("all"),
		Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String("*"),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Sid":"all","Effect":"Allow","Principal":"*","Action":"lambda:GetLayerVersion","Resource":"arn:aws:lambda:us-east-1:000000000000:layer:greet:1"}`
	if aws.ToString(perm.Statement) != want {
		t.Fatalf("statement\n got %s\nwant %s", aws.ToString(perm.Statement), want)
	}
	_, err = c.AddLayerVersionPermission(ctx, &lambda.AddLayerVersionPermissionInput{
		LayerName: aws.String("greet"), VersionNumber: aws.Int64(1), StatementId: aws.String("all"),
		Action: aws.String("lambda:GetLayerVersion"), Principal: aws.String("*"),
	})
	if code, _ := apiError(t, err); code != "ResourceConflictException" {
		t.Fatalf("duplicate statement: %s", code)
	}
	pol, err := c.GetLayerVersionPolicy(ctx, &lambda.GetLayerVersionPolicyInput{LayerName: aws.String("greet"), VersionNumber: aws.Int64(1)})
	if err != nil || aws.ToString(pol.RevisionId) != aws.ToString(perm.RevisionId) || !strings.Contains(aws.ToString(pol.Policy), `"Id":"default"`) {
		t.Fatalf("policy: %v %+v", err, pol)
	}

	// Deleting a version keeps the functions that use it working; numbers
	// are never reused.
	if _, err := c.DeleteLayerVersion(ctx, &lambda.DeleteLayerVersionInput{LayerName: aws.String("greet"), VersionNumber: aws.Int64(2)}); err != nil {
		t.Fatal(err)
	}
	v3, err := c.PublishLayerVersion(ctx, &lambda.PublishLayerVersionInput{LayerName: aws.String("greet"), Content: &types.LayerVersionContentInput{ZipFile: layerZip}})
	if err != nil || v3.Version != 3 {
		t.Fatalf("publish after delete: %v %+v", err, v3)
	}
}

func TestPolicies(t *testing.T) {
	s := testserver.Start(t)
	c := s.Client("us-east-1")
	createPython(t, c, "fn", zipOf(t, map[string]string{"index.py": "def handler(e, c):\n    return 1\n"}))
	add, err := c.AddPermission(ctx, &lambda.AddPermissionInput{
		FunctionName: aws.String("fn"), StatementId: aws.String("s3"), Action: aws.String("lambda:InvokeFunction"),
		Principal: aws.String("s3.amazonaws.com"), SourceArn: aws.String("arn:aws:s3:::bucket"), SourceAccount: aws.String("000000000000"),
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:000000000000:function:fn","Condition":{"StringEquals":{"AWS:SourceAccount":"000000000000"},"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::bucket"}}}`
	if aws.ToString(add.Statement) != want {
		t.Fatalf("statement\n got %s\nwant %s", aws.ToString(add.Statement), want)
	}
	pol, err := c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("fn")})
	if err != nil {
		t.Fatal(err)
	}
	cfg, _ := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("fn")})
	if aws.ToString(pol.RevisionId) != aws.ToString(cfg.RevisionId) {
		t.Fatal("GetPolicy's RevisionId is not the function's")
	}
	var doc struct {
		Version, Id string
		Statement   []json.RawMessage
	}
	if err := json.Unmarshal([]byte(aws.ToString(pol.Policy)), &doc); err != nil || doc.Version != "2012-10-17" || len(doc.Statement) != 1 {
		t.Fatalf("policy document: %v %s", err, aws.ToString(pol.Policy))
	}
	_, err = c.AddPermission(ctx, &lambda.AddPermissionInput{FunctionName: aws.String("fn"), StatementId: aws.String("x"),
		Action: aws.String("lambda:InvokeFunction"), Principal: aws.String("*"), Qualifier: aws.String("$LATEST")})
	if code, msg := apiError(t, err); code != "InvalidParameterValueException" || msg != "We currently do not support adding policies for $LATEST." {
		t.Fatalf("policy on $LATEST: %s %s", code, msg)
	}
	_, err = c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("fn"), StatementId: aws.String("nope")})
	if code, msg := apiError(t, err); code != "ResourceNotFoundException" || msg != "Statement nope is not found in resource policy." {
		t.Fatalf("remove unknown: %s %s", code, msg)
	}
	if _, err := c.RemovePermission(ctx, &lambda.RemovePermissionInput{FunctionName: aws.String("fn"), StatementId: aws.String("s3")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String("fn")})
	if code, msg := apiError(t, err); code != "ResourceNotFoundException" || msg != "The resource you requested does not exist." {
		t.Fatalf("policy after removing the last statement: %s %s", code, msg)
	}
}

func TestTagsConcurrencyAndAccount(t *testing.T) {
	s := testserver.Start(t)
	c := s.Client("us-east-1")
	createPython(t, c, "fn", zipOf(t, map[string]string{"index.py": "def handler(e, c):\n    return 1\n"}))
	arn := "arn:aws:lambda:us-east-1:000000000000:function:fn"
	before, _ := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("fn")})
	if _, err := c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn), Tags: map[string]string{"team": "a", "env": "dev"}}); err != nil {
		t.Fatal(err)
	}
	after, _ := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("fn")})
	if aws.ToString(before.RevisionId) == aws.ToString(after.RevisionId) {
		t.Fatal("tagging did not change the RevisionId")
	}
	tags, err := c.ListTags(ctx, &lambda.ListTagsInput{Resource: aws.String(arn)})
	if err != nil || len(tags.Tags) != 2 || tags.Tags["team"] != "a" {
		t.Fatalf("list tags: %v %+v", err, tags)
	}
	_, err = c.TagResource(ctx, &lambda.TagResourceInput{Resource: aws.String(arn + ":1"), Tags: map[string]string{"k": "v"}})
	if code, msg := apiError(t, err); code != "InvalidParameterValueException" || msg != "Tags on function aliases and versions are not supported. Please specify a function ARN." {
		t.Fatalf("tag a version: %s %s", code, msg)
	}
	if _, err := c.UntagResource(ctx, &lambda.UntagResourceInput{Resource: aws.String(arn), TagKeys: []string{"team", "absent"}}); err != nil {
		t.Fatal(err)
	}
	fn, _ := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("fn")})
	if len(fn.Tags) != 1 || fn.Concurrency != nil {
		t.Fatalf("GetFunction tags/concurrency: %+v %+v", fn.Tags, fn.Concurrency)
	}

	if _, err := c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("fn"), ReservedConcurrentExecutions: aws.Int32(200)}); err != nil {
		t.Fatal(err)
	}
	acct, err := c.GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if acct.AccountLimit.ConcurrentExecutions != 1000 || aws.ToInt32(acct.AccountLimit.UnreservedConcurrentExecutions) != 800 ||
		acct.AccountUsage.FunctionCount != 1 || acct.AccountUsage.TotalCodeSize != before.CodeSize {
		t.Fatalf("account settings: %+v %+v", acct.AccountLimit, acct.AccountUsage)
	}
	_, err = c.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{FunctionName: aws.String("fn"), ReservedConcurrentExecutions: aws.Int32(901)})
	if code, msg := apiError(t, err); code != "InvalidParameterValueException" || !strings.Contains(msg, "below its minimum value of [100]") {
		t.Fatalf("over the unreserved minimum: %s %s", code, msg)
	}
	got, _ := c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("fn")})
	if aws.ToInt32(got.ReservedConcurrentExecutions) != 200 {
		t.Fatalf("a rejected put changed the reservation: %+v", got)
	}
	if _, err := c.DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String("fn")}); err != nil {
		t.Fatal(err)
	}
	got, _ = c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String("fn")})
	if got.ReservedConcurrentExecutions != nil {
		t.Fatalf("after delete: %+v", got)
	}
}

func TestEventInvokeAndURLConfigs(t *testing.T) {
	s := testserver.Start(t)
	c := s.Client("us-east-1")
	createPython(t, c, "fn", zipOf(t, map[string]string{"index.py": "def handler(e, c):\n    return 1\n"}))
	put, err := c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("fn"), MaximumRetryAttempts: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(put.FunctionArn) != "arn:aws:lambda:us-east-1:000000000000:function:fn:$LATEST" || aws.ToInt32(put.MaximumRetryAttempts) != 1 ||
		put.MaximumEventAgeInSeconds != nil || put.DestinationConfig == nil || put.LastModified == nil {
		t.Fatalf("put: %+v", put)
	}
	upd, err := c.UpdateFunctionEventInvokeConfig(ctx, &lambda.UpdateFunctionEventInvokeConfigInput{FunctionName: aws.String("fn"), MaximumEventAgeInSeconds: aws.Int32(120)})
	if err != nil || aws.ToInt32(upd.MaximumRetryAttempts) != 1 || aws.ToInt32(upd.MaximumEventAgeInSeconds) != 120 {
		t.Fatalf("update merges: %v %+v", err, upd)
	}
	_, err = c.PutFunctionEventInvokeConfig(ctx, &lambda.PutFunctionEventInvokeConfigInput{FunctionName: aws.String("fn"),
		DestinationConfig: &types.DestinationConfig{OnFailure: &types.OnFailure{Destination: aws.String("arn:aws:lambda:us-east-1:000000000000:function:fn")}}})
	if code, msg := apiError(t, err); code != "InvalidParameterValueException" || msg != "You can't specify the function as a destination for itself." {
		t.Fatalf("self destination: %s %s", code, msg)
	}

	if _, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String("fn"), Name: aws.String("live"), FunctionVersion: aws.String("$LATEST")}); err != nil {
		t.Fatal(err)
	}
	url, err := c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("fn"), AuthType: types.FunctionUrlAuthTypeNone})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(aws.ToString(url.FunctionUrl), "https://") || !strings.HasSuffix(aws.ToString(url.FunctionUrl), ".lambda-url.us-east-1.on.aws/") {
		t.Fatalf("url: %s", aws.ToString(url.FunctionUrl))
	}
	_, err = c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("fn"), AuthType: types.FunctionUrlAuthTypeNone})
	if code, _ := apiError(t, err); code != "ResourceConflictException" {
		t.Fatalf("second create: %s", code)
	}
	if _, err := c.CreateFunctionUrlConfig(ctx, &lambda.CreateFunctionUrlConfigInput{FunctionName: aws.String("fn"), Qualifier: aws.String("live"), AuthType: types.FunctionUrlAuthTypeAwsIam}); err != nil {
		t.Fatal(err)
	}
	urls, err := c.ListFunctionUrlConfigs(ctx, &lambda.ListFunctionUrlConfigsInput{FunctionName: aws.String("fn")})
	if err != nil || len(urls.FunctionUrlConfigs) != 2 || aws.ToString(urls.FunctionUrlConfigs[0].FunctionArn) != "arn:aws:lambda:us-east-1:000000000000:function:fn" {
		t.Fatalf("list urls: %v %+v", err, urls)
	}
	get, err := c.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("fn")})
	if err != nil || get.InvokeMode != types.InvokeModeBuffered {
		t.Fatalf("get url: %v %+v", err, get)
	}
	if _, err := c.DeleteFunctionUrlConfig(ctx, &lambda.DeleteFunctionUrlConfigInput{FunctionName: aws.String("fn")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetFunctionUrlConfig(ctx, &lambda.GetFunctionUrlConfigInput{FunctionName: aws.String("fn")})
	if code, msg := apiError(t, err); code != "ResourceNotFoundException" || msg != "The resource you requested does not exist." {
		t.Fatalf("after delete: %s %s", code, msg)
	}
}

func TestSettingsRules(t *testing.T) {
	s := testserver.Start(t)
	c := s.Client("us-east-1")
	createPython(t, c, "fn", zipOf(t, map[string]string{"index.py": "def handler(e, c):\n    return 1\n"}))
	update := func(in *lambda.UpdateFunctionConfigurationInput) error {
		in.FunctionName = aws.String("fn")
		_, err := c.UpdateFunctionConfiguration(ctx, in)
		return err
	}
	err := update(&lambda.UpdateFunctionConfigurationInput{DeadLetterConfig: &types.DeadLetterConfig{TargetArn: aws.String("arn:aws:s3:::bucket")}})
	if code, _ := apiError(t, err); code != "InvalidParameterValueException" {
		t.Fatalf("S3 dead-letter target: %s", code)
	}
	err = update(&lambda.UpdateFunctionConfigurationInput{SnapStart: &types.SnapStart{ApplyOn: types.SnapStartApplyOnPublishedVersions},
		EphemeralStorage: &types.EphemeralStorage{Size: aws.Int32(1024)}})
	if code, msg := apiError(t, err); code != "InvalidParameterValueException" || !strings.Contains(msg, "ephemeral storage") {
		t.Fatalf("SnapStart with big /tmp: %s %s", code, msg)
	}
	err = update(&lambda.UpdateFunctionConfigurationInput{LoggingConfig: &types.LoggingConfig{LogFormat: types.LogFormatText, ApplicationLogLevel: types.ApplicationLogLevelDebug}})
	if code, msg := apiError(t, err); code != "InvalidParameterValueException" || !strings.HasPrefix(msg, "LogLevel is not supported when LogFormat is set to \"Text\"") {
		t.Fatalf("log level with Text: %s %s", code, msg)
	}
	cfg, _ := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("fn")})
	if cfg.DeadLetterConfig != nil || cfg.SnapStart.ApplyOn != types.SnapStartApplyOnNone || aws.ToInt32(cfg.EphemeralStorage.Size) != 512 {
		t.Fatalf("rejected updates changed the function: %+v", cfg)
	}
}
