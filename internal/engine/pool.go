package engine

import "time"

// pool holds the on-demand environments of one function configuration.
// The engine's mutex guards it.
type pool struct {
	fn   *Function
	idle []*envHandle // most recently used last: reuse the warmest
	busy int          // checked out or starting
}

type envHandle struct {
	env       Environment
	idleSince time.Time
}

// take checks out an idle environment, or counts one about to start (nil).
func (p *pool) take() *envHandle {
	p.busy++
	if n := len(p.idle); n > 0 {
		h := p.idle[n-1]
		p.idle = p.idle[:n-1]
		return h
	}
	return nil
}

func (p *pool) put(h *envHandle, now time.Time) {
	p.busy--
	h.idleSince = now
	p.idle = append(p.idle, h)
}

// drain removes and returns every idle environment.
func (p *pool) drain() []*envHandle {
	out := p.idle
	p.idle = nil
	return out
}

// expire removes the environments idle since before cutoff.
func (p *pool) expire(cutoff time.Time) []*envHandle {
	var keep, out []*envHandle
	for _, h := range p.idle {
		if h.idleSince.Before(cutoff) {
			out = append(out, h)
		} else {
			keep = append(keep, h)
		}
	}
	p.idle = keep
	return out
}

func (p *pool) empty() bool { return p.busy == 0 && len(p.idle) == 0 }
