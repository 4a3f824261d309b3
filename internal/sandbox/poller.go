package sandbox

import "time"

// poller calls a function periodically until stopped; the watchers use it.
type poller struct {
	stop chan struct{}
	done chan struct{}
}

// startPoller calls tick every period (and once at once) until tick
// returns false or close is called.
func startPoller(period time.Duration, tick func() bool) *poller {
	p := &poller{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		t := time.NewTicker(period)
		defer t.Stop()
		for tick() {
			select {
			case <-p.stop:
				return
			case <-t.C:
			}
		}
	}()
	return p
}

// close stops the poller and waits for a running tick to finish.
func (p *poller) close() {
	select {
	case <-p.stop:
	default:
		close(p.stop)
	}
	<-p.done
}
