// Command lambkin is a self-hosted AWS Lambda: one binary that answers
// Lambda's API and runs functions.
//
//	lambkin serve [flags]          run the server
//	lambkin runtimes list|add|promote   administer the runtime catalog
//	lambkin logs FUNCTION [--follow]    print a function's logs
//	lambkin version
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/lambkin/lambkin/internal/runtimes"
	"github.com/lambkin/lambkin/internal/sandbox"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	// An environment's sandbox init re-executes this binary; Init takes
	// over (and never returns) in that case.
	sandbox.Init()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stderr)
	case "runtimes":
		return runtimes.RunCommand(args[1:], stdout, stderr)
	case "logs":
		return logsCommand(args[1:], stdout, stderr)
	case "version", "--version":
		fmt.Fprintln(stdout, "lambkin", version)
		return 0
	case "help", "-h", "--help":
		usage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "lambkin: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprint(w, `usage: lambkin <command> [flags]

commands:
  serve      run the Lambda API server (lambkin serve --help for flags)
  runtimes   list, add and promote runtime versions (list|add|promote)
  logs       print a function's logs: lambkin logs FUNCTION [--follow]
  version    print the version
`)
}
