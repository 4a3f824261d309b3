package lambda

import (
	"sync"
	"time"

	"github.com/lambkin/lambkin/internal/store"
)

// transitions finishes accepted changes in the background, as Lambda does:
// a created function goes Pending -> Active and an update InProgress ->
// Successful once its package is unpacked and its configuration can run,
// or to Failed with a reason when it cannot. Each step is a revision of its
// own, written under the function's lock.
type transitions struct {
	s       *Service
	mu      sync.Mutex
	cond    *sync.Cond
	queue   []transitionJob
	timers  map[*time.Timer]struct{}
	closed  bool
	workers sync.WaitGroup
}

type transitionJob struct{ region, name, token string }

// transitionWorkers run transitions; more of them let their writes share
// group commits under load.
const transitionWorkers = 16

func newTransitions(s *Service) *transitions {
	t := &transitions{s: s, timers: map[*time.Timer]struct{}{}}
	t.cond = sync.NewCond(&t.mu)
	for i := 0; i < transitionWorkers; i++ {
		t.workers.Add(1)
		go t.run()
	}
	return t
}

// submit makes a change effective. Without a state delay it does so at
// once, in the caller's goroutine (which must not hold the function's
// lock): the caller already answered with the Pending/InProgress view, and
// the change is effective before another request can trip over it. With a
// delay, a worker does it no sooner than the delay.
func (t *transitions) submit(j transitionJob) {
	if t.s.cfg.StateDelay <= 0 {
		t.s.finishTransition(j)
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	if d := t.s.cfg.StateDelay; d > 0 {
		var timer *time.Timer
		timer = time.AfterFunc(d, func() {
			t.mu.Lock()
			defer t.mu.Unlock()
			delete(t.timers, timer)
			t.enqueueLocked(j)
		})
		t.timers[timer] = struct{}{}
		return
	}
	t.enqueueLocked(j)
}

func (t *transitions) enqueueLocked(j transitionJob) {
	if t.closed {
		return
	}
	t.queue = append(t.queue, j)
	t.cond.Signal()
}

func (t *transitions) run() {
	defer t.workers.Done()
	for {
		t.mu.Lock()
		for len(t.queue) == 0 && !t.closed {
			t.cond.Wait()
		}
		if t.closed {
			t.mu.Unlock()
			return
		}
		j := t.queue[0]
		t.queue = t.queue[1:]
		t.mu.Unlock()
		t.s.finishTransition(j)
	}
}

// stop ends the workers; queued jobs are dropped and resume after restart
// from the records, which still say Pending or InProgress.
func (t *transitions) stop() {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.closed = true
	for timer := range t.timers {
		timer.Stop()
	}
	t.cond.Broadcast()
	t.mu.Unlock()
	t.workers.Wait()
}

// resumeTransitions re-submits the transitions a previous run accepted but
// did not finish, so no function stays Pending or InProgress after a crash.
func (s *Service) resumeTransitions() error {
	var jobs []transitionJob
	err := s.store.View(func(tx store.Tx) error {
		return tx.Scan(bucketVersions, nil, nil, func(k, b []byte) bool {
			var v versionRecord
			if getErr := unmarshalRecord(b, &v); getErr != nil || v.Pending == nil {
				return true
			}
			region, name := splitVersionKey(k)
			jobs = append(jobs, transitionJob{region: region, name: name, token: v.Pending.Token})
			return true
		})
	})
	if err != nil {
		return err
	}
	for _, j := range jobs {
		s.work.submit(j)
	}
	return nil
}

// finishTransition prepares what the change needs (outside the lock: it may
// take a while) and then makes it effective on every version still carrying
// the job's token.
func (s *Service) finishTransition(j transitionJob) {
	var targets []*versionRecord
	err := s.store.View(func(tx store.Tx) error {
		return scanVersions(tx, j.region, j.name, func(v *versionRecord) (bool, error) {
			if v.Pending != nil && v.Pending.Token == j.token {
				targets = append(targets, v)
			}
			return true, nil
		})
	})
	if err != nil || len(targets) == 0 {
		if err != nil {
			s.cfg.Log.Error("transition: reading function", "function", j.name, "err", err)
		}
		return
	}
	failure := s.prepare(j.region, targets[0])

	unlock := s.locks.lock(j.region, j.name)
	defer unlock()
	err = s.store.Update(func(tx store.Tx) error {
		return scanVersions(tx, j.region, j.name, func(v *versionRecord) (bool, error) {
			if v.Pending == nil || v.Pending.Token != j.token {
				return true, nil
			}
			s.complete(v, failure)
			return true, saveVersion(tx, j.region, j.name, v)
		})
	})
	if err != nil {
		s.cfg.Log.Error("transition: writing function", "function", j.name, "err", err)
	}
}
