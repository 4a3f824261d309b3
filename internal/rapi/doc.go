// Package rapi serves the Lambda Runtime API and Extensions API of one
// execution environment.
//
// A Server is created before the environment's processes start; its address
// is given to them as AWS_LAMBDA_RUNTIME_API. The runtime (an official
// runtime interface client or one of lambkin's bootstraps) long-polls
// /runtime/invocation/next and posts answers; extensions register and
// long-poll /extension/event/next. On the platform side the engine drives
// the environment through plain method calls:
//
//	srv, _ := rapi.New(rapi.Config{FunctionName: "fn", ...})
//	// start extensions, srv.WaitRegistered, start the runtime
//	init, _ := srv.WaitInit(ctx)           // runtime and extensions polled
//	res, _ := srv.Invoke(ctx, inv)         // the runtime's answer
//	_, err := res.WaitComplete(ctx)        // runtime and extensions idle again
//	srv.Shutdown(ctx, rapi.ShutdownSpindown)
//
// The supervisor reports process exits with RuntimeExited and
// ExtensionExited; everything else is learned from the API calls.
//
// The contract followed is /work/shared/spec/runtime-api.md (paths, status
// codes, bodies, headers and state names as the Runtime Interface Emulator
// implements them). Invoke-side semantics (what the caller of Invoke gets)
// follow real Lambda rather than the emulator.
package rapi
