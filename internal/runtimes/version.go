package runtimes

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// Where a version's interpreter came from (Version.Source).
const (
	SourceDiscovered = "discovered" // found by discovery, exact or closest match
	SourceConfig     = "config"     // named in the config file
	SourceAdded      = "added"      // registered with Add (`lambkin runtimes add`)
	SourceBuiltin    = "builtin"    // provided.*: no interpreter
)

// Version is one runtime version of one runtime identifier: an interpreter
// build plus lambkin's bootstrap for its language.
type Version struct {
	Runtime  string // runtime identifier, "python3.11"
	Label    string // "python:3.11.7.v2", what INIT_START logs as Runtime Version
	Number   int    // the N of the label: versions of the runtime count from 1
	Language string // LangPython, LangNode or LangProvided
	// Bootstrap is which lambkin bootstrap runs (BootstrapPython,
	// BootstrapNode), or "" for provided.*, where the function's own
	// bootstrap executable runs.
	Bootstrap     string
	BootstrapHash string
	// Interpreter is the interpreter's real path, never a symlink or a
	// shim; "" for provided.*.
	Interpreter        string
	InterpreterVersion string // "3.11.7", "20.20.2"; "" for provided.*
	Build              string // the interpreter's full version banner
	Machine            string // the interpreter's architecture, "x86_64"
	// Exact is false when the interpreter is not the runtime's own version
	// (python3.14 served by Python 3.13): a closest-match fallback or an
	// explicit mapping.
	Exact  bool
	Source string
	// Available is false when the version cannot run here; Reason says
	// why.
	Available bool
	Reason    string
	// Note explains, for people, anything unusual (fallbacks, mappings,
	// superseded builds).
	Note     string
	Promoted bool
	// SupersededBy names the version that replaced this one's build at the
	// same interpreter path (an upgrade in place, or a new lambkin
	// bootstrap): running this version now runs that build.
	SupersededBy string
	RegisteredAt time.Time
	// Identity is the SHA-256 (hex) of what makes the version; ARNs derive
	// from it.
	Identity string
	// Region and Arch are set by Resolve to what the ARN was made for
	// (Latest sets Arch to the one asked for).
	Region string
	Arch   string
}

// label builds "python:3.11.7.v2" or "provided:al2023.v1".
func label(spec runtimeSpec, interpreterVersion string, n int) string {
	base := interpreterVersion
	if spec.lang == LangProvided {
		base = strings.TrimPrefix(spec.id, "provided.")
	}
	return fmt.Sprintf("%s:%s.v%d", spec.labelPrefix(), base, n)
}

// version turns a record into a Version, checking that it can still run.
func (c *Catalog) version(spec runtimeSpec, rr *runtimeRecord, rec versionRecord) Version {
	v := Version{
		Runtime:            spec.id,
		Label:              rec.Label,
		Number:             rec.Number,
		Language:           spec.lang,
		Bootstrap:          rec.Bootstrap,
		BootstrapHash:      rec.BootstrapHash,
		Interpreter:        rec.Interpreter,
		InterpreterVersion: rec.InterpreterVersion,
		Build:              rec.Build,
		Machine:            rec.Machine,
		Exact:              rec.Exact,
		Source:             rec.Source,
		Available:          true,
		Promoted:           rr.Promoted == rec.Label,
		SupersededBy:       rec.SupersededBy,
		RegisteredAt:       rec.RegisteredAt,
		Identity:           rec.Identity,
	}
	var notes []string
	if !v.Exact {
		switch v.Source {
		case SourceDiscovered:
			notes = append(notes, fmt.Sprintf("closest match: %s runs on %s %s", spec.id, langName(spec.lang), v.InterpreterVersion))
		default:
			notes = append(notes, fmt.Sprintf("mapped (%s): %s runs on %s %s", v.Source, spec.id, langName(spec.lang), v.InterpreterVersion))
		}
	}
	if v.SupersededBy != "" {
		notes = append(notes, "superseded by "+v.SupersededBy+" (the interpreter at this path or lambkin's bootstrap changed)")
	}
	v.Note = strings.Join(notes, "; ")

	if v.Interpreter != "" {
		fi, err := os.Stat(v.Interpreter)
		switch {
		case err != nil:
			v.Available, v.Reason = false, "interpreter "+v.Interpreter+" no longer exists"
		case !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0:
			v.Available, v.Reason = false, "interpreter "+v.Interpreter+" is not an executable file"
		}
	}
	if v.Available && c.opts.Strict && !v.Exact && v.Source == SourceDiscovered {
		v.Available, v.Reason = false, "strict mode: closest-match fallback is off"
	}
	return v
}

func langName(lang string) string {
	switch lang {
	case LangPython:
		return "Python"
	case LangNode:
		return "Node.js"
	case LangJava:
		return "Java"
	case LangRuby:
		return "Ruby"
	case LangDotnet:
		return ".NET"
	}
	return lang
}
