package rapi

// mailbox hands items from the platform to a client that long-polls for
// them, one poller at a time. Every method runs under the server mutex; the
// poller receives on ch after releasing it.
type mailbox[T any] struct {
	ch      chan T // capacity 1: hand-over to the blocked poller
	waiting bool   // a poller is blocked on ch
	queue   []T    // items posted while nobody was polling
}

// newMailbox returns an empty mailbox.
func newMailbox[T any]() mailbox[T] {
	return mailbox[T]{ch: make(chan T, 1)}
}

// post hands v to the blocked poller and reports true, or queues it.
func (m *mailbox[T]) post(v T) bool {
	if m.waiting {
		m.waiting = false
		m.ch <- v // never blocks: one waiter, capacity one
		return true
	}
	m.queue = append(m.queue, v)
	return false
}

// take returns the oldest queued item, or marks the caller as the poller
// that must then receive on ch.
func (m *mailbox[T]) take() (T, bool) {
	if len(m.queue) > 0 {
		v := m.queue[0]
		var zero T
		m.queue[0] = zero
		m.queue = append(m.queue[:0], m.queue[1:]...)
		return v, true
	}
	m.waiting = true
	var zero T
	return zero, false
}

// cancel withdraws the poller that gave up. An item already handed to it
// is returned (and must be put back with unshift): it was never written.
func (m *mailbox[T]) cancel() (T, bool) {
	var zero T
	if m.waiting {
		m.waiting = false
		return zero, false
	}
	select {
	case v := <-m.ch:
		return v, true
	default:
		return zero, false
	}
}

// unshift puts v back at the head of the queue.
func (m *mailbox[T]) unshift(v T) {
	var zero T
	m.queue = append(m.queue, zero)
	copy(m.queue[1:], m.queue)
	m.queue[0] = v
}
