package lambda

import (
	"container/heap"
	"context"
	"encoding/binary"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/lambkin/lambkin/internal/awserr"
	"github.com/lambkin/lambkin/internal/engine"
	"github.com/lambkin/lambkin/internal/store"
)

// Asynchronous invocations (InvocationType Event) are acknowledged once
// they are in the store, and processed by a few workers: retried twice on
// function errors (after about 1 and 2 minutes), retried with exponential
// backoff from 1 s to 5 min on throttles and system errors until the event
// is too old (6 h by default), then handed to the failure destination or
// the dead-letter queue. The queue survives restarts.
const bucketEvents = "events" // sequence number (8 bytes, big-endian) -> queuedEvent

type queuedEvent struct {
	Region    string    `json:"region"`
	Account   string    `json:"account"`
	Name      string    `json:"name"`
	Qualifier string    `json:"qualifier,omitzero"`
	RequestID string    `json:"requestId"`
	Payload   []byte    `json:"payload"`
	TraceID   string    `json:"traceId,omitzero"`
	Enqueued  time.Time `json:"enqueued"`
	NotBefore time.Time `json:"notBefore"`
	Attempts  int       `json:"attempts,omitzero"` // invocations made
	Errors    int       `json:"errors,omitzero"`   // of which ended in a function error
}

// AsyncConfig tunes asynchronous processing.
type AsyncConfig struct {
	Workers int
	// RetryDelay is the wait before the first retry after a function error
	// (AWS: about a minute); it doubles for the second.
	RetryDelay time.Duration
	// ThrottleDelay is the first backoff after a throttle or system error.
	ThrottleDelay time.Duration
	MaxBackoff    time.Duration
}

func (c *AsyncConfig) defaults() {
	if c.Workers <= 0 {
		c.Workers = 4
	}
	if c.RetryDelay <= 0 {
		c.RetryDelay = time.Minute
	}
	if c.ThrottleDelay <= 0 {
		c.ThrottleDelay = time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 5 * time.Minute
	}
}

// Defaults of event invoke configuration.
const (
	defaultMaxRetries = 2
	defaultMaxAge     = 6 * time.Hour
)

// asyncQueue schedules stored events: an in-memory heap of (due time,
// sequence) mirrors the store.
type asyncQueue struct {
	s       *Service
	mu      sync.Mutex
	cond    *sync.Cond
	due     eventHeap
	nextSeq uint64
	closed  bool
	timer   *time.Timer
	wg      sync.WaitGroup
}

type eventRef struct {
	seq uint64
	at  time.Time
}

