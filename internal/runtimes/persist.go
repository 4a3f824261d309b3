package runtimes

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// File names inside the data directory.
const (
	CatalogFileName = "runtimes.json"
	lockFileName    = "runtimes.lock"
)

// fileFormat is the version of the runtimes.json layout this code writes.
const fileFormat = 1

// fileState is the content of runtimes.json:
//
//	{
//	  "format": 1,
//	  "generation": 12,
//	  "updated": "2026-05-01T10:00:00Z",
//	  "runtimes": {
//	    "python3.11": {
//	      "promoted": "python:3.11.7.v2",
//	      "promotedAt": "2026-05-01T09:00:00Z",
//	      "previous": "python:3.11.2.v1",
//	      "rolloutComplete": false,
//	      "versions": [
//	        {"number": 1, "label": "python:3.11.2.v1", "identity": "<64 hex>",
//	         "interpreter": "/usr/bin/python3.11", "interpreterVersion": "3.11.2",
//	         "build": "3.11.2 (main, Apr 28 2025, 14:11:48) [GCC 12.2.0]",
//	         "sha256": "<64 hex>", "machine": "x86_64", "exact": true,
//	         "source": "discovered", "bootstrap": "python", "bootstrapHash": "<hex>",
//	         "registeredAt": "2026-05-01T09:00:00Z"},
//	        ...
//	      ]
//	    },
//	    ...
//	  },
//	  "probes": {
//	    "/usr/bin/python3.11": {"path": "/usr/bin/python3.11", "size": 6831736,
//	      "mtimeNs": 1745849508000000000, "language": "python", "version": "3.11.2",
//	      "build": "3.11.2 (main, ...)", "sha256": "<64 hex>", "machine": "x86_64"}
//	  }
//	}
//
// generation grows with every write. Versions are only ever appended.
type fileState struct {
	Format     int                       `json:"format"`
	Generation uint64                    `json:"generation"`
	Updated    time.Time                 `json:"updated,omitzero"`
	Runtimes   map[string]*runtimeRecord `json:"runtimes"`
	Probes     map[string]probe          `json:"probes,omitempty"`
}

// runtimeRecord is one runtime identifier's versions and rollout state.
type runtimeRecord struct {
	Promoted    string          `json:"promoted,omitempty"` // a label
	PromotedAt  time.Time       `json:"promotedAt,omitzero"`
	Previous    string          `json:"previous,omitempty"`
	Complete    bool            `json:"rolloutComplete"`
	CompletedAt time.Time       `json:"completedAt,omitzero"`
	Versions    []versionRecord `json:"versions"`
}

// versionRecord is one registered runtime version.
type versionRecord struct {
	Number             int       `json:"number"`
	Label              string    `json:"label"`
	Identity           string    `json:"identity"`
	Interpreter        string    `json:"interpreter,omitempty"`
	InterpreterVersion string    `json:"interpreterVersion,omitempty"`
	Build              string    `json:"build,omitempty"`
	SHA256             string    `json:"sha256,omitempty"`
	Machine            string    `json:"machine,omitempty"`
	Exact              bool      `json:"exact"`
	Source             string    `json:"source"`
	Bootstrap          string    `json:"bootstrap,omitempty"`
	BootstrapHash      string    `json:"bootstrapHash,omitempty"`
	RegisteredAt       time.Time `json:"registeredAt"`
	SupersededBy       string    `json:"supersededBy,omitempty"`
}

func newFileState() *fileState {
	return &fileState{Format: fileFormat, Runtimes: map[string]*runtimeRecord{}, Probes: map[string]probe{}}
}

// stamp identifies one version of the file cheaply: an atomic replace always
// changes the inode, so polling a stat is enough to notice writes.
type stamp struct {
	exists bool
	ino    uint64
	size   int64
	mtime  int64
}

func stampOf(fi os.FileInfo) stamp {
	s := stamp{exists: true, size: fi.Size(), mtime: fi.ModTime().UnixNano()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		s.ino = st.Ino
	}
	return s
}

