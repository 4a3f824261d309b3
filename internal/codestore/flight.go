package codestore

import "sync"

// flightGroup runs one call per key at a time; callers arriving while it
// runs wait for it and share its error.
type flightGroup struct {
	mu    sync.Mutex
	calls map[string]*flight
}

type flight struct {
	done    chan struct{}
	err     error
	waiters int // callers that joined; guarded by flightGroup.mu
}

func (g *flightGroup) do(key string, fn func() error) error {
	g.mu.Lock()
	if f, ok := g.calls[key]; ok {
		f.waiters++
		g.mu.Unlock()
		<-f.done
		return f.err
	}
	if g.calls == nil {
		g.calls = make(map[string]*flight)
	}
	f := &flight{done: make(chan struct{})}
	g.calls[key] = f
	g.mu.Unlock()

	f.err = fn()

	g.mu.Lock()
	delete(g.calls, key)
	g.mu.Unlock()
	close(f.done)
	return f.err
}
