package runtimes

import (
	"context"
	"fmt"
	"os"
	"sort"
	"time"
)

// candidate is a build that should be a version of a runtime.
type candidate struct {
	build  probe // zero for provided.*
	exact  bool
	source string
}

// plan decides which builds should be versions of each runtime, best last:
// the config file's interpreters where it names any, else discovery's exact
// matches, else its closest match (unless strict). It also returns, per
// runtime, why configured interpreters were rejected.
func (c *Catalog) plan(ctx context.Context, h host) (map[string][]candidate, map[string][]string) {
	plan := map[string][]candidate{}
	rejected := map[string][]string{}
	for _, spec := range runtimeTable {
		configured := c.cfg.runtimes[spec.id]
		switch {
		case spec.lang == LangProvided:
			plan[spec.id] = []candidate{{exact: true, source: SourceBuiltin}}
		case !spec.runnable():
			for _, p := range configured {
				msg := fmt.Sprintf("%s: lambkin has no %s bootstrap, so it cannot use this interpreter", p, langName(spec.lang))
				c.log.Warn("runtimes: ignoring config entry", "runtime", spec.id, "reason", msg)
				rejected[spec.id] = append(rejected[spec.id], msg)
			}
		case len(configured) > 0:
			var cands []candidate
			for _, p := range configured {
				cand, err := c.candidate(ctx, spec, p, SourceConfig)
				if err != nil {
					c.log.Warn("runtimes: ignoring config entry", "runtime", spec.id, "path", p, "error", err)
					rejected[spec.id] = append(rejected[spec.id], err.Error())
					continue
				}
				cands = append(cands, cand)
			}
			sort.SliceStable(cands, func(i, j int) bool { return betterBuild(cands[j].build, cands[i].build) })
			plan[spec.id] = cands
		default:
			builds, exact := candidatesFor(spec, h.builds[spec.lang], c.opts.Strict)
			for _, b := range builds {
				plan[spec.id] = append(plan[spec.id], candidate{build: b, exact: exact, source: SourceDiscovered})
			}
		}
	}
	return plan, rejected
}

// candidate probes an interpreter named explicitly (config file or Add) and
// checks that it can serve the runtime at all.
func (c *Catalog) candidate(ctx context.Context, spec runtimeSpec, path, source string) (candidate, error) {
	pr, err := c.probes.probe(ctx, path, spec.lang)
	if err != nil {
		return candidate{}, err
	}
	v, err := parseSemver(pr.Version)
	if err != nil {
		return candidate{}, err
	}
	if _, ok := spec.distance(v); !ok {
		return candidate{}, fmt.Errorf("%s is %s %s, which cannot serve %s: lambkin's bootstrap needs %s %s or later",
			pr.Path, langName(spec.lang), pr.Version, spec.id, langName(spec.lang), minimumVersion(spec.lang).short())
	}
	return candidate{build: pr, exact: spec.matches(v), source: source}, nil
}

// register adds the planned candidates the state does not have yet and
// promotes a version for runtimes that have none. It reports whether it
// changed anything.
func (c *Catalog) register(st *fileState, plan map[string][]candidate) bool {
	now := c.opts.Now().UTC()
	changed := false
	for _, spec := range runtimeTable {
		cands := plan[spec.id]
		if len(cands) == 0 {
			continue
		}
		rr := st.Runtimes[spec.id]
		if rr == nil {
			rr = &runtimeRecord{}
			st.Runtimes[spec.id] = rr
		}
		var best string
		for _, cand := range cands {
			rec, added := c.registerOne(spec, rr, cand, now)
			changed = changed || added
			best = rec.Label
		}
		if rr.Promoted == "" {
			// First registration: nothing runs on another version, so
			// there is nothing to roll out.
			promote(rr, best, now, true)
			c.log.Info("runtimes: promoted", "runtime", spec.id, "version", best)
			changed = true
		}
	}
	return changed
}

// registerOne makes cand a version of the runtime unless it already is one,
// and marks other versions built from the same interpreter path as
// superseded by it: that path now holds this build (an upgrade in place),
// or lambkin now ships another bootstrap. A superseded promoted version
// passes its promotion on, since what it named can no longer run.
func (c *Catalog) registerOne(spec runtimeSpec, rr *runtimeRecord, cand candidate, now time.Time) (versionRecord, bool) {
	kind, hash := spec.bootstrap, ""
	if kind != "" {
		hash = c.opts.BootstrapHash(kind)
	}
	id := identity(spec.id, cand.build, kind, hash)
	changed := false
	idx := -1
	for i, rec := range rr.Versions {
		if rec.Identity == id {
			idx = i
			break
		}
	}
	if idx < 0 {
		n := len(rr.Versions) + 1
		rr.Versions = append(rr.Versions, versionRecord{
			Number:             n,
			Label:              label(spec, cand.build.Version, n),
			Identity:           id,
			Interpreter:        cand.build.Path,
			InterpreterVersion: cand.build.Version,
			Build:              cand.build.Build,
			SHA256:             cand.build.SHA256,
			Machine:            cand.build.Machine,
			Exact:              cand.exact,
			Source:             cand.source,
			Bootstrap:          kind,
			BootstrapHash:      hash,
			RegisteredAt:       now,
		})
		idx = len(rr.Versions) - 1
		changed = true
		c.log.Info("runtimes: registered", "runtime", spec.id, "version", rr.Versions[idx].Label, "interpreter", cand.build.Path, "exact", cand.exact)
	}
	cur := &rr.Versions[idx]
	if cur.Interpreter == "" {
		return *cur, changed
	}
	if cur.SupersededBy != "" { // its build is back at that path
		cur.SupersededBy = ""
		changed = true
	}
	for i := range rr.Versions {
		old := &rr.Versions[i]
		if i == idx || old.Interpreter != cur.Interpreter || old.SupersededBy != "" {
			continue
		}
		old.SupersededBy = cur.Label
		changed = true
		if rr.Promoted == old.Label {
			promote(rr, cur.Label, now, false)
			c.log.Info("runtimes: promoted the replacement of the promoted version", "runtime", spec.id, "old", old.Label, "new", cur.Label)
		}
	}
	return *cur, changed
}

// promote makes lbl the runtime's promoted version, starting a rollout
// (complete: with phase 2 already done).
func promote(rr *runtimeRecord, lbl string, now time.Time, complete bool) {
	rr.Previous, rr.Promoted, rr.PromotedAt = rr.Promoted, lbl, now
	rr.Complete, rr.CompletedAt = complete, time.Time{}
	if complete {
		rr.CompletedAt = now
	}
}

// mergeProbes copies this process's probe results into the state, keeping
// only entries that still describe the file at their path, so the next
// start runs nothing. It reports whether it changed anything.
func (c *Catalog) mergeProbes(st *fileState) bool {
	changed := false
	for path, pr := range c.probes.snapshot() {
		if st.Probes[path] != pr && current(pr) {
			st.Probes[path] = pr
			changed = true
		}
	}
	for path, pr := range st.Probes {
		if !current(pr) {
			delete(st.Probes, path)
			changed = true
		}
	}
	return changed
}

// current reports whether a probe still matches its file.
func current(pr probe) bool {
	fi, err := os.Stat(pr.Path)
	return err == nil && fi.Size() == pr.Size && fi.ModTime().UnixNano() == pr.ModTime
}
