package runtimes

import (
	"context"
	"fmt"
)

// Add registers an interpreter as a new version of a runtime (it is not
// promoted, unless the runtime had no version at all). The interpreter is
// resolved to its real path and must be an ELF binary of the runtime's
// language. When that exact build is already a version of the runtime, Add
// returns it with an error wrapping ErrAlreadyRegistered.
func (c *Catalog) Add(runtimeID, interpreterPath string) (Version, error) {
	spec, ok := lookupRuntime(runtimeID)
	if !ok {
		return Version{}, fmt.Errorf("runtimes: %q: %w", runtimeID, ErrUnknownRuntime)
	}
	if spec.lang == LangProvided {
		return Version{}, fmt.Errorf("runtimes: %s has no interpreter: the function's own bootstrap runs", runtimeID)
	}
	if !spec.runnable() {
		c.mu.RLock()
		reason := c.reasonNoVersion(spec)
		c.mu.RUnlock()
		return Version{}, &UnavailableError{Runtime: runtimeID, Reason: reason}
	}
	cand, err := c.candidate(context.Background(), spec, interpreterPath, SourceAdded)
	if err != nil {
		return Version{}, fmt.Errorf("runtimes: %s: %w", runtimeID, err)
	}
	var (
		rec     versionRecord
		existed bool
	)
	err = c.update(func(st *fileState) (bool, error) {
		now := c.opts.Now().UTC()
		rr := st.Runtimes[runtimeID]
		if rr == nil {
			rr = &runtimeRecord{}
			st.Runtimes[runtimeID] = rr
		}
		before := len(rr.Versions)
		var changed bool
		rec, changed = c.registerOne(spec, rr, cand, now)
		existed = len(rr.Versions) == before
		if rr.Promoted == "" {
			promote(rr, rec.Label, now, true)
			changed = true
		}
		if c.mergeProbes(st) {
			changed = true
		}
		return changed, nil
	})
	if err != nil {
		return Version{}, err
	}
	c.mu.RLock()
	v, _ := c.lookup(runtimeID, rec.Label)
	c.mu.RUnlock()
	if existed {
		return v, fmt.Errorf("runtimes: %s is already registered for %s as %s: %w", cand.build.Path, runtimeID, v.Label, ErrAlreadyRegistered)
	}
	return v, nil
}

// Promote makes a version (by label or by ARN in any region and
// architecture) the runtime's promoted version. That starts a rollout:
// functions get it when created or updated (phase 1) and, once the rollout
// is complete, all remaining Auto functions move (phase 2). Promoting the
// promoted version changes nothing.
func (c *Catalog) Promote(runtimeID, labelOrARN string) error {
	spec, ok := lookupRuntime(runtimeID)
	if !ok {
		return fmt.Errorf("runtimes: %q: %w", runtimeID, ErrUnknownRuntime)
	}
	return c.update(func(st *fileState) (bool, error) {
		rr := st.Runtimes[runtimeID]
		rec, ok := findVersion(rr, labelOrARN)
		if !ok {
			return false, fmt.Errorf("runtimes: %s has no version %q: %w", runtimeID, labelOrARN, ErrUnknownVersion)
		}
		if rr.Promoted == rec.Label {
			return false, nil
		}
		v := c.version(spec, rr, rec)
		if !v.Available {
			return false, &UnavailableError{Runtime: runtimeID, Reason: fmt.Sprintf("cannot promote %s of %s: %s", v.Label, runtimeID, v.Reason)}
		}
		if v.SupersededBy != "" {
			return false, fmt.Errorf("runtimes: cannot promote %s of %s: it was superseded by %s, which is what runs now; promote that instead", v.Label, runtimeID, v.SupersededBy)
		}
		promote(rr, rec.Label, c.opts.Now().UTC(), false)
		c.log.Info("runtimes: promoted", "runtime", runtimeID, "version", rec.Label, "previous", rr.Previous)
		return true, nil
	})
}

// Complete marks the rollout of the runtime's promoted version complete:
// phase 2 may move every remaining Auto function, published versions
// included. Completing a complete rollout changes nothing.
func (c *Catalog) Complete(runtimeID string) error {
	if _, ok := lookupRuntime(runtimeID); !ok {
		return fmt.Errorf("runtimes: %q: %w", runtimeID, ErrUnknownRuntime)
	}
	return c.update(func(st *fileState) (bool, error) {
		rr := st.Runtimes[runtimeID]
		if rr == nil || rr.Promoted == "" {
			return false, fmt.Errorf("runtimes: %s has no promoted version to roll out: %w", runtimeID, ErrUnknownVersion)
		}
		if rr.Complete {
			return false, nil
		}
		rr.Complete, rr.CompletedAt = true, c.opts.Now().UTC()
		c.log.Info("runtimes: rollout complete", "runtime", runtimeID, "version", rr.Promoted)
		return true, nil
	})
}

// findVersion finds a version by label, ARN (any region and architecture)
// or identity.
func findVersion(rr *runtimeRecord, key string) (versionRecord, bool) {
	if rr == nil {
		return versionRecord{}, false
	}
	region, hexID, isARN := parseARN(key)
	for _, rec := range rr.Versions {
		if rec.Label == key || rec.Identity == key {
			return rec, true
		}
		if isARN {
			for _, arch := range architectures {
				if arnHex(rec.Identity, region, arch) == hexID {
					return rec, true
				}
			}
		}
	}
	return versionRecord{}, false
}
