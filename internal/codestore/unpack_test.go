package codestore

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

func TestUnpackedTree(t *testing.T) {
	// A strict umask must not take bits away: modes are set explicitly.
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)

	s := openStore(t)
	z := mustZip(t,
		exe("bootstrap", "#!/bin/sh\n"),
		dir("empty/"),
		zent{name: "private/", mode: fs.ModeDir | 0o700},
		file("private/a/b/c.txt", "deep"),
		zent{name: "setuid", body: "s", mode: fs.ModeSetuid | 0o4755},
		rawName("nomode", "n"),
		link("lib/current", "../private/a"),
	)
	r := put(t, s, z)
	d, err := s.Unpacked(r)
	if err != nil {
		t.Fatal(err)
	}
	if d != filepath.Join(s.dir, "unpacked", r.Hex()) {
		t.Errorf("dir = %s", d)
	}
	wantModes := map[string]fs.FileMode{
		".":                 fs.ModeDir | 0o755,
		"bootstrap":         0o755,
		"empty":             fs.ModeDir | 0o755,
		"private":           fs.ModeDir | 0o755,
		"private/a":         fs.ModeDir | 0o755,
		"private/a/b":       fs.ModeDir | 0o755,
		"private/a/b/c.txt": 0o644,
		"setuid":            0o755,
		"nomode":            0o644,
		"lib":               fs.ModeDir | 0o755,
		"lib/current":       fs.ModeSymlink | 0o777,
	}
	for name, want := range wantModes {
		fi, err := os.Lstat(filepath.Join(d, name))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if fi.Mode() != want {
			t.Errorf("%s: mode %v, want %v", name, fi.Mode(), want)
		}
	}
	if got := len(entries(t, d)); got != len(wantModes)-1 {
		t.Errorf("%d entries, want %d: %v", got, len(wantModes)-1, entries(t, d))
	}
	if target, err := os.Readlink(filepath.Join(d, "lib/current")); err != nil || target != "../private/a" {
		t.Errorf("lib/current -> %q, %v", target, err)
	}
	if got := readFile(t, filepath.Join(d, "lib/current/b/c.txt")); got != "deep" {
		t.Errorf("through symlink: %q", got)
	}
	// A second call returns the same directory without extracting again.
	fi1, _ := os.Stat(d)
	d2, err := s.Unpacked(r)
	fi2, _ := os.Stat(d2)
	if err != nil || d2 != d || !os.SameFile(fi1, fi2) {
		t.Errorf("second Unpacked = %s, %v", d2, err)
	}
}

func TestUnpackedErrors(t *testing.T) {
	s := openStore(t)
	if _, err := s.Unpacked(RefOf([]byte("nothing"))); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing ref: err = %v", err)
	}
	// Put does not validate; Unpacked does.
	for name, z := range map[string][]byte{
		"garbage": []byte("not a zip"),
		"empty":   nil,
		"escape":  mustZip(t, file("ok", "x"), file("../evil", "x")),
	} {
		r := put(t, s, z)
		if _, err := s.Unpacked(r); !errors.Is(err, ErrNotZip) {
			t.Errorf("%s: err = %v, want ErrNotZip", name, err)
		}
		if _, err := os.Lstat(s.unpackedPath(r)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: unpacked dir exists after failure", name)
		}
	}
	if _, err := os.Lstat(filepath.Join(s.dir, "evil")); !errors.Is(err, fs.ErrNotExist) {
		t.Error("../evil written outside")
	}
	if tmp := entries(t, s.tmpDir()); len(tmp) != 0 {
		t.Errorf("tmp/ not cleaned: %v", tmp)
	}
}

