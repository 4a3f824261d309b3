//go:build deps

// This file pins modules that packages under construction will import, so
// that `go mod tidy` keeps them meanwhile. Delete it once real code imports
// them all.
package deps

import (
	_ "github.com/aws/aws-lambda-go/lambda"
	_ "github.com/aws/aws-sdk-go-v2/aws"
	_ "github.com/aws/aws-sdk-go-v2/config"
	_ "github.com/aws/aws-sdk-go-v2/credentials"
	_ "github.com/aws/aws-sdk-go-v2/service/lambda"
	_ "go.etcd.io/bbolt"
	_ "golang.org/x/sys/unix"
)
