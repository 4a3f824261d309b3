package codestore

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// zent is one member of a test zip. A mode with fs.ModeSymlink makes body
// the link target; a name ending in "/" makes a directory.
type zent struct {
	name string
	body string
	mode fs.FileMode
}

func file(name, body string) zent { return zent{name: name, body: body, mode: 0o644} }
func exe(name, body string) zent  { return zent{name: name, body: body, mode: 0o755} }
func dir(name string) zent        { return zent{name: name, mode: fs.ModeDir | 0o755} }
func link(name, target string) zent {
	return zent{name: name, body: target, mode: fs.ModeSymlink | 0o777}
}
func rawName(name, body string) zent            { return zent{name: name, body: body} } // no unix mode
func mustZip(t testing.TB, ents ...zent) []byte { return buildZip(t, "", ents...) }

// buildZip writes a zip with archive/zip, deflating regular files.
func buildZip(t testing.TB, comment string, ents ...zent) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, e := range ents {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		if e.mode != 0 {
			h.SetMode(e.mode)
		}
		if e.mode&fs.ModeSymlink != 0 || e.mode.IsDir() {
			h.Method = zip.Store
		}
		fw, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if comment != "" {
		if err := w.SetComment(comment); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// lyingZip returns a zip whose one member, name, declares declared bytes
// uncompressed but whose deflate stream inflates to actual zero bytes: a zip
// bomb whose headers lie. The CRC is left 0, which archive/zip takes as
// unset, so only the size checks can stop it.
func lyingZip(t testing.TB, name string, declared, actual int) []byte {
	t.Helper()
	var comp bytes.Buffer
	fw, err := flate.NewWriter(&comp, flate.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(make([]byte, actual)); err != nil {
		t.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	h := &zip.FileHeader{
		Name:               name,
		Method:             zip.Deflate,
		CompressedSize64:   uint64(comp.Len()),
		UncompressedSize64: uint64(declared),
	}
	h.SetMode(0o644)
	raw, err := w.CreateRaw(h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Write(comp.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fakeClock is a settable clock for grace-period tests.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time      { return c.t }
func (c *fakeClock) add(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *fakeClock               { return &fakeClock{t: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)} }

func openStore(t testing.TB, opts ...Option) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func put(t testing.TB, s *Store, zip []byte) Ref {
	t.Helper()
	r, err := s.Put(zip)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func readFile(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// entries lists the names under dir, slash-separated.
func entries(t testing.TB, dir string) []string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		names = append(names, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}
