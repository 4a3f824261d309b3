package sandbox

import (
	"os"

	"golang.org/x/sys/unix"
)

// exitWatch waits for a child to exit without reaping it and without
// blocking a thread: the pidfd is readable once the process has exited,
// and Go's poller waits for that. Until the child is reaped its pid (and
// so its process group id) cannot be reused.
type exitWatch struct{ f *os.File }

// watchExit opens a pidfd for our child pid.
func watchExit(pid int) (*exitWatch, error) {
	fd, err := unix.PidfdOpen(pid, unix.PIDFD_NONBLOCK)
	if err != nil {
		return nil, os.NewSyscallError("pidfd_open", err)
	}
	return &exitWatch{f: os.NewFile(uintptr(fd), "pidfd")}, nil
}

// wait blocks until the process has exited (it stays a zombie).
func (w *exitWatch) wait() error {
	rc, err := w.f.SyscallConn()
	if err != nil {
		return err
	}
	var werr error
	err = rc.Read(func(fd uintptr) bool {
		var info unix.Siginfo
		werr = unix.Waitid(unix.P_PIDFD, int(fd), &info, unix.WEXITED|unix.WNOHANG|unix.WNOWAIT, nil)
		// si_signo stays 0 while the child runs.
		return werr != nil || info.Signo != 0
	})
	if err != nil {
		return err
	}
	return werr
}

// close releases the pidfd.
func (w *exitWatch) close() error { return w.f.Close() }
