package codestore

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLayersLaterWins(t *testing.T) {
	s := openStore(t)
	a := put(t, s, mustZip(t,
		file("python/lib.py", "A"),
		file("a-only", "A"),
		exe("bin/tool", "A"),
		file("conflict/inside", "A"), // a directory in A, a file in B
		file("was-file", "A"),        // a file in A, a directory in B
	))
	b := put(t, s, mustZip(t,
		file("python/lib.py", "B"),
		file("b-only", "B"),
		file("conflict", "B"),
		file("was-file/now", "B"),
		link("bin/tool", "../b-only"), // a symlink replaces A's file
	))
	ab, err := s.Layers([]Ref{a, b})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"python/lib.py": "B", "a-only": "A", "b-only": "B",
		"conflict": "B", "was-file/now": "B", "bin/tool": "B",
	} {
		if got := readFile(t, filepath.Join(ab, name)); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if fi, err := os.Lstat(filepath.Join(ab, "bin/tool")); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("bin/tool is not B's symlink: %v, %v", fi, err)
	}
	if filepath.Base(ab) != "opt" || !strings.HasPrefix(ab, s.layersDir()) {
		t.Errorf("dir = %s", ab)
	}

	ba, err := s.Layers([]Ref{b, a})
	if err != nil {
		t.Fatal(err)
	}
	if ba == ab {
		t.Fatal("order not part of the cache key")
	}
	if got := readFile(t, filepath.Join(ba, "python/lib.py")); got != "A" {
		t.Errorf("b,a: python/lib.py = %q, want A", got)
	}
	if fi, err := os.Lstat(filepath.Join(ba, "bin/tool")); err != nil || fi.Mode() != 0o755 {
		t.Errorf("b,a: bin/tool = %v, %v; want A's executable", fi, err)
	}

	again, err := s.Layers([]Ref{a, b})
	if err != nil || again != ab {
		t.Errorf("cached: %s, %v; want %s", again, err, ab)
	}
	one, err := s.Layers([]Ref{a})
	if err != nil || one != s.unpackedPath(a) {
		t.Errorf("single layer: %s, %v", one, err)
	}
	if none, err := s.Layers(nil); none != "" || err != nil {
		t.Errorf("no layers: %q, %v", none, err)
	}
}

func TestLayersRejectCrossLayerEscape(t *testing.T) {
	// Each zip alone is fine; together b resolves to the parent of /opt.
	s := openStore(t)
	a := put(t, s, mustZip(t, link("a", ".")))
	b := put(t, s, mustZip(t, link("b", "a/..")))
	_, err := s.Layers([]Ref{a, b})
	var ee *EntryError
	if !errors.As(err, &ee) || ee.Name != "b" {
		t.Fatalf("err = %v, want EntryError for b", err)
	}
	if sets := entries(t, s.layersDir()); len(sets) != 0 {
		t.Fatalf("layer set published: %v", sets)
	}
}

func TestLayersWriteThroughEarlierSymlinkStaysInside(t *testing.T) {
	// A later layer writing under an earlier layer's directory symlink
	// lands where the link points, never outside.
	s := openStore(t)
	a := put(t, s, mustZip(t, dir("real/"), link("lib", "real")))
	b := put(t, s, mustZip(t, file("lib/x", "B")))
	d, err := s.Layers([]Ref{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(d, "real/x")); got != "B" {
		t.Errorf("real/x = %q", got)
	}
}

func TestLayersCombinedLimit(t *testing.T) {
	s := openStore(t, WithLimits(Limits{Unzipped: 1000}))
	a := put(t, s, mustZip(t, file("a", strings.Repeat("a", 600))))
	b := put(t, s, mustZip(t, file("b", strings.Repeat("b", 600))))
	_, err := s.Layers([]Ref{a, b})
	var tl *TooLargeError
	if !errors.As(err, &tl) || tl.Kind != SizeCombined || tl.Actual != 1200 || tl.Limit != 1000 {
		t.Fatalf("err = %v", err)
	}
	if _, err := s.Layers([]Ref{a, RefOf([]byte("missing"))}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing layer: err = %v", err)
	}
}
