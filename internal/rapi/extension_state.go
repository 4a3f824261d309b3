package rapi

// extState is where one extension stands in its lifecycle. The names are
// RIE's (core/agentstatenames.go); they appear in 403 bodies.
type extState uint8

const (
	extRegistered extState = iota // registered, never polled
	extReady                      // polled /event/next, waits for an event
	extRunning                    // holds an event
	extInitError                  // posted /extension/init/error (terminal)
	extExitError                  // posted /extension/exit/error (terminal)
	extExited                     // process gone (terminal)
)

// String returns RIE's name of the state.
func (s extState) String() string {
	return [...]string{
		extRegistered: "Registered",
		extReady:      "Ready",
		extRunning:    "Running",
		extInitError:  "InitError",
		extExitError:  "ExitError",
		extExited:     "Exited",
	}[s]
}

// terminal reports whether the extension is out of the game.
func (s extState) terminal() bool { return s >= extInitError }

// extEvent is an API call or platform fact that moves an extension.
type extEvent uint8

const (
	extEvNext      extEvent = iota // GET /event/next
	extEvDeliver                   // an event is handed to the poll
	extEvUndeliver                 // the poll died before the event was written
	extEvInitError                 // POST /extension/init/error
	extEvExitError                 // POST /extension/exit/error
	extEvExit                      // the supervisor saw the process exit
)

// target is the state an event leads to.
func (ev extEvent) target() extState {
	return [...]extState{
		extEvNext:      extReady,
		extEvDeliver:   extRunning,
		extEvUndeliver: extReady,
		extEvInitError: extInitError,
		extEvExitError: extExitError,
		extEvExit:      extExited,
	}[ev]
}

// allows is the extension transition table.
func (s extState) allows(ev extEvent) bool {
	switch ev {
	case extEvNext:
		// Ready -> Ready lets an extension re-poll after its connection
		// broke; a second concurrent poll is rejected by the handler.
		return s == extRegistered || s == extReady || s == extRunning
	case extEvDeliver:
		return s == extReady
	case extEvUndeliver:
		return s == extRunning
	case extEvInitError:
		return s == extRegistered
	case extEvExitError:
		return !s.terminal()
	case extEvExit:
		return s != extExited
	}
	return false
}

// eventKind tells INVOKE from SHUTDOWN events.
type eventKind uint8

const (
	eventInvoke eventKind = iota + 1
	eventShutdown
)

// event is one rendered Extensions API event.
type event struct {
	kind eventKind
	body []byte
}

// extension is one registered extension and its place in the lifecycle.
type extension struct {
	id       string
	name     string
	external bool
	invoke   bool // subscribed to INVOKE
	shutdown bool // subscribed to SHUTDOWN

	state extState
	box   mailbox[event]
	held  eventKind // kind of the event it holds while Running

	owesInvoke   bool // got the current INVOKE, has not polled again
	owesShutdown bool // was sent SHUTDOWN, has not polled again
}

// apply moves the extension by ev and reports whether that was allowed.
func (e *extension) apply(ev extEvent) bool {
	if !e.state.allows(ev) {
		return false
	}
	e.state = ev.target()
	return true
}

// deliverLocked records, under the server mutex, that the extension's poll now holds ev.
func (e *extension) deliverLocked(ev event) {
	e.apply(extEvDeliver)
	e.held = ev.kind
}

// ExtensionInfo describes a registered extension.
type ExtensionInfo struct {
	Name     string
	ID       string
	External bool
	Events   []string // subscribed event types: INVOKE, SHUTDOWN
}

// info describes the extension for InitResult.
func (e *extension) info() ExtensionInfo {
	info := ExtensionInfo{Name: e.name, ID: e.id, External: e.external, Events: []string{}}
	if e.invoke {
		info.Events = append(info.Events, "INVOKE")
	}
	if e.shutdown {
		info.Events = append(info.Events, "SHUTDOWN")
	}
	return info
}

// registry holds the extensions of the environment in registration order.
type registry struct {
	list []*extension
}

// byID finds an extension by identifier (linear: at most MaxExtensions).
func (g *registry) byID(id string) *extension {
	for _, e := range g.list {
		if e.id == id {
			return e
		}
	}
	return nil
}

// byName finds an extension by its Lambda-Extension-Name.
func (g *registry) byName(name string) *extension {
	for _, e := range g.list {
		if e.name == name {
			return e
		}
	}
	return nil
}

// infos describes all extensions in registration order.
func (g *registry) infos() []ExtensionInfo {
	out := make([]ExtensionInfo, len(g.list))
	for i, e := range g.list {
		out[i] = e.info()
	}
	return out
}
