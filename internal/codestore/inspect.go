package codestore

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"io/fs"
)

// Entry describes one member of a package as it is extracted.
type Entry struct {
	Name   string      // path relative to the package root, slash-separated, no trailing slash
	Mode   fs.FileMode // fs.ModeDir|0755, fs.ModeSymlink|0777, or a regular file's 0644 or 0755
	Size   int64       // declared uncompressed size
	Target string      // a symlink's target (its content); empty for other kinds
}

// Info is what [Inspect] learns about a package without extracting it.
type Info struct {
	Sha256       Ref   // SHA-256 of the zip bytes
	Size         int64 // zip length in bytes: AWS's CodeSize
	UnzippedSize int64 // sum of the members' declared uncompressed sizes

	entries map[string]Entry
}

// CodeSha256 returns the digest as AWS shows it: standard base64.
func (i Info) CodeSha256() string { return i.Sha256.Base64() }

// Lookup returns the member at name (as in "bin/tool", no leading or
// trailing slash). Directories implied by deeper members are reported too.
func (i Info) Lookup(name string) (Entry, bool) {
	e, ok := i.entries[name]
	return e, ok
}

// Executable reports whether name, after following symlinks inside the
// package, is a regular file with an execute bit: what a provided.* runtime
// needs of "bootstrap".
func (i Info) Executable(name string) bool {
	e, ok := i.entries[name]
	if ok && e.Mode&fs.ModeSymlink != 0 {
		p, err := resolveLink(e.Name, e.Target, i.readlink)
		if err != nil {
			return false
		}
		e, ok = i.entries[p]
	}
	return ok && e.Mode.IsRegular() && e.Mode&0o111 != 0
}

func (i Info) readlink(p string) (string, bool) {
	e, ok := i.entries[p]
	return e.Target, ok && e.Mode&fs.ModeSymlink != 0
}

// Inspect validates a package against the AWS quotas; see [Limits.Inspect].
func Inspect(zip []byte) (Info, error) { return Limits{}.Inspect(zip) }

// Inspect validates a package as AWS Lambda does when it is uploaded and
// reports its digest and sizes. It reads only the zip's directory, the local
// headers and the symlinks' targets, never the file contents, so it is cheap
// and a zip bomb costs nothing. Errors: [*TooLargeError] (SizeZipped or
// SizeUnzipped), [*EntryError], or one wrapping [ErrNotZip].
func (l Limits) Inspect(zip []byte) (Info, error) {
	size := int64(len(zip))
	if limit := l.zipped(); size > limit {
		return Info{}, &TooLargeError{Kind: SizeZipped, Limit: limit, Actual: size}
	}
	zr, err := openZip(bytes.NewReader(zip), size)
	if err != nil {
		return Info{}, err
	}
	p, err := l.scan(zr, size)
	if err != nil {
		return Info{}, err
	}
	return Info{Sha256: RefOf(zip), Size: size, UnzippedSize: p.total, entries: p.entries}, nil
}

// openZip reads a zip's central directory.
func openZip(r io.ReaderAt, size int64) (*zip.Reader, error) {
	zr, err := zip.NewReader(r, size)
	// ErrInsecurePath comes only with GODEBUG=zipinsecurepath=0, alongside a
	// usable reader; scan judges every name itself.
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, notZip(err)
	}
	return zr, nil
}
