package codestore

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"io/fs"
)

// member is an Entry together with the zip file it comes from.
type member struct {
	Entry
	file *zip.File
}

// plan is a validated package, ready to extract.
type plan struct {
	members []member         // what to write, symlinks last, one member per name
	entries map[string]Entry // the tree the package describes, with implied directories
	total   int64            // declared uncompressed total, duplicates included
}

// scan validates every member of zr, an archive of size bytes: names stay
// inside the root, kinds agree (nothing is both a file and a directory), the
// declared total is within l, data lies inside the archive, and symlinks
// resolve inside the root. Only symlink targets are decompressed.
func (l Limits) scan(zr *zip.Reader, size int64) (*plan, error) {
	p := &plan{entries: make(map[string]Entry, len(zr.File))}
	last := make(map[string]int, len(zr.File)) // name -> index of the member that wins
	var all []member
	for _, f := range zr.File {
		m, skip, err := classify(f, size)
		if err != nil {
			return nil, err
		}
		if skip {
			continue
		}
		if err := p.add(m.Entry, f.Name); err != nil {
			return nil, err
		}
		p.total = addSat(p.total, m.Size)
		last[m.Name] = len(all)
		all = append(all, m)
	}
	if limit := l.unzipped(); p.total > limit {
		return nil, &TooLargeError{Kind: SizeUnzipped, Limit: limit, Actual: p.total}
	}
	var links []member
	for i, m := range all {
		if last[m.Name] != i {
			continue // a later member of the same name replaces this one
		}
		if m.Mode&fs.ModeSymlink == 0 {
			p.members = append(p.members, m)
			continue
		}
		target, err := readTarget(m.file)
		if err != nil {
			return nil, err
		}
		m.Target = target
		p.entries[m.Name] = m.Entry
		links = append(links, m)
	}
	// Resolve only once every target is known: links may point through links.
	for _, m := range links {
		if _, err := resolveLink(m.Name, m.Target, p.readlink); err != nil {
			return nil, &EntryError{Name: m.file.Name, Reason: err.Error()}
		}
	}
	// Symlinks go last so no file is ever written through one.
	p.members = append(p.members, links...)
	return p, nil
}

// classify turns one zip file into a member; skip is true for an entry
// naming the root directory itself ("./").
func classify(f *zip.File, size int64) (m member, skip bool, err error) {
	name, slash, reason := cleanName(f.Name)
	if reason != "" {
		return member{}, false, &EntryError{Name: f.Name, Reason: reason}
	}
	mode := f.Mode()
	isDir := slash || mode.IsDir()
	isLink := mode&fs.ModeSymlink != 0
	switch {
	case f.Flags&0x1 != 0:
		return member{}, false, &EntryError{Name: f.Name, Reason: "encrypted"}
	case f.Method != zip.Store && f.Method != zip.Deflate:
		return member{}, false, &EntryError{Name: f.Name, Reason: fmt.Sprintf("unsupported compression method %d", f.Method)}
	case name == "" && isDir && !isLink:
		return member{}, true, nil
	case name == "":
		return member{}, false, &EntryError{Name: f.Name, Reason: "names the package root"}
	case isLink && isDir:
		return member{}, false, &EntryError{Name: f.Name, Reason: "symlink with a directory name"}
	case isDir && f.UncompressedSize64 != 0:
		return member{}, false, &EntryError{Name: f.Name, Reason: "directory with contents"}
	}
	if err := checkBounds(f, size); err != nil {
		return member{}, false, err
	}
	e := Entry{Name: name, Size: int64(min(f.UncompressedSize64, maxInt64))}
	switch {
	case isDir:
		e.Mode = fs.ModeDir | 0o755
	case isLink:
		e.Mode = fs.ModeSymlink | 0o777
	case mode&0o111 != 0:
		e.Mode = 0o755
	default:
		// Any other type (fifo, device) is extracted as a plain file;
		// setuid, setgid and sticky bits are dropped.
		e.Mode = 0o644
	}
	return member{Entry: e, file: f}, false, nil
}

// checkBounds reports a member whose compressed data does not lie within the
// archive: the cheap way to catch a truncated upload whose directory survived.
func checkBounds(f *zip.File, size int64) error {
	off, err := f.DataOffset()
	if err != nil {
		return notZip(fmt.Errorf("%s: %w", f.Name, err))
	}
	if f.CompressedSize64 > uint64(size) || off > size-int64(f.CompressedSize64) {
		return notZip(fmt.Errorf("%s: data past the end of the archive: %w", f.Name, io.ErrUnexpectedEOF))
	}
	return nil
}

// add records e in the tree, with its implied parent directories.
func (p *plan) add(e Entry, raw string) error {
	for dir := parentDir(e.Name); dir != ""; dir = parentDir(dir) {
		if d, ok := p.entries[dir]; ok {
			if !d.Mode.IsDir() {
				return &EntryError{Name: raw, Reason: fmt.Sprintf("%q is not a directory", dir)}
			}
			break // its own parents were recorded with it
		}
		p.entries[dir] = Entry{Name: dir, Mode: fs.ModeDir | 0o755}
	}
	if old, ok := p.entries[e.Name]; ok && old.Mode.IsDir() != e.Mode.IsDir() {
		return &EntryError{Name: raw, Reason: "is both a directory and a file"}
	}
	p.entries[e.Name] = e
	return nil
}

func (p *plan) readlink(name string) (string, bool) {
	e, ok := p.entries[name]
	return e.Target, ok && e.Mode&fs.ModeSymlink != 0
}

// readTarget decompresses a symlink member: its content is the target.
func readTarget(f *zip.File) (string, error) {
	if f.UncompressedSize64 > maxPath {
		return "", &EntryError{Name: f.Name, Reason: "symlink target too long"}
	}
	rc, err := f.Open()
	if err != nil {
		return "", notZip(fmt.Errorf("%s: %w", f.Name, err))
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxPath+1))
	if err != nil {
		return "", notZip(fmt.Errorf("%s: %w", f.Name, err))
	}
	if len(b) == 0 || len(b) > maxPath || bytes.IndexByte(b, 0) >= 0 {
		return "", &EntryError{Name: f.Name, Reason: "invalid symlink target"}
	}
	return string(b), nil
}
