package codestore

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestPutOpenDedup(t *testing.T) {
	s := openStore(t)
	z := mustZip(t, file("a", "hello"))
	r1 := put(t, s, z)
	r2 := put(t, s, append([]byte(nil), z...))
	if r1 != r2 || r1 != RefOf(z) {
		t.Fatalf("refs %s, %s; want %s", r1, r2, RefOf(z))
	}
	names := entries(t, s.zipsDir())
	if len(names) != 1 || names[0] != r1.Hex()+".zip" {
		t.Fatalf("zips/ = %v", names)
	}
	f, size, err := s.Open(r1)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if size != int64(len(z)) || string(got) != string(z) {
		t.Fatalf("Open: size %d, %d bytes; want %d", size, len(got), len(z))
	}
	st, err := s.Stats()
	if err != nil || st != (Stats{Packages: 1, Bytes: int64(len(z))}) {
		t.Fatalf("Stats = %+v, %v", st, err)
	}
	if _, _, err := s.Open(RefOf([]byte("other"))); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Open(unknown) err = %v", err)
	}
	if tmp := entries(t, s.tmpDir()); len(tmp) != 0 {
		t.Fatalf("tmp/ not empty: %v", tmp)
	}
}

func TestPutTooLarge(t *testing.T) {
	s := openStore(t, WithLimits(Limits{Zipped: 10}))
	_, err := s.Put(make([]byte, 11))
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Kind != SizeZipped {
		t.Fatalf("err = %v", err)
	}
	if st, _ := s.Stats(); st.Packages != 0 {
		t.Fatalf("stored %d packages", st.Packages)
	}
}

func TestConcurrentPutAndUnpack(t *testing.T) {
	s := openStore(t)
	shared := mustZip(t, exe("bootstrap", "run"), file("lib/x", "x"))
	const n = 32
	var wg sync.WaitGroup
	dirs := make([]string, n)
	errs := make([]error, n)
	own := make([][]byte, n)
	for i := range own {
		own[i] = mustZip(t, file("own", fmt.Sprint(i)))
	}
	for i := range n {
		// Each puts the shared zip and one of its own, then unpacks both.
		wg.Go(func() {
			r, err := s.Put(shared)
			if err == nil {
				dirs[i], err = s.Unpacked(r)
			}
			if err == nil {
				r, err = s.Put(own[i])
			}
			if err == nil {
				_, err = s.Unpacked(r)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("goroutine %d: %v", i, err)
		}
		if dirs[i] != dirs[0] {
			t.Fatalf("dirs differ: %s, %s", dirs[i], dirs[0])
		}
	}
	if got := readFile(t, filepath.Join(dirs[0], "lib/x")); got != "x" {
		t.Fatalf("lib/x = %q", got)
	}
	st, err := s.Stats()
	if err != nil || st.Packages != 1+n {
		t.Fatalf("Stats = %+v, %v; want %d packages", st, err, 1+n)
	}
	if got, err := os.ReadDir(s.unpackedDir()); err != nil || len(got) != 1+n {
		t.Fatalf("%d entries under unpacked/, %v", len(got), err)
	}
	if tmp := entries(t, s.tmpDir()); len(tmp) != 0 {
		t.Fatalf("tmp/ not empty: %v", tmp)
	}
}

func TestOpenLocksDirectory(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir); err == nil {
		t.Fatal("second Open of a locked directory succeeded")
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(dir)
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	s2.Close()
}

func TestOpenClearsTmpAndKeepsPackages(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := put(t, s, mustZip(t, file("a", "a")))
	s.Close()
	// What a process killed mid-extraction leaves behind.
	if err := os.MkdirAll(filepath.Join(dir, "tmp", "build-123", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if tmp := entries(t, s.tmpDir()); len(tmp) != 0 {
		t.Fatalf("tmp/ not cleared: %v", tmp)
	}
	if _, _, err := s.Open(r); err != nil {
		t.Fatalf("package lost across reopen: %v", err)
	}
}
