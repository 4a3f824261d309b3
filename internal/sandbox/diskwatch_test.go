package sandbox

import (
	"os"
	"path/filepath"
	"testing"
)

// TestDirBytesCountsFiles: a file of exactly the limit, inside nested
// directories, is the limit and not over it.
func TestDirBytesCountsFiles(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	const size = 1 << 20
	if err := os.WriteFile(filepath.Join(sub, "big"), make([]byte, size), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("a/b/big", filepath.Join(dir, "link")); err != nil {
		t.Fatal(err)
	}
	if got := dirBytes(dir); got != size {
		t.Errorf("dirBytes = %d, want %d", got, size)
	}
}
