package rapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/lambkin/lambkin/internal/rapi"
)

// The engine's side of one environment. The runtime here is a goroutine
// that upper-cases events; in lambkin it is a sandboxed process started with
// AWS_LAMBDA_RUNTIME_API=srv.Addr().
func Example() {
	srv, err := rapi.New(rapi.Config{FunctionName: "shout", FunctionVersion: "$LATEST"})
	if err != nil {
		panic(err)
	}
	go shoutRuntime(srv.Addr())

	ctx := context.Background()
	if init, err := srv.WaitInit(ctx); err != nil || init.Err != nil {
		panic(fmt.Sprint(err, init.Err))
	}
	res, err := srv.Invoke(ctx, &rapi.Invocation{
		RequestID: "c0ffee00-0000-4000-8000-000000000001",
		Payload:   []byte(`"hello"`),
		Deadline:  time.Now().Add(3 * time.Second),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Status, string(res.Body)) // the caller can have this now
	if _, err := res.WaitComplete(ctx); err != nil {
		panic(err) // the environment is broken: discard it
	}
	_ = srv.Shutdown(ctx, rapi.ShutdownSpindown)
	// Output: ok "HELLO"
}

func shoutRuntime(addr string) {
	base := "http://" + addr + "/2018-06-01/runtime/invocation/"
	for {
		resp, err := http.Get(base + "next")
		if err != nil {
			return // the server closed
		}
		event, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		resp, err = http.Post(base+id+"/response", "application/json", strings.NewReader(strings.ToUpper(string(event))))
		if err != nil {
			return
		}
		resp.Body.Close()
	}
}
