package sandbox

import (
	"sync/atomic"
	"time"
)

// rssWatcher enforces the memory limit where no memory cgroup does: it
// sums the resident set size (VmRSS) of the environment's processes every
// period, remembers the maximum and calls kill once the sum exceeds the
// limit. Shared pages count once per process, and growth between two
// samples goes unseen, so the limit is approximate: a burst that comes
// and goes within one period is not caught.
type rssWatcher struct {
	limit uint64
	pids  func() ([]int, error)
	kill  func()
	peak  atomic.Uint64
	oom   atomic.Bool
	p     *poller
}

// startRSSWatcher starts watching.
func startRSSWatcher(limit uint64, period time.Duration, pids func() ([]int, error), kill func()) *rssWatcher {
	w := &rssWatcher{limit: limit, pids: pids, kill: kill}
	w.p = startPoller(period, w.sample)
	return w
}

// sample takes one measurement; it returns false once it killed the tree.
func (w *rssWatcher) sample() bool {
	pids, err := w.pids()
	if err != nil {
		return true
	}
	var sum uint64
	for _, pid := range pids {
		if n, err := rssBytes(pid); err == nil {
			sum += n
		}
	}
	for old := w.peak.Load(); sum > old && !w.peak.CompareAndSwap(old, sum); old = w.peak.Load() {
	}
	if sum > w.limit {
		w.oom.Store(true)
		w.kill()
		return false
	}
	return true
}

// stats returns what the watcher saw.
func (w *rssWatcher) stats() memStats {
	return memStats{peak: w.peak.Load(), oom: w.oom.Load()}
}

// close stops the watcher.
func (w *rssWatcher) close() { w.p.close() }
