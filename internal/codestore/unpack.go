package codestore

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Unpacked returns the directory holding ref's package extracted, creating
// it on first use. The directory is shared by every environment running the
// package and must be treated as read-only. Directories are 0755, files
// 0755 when the zip gives them any execute bit and 0644 otherwise, symlinks
// stay symlinks. Concurrent calls for one ref extract once and all get the
// same directory. Extraction writes at most the unzipped quota, whatever the
// zip's headers claim.
//
// Errors: one wrapping [ErrNotFound] if the zip is not stored (or was
// removed meanwhile), else those of [Limits.Inspect].
func (s *Store) Unpacked(ref Ref) (string, error) {
	final := s.unpackedPath(ref)
	err := s.build(final, []Ref{ref}, func(tmp string) error {
		return s.extractRefs(tmp, []Ref{ref}, SizeUnzipped)
	})
	if err != nil {
		return "", err
	}
	return final, nil
}

// build makes sure the directory final exists, building it at most once at
// a time: fill populates a fresh directory under tmp, which is then synced
// and renamed into place, but only if every ref it was built from is still
// stored, so that a concurrent Remove or Sweep is never undone.
func (s *Store) build(final string, refs []Ref, fill func(tmp string) error) error {
	if ok, err := exists(final); err != nil || ok {
		return err
	}
	return s.flights.do(final, func() error {
		// A build that finished after the check above left it in place.
		if ok, err := exists(final); err != nil || ok {
			return err
		}
		tmp, err := os.MkdirTemp(s.tmpDir(), "build-")
		if err != nil {
			return fmt.Errorf("codestore: %w", err)
		}
		defer os.RemoveAll(tmp) // nothing left there after the rename
		if err := fill(tmp); err != nil {
			return err
		}
		if err := os.Chmod(tmp, 0o755); err != nil {
			return fmt.Errorf("codestore: %w", err)
		}
		if err := syncFS(tmp); err != nil {
			return fmt.Errorf("codestore: %w", err)
		}
		return s.publish(tmp, final, refs)
	})
}

// publish renames a finished build into place if its zips are still stored.
func (s *Store) publish(tmp, final string, refs []Ref) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range refs {
		ok, err := exists(s.zipPath(r))
		if err != nil {
			return fmt.Errorf("codestore: %w", err)
		}
		if !ok {
			return fmt.Errorf("%w: %s", ErrNotFound, r)
		}
	}
	if err := os.Rename(tmp, final); err != nil {
		return fmt.Errorf("codestore: %w", err)
	}
	if err := syncDir(filepath.Dir(final)); err != nil {
		return fmt.Errorf("codestore: %w", err)
	}
	return nil
}

// mapZip maps a stored zip into memory: inflating reads the zip in small
// pieces, a pread each when read from the file. Stored zips are never
// modified in place (only renamed and unlinked), so the mapping cannot
// shrink under the reader.
func (s *Store) mapZip(r Ref) ([]byte, error) {
	f, err := os.Open(s.zipPath(r))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, r)
	}
	if err != nil {
		return nil, fmt.Errorf("codestore: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("codestore: %w", err)
	}
	if fi.Size() == 0 {
		return nil, notZip(errors.New("empty file"))
	}
	b, err := unix.Mmap(int(f.Fd()), 0, int(fi.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, fmt.Errorf("codestore: mmap %s: %w", r, err)
	}
	return b, nil
}

// extractRefs validates the zips of refs and extracts them, in order, into
// dst. All of them share one budget of the unzipped quota; kind names the
// quota in the error.
func (s *Store) extractRefs(dst string, refs []Ref, kind SizeKind) error {
	plans := make([]*plan, len(refs))
	var total int64
	for i, r := range refs {
		data, err := s.mapZip(r)
		if err != nil {
			return err
		}
		defer unix.Munmap(data)
		zr, err := openZip(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			return err
		}
		if plans[i], err = s.limits.scan(zr, int64(len(data))); err != nil {
			return err
		}
		total = addSat(total, plans[i].total)
	}
	limit := s.limits.unzipped()
	if total > limit {
		return &TooLargeError{Kind: kind, Limit: limit, Actual: total}
	}
	root, err := os.OpenRoot(dst)
	if err != nil {
		return fmt.Errorf("codestore: %w", err)
	}
	defer root.Close()
	x := newExtractor(root, limit, kind)
	for _, p := range plans {
		if err := x.extract(p); err != nil {
			return err
		}
	}
	return nil
}
