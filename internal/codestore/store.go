package codestore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultGrace is how long [Store.Sweep] spares a package after Put stored
// or re-stored it, whatever keep says; see Sweep.
const DefaultGrace = 15 * time.Minute

// Store keeps packages under one directory (see the package doc for the
// layout). Its methods are safe for concurrent use. One Store at a time may
// own a directory: Open takes an exclusive lock on it.
type Store struct {
	dir    string
	limits Limits
	grace  time.Duration
	now    func() time.Time
	lock   *os.File // holds the flock until Close

	mu      sync.Mutex        // orders publishing and removing names under zips, unpacked and layers
	touched map[Ref]time.Time // when Put last handed out each ref; guarded by mu

	flights flightGroup // one build per unpacked or layers directory
}

// Option configures a Store.
type Option func(*Store)

// WithLimits sets the size quotas (zero fields keep the AWS defaults).
func WithLimits(l Limits) Option { return func(s *Store) { s.limits = l } }

// WithGrace sets how long Sweep spares freshly Put packages.
func WithGrace(d time.Duration) Option { return func(s *Store) { s.grace = d } }

// WithClock sets the clock used for the grace period.
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// Open opens or creates the store rooted at dir, locks it against other
// processes, and discards work left in tmp by a process that died.
func Open(dir string, opts ...Option) (*Store, error) {
	s := &Store{dir: dir, grace: DefaultGrace, now: time.Now, touched: make(map[Ref]time.Time)}
	for _, o := range opts {
		o(s)
	}
	// unpacked and layers must be traversable by sandboxed users; the rest
	// is lambkin's own.
	for sub, perm := range map[string]fs.FileMode{"": 0o755, "zips": 0o700, "tmp": 0o700, "unpacked": 0o755, "layers": 0o755} {
		if err := os.MkdirAll(filepath.Join(dir, sub), perm); err != nil {
			return nil, fmt.Errorf("codestore: %w", err)
		}
	}
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("codestore: %w", err)
	}
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		lock.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("codestore: %s is in use by another store", dir)
		}
		return nil, fmt.Errorf("codestore: lock %s: %w", dir, err)
	}
	s.lock = lock
	if err := s.clearTmp(); err != nil {
		lock.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the directory lock. The Store must not be used after.
func (s *Store) Close() error { return s.lock.Close() }

// Limits returns the quotas the Store enforces, for [Limits.Inspect].
func (s *Store) Limits() Limits { return s.limits }

func (s *Store) clearTmp() error {
	ents, err := os.ReadDir(s.tmpDir())
	if err != nil {
		return fmt.Errorf("codestore: %w", err)
	}
	for _, e := range ents {
		if err := os.RemoveAll(filepath.Join(s.tmpDir(), e.Name())); err != nil {
			return fmt.Errorf("codestore: %w", err)
		}
	}
	return nil
}

func (s *Store) zipsDir() string           { return filepath.Join(s.dir, "zips") }
func (s *Store) unpackedDir() string       { return filepath.Join(s.dir, "unpacked") }
func (s *Store) layersDir() string         { return filepath.Join(s.dir, "layers") }
func (s *Store) tmpDir() string            { return filepath.Join(s.dir, "tmp") }
func (s *Store) zipPath(r Ref) string      { return filepath.Join(s.zipsDir(), r.Hex()+".zip") }
func (s *Store) unpackedPath(r Ref) string { return filepath.Join(s.unpackedDir(), r.Hex()) }

// Stats describes what a Store holds.
type Stats struct {
	Packages int   // zips stored, each distinct content once
	Bytes    int64 // their total size
}

// Stats counts the stored zips. Bytes is physical usage: a zip shared by
// several versions counts once. AWS's TotalCodeSize counts every version's
// CodeSize, which the caller sums from its own records.
func (s *Store) Stats() (Stats, error) {
	ents, err := os.ReadDir(s.zipsDir())
	if err != nil {
		return Stats{}, fmt.Errorf("codestore: %w", err)
	}
	var st Stats
	for _, e := range ents {
		if !strings.HasSuffix(e.Name(), ".zip") {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since ReadDir
		}
		if err != nil {
			return Stats{}, fmt.Errorf("codestore: %w", err)
		}
		st.Packages++
		st.Bytes += fi.Size()
	}
	return st, nil
}
