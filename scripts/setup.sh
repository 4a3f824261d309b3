#!/usr/bin/env bash
# Installs what lambkin's build and tests need beyond this machine's base:
# Go modules from the module proxy, and the official Node.js runtime client
# (aws-lambda-ric, from the npm registry) that the compatibility tests run.
# Its native addon is compiled once (about two minutes) and cached under
# ~/.cache/lambkin; later runs copy the cached build. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

go mod download

ric=test/invoke/testdata/node-ric
if [ ! -f "$ric/node_modules/aws-lambda-ric/rapid-client.node" ]; then
	lock_hash=$(sha256sum "$ric/package-lock.json" | cut -c1-16)
	cache="${XDG_CACHE_HOME:-$HOME/.cache}/lambkin/node-ric-$lock_hash"
	if [ ! -f "$cache/node_modules/aws-lambda-ric/rapid-client.node" ]; then
		# The addon builds curl and aws-lambda-cpp from source.
		missing=""
		for tool in cmake autoconf automake libtoolize make g++; do
			command -v "$tool" >/dev/null || missing="$missing $tool"
		done
		if [ -n "$missing" ]; then
			echo "setup: installing build tools for aws-lambda-ric:$missing"
			apt-get update -qq
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cmake autoconf automake libtool make g++ python3 >/dev/null
		fi
		echo "setup: building aws-lambda-ric (once; cached in $cache)"
		rm -rf "$cache"
		mkdir -p "$cache"
		cp "$ric/package.json" "$ric/package-lock.json" "$cache/"
		(cd "$cache" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error &&
			npm rebuild aws-lambda-ric --foreground-scripts --loglevel=error >/dev/null)
	fi
	rm -rf "$ric/node_modules"
	cp -a "$cache/node_modules" "$ric/node_modules"
fi
