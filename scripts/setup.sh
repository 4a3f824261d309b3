#!/usr/bin/env bash
# Installs what lambkin's build and tests need beyond this machine's base:
# Go modules from the module proxy, and the official Node runtime client
# (aws-lambda-ric, from the npm registry) that the compatibility tests run.
# Idempotent: a second run does nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

go mod download

ric=test/invoke/testdata/node-ric
if [ -f "$ric/package.json" ] && [ ! -d "$ric/node_modules/aws-lambda-ric" ]; then
	(cd "$ric" && npm install --ignore-scripts --no-audit --no-fund --loglevel=error)
fi
