#!/usr/bin/env bash
# Runs every check and test of lambkin: formatting, vet, staticcheck, and the
# whole test suite with the race detector (unit tests, the AWS conformance
# cases, real-client end-to-end tests, invocation tests in real sandboxes).
# This is what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh

echo "== gofmt"
unformatted=$(gofmt -l cmd internal test bench 2>/dev/null || true)
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"; echo "$unformatted"; exit 1
fi

echo "== go vet"
go vet ./...

echo "== staticcheck"
go tool staticcheck ./...

echo "== go test"
go test -race -count=1 -timeout 25m ./...
