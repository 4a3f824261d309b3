package runtimes

import (
	"fmt"
	"strings"
)

// The reasons below end up in a function's StateReason, so they are full
// sentences that say what to install or run. Callers hold c.mu.

// reasonNoVersion explains why a runtime has no version to run.
func (c *Catalog) reasonNoVersion(spec runtimeSpec) string {
	name := langName(spec.lang)
	if !spec.runnable() {
		cannot := fmt.Sprintf("%s is not available on this host: lambkin cannot run %s functions yet (it ships runtime bootstraps only for Python and Node.js)", spec.id, name)
		meanwhile := fmt.Sprintf("until lambkin has a %s bootstrap, use provided.al2023 with your own bootstrap executable", name)
		if found := c.host.commands[spec.lang]; found != "" {
			return fmt.Sprintf("%s; the %s installed here (%s) cannot be used, and %s would also need the right version: %s; %s",
				cannot, name, found, spec.id, spec.install, meanwhile)
		}
		return fmt.Sprintf("%s, and no %s runtime is installed either: %s; %s", cannot, spec.name, spec.install, meanwhile)
	}
	mapHint := fmt.Sprintf("or map %s to an interpreter in %s", spec.id, c.cfg.path)
	if rejected := c.cfgErrors[spec.id]; len(rejected) > 0 {
		return fmt.Sprintf("%s is not available on this host: the interpreters %s maps it to are not usable (%s); fix or remove that entry",
			spec.id, c.cfg.path, strings.Join(rejected, "; "))
	}
	if c.opts.Strict {
		if cl, ok := closest(spec, c.host.builds[spec.lang]); ok {
			return fmt.Sprintf("%s is not available on this host: no %s interpreter is installed, and strict mode forbids using the closest one, %s; %s, %s",
				spec.id, spec.name, describe(cl), spec.install, mapHint)
		}
	}
	return fmt.Sprintf("%s is not available on this host: no %s interpreter was found (searched %s); %s, %s",
		spec.id, name, c.host.searched[spec.lang], spec.install, mapHint)
}

// reasonPromotedUnavailable explains why the promoted version v of a
// runtime cannot run, and how to get going again.
func (c *Catalog) reasonPromotedUnavailable(spec runtimeSpec, rr *runtimeRecord, v Version) string {
	var b strings.Builder
	if c.opts.Strict && !v.Exact && v.Source == SourceDiscovered {
		fmt.Fprintf(&b, "%s is not available on this host: its promoted runtime version %s is a closest match (%s %s) and strict mode is on",
			spec.id, v.Label, langName(spec.lang), v.InterpreterVersion)
	} else {
		fmt.Fprintf(&b, "%s is not available on this host: its promoted runtime version %s cannot run (%s)", spec.id, v.Label, v.Reason)
	}
	if alt, ok := c.alternative(spec, rr, v); ok {
		fmt.Fprintf(&b, "; promote an available version, e.g. `lambkin runtimes promote %s %s`", spec.id, alt.Label)
	} else {
		fmt.Fprintf(&b, "; %s, or map %s to an interpreter in %s", spec.install, spec.id, c.cfg.path)
	}
	return b.String()
}

// alternative is the version an admin would most likely promote instead
// of v: the newest available one, exact matches first.
func (c *Catalog) alternative(spec runtimeSpec, rr *runtimeRecord, v Version) (Version, bool) {
	var best Version
	found := false
	for _, rec := range rr.Versions {
		alt := c.version(spec, rr, rec)
		if alt.Label == v.Label || !alt.Available || alt.SupersededBy != "" {
			continue
		}
		if !found || (alt.Exact && !best.Exact) || (alt.Exact == best.Exact && newer(alt, best)) {
			best, found = alt, true
		}
	}
	return best, found
}

func newer(a, b Version) bool {
	va, _ := parseSemver(a.InterpreterVersion)
	vb, _ := parseSemver(b.InterpreterVersion)
	if c := va.compare(vb); c != 0 {
		return c > 0
	}
	return a.Number > b.Number
}
