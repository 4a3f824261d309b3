package runtimes

import (
	"time"
)

// RolloutState is where a runtime's rollout stands. The service layer
// gives new and updated Auto/FunctionUpdate functions the promoted version
// (phase 1) and, once Complete, moves every remaining Auto function,
// published versions included (phase 2).
type RolloutState struct {
	Runtime string
	// Promoted is the promoted version; its Label is empty when the
	// runtime has none.
	Promoted   Version
	PromotedAt time.Time
	// Previous is the label of the version promoted before, if any.
	Previous    string
	Complete    bool
	CompletedAt time.Time
	// DueAt is when the catalog will complete the rollout by itself
	// (Options.RolloutDelay); zero when complete or without a delay.
	DueAt time.Time
}

// Rollout returns the rollout state of a runtime.
func (c *Catalog) Rollout(runtimeID string) RolloutState {
	rs := RolloutState{Runtime: runtimeID}
	spec, ok := lookupRuntime(runtimeID)
	if !ok {
		return rs
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	rr := c.st.Runtimes[runtimeID]
	if rr == nil || rr.Promoted == "" {
		return rs
	}
	for _, rec := range rr.Versions {
		if rec.Label == rr.Promoted {
			rs.Promoted = c.version(spec, rr, rec)
		}
	}
	rs.PromotedAt, rs.Previous = rr.PromotedAt, rr.Previous
	rs.Complete, rs.CompletedAt = rr.Complete, rr.CompletedAt
	if !rr.Complete && c.opts.RolloutDelay > 0 {
		rs.DueAt = rr.PromotedAt.Add(c.opts.RolloutDelay)
	}
	return rs
}

// completeDue completes the rollouts whose delay has passed, reporting
// whether it changed any.
func (c *Catalog) completeDue(st *fileState) bool {
	if c.opts.RolloutDelay <= 0 {
		return false
	}
	now := c.opts.Now().UTC()
	changed := false
	for id, rr := range st.Runtimes {
		if rr.Promoted == "" || rr.Complete || now.Before(rr.PromotedAt.Add(c.opts.RolloutDelay)) {
			continue
		}
		rr.Complete, rr.CompletedAt = true, now
		changed = true
		c.log.Info("runtimes: rollout complete after delay", "runtime", id, "version", rr.Promoted, "delay", c.opts.RolloutDelay)
	}
	return changed
}

// anyDue says, without touching the file, whether completeDue has work.
func (c *Catalog) anyDue() bool {
	if c.opts.RolloutDelay <= 0 {
		return false
	}
	now := c.opts.Now().UTC()
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, rr := range c.st.Runtimes {
		if rr.Promoted != "" && !rr.Complete && !now.Before(rr.PromotedAt.Add(c.opts.RolloutDelay)) {
			return true
		}
	}
	return false
}