type eventHeap []eventRef

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	return h[i].at.Before(h[j].at) || h[i].at.Equal(h[j].at) && h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(eventRef)) }
func (h *eventHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func eventKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

// startAsync loads the stored events and starts the workers.
func (s *Service) startAsync() error {
	q := &asyncQueue{s: s}
	q.cond = sync.NewCond(&q.mu)
	err := s.store.View(func(tx store.Tx) error {
		return tx.Scan(bucketEvents, nil, nil, func(k, b []byte) bool {
			var ev queuedEvent
			if unmarshalRecord(b, &ev) == nil {
				seq := binary.BigEndian.Uint64(k)
				q.due = append(q.due, eventRef{seq: seq, at: ev.NotBefore})
				q.nextSeq = max(q.nextSeq, seq+1)
			}
			return true
		})
	})
	if err != nil {
		return err
	}
	heap.Init(&q.due)
	s.async = q
	for i := 0; i < s.cfg.Async.Workers; i++ {
		q.wg.Add(1)
		go q.work()
	}
	return nil
}

func (q *asyncQueue) stop() {
	q.mu.Lock()
	q.closed = true
	if q.timer != nil {
		q.timer.Stop()
	}
	q.cond.Broadcast()
	q.mu.Unlock()
	q.wg.Wait()
}

// enqueue stores an event durably, then schedules it.
func (s *Service) enqueue(sc Scope, ref nameRef, t *invocationTarget, payload []byte) error {
	now := s.now()
	ev := queuedEvent{Region: sc.Region, Account: ref.account(sc), Name: ref.Name, Qualifier: ref.Qualifier,
		RequestID: sc.RequestID, Payload: payload, TraceID: sc.TraceID, Enqueued: now, NotBefore: now}
	return s.async.add(&ev)
}

func (q *asyncQueue) add(ev *queuedEvent) error {
	q.mu.Lock()
	seq := q.nextSeq
	q.nextSeq++
	q.mu.Unlock()
	if err := q.s.store.Update(func(tx store.Tx) error { return putJSON(tx, bucketEvents, eventKey(seq), ev) }); err != nil {
		return err
	}
	q.schedule(seq, ev.NotBefore)
	return nil
}

func (q *asyncQueue) schedule(seq uint64, at time.Time) {
	q.mu.Lock()
	heap.Push(&q.due, eventRef{seq: seq, at: at})
	q.cond.Signal()
	q.mu.Unlock()
}

// next waits for the earliest event that is due.
func (q *asyncQueue) next() (uint64, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for {
		if q.closed {
			return 0, false
		}
		if len(q.due) > 0 {
			wait := q.due[0].at.Sub(q.s.now())
			if wait <= 0 {
				return heap.Pop(&q.due).(eventRef).seq, true
			}
			if q.timer != nil {
				q.timer.Stop()
			}
			q.timer = time.AfterFunc(wait, func() {
				q.mu.Lock()
				q.cond.Broadcast()
				q.mu.Unlock()
			})
		}
		q.cond.Wait()
	}
}

func (q *asyncQueue) work() {
	defer q.wg.Done()
	for {
		seq, ok := q.next()
		if !ok {
			return
		}
		q.process(seq)
	}
}

// process runs one event and decides what becomes of it.
func (q *asyncQueue) process(seq uint64) {
	s := q.s
	var ev queuedEvent
	err := s.store.View(func(tx store.Tx) error {
		found, err := getJSON(tx, bucketEvents, eventKey(seq), &ev)
		if err == nil && !found {
			err = errStop
		}
		return err
	})
	if err != nil {
		return
	}
	sc := Scope{Region: ev.Region, Account: ev.Account, RequestID: ev.RequestID, TraceID: ev.TraceID}
	ref := nameRef{Name: ev.Name, Account: ev.Account, Qualifier: ev.Qualifier}
	settings := s.asyncSettings(ev.Region, ev.Name, ev.Qualifier)
	target, err := s.invocationTarget(sc, ref)
	var ae *awserr.Error
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
		s.cfg.Log.Warn("async invocation dropped: the function no longer exists", "function", ev.Name, "requestId", ev.RequestID)
		q.drop(seq)
		return
	case err != nil:
		// Not invocable yet (Pending) or a system error: try again later.
		q.retry(seq, &ev, backoff(s.cfg.Async.ThrottleDelay, s.cfg.Async.MaxBackoff, ev.Attempts+1))
		return
	}
	if r := s.reservedOf(ev.Region, ev.Name); r != nil && *r == 0 {
		q.finish(seq, &ev, outcome{condition: "ZeroReservedConcurrency", target: target}, settings)
		return
	}
	ev.Attempts++
	res, err := s.exec.Invoke(context.Background(), &engine.Invocation{
		Function: target.spec, RequestID: ev.RequestID, InvokedARN: target.invokedARN,
		Qualifier: ev.Qualifier, Payload: ev.Payload, TraceID: ev.TraceID, Async: true,
	})
	switch {
	case errors.Is(err, engine.ErrClosed):
		return // shutting down: the event stays stored for the next run
	case err != nil:
		// Throttles and system errors go back to the queue with backoff
		// until the event is too old; they do not count as attempts.
		ev.Attempts--
		if s.now().Sub(ev.Enqueued) >= settings.maxAge {
			q.finish(seq, &ev, outcome{condition: "EventAgeExceeded", target: target}, settings)
			return
		}
		q.retry(seq, &ev, backoff(s.cfg.Async.ThrottleDelay, s.cfg.Async.MaxBackoff, ev.Attempts+1))
	case res.FunctionError != "":
		ev.Errors++
		if ev.Errors > settings.maxRetries || s.now().Sub(ev.Enqueued) >= settings.maxAge {
			q.finish(seq, &ev, outcome{condition: "RetriesExhausted", target: target, result: res}, settings)
			return
		}
		q.retry(seq, &ev, s.cfg.Async.RetryDelay<<(ev.Errors-1))
	default:
		q.finish(seq, &ev, outcome{condition: "Success", target: target, result: res}, settings)
	}
}

