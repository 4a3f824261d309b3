// Package logs keeps function logs the way CloudWatch Logs organises them:
// a log group per function (/aws/lambda/<name> by default) holding one log
// stream per execution environment. Each stream is a file of events, one
// per line: an RFC 3339 timestamp, a tab, the message (newlines inside a
// message are written as \r, as Lambda's runtimes do).
package logs

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Dir is a logs directory: <dir>/<region>/<log group path>/<stream>.log.
type Dir struct{ root string }

// Open returns the logs directory at root.
func Open(root string) Dir { return Dir{root: root} }

// GroupPath is where a log group's streams live.
func (d Dir) GroupPath(region, group string) string {
	return filepath.Join(d.root, region, safePath(group))
}

// safePath turns a log group or stream name into a relative path that
// cannot leave its directory.
func safePath(name string) string {
	var parts []string
	for _, p := range strings.Split(name, "/") {
		if p == "" || p == "." || p == ".." {
			continue
		}
		parts = append(parts, p)
	}
	return filepath.Join(parts...)
}

// Stream writes one log stream. It is safe for concurrent use (a runtime's
// stdout and stderr share it).
type Stream struct {
	name    string
	mu      sync.Mutex
	pending *time.Timer // a FlushSoon is scheduled
	f       *os.File
	w       *bufio.Writer
	now     func() time.Time
	tail    func(line string) // observer of every event, for log tails
}

// CreateStream creates a stream file.
func (d Dir) CreateStream(region, group, stream string, now func() time.Time) (*Stream, error) {
	path := filepath.Join(d.GroupPath(region, group), safePath(stream)+".log")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Stream{name: stream, f: f, w: bufio.NewWriterSize(f, 16<<10), now: now}, nil
}

// Name is the stream's name.
func (s *Stream) Name() string { return s.name }

// Observe sets a function that sees every event written from now on (nil
// stops it).
func (s *Stream) Observe(fn func(line string)) {
	s.mu.Lock()
	s.tail = fn
	s.mu.Unlock()
}

// Event writes one event.
func (s *Stream) Event(msg string) {
	msg = strings.ReplaceAll(strings.TrimRight(msg, "\n"), "\n", "\r")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w.WriteString(s.now().UTC().Format("2006-01-02T15:04:05.000Z"))
	s.w.WriteByte('\t')
	s.w.WriteString(msg)
	s.w.WriteByte('\n')
	if s.tail != nil {
		s.tail(msg)
	}
}

// Flush writes buffered events to the file.
func (s *Stream) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Flush()
}

// flushDelay bounds how long an event may wait in the buffer after
// FlushSoon: a readable log without a write per invocation.
const flushDelay = 100 * time.Millisecond

// FlushSoon flushes within flushDelay.
func (s *Stream) FlushSoon() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending == nil {
		s.pending = time.AfterFunc(flushDelay, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.pending = nil
			s.w.Flush()
		})
	}
}

// Close flushes and closes the stream.
func (s *Stream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pending != nil {
		s.pending.Stop()
		s.pending = nil
	}
	err := s.w.Flush()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// LineWriter adapts a stream to an io.Writer for a process's output: each
// line written becomes an event.
type LineWriter struct {
	s   *Stream
	mu  sync.Mutex
	buf []byte
}

// Writer returns a LineWriter on s.
func (s *Stream) Writer() *LineWriter { return &LineWriter{s: s} }

func (lw *LineWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	lw.buf = append(lw.buf, p...)
	for {
		i := strings.IndexByte(string(lw.buf), '\n')
		if i < 0 {
			break
		}
		lw.s.Event(string(lw.buf[:i]))
		lw.buf = lw.buf[i+1:]
	}
	// A very long line without a newline is emitted in pieces, as
	// CloudWatch splits events of 256 KB.
	if len(lw.buf) > 256<<10 {
		lw.s.Event(string(lw.buf))
		lw.buf = lw.buf[:0]
	}
	return len(p), nil
}

// Flush emits a pending partial line.
func (lw *LineWriter) Flush() {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if len(lw.buf) > 0 {
		lw.s.Event(string(lw.buf))
		lw.buf = lw.buf[:0]
	}
}
