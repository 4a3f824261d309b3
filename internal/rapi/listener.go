package rapi

import "net"

// vettingListener closes the connections its accept hook rejects, so that
// only the environment's own processes can talk to the server.
type vettingListener struct {
	net.Listener
	accept func(net.Conn) bool
}

// Accept returns the next connection the hook accepts.
func (l *vettingListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.accept(c) {
			return c, nil
		}
		_ = c.Close() // unanswered: a foreign client learns nothing
	}
}
