package sandbox

import (
	"io"
	"os"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// output wires the tree's stdout and stderr to the caller's writers. An
// *os.File is handed to the processes directly; other writers are fed by a
// goroutine reading a pipe, which ends when the last process holding the
// pipe's write end is gone.
type output struct {
	stdout, stderr *os.File // the processes' ends (nil = /dev/null)
	child          []*os.File
	readers        []*os.File
	copiers        []*copier
	wg             sync.WaitGroup
}

// copier copies one pipe to its writer. waiting is true while it waits in
// Read with everything read before written: with the pipe empty too, all
// output written so far has reached the writer.
type copier struct {
	r       *os.File
	waiting atomic.Bool
}

// newOutput creates the pipes and starts copying.
func newOutput(stdout, stderr io.Writer) (*output, error) {
	o := &output{}
	var err error
	if o.stdout, err = o.wire(stdout); err != nil {
		o.abort()
		return nil, err
	}
	if sameWriter(stdout, stderr) {
		o.stderr = o.stdout // one pipe keeps the interleaving
	} else if o.stderr, err = o.wire(stderr); err != nil {
		o.abort()
		return nil, err
	}
	return o, nil
}

// wire returns the file the processes write to for w.
func (o *output) wire(w io.Writer) (*os.File, error) {
	switch w := w.(type) {
	case nil:
		return nil, nil
	case *os.File:
		return w, nil
	}
	r, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	o.child = append(o.child, pw)
	o.readers = append(o.readers, r)
	c := &copier{r: r}
	o.copiers = append(o.copiers, c)
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		c.drain(w)
	}()
	return pw, nil
}

// drain copies the pipe to w; after a write error it keeps reading and
// discards, so a broken writer never blocks the function.
func (c *copier) drain(w io.Writer) {
	buf := make([]byte, 32<<10)
	for {
		c.waiting.Store(true)
		n, err := c.r.Read(buf)
		c.waiting.Store(false)
		if n > 0 && w != nil {
			if _, werr := w.Write(buf[:n]); werr != nil {
				w = nil
			}
		}
		if err != nil {
			return
		}
	}
}

// sync waits, at most timeout, until everything the processes have
// written so far has been copied to the writers.
func (o *output) sync(timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	for _, c := range o.copiers {
		for !c.idle() && time.Now().Before(deadline) {
			time.Sleep(20 * time.Microsecond)
		}
	}
}

// idle reports an empty pipe and a copier waiting for more.
func (c *copier) idle() bool {
	if !c.waiting.Load() {
		return false
	}
	pending := -1
	if raw, err := c.r.SyscallConn(); err == nil {
		// TIOCINQ is FIONREAD: the bytes waiting in the pipe.
		raw.Control(func(fd uintptr) { pending, _ = unix.IoctlGetInt(int(fd), unix.TIOCINQ) })
	}
	return pending == 0 && c.waiting.Load()
}

// started closes our copies of the processes' ends, so that EOF comes
// when the processes are gone.
func (o *output) started() {
	closeAll(o.child...)
	o.child = nil
}

// wait waits for the copies to finish, at most grace: a process that
// escaped the environment could hold a pipe open forever.
func (o *output) wait(grace time.Duration) {
	done := make(chan struct{})
	go func() {
		o.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(grace):
		closeAll(o.readers...)
		<-done
	}
	closeAll(o.readers...)
}

// abort closes everything (start failed).
func (o *output) abort() {
	o.started()
	closeAll(o.readers...)
	o.wg.Wait()
}

// sameWriter reports whether a and b are the same pointer-shaped writer.
// Only pointers are compared: comparing arbitrary interfaces can panic.
func sameWriter(a, b io.Writer) bool {
	if a == nil || b == nil {
		return false
	}
	ta := reflect.TypeOf(a)
	return ta == reflect.TypeOf(b) && ta.Kind() == reflect.Pointer && a == b
}
