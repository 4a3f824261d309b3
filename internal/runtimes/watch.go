package runtimes

import (
	"context"
	"time"
)

// Reload rereads the catalog file if another process (or another Catalog)
// replaced it since this one last read or wrote it, and reports whether it
// did. A stat is all it costs when nothing changed.
func (c *Catalog) Reload() (bool, error) {
	select {
	case <-c.closed:
		return false, ErrClosed
	default:
	}
	now, err := c.store.stat()
	if err != nil {
		return false, err
	}
	c.mu.RLock()
	same := now == c.stamp
	c.mu.RUnlock()
	if same {
		return false, nil
	}
	c.syncMu.Lock()
	defer c.syncMu.Unlock()
	st, stm, err := c.store.read()
	if err != nil {
		return false, err
	}
	c.mu.RLock()
	same = stm == c.stamp // an update may have installed it meanwhile
	c.mu.RUnlock()
	if same {
		return false, nil
	}
	c.setState(st, stm)
	return true, nil
}

// Watch calls fn whenever the catalog changes, whether through this
// Catalog's own methods or through another process (noticed by polling the
// file every Options.PollInterval). It also completes rollouts whose
// Options.RolloutDelay has passed. Changes that arrive while fn runs are
// reported by one more call. Watch returns when ctx is done or the catalog
// is closed; fn runs on Watch's goroutine.
func (c *Catalog) Watch(ctx context.Context, fn func()) {
	tick := time.NewTicker(c.opts.PollInterval)
	defer tick.Stop()
	// Take the channel once and renew it only after it fired, so changes
	// made by this loop itself (completing rollouts) are reported too.
	c.mu.RLock()
	changed := c.changed
	c.mu.RUnlock()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.closed:
			return
		case <-changed:
			c.mu.RLock()
			changed = c.changed
			c.mu.RUnlock()
			fn()
		case <-tick.C:
			// Both close changed when they change anything.
			if _, err := c.Reload(); err != nil {
				c.log.Warn("runtimes: reload failed", "error", err)
			}
			if c.anyDue() {
				if err := c.update(func(st *fileState) (bool, error) { return c.completeDue(st), nil }); err != nil {
					c.log.Warn("runtimes: completing rollouts failed", "error", err)
				}
			}
		}
	}
}
