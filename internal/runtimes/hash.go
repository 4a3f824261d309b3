package runtimes

import (
	"crypto/sha256"
	"encoding/hex"
)

// HashBootstraps returns an Options.BootstrapHash for bootstrap sources by
// kind (BootstrapPython, BootstrapNode): the hex SHA-256 of each, "" for a
// kind it was not given.
func HashBootstraps(sources map[string][]byte) func(kind string) string {
	sums := make(map[string]string, len(sources))
	for kind, src := range sources {
		sum := sha256.Sum256(src)
		sums[kind] = hex.EncodeToString(sum[:])
	}
	return func(kind string) string { return sums[kind] }
}
