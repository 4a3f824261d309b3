// Command lambkin-init is the first process of every lambkin execution
// environment: it builds the environment's namespaces and mounts, then
// execs the runtime. lambkin uses it when it sits next to the lambkin
// binary (it starts in a fraction of the time lambkin itself takes);
// otherwise lambkin re-executes itself for the same job.
package main

import (
	"fmt"
	"os"

	"github.com/lambkin/lambkin/internal/sandbox"
)

func main() {
	sandbox.Init() // does not return when started as a sandbox init
	fmt.Fprintln(os.Stderr, "lambkin-init is started by lambkin for its execution environments; it is not run by hand.")
	os.Exit(2)
}
