package codestore

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// extractor writes validated packages under one root, charging every byte
// it writes to a single budget. The budget holds even if a zip's headers lie
// about sizes; archive/zip already fails a member that inflates past its
// declared size, and this cap stands in case that ever changes.
type extractor struct {
	root    *os.Root // confines every write, even through symlinks an earlier layer left
	limit   int64
	written int64
	kind    SizeKind // the quota named when the budget runs out
	buf     []byte
}

func newExtractor(root *os.Root, limit int64, kind SizeKind) *extractor {
	return &extractor{root: root, limit: limit, kind: kind, buf: make([]byte, 64<<10)}
}

// dirSet holds the directories known to exist during one package's
// extraction, each with a handle once a file is created in it: opening
// "base" in a held directory costs one openat, a path through the root
// costs one per component.
type dirSet map[string]*os.Root

// extract writes p's members. A member replaces whatever an earlier package
// left at its name, which is how later layers win. Directory handles live
// for one package only: the next layer may replace a directory.
func (x *extractor) extract(p *plan) error {
	made := dirSet{"": x.root}
	defer func() {
		for name, d := range made {
			if d != nil && name != "" {
				d.Close()
			}
		}
	}()
	for _, m := range p.members {
		dir := parentDir(m.Name)
		if m.Mode.IsDir() {
			dir = m.Name
		}
		if err := x.mkdirAll(dir, made); err != nil {
			return err
		}
		var err error
		switch {
		case m.Mode.IsDir():
		case m.Mode&fs.ModeSymlink != 0:
			err = x.symlink(m)
		default:
			err = x.writeFile(m, made)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// mkdirAll makes dir and its parents 0755, whatever the umask.
func (x *extractor) mkdirAll(dir string, made dirSet) error {
	if _, ok := made[dir]; ok {
		return nil
	}
	if err := x.mkdirAll(parentDir(dir), made); err != nil {
		return err
	}
	err := x.root.Mkdir(dir, 0o755)
	switch {
	case err == nil:
		err = x.root.Chmod(dir, 0o755)
	case errors.Is(err, fs.ErrExist):
		err = x.reuseDir(dir)
	}
	if err != nil {
		return err
	}
	made[dir] = nil
	return nil
}

// reuseDir accepts a directory an earlier layer made (or a symlink to one,
// which the root keeps inside) and replaces anything else.
func (x *extractor) reuseDir(dir string) error {
	fi, err := x.root.Stat(dir)
	if err == nil && fi.IsDir() {
		return nil
	}
	if err := x.clear(dir); err != nil {
		return err
	}
	if err := x.root.Mkdir(dir, 0o755); err != nil {
		return err
	}
	return x.root.Chmod(dir, 0o755)
}

// clear removes whatever is at name, without following a symlink there.
func (x *extractor) clear(name string) error {
	fi, err := x.root.Lstat(name)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return x.root.RemoveAll(name)
	}
	return x.root.Remove(name)
}

func (x *extractor) writeFile(m member, made dirSet) error {
	dir := parentDir(m.Name)
	d := made[dir]
	if d == nil {
		var err error
		if d, err = x.root.OpenRoot(dir); err != nil {
			return err
		}
		made[dir] = d
	}
	base := baseName(m.Name)
	f, err := d.OpenFile(base, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		if err = x.clear(m.Name); err == nil {
			f, err = d.OpenFile(base, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		}
	}
	if err != nil {
		return err
	}
	err = x.copy(f, m)
	if err == nil {
		// Explicit, so the umask cannot take bootstrap's execute bit.
		err = f.Chmod(m.Mode.Perm())
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// copy inflates m into f, reading at most one byte past the declared size.
func (x *extractor) copy(f *os.File, m member) error {
	rc, err := m.file.Open()
	if err != nil {
		return notZip(fmt.Errorf("%s: %w", m.file.Name, err))
	}
	defer rc.Close()
	src := io.LimitReader(zipReader{rc, m.file.Name}, m.Size+1)
	n, err := io.CopyBuffer(budgetWriter{f, x}, src, x.buf)
	if err == nil && n != m.Size {
		err = notZip(fmt.Errorf("%s: inflated to %d bytes, header says %d", m.file.Name, n, m.Size))
	}
	return err
}

func (x *extractor) symlink(m member) error {
	if err := x.charge(int64(len(m.Target))); err != nil {
		return err
	}
	err := x.root.Symlink(m.Target, m.Name)
	if errors.Is(err, fs.ErrExist) {
		if err = x.clear(m.Name); err == nil {
			err = x.root.Symlink(m.Target, m.Name)
		}
	}
	return err
}

// charge takes n bytes from the budget, or reports the quota exceeded.
func (x *extractor) charge(n int64) error {
	if n > x.limit-x.written {
		return &TooLargeError{Kind: x.kind, Limit: x.limit, Actual: x.written + n}
	}
	x.written += n
	return nil
}

// budgetWriter refuses a write that would take the extractor past its cap,
// so the cap is never exceeded, not even by one buffer.
type budgetWriter struct {
	w io.Writer
	x *extractor
}

func (b budgetWriter) Write(p []byte) (int, error) {
	if err := b.x.charge(int64(len(p))); err != nil {
		return 0, err
	}
	return b.w.Write(p)
}

// zipReader marks failures to inflate as malformed-package errors, apart
// from failures to write.
type zipReader struct {
	r    io.Reader
	name string
}

func (z zipReader) Read(p []byte) (int, error) {
	n, err := z.r.Read(p)
	if err != nil && err != io.EOF {
		err = notZip(fmt.Errorf("%s: %w", z.name, err))
	}
	return n, err
}
