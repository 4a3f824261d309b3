package sandbox

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
)

// OwnsConnection reports whether the client end of a loopback TCP
// connection belongs to a process of this environment. local and remote
// are the addresses of the accepted connection (conn.LocalAddr() and
// conn.RemoteAddr()). It asks the kernel for the inode of the client
// socket (its address = remote, its peer = local), then looks for that
// inode among the open files of the environment's processes. Lambkin must
// share the network namespace of the environment, as it does. Evaluate it
// once per connection (http.Server.ConnContext is a good place): it costs
// tens of microseconds with cgroups, a few milliseconds without (a walk of
// /proc).
func (e *Env) OwnsConnection(local, remote net.Addr) (bool, error) {
	inode, err := clientSocketInode(local, remote)
	if err != nil {
		return false, err
	}
	if inode == "" {
		return false, nil // the client is already gone
	}
	pids, err := e.be.pids()
	if err != nil {
		return false, err
	}
	target := "socket:[" + inode + "]"
	for _, pid := range pids {
		if holdsFile(pid, target) {
			return true, nil
		}
	}
	return false, nil
}

// clientSocketInode returns the inode of the socket whose own address is
// client and whose peer is server, or "" if there is none.
func clientSocketInode(server, client net.Addr) (string, error) {
	s, ok1 := server.(*net.TCPAddr)
	c, ok2 := client.(*net.TCPAddr)
	if !ok1 || !ok2 {
		return "", fmt.Errorf("not TCP addresses: %v, %v", server, client)
	}
	inode, err := diagSocketInode(c, s)
	if err == nil {
		return inode, nil
	}
	// ENOENT also means "no TCP diag support": if the kernel finds our own
	// end, diag works and the client is just gone.
	if errors.Is(err, errNoSocket) {
		if _, err := diagSocketInode(s, c); err == nil {
			return "", nil
		}
	}
	return procSocketInode(s, c)
}

// procSocketInode is clientSocketInode through /proc/net/tcp{,6}, for
// kernels without sock_diag.
func procSocketInode(s, c *net.TCPAddr) (string, error) {
	if s.IP.To4() != nil && c.IP.To4() != nil {
		inode, err := findSocket("/proc/net/tcp", procAddr4(c), procAddr4(s))
		if inode != "" || err != nil {
			return inode, err
		}
	}
	// IPv6, or an IPv4 client on a dual-stack socket (::ffff:a.b.c.d).
	return findSocket("/proc/net/tcp6", procAddr6(c), procAddr6(s))
}

// findSocket scans a /proc/net/tcp file for a socket with the given
// local and remote addresses (in the file's hex format) and returns its
// inode.
func findSocket(file, local, remote string) (string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		if os.IsNotExist(err) {
			return "", nil // no IPv6
		}
		return "", err
	}
	l, r := []byte(local), []byte(remote)
	for _, line := range bytes.Split(b, []byte("\n")) {
		// sl local rem st tx:rx tr:when retrnsmt uid timeout inode ...
		f := bytes.Fields(line)
		if len(f) > 9 && bytes.Equal(f[1], l) && bytes.Equal(f[2], r) {
			return string(f[9]), nil
		}
	}
	return "", nil
}

// procAddr4 formats an IPv4 address as /proc/net/tcp does: the address
// as a host-order (little-endian) 32-bit hex number, then the port.
func procAddr4(a *net.TCPAddr) string {
	ip := a.IP.To4()
	return fmt.Sprintf("%02X%02X%02X%02X:%04X", ip[3], ip[2], ip[1], ip[0], a.Port)
}

// procAddr6 formats an address as /proc/net/tcp6 does: four host-order
// 32-bit words, then the port. IPv4 addresses become IPv4-mapped.
func procAddr6(a *net.TCPAddr) string {
	ip := a.IP.To16()
	var b bytes.Buffer
	for w := 0; w < 16; w += 4 {
		fmt.Fprintf(&b, "%02X%02X%02X%02X", ip[w+3], ip[w+2], ip[w+1], ip[w])
	}
	fmt.Fprintf(&b, ":%04X", a.Port)
	return b.String()
}

// holdsFile reports whether process pid has an open file whose /proc link
// reads target (e.g. "socket:[1234]").
func holdsFile(pid int, target string) bool {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd/"
	d, err := os.Open(dir)
	if err != nil {
		return false
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return false
	}
	for _, n := range names {
		if link, err := os.Readlink(dir + n); err == nil && link == target {
			return true
		}
	}
	return false
}
