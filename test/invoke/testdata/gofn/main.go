// Command gofn is a provided.al2023 test function built on the official Go
// runtime client: it echoes, returns an error or panics as the event asks.
package main

import (
	"context"
	"errors"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	Op   string `json:"op"`
	Data any    `json:"data"`
}

func handle(ctx context.Context, ev event) (map[string]any, error) {
	switch ev.Op {
	case "error":
		return nil, errors.New("boom")
	case "panic":
		panic("kaboom")
	}
	lc, _ := lambdacontext.FromContext(ctx)
	var requestID string
	if lc != nil {
		requestID = lc.AwsRequestID
	}
	return map[string]any{
		"data":      ev.Data,
		"requestId": requestID,
		"function":  lambdacontext.FunctionName,
		"handler":   os.Getenv("_HANDLER"),
	}, nil
}

func main() { lambda.Start(handle) }
