package rapi

// runtimeState is where the runtime stands in its lifecycle. The names are
// RIE's (core/statenames.go); they appear in InvalidStateTransition bodies.
type runtimeState uint8

const (
	rtStarted      runtimeState = iota // process started, never polled
	rtReady                            // polled /next, waits for an event
	rtRunning                          // holds an invocation
	rtResponding                       // posting /response
	rtErroring                         // posting /error
	rtResponseSent                     // answered; its next /next ends the invoke
	rtInitError                        // posted /init/error (terminal)
	rtExited                           // process gone (terminal)
)

// String returns RIE's name of the state.
func (s runtimeState) String() string {
	return [...]string{
		rtStarted:      "Started",
		rtReady:        "Ready",
		rtRunning:      "Running",
		rtResponding:   "InvocationResponse",
		rtErroring:     "InvocationErrorResponse",
		rtResponseSent: "RuntimeResponseSentState",
		rtInitError:    "InitError",
		rtExited:       "Exited",
	}[s]
}

// runtimeEvent is an API call or platform fact that moves the runtime.
type runtimeEvent uint8

const (
	rtEvNext      runtimeEvent = iota // GET /next
	rtEvDeliver                       // an invocation is handed to the poll
	rtEvUndeliver                     // the poll died before the event was written
	rtEvResponse                      // POST /response starts
	rtEvError                         // POST /error starts
	rtEvSent                          // the answer's body has been read
	rtEvInitError                     // POST /init/error
	rtEvExit                          // the supervisor saw the process exit
)

// target is the state an event leads to; it names the destination in
// InvalidStateTransition bodies.
func (ev runtimeEvent) target() runtimeState {
	return [...]runtimeState{
		rtEvNext:      rtReady,
		rtEvDeliver:   rtRunning,
		rtEvUndeliver: rtReady,
		rtEvResponse:  rtResponding,
		rtEvError:     rtErroring,
		rtEvSent:      rtResponseSent,
		rtEvInitError: rtInitError,
		rtEvExit:      rtExited,
	}[ev]
}

// allows is the runtime's transition table: whether ev may happen in s.
func (s runtimeState) allows(ev runtimeEvent) bool {
	switch ev {
	case rtEvNext:
		// Ready -> Ready lets a runtime re-poll after its connection broke;
		// the handler rejects a second concurrent poll separately.
		return s == rtStarted || s == rtReady || s == rtResponseSent
	case rtEvDeliver:
		return s == rtReady
	case rtEvUndeliver, rtEvResponse, rtEvError:
		return s == rtRunning
	case rtEvSent:
		return s == rtResponding || s == rtErroring
	case rtEvInitError:
		return s == rtStarted
	case rtEvExit:
		return true
	}
	return false
}

// runtimeFSM is the runtime's state and the mailbox its /next polls read.
type runtimeFSM struct {
	state runtimeState
	box   mailbox[*invocation]
}

// apply moves the runtime by ev and reports whether the move was allowed;
// on refusal the state is unchanged.
func (r *runtimeFSM) apply(ev runtimeEvent) bool {
	if !r.state.allows(ev) {
		return false
	}
	r.state = ev.target()
	return true
}
