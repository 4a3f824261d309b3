package sandbox

import (
	"bufio"
	"net"
	"os"
	"strconv"
	"testing"
	"time"
)

// acceptFrom starts the helper connecting to ln in a new environment and
// returns the environment and the server side of its connection.
func acceptFrom(t testing.TB, f Features, ln net.Listener, dial string) (*Env, net.Conn) {
	t.Helper()
	s, out := testSpec(t, f, "connect", dial)
	e := start(t, f, s)
	c := accept(t, ln)
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil || line != "hi\n" {
		t.Fatalf("read %q %v; output %q", line, err, out)
	}
	return e, c
}

// accept accepts one connection within a deadline.
func accept(t testing.TB, ln net.Listener) net.Conn {
	t.Helper()
	if tl, ok := ln.(*net.TCPListener); ok {
		tl.SetDeadline(time.Now().Add(30 * time.Second))
	}
	c, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// owns calls OwnsConnection on the server side c.
func owns(t testing.TB, e *Env, c net.Conn) bool {
	t.Helper()
	ok, err := e.OwnsConnection(c.LocalAddr(), c.RemoteAddr())
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestOwnsConnection(t *testing.T) {
	for _, m := range allModes() {
		t.Run(m.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			addr := ln.Addr().String()
			e1, c1 := acceptFrom(t, m.f, ln, addr)
			e2, c2 := acceptFrom(t, m.f, ln, addr)

			mine, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer mine.Close()
			c3 := accept(t, ln)

			if !owns(t, e1, c1) || !owns(t, e2, c2) {
				t.Error("an environment does not own its own connection")
			}
			if owns(t, e1, c2) || owns(t, e2, c1) {
				t.Error("an environment owns another environment's connection")
			}
			if owns(t, e1, c3) || owns(t, e2, c3) {
				t.Error("an environment owns the test process's connection")
			}
		})
	}
}

func TestOwnsConnectionDualStack(t *testing.T) {
	// A listener on [::] sees IPv4 clients as ::ffff:127.0.0.1 in tcp6.
	ln, err := net.Listen("tcp", "[::]:0")
	if err != nil {
		t.Skipf("no IPv6: %v", err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port
	for _, dial := range []string{"127.0.0.1", "[::1]"} {
		t.Run(dial, func(t *testing.T) {
			e, c := acceptFrom(t, host, ln, net.JoinHostPort(trimBrackets(dial), strconv.Itoa(port)))
			if !owns(t, e, c) {
				t.Errorf("connection from %s not owned (%v → %v)", dial, c.RemoteAddr(), c.LocalAddr())
			}
		})
	}
}

func trimBrackets(s string) string {
	if len(s) > 1 && s[0] == '[' {
		return s[1 : len(s)-1]
	}
	return s
}

func BenchmarkOwnsConnection(b *testing.B) {
	for _, m := range []mode{{"cgroup", host}, {"tree", withoutCgroups(host)}} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		defer ln.Close()
		e, c := acceptFrom(b, m.f, ln, ln.Addr().String())
		mine, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer mine.Close()
		foreign := accept(b, ln)
		for _, k := range []struct {
			name string
			c    net.Conn
			want bool
		}{{"accept", c, true}, {"reject", foreign, false}} {
			b.Run(m.name+"/"+k.name, func(b *testing.B) {
				for b.Loop() {
					if ok, err := e.OwnsConnection(k.c.LocalAddr(), k.c.RemoteAddr()); ok != k.want || err != nil {
						b.Fatal(ok, err)
					}
				}
			})
		}
	}
}

// TestSocketInodeLookups checks that the sock_diag and /proc/net/tcp
// lookups agree, for IPv4 and IPv6.
func TestSocketInodeLookups(t *testing.T) {
	for _, network := range []string{"127.0.0.1:0", "[::1]:0"} {
		ln, err := net.Listen("tcp", network)
		if err != nil {
			t.Logf("skip %s: %v", network, err)
			continue
		}
		defer ln.Close()
		client, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		server := accept(t, ln)
		s, c := server.LocalAddr().(*net.TCPAddr), server.RemoteAddr().(*net.TCPAddr)
		viaDiag, err1 := diagSocketInode(c, s)
		viaProc, err2 := procSocketInode(s, c)
		if err1 != nil || err2 != nil || viaDiag == "" || viaDiag != viaProc {
			t.Errorf("%s: diag %q %v, proc %q %v", network, viaDiag, err1, viaProc, err2)
		}
		if !holdsFile(os.Getpid(), "socket:["+viaDiag+"]") {
			t.Errorf("%s: socket %s not among our fds", network, viaDiag)
		}
		// A connection that does not exist.
		c2 := *c
		c2.Port = 1
		if inode, err := clientSocketInode(s, &c2); inode != "" || err != nil {
			t.Errorf("%s: nonexistent socket: %q %v", network, inode, err)
		}
	}
}
