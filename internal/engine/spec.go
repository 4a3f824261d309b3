// Package engine runs functions: it leases concurrency, keeps pools of
// execution environments per function configuration, hands each invocation
// to an environment through the Runtime API, and keeps provisioned
// environments initialized. It knows nothing of the API or the store: the
// service layer describes what to run with the types in this file.
package engine

import "time"

// Function is everything needed to start environments for one function
// version as configured at one revision. Environments are pooled by Key, so
// a new configuration gets new environments while old ones drain.
type Function struct {
	Key     string // identity of this configuration, e.g. region/name/version@revision
	Group   string // the function (region/name): concurrency is counted per group
	Region  string
	Account string
	Name    string
	Version string // $LATEST or a number
	ARN     string // unqualified function ARN

	Runtime      Runtime
	Handler      string
	CodeDir      string // unpacked package, the task root
	OptDir       string // merged layers for /opt; empty when none
	Environment  map[string]string
	MemoryMB     int
	Timeout      time.Duration
	EphemeralMB  int
	Architecture string

	TracingActive bool
	Logging       Logging
	Mounts        []Mount // file systems (FileSystemConfigs)
}

// Mount is a host directory shown to the function at a path under /mnt.
type Mount struct {
	HostDir   string
	MountPath string
}

// Runtime is the runtime version a function runs on.
type Runtime struct {
	ID          string // runtime identifier, e.g. python3.12
	Label       string // version label shown in INIT_START, e.g. python:3.11.2.v1
	VersionARN  string
	Interpreter string // real path of the interpreter; empty for provided.*
	Bootstrap   string // lambkin's bootstrap to run: python, node, or empty for provided.*
}

// Logging is how function logs are formatted.
type Logging struct {
	Format           string // Text or JSON
	ApplicationLevel string
	SystemLevel      string
	Group            string
}

// Invocation is one request to run a function.
type Invocation struct {
	Function      *Function
	RequestID     string
	InvokedARN    string // as the caller named it (alias ARN stays an alias ARN)
	Qualifier     string // alias or version the caller named, for provisioned lookup
	Payload       []byte
	ClientContext string // decoded JSON
	TraceID       string // X-Amzn-Trace-Id from the caller, if any
	LogTail       bool   // return the last 4 KB of the log
	Async         bool
	// Reserved is the function's reserved concurrency, nil when none: the
	// engine throttles against it.
	Reserved *int
}

// Result is what an invocation produced.
type Result struct {
	Payload       []byte
	ContentType   string
	FunctionError string // "Unhandled" when the function failed
	ErrorType     string // the error's type, for logs and async retries
	LogTail       string // base64 of the last 4 KB of this invocation's log, when asked
	Version       string // the version that ran
}

// ProvisionStatus is the live state of a provisioned concurrency config.
type ProvisionStatus struct {
	Status               string // IN_PROGRESS, READY, FAILED
	Reason               string
	Allocated, Available int
}
