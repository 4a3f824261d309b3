package sandbox

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"strconv"

	"golang.org/x/sys/unix"
)

// Sizes and offsets of the sock_diag structures (linux/inet_diag.h).
const (
	nlmsgHdrLen      = 16
	inetDiagReqLen   = 56 // struct inet_diag_req_v2
	inetDiagMsgLen   = 72 // struct inet_diag_msg
	inetDiagInodeOff = 68 // idiag_inode in inet_diag_msg
)

// errNoSocket: the kernel has no socket with the asked addresses.
var errNoSocket = errors.New("no such socket")

// diagSocketInode asks the kernel (NETLINK_SOCK_DIAG, exact lookup, no
// dump) for the inode of the TCP socket whose own address is local and
// whose peer is remote. It costs a few syscalls, unlike /proc/net/tcp,
// whose read walks the whole connection hash table (milliseconds on big
// hosts).
func diagSocketInode(local, remote *net.TCPAddr) (string, error) {
	family := uint8(unix.AF_INET6)
	if local.IP.To4() != nil && remote.IP.To4() != nil {
		family = unix.AF_INET
	}
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, unix.NETLINK_SOCK_DIAG)
	if err != nil {
		return "", err
	}
	defer unix.Close(fd)

	req := make([]byte, nlmsgHdrLen+inetDiagReqLen)
	ne := binary.NativeEndian
	ne.PutUint32(req[0:], uint32(len(req)))
	ne.PutUint16(req[4:], unix.SOCK_DIAG_BY_FAMILY)
	ne.PutUint16(req[6:], unix.NLM_F_REQUEST)
	r := req[nlmsgHdrLen:]
	r[0], r[1] = family, unix.IPPROTO_TCP
	ne.PutUint32(r[4:], 0xffffffff) // any state
	id := r[8:]                     // struct inet_diag_sockid
	binary.BigEndian.PutUint16(id[0:], uint16(local.Port))
	binary.BigEndian.PutUint16(id[2:], uint16(remote.Port))
	putDiagAddr(id[4:20], local.IP, family)
	putDiagAddr(id[20:36], remote.IP, family)
	ne.PutUint32(id[40:], 0xffffffff) // INET_DIAG_NOCOOKIE
	ne.PutUint32(id[44:], 0xffffffff)

	if err := unix.Sendto(fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return "", err
	}
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return "", err
	}
	return parseDiagReply(buf[:n])
}

// putDiagAddr writes ip in the 16-byte address field (network order).
func putDiagAddr(dst []byte, ip net.IP, family uint8) {
	if family == unix.AF_INET {
		copy(dst, ip.To4())
		return
	}
	copy(dst, ip.To16())
}

// parseDiagReply extracts the inode from a sock_diag reply.
func parseDiagReply(b []byte) (string, error) {
	ne := binary.NativeEndian
	if len(b) < nlmsgHdrLen {
		return "", fmt.Errorf("sock_diag: short reply (%d bytes)", len(b))
	}
	switch ne.Uint16(b[4:]) {
	case unix.NLMSG_ERROR:
		if len(b) < nlmsgHdrLen+4 {
			return "", errors.New("sock_diag: short error")
		}
		errno := unix.Errno(-int32(ne.Uint32(b[nlmsgHdrLen:])))
		if errno == unix.ENOENT {
			return "", errNoSocket
		}
		return "", fmt.Errorf("sock_diag: %w", errno)
	case unix.SOCK_DIAG_BY_FAMILY:
		if len(b) < nlmsgHdrLen+inetDiagMsgLen {
			return "", errors.New("sock_diag: short message")
		}
		return strconv.FormatUint(uint64(ne.Uint32(b[nlmsgHdrLen+inetDiagInodeOff:])), 10), nil
	}
	return "", fmt.Errorf("sock_diag: unexpected message type %d", ne.Uint16(b[4:]))
}
