package codestore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Swept counts what a Sweep removed.
type Swept struct {
	Packages  int // zips
	Unpacked  int // unpacked directories
	LayerSets int // merged layer directories
}

// Remove deletes ref's zip, its unpacked directory and every layer set built
// from it, and reports whether it did. Like Sweep, it spares a ref that Put
// handed out within the grace period, which another caller may be about to
// record (two functions with the same code); a later Sweep removes it if it
// stays unreferenced. Removing what is not stored is not an error. The
// caller must first make sure nothing runs from those directories any more.
func (s *Store) Remove(ref Ref) (bool, error) {
	bin := &trashBin{tmp: s.tmpDir()}
	s.mu.Lock()
	// Listed under the lock: a set published meanwhile must not survive.
	sets, err := s.layerSets()
	var sw Swept
	if err == nil {
		sw = s.drop([]Ref{ref}, sets, bin)
	}
	s.mu.Unlock()
	if err := errors.Join(err, bin.empty()); err != nil {
		return false, err
	}
	return sw != Swept{}, nil
}

// Sweep deletes what nothing references: every zip, unpacked directory and
// layer set built from a ref for which keep reports false, except refs that
// Put handed out within the grace period (by the Store's memory, or the zip's
// mtime after a restart). Those are spared because a caller may hold a Ref
// it has not yet recorded: Put, then commit the Ref, then Sweep, and the
// package survives as long as the commit lands within the grace period.
//
// keep is called without locks held and may be slow. The caller runs Sweep
// at startup, after deleting functions or layer versions, and now and then
// to collect what Remove spared. Unpacked and layer directories of dropped
// refs go too, so the caller must have stopped the environments that ran
// from them.
func (s *Store) Sweep(keep func(Ref) bool) (Swept, error) {
	zips, err := listRefs(s.zipsDir(), ".zip")
	if err != nil {
		return Swept{}, err
	}
	unpacked, err := listRefs(s.unpackedDir(), "")
	if err != nil {
		return Swept{}, err
	}
	sets, err := s.layerSets()
	if err != nil {
		return Swept{}, err
	}
	kept := make(map[Ref]bool)
	var drop []Ref
	ask := func(r Ref) {
		if _, ok := kept[r]; !ok {
			kept[r] = keep(r)
			if !kept[r] {
				drop = append(drop, r)
			}
		}
	}
	for r := range zips {
		ask(r)
	}
	for r := range unpacked {
		ask(r)
	}
	for _, refs := range sets {
		for _, r := range refs {
			ask(r)
		}
	}

	bin := &trashBin{tmp: s.tmpDir()}
	s.mu.Lock()
	// A set published after the listing is left for the next Sweep.
	sw := s.drop(drop, sets, bin)
	now := s.now()
	for r, t := range s.touched {
		if now.Sub(t) >= s.grace {
			delete(s.touched, r)
		}
	}
	s.mu.Unlock()
	return sw, bin.empty()
}

// drop moves into bin everything built from refs, except refs Put within the
// grace period, along with the layer sets (of those listed) that use them.
// s.mu is held.
func (s *Store) drop(refs []Ref, sets map[string][]Ref, bin *trashBin) Swept {
	var sw Swept
	now := s.now()
	doomed := make(map[Ref]bool, len(refs))
	for _, r := range refs {
		if s.recent(r, now) {
			continue
		}
		doomed[r] = true
		delete(s.touched, r)
		if bin.add(s.zipPath(r)) {
			sw.Packages++
		}
		if bin.add(s.unpackedPath(r)) {
			sw.Unpacked++
		}
	}
	for path, rs := range sets {
		if rs == nil || slices.ContainsFunc(rs, func(r Ref) bool { return doomed[r] }) {
			if bin.add(path) {
				sw.LayerSets++
			}
		}
	}
	return sw
}

// recent reports whether r was Put within the grace period. s.mu is held.
func (s *Store) recent(r Ref, now time.Time) bool {
	if t, ok := s.touched[r]; ok && now.Sub(t) < s.grace {
		return true
	}
	fi, err := os.Stat(s.zipPath(r))
	return err == nil && now.Sub(fi.ModTime()) < s.grace
}

// trashBin gathers paths to delete. Moving them aside is quick enough to do
// under s.mu, so removal is atomic for other Store calls; deleting big
// trees is not, so empty runs after the lock is released.
type trashBin struct {
	tmp string // the store's tmp directory
	dir string // created on first use
	n   int
	err error
}

// add moves path into the bin and reports whether there was anything there.
func (b *trashBin) add(path string) bool {
	if b.err != nil {
		return false
	}
	if b.dir == "" {
		if b.dir, b.err = os.MkdirTemp(b.tmp, "trash-"); b.err != nil {
			b.dir = ""
			return false
		}
	}
	err := os.Rename(path, filepath.Join(b.dir, strconv.Itoa(b.n)))
	if errors.Is(err, fs.ErrNotExist) {
		return false
	}
	if err != nil {
		b.err = err
		return false
	}
	b.n++
	return true
}

// empty deletes the bin and returns the first error met filling or
// deleting it.
func (b *trashBin) empty() error {
	err := b.err
	if b.dir != "" {
		err = errors.Join(err, os.RemoveAll(b.dir))
	}
	if err != nil {
		return fmt.Errorf("codestore: %w", err)
	}
	return nil
}

// listRefs returns the refs named by the entries of dir that end in suffix.
// Other names (leftovers, foreign files) are ignored.
func listRefs(dir, suffix string) (map[Ref]bool, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("codestore: %w", err)
	}
	refs := make(map[Ref]bool, len(ents))
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), suffix)
		if !ok {
			continue
		}
		if r, err := ParseRef(name); err == nil {
			refs[r] = true
		}
	}
	return refs, nil
}

// layerSets maps each layer set directory to the refs it was built from;
// nil marks a set whose manifest cannot be read, which nothing can use.
func (s *Store) layerSets() (map[string][]Ref, error) {
	ents, err := os.ReadDir(s.layersDir())
	if err != nil {
		return nil, fmt.Errorf("codestore: %w", err)
	}
	sets := make(map[string][]Ref, len(ents))
	for _, e := range ents {
		path := filepath.Join(s.layersDir(), e.Name())
		refs, err := readManifest(filepath.Join(path, "refs"))
		if err != nil || len(refs) == 0 {
			refs = nil
		}
		sets[path] = refs
	}
	return sets, nil
}
