package e2e

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// TestRegions: the SigV4 credential scope decides the region; a function
// created in eu-west-1 does not exist in us-east-1.
func TestRegions(t *testing.T) {
	s := startServer(t, "")
	zipPath, _ := writeZip(t, echoV1)
	const fn = "regional"

	eu, err := awsCLI(t, s, "eu-west-1", "create-function", "--function-name", fn, "--runtime", "python3.12",
		"--role", role, "--handler", "lambda_function.handler", "--zip-file", "fileb://"+zipPath)
	if err != nil {
		t.Fatal(err)
	}
	if want := "arn:aws:lambda:eu-west-1:000000000000:function:" + fn; eu["FunctionArn"] != want {
		t.Errorf("FunctionArn = %v, want %s", eu["FunctionArn"], want)
	}
	got, err := awsCLI(t, s, "eu-west-1", "get-function-configuration", "--function-name", fn)
	if err != nil || got["FunctionArn"] != eu["FunctionArn"] {
		t.Errorf("eu-west-1 get-function-configuration = %v, %v", got, err)
	}
	lf, err := awsCLI(t, s, "eu-west-1", "list-functions")
	if err != nil || len(lf["Functions"].([]any)) != 1 {
		t.Errorf("eu-west-1 list-functions = %v, %v", lf, err)
	}

	// us-east-1 (the server's default region too) sees nothing.
	if _, err := awsCLI(t, s, "us-east-1", "get-function", "--function-name", fn); err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("us-east-1 get-function: err = %v, want ResourceNotFoundException", err)
	}
	if lf, err := awsCLI(t, s, "us-east-1", "list-functions"); err != nil || len(lf["Functions"].([]any)) != 0 {
		t.Errorf("us-east-1 list-functions = %v, %v", lf, err)
	}
	// Not even by its full eu-west-1 ARN: the ARN's region must match the
	// request's.
	if _, err := goClient(s, "us-east-1").GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(eu["FunctionArn"].(string))}); err == nil {
		t.Errorf("us-east-1 GetFunction by the eu-west-1 ARN succeeded")
	}
	// The same name can exist in both regions independently.
	us, err := awsCLI(t, s, "us-east-1", "create-function", "--function-name", fn, "--runtime", "python3.12",
		"--role", role, "--handler", "lambda_function.handler", "--zip-file", "fileb://"+zipPath, "--description", "us")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(us["FunctionArn"].(string), ":us-east-1:") {
		t.Errorf("us-east-1 FunctionArn = %v", us["FunctionArn"])
	}
	if _, err := awsCLI(t, s, "eu-west-1", "delete-function", "--function-name", fn); err != nil {
		t.Fatal(err)
	}
	if got, err := awsCLI(t, s, "us-east-1", "get-function-configuration", "--function-name", fn); err != nil || got["Description"] != "us" {
		t.Errorf("us-east-1 function after deleting the eu-west-1 one: %v, %v", got, err)
	}
	// The Go SDK signs with its region too.
	if _, err := goClient(s, "eu-west-1").GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(fn)}); statusOf(err) != 404 {
		t.Errorf("eu-west-1 GetFunction after delete: %v", err)
	}
}
