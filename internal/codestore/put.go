package codestore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// Put stores a package and returns its Ref. Storing bytes already held
// stores nothing new. When Put returns, the zip is durable (file and
// directory synced). Put does not validate the package; call
// [Limits.Inspect] first. It only refuses a zip over the zipped quota
// ([*TooLargeError], SizeZipped).
//
// The caller must record the Ref (commit it to its database, so that its
// keep function in [Store.Sweep] reports it) within the Store's grace
// period; until then Sweep spares it.
func (s *Store) Put(zip []byte) (Ref, error) {
	if limit := s.limits.zipped(); int64(len(zip)) > limit {
		return Ref{}, &TooLargeError{Kind: SizeZipped, Limit: limit, Actual: int64(len(zip))}
	}
	ref := RefOf(zip)
	final := s.zipPath(ref)
	switch done, err := s.refresh(ref, final); {
	case err != nil:
		return Ref{}, err
	case done:
		return ref, nil
	}
	tmp, err := s.writeTemp(zip)
	if err != nil {
		return Ref{}, err
	}
	defer os.Remove(tmp) // fails harmlessly once renamed

	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.touched[ref] = now
	ok, err := exists(final)
	if err != nil {
		return Ref{}, fmt.Errorf("codestore: %w", err)
	}
	if ok {
		// Another Put of the same bytes won the race; keep its file.
		return ref, stamp(final, now)
	}
	if err := stamp(tmp, now); err != nil {
		return Ref{}, err
	}
	if err := os.Rename(tmp, final); err != nil {
		return Ref{}, fmt.Errorf("codestore: %w", err)
	}
	if err := syncDir(s.zipsDir()); err != nil {
		return Ref{}, fmt.Errorf("codestore: %w", err)
	}
	return ref, nil
}

// refresh restarts the grace period of a zip that is already stored and
// reports whether there was one.
func (s *Store) refresh(ref Ref, final string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ok, err := exists(final)
	if err != nil {
		return false, fmt.Errorf("codestore: %w", err)
	}
	if !ok {
		return false, nil
	}
	now := s.now()
	s.touched[ref] = now
	return true, stamp(final, now)
}

// stamp sets a zip's mtime to t: the mtime carries the grace period across
// a restart, when the in-memory record of Puts is gone.
func stamp(path string, t time.Time) error {
	if err := os.Chtimes(path, t, t); err != nil {
		return fmt.Errorf("codestore: %w", err)
	}
	return nil
}

func (s *Store) writeTemp(zip []byte) (string, error) {
	f, err := os.CreateTemp(s.tmpDir(), "put-*.zip")
	if err != nil {
		return "", fmt.Errorf("codestore: %w", err)
	}
	_, err = f.Write(zip)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("codestore: %w", err)
	}
	return f.Name(), nil
}

// Open opens a stored zip for reading, for serving it as Code.Location, and
// returns its size. The caller closes the file. A ref not held gives an
// error wrapping [ErrNotFound].
func (s *Store) Open(ref Ref) (*os.File, int64, error) {
	f, err := os.Open(s.zipPath(ref))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, fmt.Errorf("%w: %s", ErrNotFound, ref)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("codestore: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("codestore: %w", err)
	}
	return f, fi.Size(), nil
}