// store reads and writes runtimes.json. Writers hold an flock on the lock
// file for the whole read-modify-write, so processes sharing a data
// directory never lose each other's changes; readers need no lock because
// the file is only ever replaced by rename.
type store struct {
	dir, path string
	mu        sync.Mutex // flock is per open file, so goroutines take turns
	lock      *os.File
}

func openStore(dir string) (*store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("runtimes: %w", err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, lockFileName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("runtimes: %w", err)
	}
	return &store{dir: dir, path: filepath.Join(dir, CatalogFileName), lock: lock}, nil
}

func (s *store) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lock == nil {
		return nil
	}
	err := s.lock.Close()
	s.lock = nil
	return err
}

// stat returns the file's current stamp.
func (s *store) stat() (stamp, error) {
	fi, err := os.Stat(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return stamp{}, nil
	}
	if err != nil {
		return stamp{}, fmt.Errorf("runtimes: %w", err)
	}
	return stampOf(fi), nil
}

// read loads the file; a missing file is an empty catalog. The stamp comes
// from the same open file as the content, so the two always agree.
func (s *store) read() (*fileState, stamp, error) {
	f, err := os.Open(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return newFileState(), stamp{}, nil
	}
	if err != nil {
		return nil, stamp{}, fmt.Errorf("runtimes: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, stamp{}, fmt.Errorf("runtimes: %w", err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, stamp{}, fmt.Errorf("runtimes: %w", err)
	}
	st := newFileState()
	if err := json.Unmarshal(data, st); err != nil {
		return nil, stamp{}, fmt.Errorf("runtimes: %s is corrupt: %w", s.path, err)
	}
	if st.Format > fileFormat {
		return nil, stamp{}, fmt.Errorf("runtimes: %s has format %d, written by a newer lambkin (this one reads %d)", s.path, st.Format, fileFormat)
	}
	if st.Runtimes == nil {
		st.Runtimes = map[string]*runtimeRecord{}
	}
	if st.Probes == nil {
		st.Probes = map[string]probe{}
	}
	return st, stampOf(fi), nil
}

// update runs a read-modify-write under the lock. fn changes the state it
// is given and reports whether it changed anything; only then is the file
// written. update returns the resulting state and its stamp.
func (s *store) update(fn func(*fileState) (bool, error)) (*fileState, stamp, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lock == nil {
		return nil, stamp{}, false, ErrClosed
	}
	if err := flock(s.lock, unix.LOCK_EX); err != nil {
		return nil, stamp{}, false, fmt.Errorf("runtimes: lock %s: %w", s.lock.Name(), err)
	}
	defer flock(s.lock, unix.LOCK_UN)

	st, stm, err := s.read()
	if err != nil {
		return nil, stamp{}, false, err
	}
	changed, err := fn(st)
	if err != nil || !changed {
		return st, stm, false, err
	}
	st.Format = fileFormat
	st.Generation++
	stm, err = s.write(st)
	if err != nil {
		return nil, stamp{}, false, err
	}
	return st, stm, true, nil
}

// write replaces the file atomically: temp file, fsync, rename, fsync of
// the directory.
func (s *store) write(st *fileState) (stamp, error) {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return stamp{}, fmt.Errorf("runtimes: %w", err)
	}
	data = append(data, '\n')
	tmp, err := os.CreateTemp(s.dir, "."+CatalogFileName+".*")
	if err != nil {
		return stamp{}, fmt.Errorf("runtimes: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return stamp{}, fmt.Errorf("runtimes: write %s: %w", tmp.Name(), err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return stamp{}, fmt.Errorf("runtimes: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return stamp{}, fmt.Errorf("runtimes: sync %s: %w", tmp.Name(), err)
	}
	// The inode survives the rename, so this is the stamp of the new file.
	fi, err := tmp.Stat()
	if err != nil {
		tmp.Close()
		return stamp{}, fmt.Errorf("runtimes: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return stamp{}, fmt.Errorf("runtimes: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return stamp{}, fmt.Errorf("runtimes: %w", err)
	}
	if d, err := os.Open(s.dir); err == nil {
		d.Sync() // best effort: the rename is already visible to readers
		d.Close()
	}
	return stampOf(fi), nil
}

func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}
