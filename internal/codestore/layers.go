package codestore

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Layers returns an /opt-style directory holding the layers' packages
// extracted in the given order, each on top of the ones before: where two
// layers hold the same path, the later one wins. The directory is cached by
// the ordered list, so the same layers in another order make another
// directory; it is built once, atomically, like [Store.Unpacked], and is
// equally read-only and shared. No layers give "" and no error; a single
// layer gives its Unpacked directory.
//
// The layers together may write at most the unzipped quota; over it the
// error is a [*TooLargeError] of kind SizeCombined. A symlink that reaches
// outside the directory through another layer's symlink is an [*EntryError].
// Checking code and layers together is [CheckCombinedSize]'s job.
func (s *Store) Layers(refs []Ref) (string, error) {
	switch len(refs) {
	case 0:
		return "", nil
	case 1:
		return s.Unpacked(refs[0])
	}
	set := filepath.Join(s.layersDir(), layerKey(refs))
	err := s.build(set, refs, func(tmp string) error {
		if err := writeManifest(filepath.Join(tmp, "refs"), refs); err != nil {
			return err
		}
		opt := filepath.Join(tmp, "opt")
		if err := os.Mkdir(opt, 0o755); err != nil {
			return fmt.Errorf("codestore: %w", err)
		}
		if err := os.Chmod(opt, 0o755); err != nil {
			return fmt.Errorf("codestore: %w", err)
		}
		if err := s.extractRefs(opt, refs, SizeCombined); err != nil {
			return err
		}
		// Each zip was checked alone; links may still combine across layers.
		return verifyLinks(opt)
	})
	if err != nil {
		return "", err
	}
	return filepath.Join(set, "opt"), nil
}

// layerKey names the directory of an ordered list of layers.
func layerKey(refs []Ref) string {
	h := sha256.New()
	h.Write([]byte("lambkin layers\n"))
	for _, r := range refs {
		h.Write(r[:])
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

// writeManifest records which zips a layer set was built from, for Sweep and
// Remove.
func writeManifest(path string, refs []Ref) error {
	var b strings.Builder
	for _, r := range refs {
		b.WriteString(r.Hex())
		b.WriteByte('\n')
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("codestore: %w", err)
	}
	return nil
}

// readManifest returns the refs a layer set was built from.
func readManifest(path string) ([]Ref, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var refs []Ref
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		r, err := ParseRef(sc.Text())
		if err != nil {
			return nil, err
		}
		refs = append(refs, r)
	}
	return refs, sc.Err()
}

// verifyLinks checks that every symlink under dir resolves inside dir,
// following the other symlinks actually there.
func verifyLinks(dir string) error {
	readlink := func(p string) (string, bool) {
		t, err := os.Readlink(filepath.Join(dir, filepath.FromSlash(p)))
		return t, err == nil
	}
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink == 0 {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		target, err := os.Readlink(path)
		if err != nil {
			return err
		}
		if _, err := resolveLink(rel, target, readlink); err != nil {
			return &EntryError{Name: rel, Reason: err.Error()}
		}
		return nil
	})
}