func TestUnpackedLyingHeaders(t *testing.T) {
	// Declares 1000 bytes, inflates to 10 MB. Inspect cannot tell (it reads
	// no contents), extraction must stop at the declared size.
	const declared, actual = 1000, 10 << 20
	z := lyingZip(t, "bomb", declared, actual)
	if _, err := Inspect(z); err != nil {
		t.Fatalf("Inspect: %v", err)
	}
	s := openStore(t)
	r := put(t, s, z)
	if _, err := s.Unpacked(r); !errors.Is(err, ErrNotZip) || !errors.Is(err, zip.ErrFormat) {
		t.Fatalf("Unpacked err = %v, want ErrNotZip wrapping zip.ErrFormat", err)
	}
	if tmp := entries(t, s.tmpDir()); len(tmp) != 0 {
		t.Errorf("tmp/ not cleaned: %v", tmp)
	}

	// The same extraction, watched: it writes no more than declared.
	x, dst := extractorFor(t, z, MaxUnzippedSize)
	err := x.extract(scanZip(t, z, Limits{}))
	if !errors.Is(err, zip.ErrFormat) {
		t.Fatalf("extract err = %v", err)
	}
	if x.written > declared {
		t.Errorf("wrote %d bytes, declared %d", x.written, declared)
	}
	if fi, err := os.Stat(filepath.Join(dst, "bomb")); err != nil || fi.Size() > declared {
		t.Errorf("bomb on disk: %v, %v", fi, err)
	}
}

func TestExtractCapHoldsWhateverHeadersSay(t *testing.T) {
	// Three honest 400-byte members against a 1000-byte cap: the scan is
	// given a generous limit, as if the headers had lied, and the extractor
	// alone must stop at the cap.
	z := mustZip(t, file("a", strings.Repeat("a", 400)), file("b", strings.Repeat("b", 400)), file("c", strings.Repeat("c", 400)))
	x, dst := extractorFor(t, z, 1000)
	err := x.extract(scanZip(t, z, Limits{}))
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Kind != SizeUnzipped || tl.Limit != 1000 {
		t.Fatalf("err = %v", err)
	}
	if x.written > 1000 {
		t.Errorf("wrote %d bytes past the cap", x.written)
	}
	var onDisk int64
	for _, name := range entries(t, dst) {
		fi, _ := os.Stat(filepath.Join(dst, name))
		onDisk += fi.Size()
	}
	if onDisk > 1000 || onDisk != x.written {
		t.Errorf("%d bytes on disk, %d counted", onDisk, x.written)
	}
}

func TestBuildDoesNotUndoRemove(t *testing.T) {
	s := openStore(t, WithGrace(0))
	r := put(t, s, mustZip(t, file("a", "a")))
	final := s.unpackedPath(r)
	err := s.build(final, []Ref{r}, func(tmp string) error {
		// Removed while being extracted: publishing must not resurrect it.
		if removed, err := s.Remove(r); !removed {
			return fmt.Errorf("not removed: %v", err)
		}
		return s.extractRefs(tmp, []Ref{r}, SizeUnzipped)
	})
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("build err = %v, want ErrNotFound", err)
	}
	if _, err := os.Lstat(final); !errors.Is(err, fs.ErrNotExist) {
		t.Fatal("unpacked directory published for a removed zip")
	}
}

func TestFlightGroupRunsOnce(t *testing.T) {
	var g flightGroup
	var calls atomic.Int32
	release := make(chan struct{})
	started := make(chan struct{})
	errs := make(chan error, 10)
	go func() {
		errs <- g.do("k", func() error {
			calls.Add(1)
			close(started)
			<-release
			return errors.New("shared")
		})
	}()
	<-started
	for range 9 {
		go func() { errs <- g.do("k", func() error { calls.Add(1); return nil }) }()
	}
	for waiters := 0; waiters < 9; time.Sleep(time.Millisecond) {
		g.mu.Lock()
		waiters = g.calls["k"].waiters
		g.mu.Unlock()
	}
	close(release)
	for range 10 {
		if err := <-errs; err == nil || err.Error() != "shared" {
			t.Errorf("err = %v, want the first call's", err)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("fn ran %d times", n)
	}
}

// scanZip validates a test zip from memory.
func scanZip(t *testing.T, z []byte, l Limits) *plan {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	p, err := l.scan(zr, int64(len(z)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// extractorFor returns an extractor with the given cap over a fresh directory.
func extractorFor(t *testing.T, z []byte, limit int64) (*extractor, string) {
	t.Helper()
	dst := t.TempDir()
	root, err := os.OpenRoot(dst)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	return newExtractor(root, limit, SizeUnzipped), dst
}
