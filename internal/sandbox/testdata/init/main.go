// Command init is a minimal sandbox init for tests and benchmarks: a
// binary that does nothing but sandbox.Init starts faster than lambkin.
package main

import "github.com/lambkin/lambkin/internal/sandbox"

func main() { sandbox.Init() }