// backoff is base * 2^(n-1), capped.
func backoff(base, limit time.Duration, n int) time.Duration {
	d := base
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// retry stores the event's new state and schedules it again.
func (q *asyncQueue) retry(seq uint64, ev *queuedEvent, after time.Duration) {
	ev.NotBefore = q.s.now().Add(after)
	err := q.s.store.Update(func(tx store.Tx) error { return putJSON(tx, bucketEvents, eventKey(seq), ev) })
	if err != nil {
		q.s.cfg.Log.Error("async invocation: storing retry", "function", ev.Name, "err", err)
	}
	q.schedule(seq, ev.NotBefore)
}

// finish removes an event, sending its record to a destination first.
func (q *asyncQueue) finish(seq uint64, ev *queuedEvent, o outcome, settings asyncSettings) {
	q.s.deliverOutcome(ev, o, settings)
	q.drop(seq)
}

func (q *asyncQueue) drop(seq uint64) {
	err := q.s.store.Update(func(tx store.Tx) error { return tx.Delete(bucketEvents, eventKey(seq)) })
	if err != nil {
		q.s.cfg.Log.Error("async invocation: removing event", "err", err)
	}
}

// asyncSettings are an event's retry limits and destinations: the event
// invoke config of the qualifier invoked, else defaults.
type asyncSettings struct {
	maxRetries int
	maxAge     time.Duration
	onSuccess  string
	onFailure  string
	deadLetter string
}

func (s *Service) asyncSettings(region, name, qualifier string) asyncSettings {
	out := asyncSettings{maxRetries: defaultMaxRetries, maxAge: defaultMaxAge}
	if qualifier == "" {
		qualifier = latest
	}
	s.store.View(func(tx store.Tx) error {
		var rec eventInvokeRecord
		if found, err := getJSON(tx, bucketEventInvoke, versionKey(region, name, qualifier), &rec); err != nil || !found {
			return err
		}
		if rec.MaximumRetryAttempts != nil {
			out.maxRetries = *rec.MaximumRetryAttempts
		}
		if rec.MaximumEventAgeInSeconds != nil {
			out.maxAge = time.Duration(*rec.MaximumEventAgeInSeconds) * time.Second
		}
		out.onSuccess = deref(destinationOf(rec.DestinationConfig.OnSuccess))
		out.onFailure = deref(destinationOf(rec.DestinationConfig.OnFailure))
		return nil
	})
	s.store.View(func(tx store.Tx) error {
		v, err := loadQualified(tx, region, name, qualifier)
		if err == nil && v != nil && v.Config.DeadLetterConfig != nil {
			out.deadLetter = deref(v.Config.DeadLetterConfig.TargetArn)
		}
		return err
	})
	return out
}

func (s *Service) reservedOf(region, name string) *int {
	var r *int
	s.store.View(func(tx store.Tx) error {
		fn, err := loadFunction(tx, region, name)
		if fn != nil {
			r = fn.ReservedConcurrency
		}
		return err
	})
	return r
}
