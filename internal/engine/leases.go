package engine

import "sync"

// Throttle reasons, as TooManyRequestsException's Reason names them.
const (
	ReasonReserved = "ReservedFunctionConcurrentInvocationLimitExceeded"
	ReasonAccount  = "ConcurrentInvocationLimitExceeded"
)

// ThrottleError is returned when an invocation finds no concurrency.
type ThrottleError struct{ Reason string }

func (e *ThrottleError) Error() string { return "throttled: " + e.Reason }

// leases is the concurrency ledger of one account: every running invocation
// holds one lease, taken in the order Lambda takes them —
//
//  1. a provisioned environment of the qualifier invoked, if one is free;
//  2. otherwise the function's reserved concurrency, when it has any (its
//     provisioned concurrency is carved out of it: with reserved equal to
//     provisioned, on-demand invocations are throttled);
//  3. otherwise the account's unreserved pool: the account limit minus all
//     reservations and minus the provisioned concurrency of functions
//     without one.
//
// Beyond them an invocation is throttled with the matching reason.
type leases struct {
	mu          sync.Mutex
	limit       int
	reserved    map[string]int // group -> reserved concurrency
	provisioned map[string]int // group -> provisioned concurrency (allocated)
	onDemand    map[string]int // group -> on-demand invocations in flight
	unreserved  int            // on-demand invocations in flight in the unreserved pool
}

func newLeases(limit int) *leases {
	return &leases{limit: limit, reserved: map[string]int{}, provisioned: map[string]int{}, onDemand: map[string]int{}}
}

// setReserved records a function's reservation (nil: none).
func (l *leases) setReserved(group string, n *int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n == nil {
		delete(l.reserved, group)
	} else {
		l.reserved[group] = *n
	}
}

// setProvisioned records a function's total provisioned concurrency.
func (l *leases) setProvisioned(group string, n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n == 0 {
		delete(l.provisioned, group)
	} else {
		l.provisioned[group] = n
	}
}

// unreservedCapacityLocked is the size of the account's unreserved pool.
func (l *leases) unreservedCapacityLocked() int {
	c := l.limit
	for _, n := range l.reserved {
		c -= n
	}
	for g, n := range l.provisioned {
		if _, ok := l.reserved[g]; !ok {
			c -= n
		}
	}
	return c
}

// acquireOnDemand takes an on-demand lease for a function (steps 2 and 3);
// the returned release gives it back.
func (l *leases) acquireOnDemand(group string) (release func(), err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if r, ok := l.reserved[group]; ok {
		if l.onDemand[group] >= r-l.provisioned[group] {
			return nil, &ThrottleError{Reason: ReasonReserved}
		}
		l.onDemand[group]++
		return l.releaser(group, false), nil
	}
	if l.unreserved >= l.unreservedCapacityLocked() {
		return nil, &ThrottleError{Reason: ReasonAccount}
	}
	l.onDemand[group]++
	l.unreserved++
	return l.releaser(group, true), nil
}

func (l *leases) releaser(group string, unreserved bool) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			defer l.mu.Unlock()
			l.onDemand[group]--
			if l.onDemand[group] == 0 {
				delete(l.onDemand, group)
			}
			if unreserved {
				l.unreserved--
			}
		})
	}
}

// forget drops a deleted function's reservation and provisioned count.
func (l *leases) forget(group string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.reserved, group)
	delete(l.provisioned, group)
}
