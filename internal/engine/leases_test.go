package engine

import (
	"errors"
	"sync"
	"testing"
)

func ptr[T any](v T) *T { return &v }

func throttleReason(err error) string {
	var te *ThrottleError
	if errors.As(err, &te) {
		return te.Reason
	}
	return ""
}

func TestLeasesReservedLimitsOneFunction(t *testing.T) {
	l := newLeases(10)
	l.setReserved("f", ptr(2))
	r1, err1 := l.acquireOnDemand("f")
	r2, err2 := l.acquireOnDemand("f")
	if err1 != nil || err2 != nil {
		t.Fatalf("first two leases: %v %v", err1, err2)
	}
	if _, err := l.acquireOnDemand("f"); throttleReason(err) != ReasonReserved {
		t.Fatalf("third lease: %v, want reserved throttle", err)
	}
	r1()
	r1() // releasing twice must not free two slots
	if _, err := l.acquireOnDemand("f"); err != nil {
		t.Fatalf("after release: %v", err)
	}
	if _, err := l.acquireOnDemand("f"); throttleReason(err) != ReasonReserved {
		t.Fatalf("double release freed a second slot: %v", err)
	}
	r2()
}

func TestLeasesReservedZeroThrottlesEverything(t *testing.T) {
	l := newLeases(10)
	l.setReserved("f", ptr(0))
	if _, err := l.acquireOnDemand("f"); throttleReason(err) != ReasonReserved {
		t.Fatalf("got %v", err)
	}
}

func TestLeasesProvisionedCarvedFromReserved(t *testing.T) {
	l := newLeases(10)
	l.setReserved("f", ptr(2))
	l.setProvisioned("f", 2)
	if _, err := l.acquireOnDemand("f"); throttleReason(err) != ReasonReserved {
		t.Fatalf("reserved == provisioned must throttle on-demand: %v", err)
	}
}

func TestLeasesUnreservedPool(t *testing.T) {
	l := newLeases(5)
	l.setReserved("big", ptr(2)) // pool: 5 - 2 = 3
	l.setProvisioned("pc", 1)    // no reservation: pool 2
	l.setProvisioned("big", 1)   // inside big's reservation: no change
	var rel []func()
	for i := 0; i < 2; i++ {
		r, err := l.acquireOnDemand("other")
		if err != nil {
			t.Fatalf("lease %d: %v", i, err)
		}
		rel = append(rel, r)
	}
	if _, err := l.acquireOnDemand("another"); throttleReason(err) != ReasonAccount {
		t.Fatalf("got %v, want account throttle", err)
	}
	// The reserved function is not affected by the pool being full.
	if _, err := l.acquireOnDemand("big"); err != nil {
		t.Fatalf("reserved function throttled by the unreserved pool: %v", err)
	}
	rel[0]()
	if _, err := l.acquireOnDemand("another"); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

func TestLeasesConcurrentNeverOverCommit(t *testing.T) {
	l := newLeases(1000)
	l.setReserved("f", ptr(7))
	var mu sync.Mutex
	inFlight, peak := 0, 0
	var wg sync.WaitGroup
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 200; j++ {
				rel, err := l.acquireOnDemand("f")
				if err != nil {
					continue
				}
				mu.Lock()
				inFlight++
				peak = max(peak, inFlight)
				mu.Unlock()
				mu.Lock()
				inFlight--
				mu.Unlock()
				rel()
			}
		}()
	}
	wg.Wait()
	if peak > 7 {
		t.Fatalf("peak %d over the reservation of 7", peak)
	}
	if l.onDemand["f"] != 0 || l.unreserved != 0 {
		t.Fatalf("leaked leases: %v %d", l.onDemand, l.unreserved)
	}
}
