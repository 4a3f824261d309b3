package sandbox

import (
	"io"
	"os"
	"reflect"
	"sync"
	"time"
)

// output wires the tree's stdout and stderr to the caller's writers. An
// *os.File is handed to the processes directly; other writers are fed by a
// goroutine reading a pipe, which ends when the last process holding the
// pipe's write end is gone.
type output struct {
	stdout, stderr *os.File // the processes' ends (nil = /dev/null)
	child          []*os.File
	readers        []*os.File
	wg             sync.WaitGroup
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
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		drain(w, r)
	}()
	return pw, nil
}

// drain copies r to w; after a write error it keeps reading and discards,
// so a broken writer never blocks the function.
func drain(w io.Writer, r io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
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
