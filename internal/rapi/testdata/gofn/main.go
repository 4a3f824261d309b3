// Command gofn is a Lambda function built on the official Go runtime client
// (github.com/aws/aws-lambda-go). The rapi compatibility test runs it
// against a Server; each event's "action" picks a behaviour.
package main

import (
	"context"
	"errors"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Action  string `json:"action"`
	Size    int    `json:"size"`
	SleepMs int    `json:"sleepMs"`
}

type echo struct {
	RequestID          string            `json:"requestId"`
	InvokedFunctionArn string            `json:"invokedFunctionArn"`
	DeadlineMs         int64             `json:"deadlineMs"`
	ClientCustom       map[string]string `json:"clientCustom"`
	CognitoIdentityID  string            `json:"cognitoIdentityId"`
	TraceID            string            `json:"traceId"`
	FunctionName       string            `json:"functionName"`
}

func handle(ctx context.Context, ev event) (any, error) {
	switch ev.Action {
	case "echo":
		lc, _ := lambdacontext.FromContext(ctx)
		deadline, _ := ctx.Deadline()
		trace, _ := ctx.Value("x-amzn-trace-id").(string)
		return echo{
			RequestID:          lc.AwsRequestID,
			InvokedFunctionArn: lc.InvokedFunctionArn,
			DeadlineMs:         deadline.UnixMilli(),
			ClientCustom:       lc.ClientContext.Custom,
			CognitoIdentityID:  lc.Identity.CognitoIdentityID,
			TraceID:            trace,
			FunctionName:       lambdacontext.FunctionName,
		}, nil
	case "error":
		return nil, errors.New("boom")
	case "panic":
		panic("kaboom")
	case "exit":
		os.Exit(3)
	case "big":
		return strings.Repeat("x", ev.Size), nil
	case "sleep":
		time.Sleep(time.Duration(ev.SleepMs) * time.Millisecond)
	}
	return "ok", nil
}

func main() {
	// WithEnableSIGTERM makes the client register the internal extension
	// GoLangEnableSIGTERM, as functions using it do on Lambda.
	lambda.StartWithOptions(handle, lambda.WithEnableSIGTERM(func() {}))
}
