// Package runtimes is lambkin's runtime catalog: which runtime identifiers
// (python3.13, nodejs20.x, provided.al2023, ...) this host can run, on which
// interpreter, and under which runtime version ARN.
//
// A runtime version is one concrete interpreter build plus lambkin's bootstrap
// for its language; provided.* versions have no interpreter (the function's
// own bootstrap runs). Each version has a label such as python:3.11.7.v2 and,
// per region and architecture, an ARN
// arn:aws:lambda:<region>::runtime:<64 hex> derived from the version's
// identity, so ARNs are stable across restarts.
//
// Each runtime identifier has an ordered list of versions and one promoted
// version, the one new and updated functions get (rollout phase 1). Phase 2,
// moving every remaining Auto function, starts once the rollout is marked
// complete, by an admin or after Options.RolloutDelay. The catalog does not
// touch functions; it exposes the state and a change notification (Watch).
//
// # Discovery
//
// [Open] looks for Python in /usr/bin, /usr/local/bin, the pyenv version
// directories ($PYENV_ROOT/versions/*/bin, default ~/.pyenv) and PATH, and for
// Node.js as node or nodejs on PATH and in common install locations. Every
// candidate is resolved to its real file and must be an ELF binary, so pyenv
// shims (bash scripts) are never chosen. Each interpreter is run once to read
// its version; the result and the binary's SHA-256 are cached in the catalog
// file by path, size and modification time.
//
// When a runtime's exact interpreter is missing, the closest installed one of
// the same language serves it (nearest version, newer on ties, never Python 2
// for python3.x), and the version says so (Version.Exact is false).
// Options.Strict turns that fallback off.
//
// # Config file
//
// An optional JSON file (default <data-dir>/runtimes.config.json) maps runtime
// identifiers to interpreters explicitly; for a mapped identifier discovery is
// not used. A value is one path or a list of paths:
//
//	{
//	  "runtimes": {
//	    "python3.14": "/opt/python/3.14.0/bin/python3.14",
//	    "nodejs22.x": ["/opt/node-v22.11.0/bin/node", "/opt/node-v22.12.0/bin/node"]
//	  }
//	}
//
// # Catalog file
//
// The catalog is <data-dir>/runtimes.json (its layout is documented on
// fileState in persist.go): per runtime, its versions, the promoted one and
// the rollout state, plus the interpreter probe cache. Versions are never
// removed from it: a version whose interpreter is gone
// stays listed, unavailable. Writers take an flock on <data-dir>/runtimes.lock
// and replace the file atomically, so `lambkin runtimes` can edit it while a
// server runs; the server notices through [Catalog.Reload] or
// [Catalog.Watch].
package runtimes
