package bootstrap

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestInstallWritesBothBootstraps(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "runtime")
	if err := Install(dir); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{PythonFile: Python(), NodeFile: Node()} {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) || len(got) == 0 {
			t.Errorf("%s: %d bytes, want the %d embedded", name, len(got), len(want))
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 {
		t.Errorf("dir holds %d entries, want the two bootstraps only", len(entries))
	}
}

func TestInstallIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	if err := Install(dir); err != nil {
		t.Fatal(err)
	}
	before, err := os.Stat(filepath.Join(dir, PythonFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := Install(dir); err != nil {
		t.Fatal(err)
	}
	after, err := os.Stat(filepath.Join(dir, PythonFile))
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Error("second Install replaced a file that was already up to date")
	}
}

func TestInstallReplacesStaleFiles(t *testing.T) {
	dir := t.TempDir()
	stale := filepath.Join(dir, NodeFile)
	if err := os.WriteFile(stale, []byte("old bootstrap"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Install(dir); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(stale)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(Node()) {
		t.Error("stale bootstrap not replaced")
	}
	if info, _ := os.Stat(stale); info.Mode().Perm() != 0o644 {
		t.Errorf("mode %v, want 0644 so sandboxed users can read it", info.Mode().Perm())
	}
}

func TestInstallConcurrently(t *testing.T) {
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- Install(dir)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("dir holds %d entries after concurrent installs, want 2 (no temp files left)", len(entries))
	}
}

func TestSourcesAreCopies(t *testing.T) {
	p := Python()
	p[0] = '!'
	if Python()[0] == '!' {
		t.Error("Python() exposes the embedded bytes")
	}
}
