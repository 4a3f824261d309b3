package runtimes

import "fmt"

// Latest returns the promoted version of a runtime, the one functions get
// when they are created or updated, with Arch set to arch. When the runtime
// cannot run here the error is an *UnavailableError whose Reason tells the
// user what to do.
func (c *Catalog) Latest(runtimeID, arch string) (Version, error) {
	spec, ok := lookupRuntime(runtimeID)
	if !ok {
		return Version{}, fmt.Errorf("runtimes: %q: %w", runtimeID, ErrUnknownRuntime)
	}
	if !validArch(arch) {
		return Version{}, fmt.Errorf("runtimes: unsupported architecture %q (want %s or %s)", arch, ArchX86_64, ArchARM64)
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	rr := c.st.Runtimes[runtimeID]
	if !spec.runnable() || rr == nil || rr.Promoted == "" {
		return Version{}, &UnavailableError{Runtime: runtimeID, Reason: c.reasonNoVersion(spec)}
	}
	for _, rec := range rr.Versions {
		if rec.Label != rr.Promoted {
			continue
		}
		v := c.version(spec, rr, rec)
		if !v.Available {
			return Version{}, &UnavailableError{Runtime: runtimeID, Reason: c.reasonPromotedUnavailable(spec, rr, v)}
		}
		v.Arch = arch
		return v, nil
	}
	return Version{}, fmt.Errorf("runtimes: %s: promoted version %s is not in the catalog", runtimeID, rr.Promoted)
}

// Resolve finds the version a runtime version ARN names (for functions
// pinned in Manual mode), with Region and Arch set to what the ARN was made
// for. The version may be unavailable; check Available.
func (c *Catalog) Resolve(arn string) (Version, bool) {
	region, hexID, ok := parseARN(arn)
	if !ok {
		return Version{}, false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	e, ok := c.arnIndex(region)[hexID]
	if !ok {
		return Version{}, false
	}
	v, ok := c.lookup(e.runtime, e.label)
	v.Region, v.Arch = region, e.arch
	return v, ok
}

// arnIndex returns the ARN index of a region, building it on first use.
// Callers hold c.mu.
func (c *Catalog) arnIndex(region string) map[string]arnEntry {
	c.arnMu.Lock()
	defer c.arnMu.Unlock()
	if idx, ok := c.arns[region]; ok {
		return idx
	}
	idx := map[string]arnEntry{}
	for id, rr := range c.st.Runtimes {
		for _, rec := range rr.Versions {
			for _, arch := range architectures {
				idx[arnHex(rec.Identity, region, arch)] = arnEntry{runtime: id, label: rec.Label, arch: arch}
			}
		}
	}
	if c.arns == nil {
		c.arns = map[string]map[string]arnEntry{}
	}
	c.arns[region] = idx
	return idx
}

// lookup returns a version by runtime and label. Callers hold c.mu.
func (c *Catalog) lookup(runtimeID, lbl string) (Version, bool) {
	spec, ok := lookupRuntime(runtimeID)
	rr := c.st.Runtimes[runtimeID]
	if !ok || rr == nil {
		return Version{}, false
	}
	for _, rec := range rr.Versions {
		if rec.Label == lbl {
			return c.version(spec, rr, rec), true
		}
	}
	return Version{}, false
}

// List returns every version of every runtime, runtimes in display order
// and versions oldest first.
func (c *Catalog) List() []Version {
	var out []Version
	for _, spec := range runtimeTable {
		out = append(out, c.Versions(spec.id)...)
	}
	return out
}

// Versions returns the versions of one runtime, oldest first.
func (c *Catalog) Versions(runtimeID string) []Version {
	spec, ok := lookupRuntime(runtimeID)
	if !ok {
		return nil
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	rr := c.st.Runtimes[runtimeID]
	if rr == nil {
		return nil
	}
	out := make([]Version, 0, len(rr.Versions))
	for _, rec := range rr.Versions {
		out = append(out, c.version(spec, rr, rec))
	}
	return out
}
