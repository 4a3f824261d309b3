package runtimes

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// helperEnv makes the test binary act as `lambkin runtimes` (for tests that
// need several processes).
const helperEnv = "LAMBKIN_RUNTIMES_TEST_COMMAND"

// Interpreters of the machine the project builds on; tests that need one
// skip without it.
const (
	debianPython311 = "/usr/bin/python3.11"
	pyenvPython311  = "/root/.pyenv/versions/3.11.7/bin/python3.11"
	pyenvPython312  = "/root/.pyenv/versions/3.12.1/bin/python3.12"
	pyenvPython313  = "/root/.pyenv/versions/3.13.0/bin/python3.13"
	pyenvShims      = "/root/.pyenv/shims"
)

// warmProbes holds the probe results of one real discovery, so each test's
// fresh data directory starts with a warm cache instead of running every
// interpreter again.
var warmProbes map[string]probe

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		var args []string
		if err := json.Unmarshal([]byte(os.Getenv(helperEnv)), &args); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(3)
		}
		os.Exit(RunCommand(args, os.Stdout, os.Stderr))
	}
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "runtimes-seed-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	c, err := Open(dir, Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "seeding probe cache:", err)
		return 1
	}
	c.mu.RLock()
	warmProbes = c.st.Probes
	c.mu.RUnlock()
	c.Close()
	return m.Run()
}

// newDataDir returns an empty data directory whose catalog file holds only
// the warm probe cache.
func newDataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	st := newFileState()
	for k, v := range warmProbes {
		st.Probes[k] = v
	}
	s, err := openStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	if _, err := s.write(st); err != nil {
		t.Fatal(err)
	}
	return dir
}

// testHash is the bootstrap hash tests use unless they test hashes.
var testHash = HashBootstraps(map[string][]byte{BootstrapPython: []byte("py v1"), BootstrapNode: []byte("node v1")})

func openCatalog(t *testing.T, dir string, opts Options) *Catalog {
	t.Helper()
	if opts.BootstrapHash == nil {
		opts.BootstrapHash = testHash
	}
	c, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func need(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("this test needs %s: %v", p, err)
		}
	}
}

// copyFile copies an interpreter binary (executable) to dst.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := dst + ".tmp"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	// Replace by rename, like a package manager: running binaries keep
	// their old inode.
	if err := os.Rename(tmp, dst); err != nil {
		t.Fatal(err)
	}
}

func writeConfig(t *testing.T, dir string, runtimes map[string]any) string {
	t.Helper()
	data, err := json.Marshal(map[string]any{"runtimes": runtimes})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, ConfigFileName)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func latest(t *testing.T, c *Catalog, runtime string) Version {
	t.Helper()
	v, err := c.Latest(runtime, ArchX86_64)
	if err != nil {
		t.Fatalf("Latest(%s): %v", runtime, err)
	}
	return v
}

func unavailable(t *testing.T, c *Catalog, runtime string) *UnavailableError {
	t.Helper()
	v, err := c.Latest(runtime, ArchX86_64)
	var ue *UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("Latest(%s) = %+v, %v; want an *UnavailableError", runtime, v, err)
	}
	if ue.Runtime != runtime || ue.Reason == "" {
		t.Fatalf("UnavailableError = %+v", ue)
	}
	return ue
}

func labels(vs []Version) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Label)
	}
	return out
}

func versionByLabel(t *testing.T, c *Catalog, runtime, label string) Version {
	t.Helper()
	for _, v := range c.Versions(runtime) {
		if v.Label == label {
			return v
		}
	}
	t.Fatalf("%s has no version %s; it has %v", runtime, label, labels(c.Versions(runtime)))
	return Version{}
}

func mustContain(t *testing.T, what, s string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(s, p) {
			t.Errorf("%s does not contain %q:\n%s", what, p, s)
		}
	}
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// fakeClock is a settable Options.Now.
type fakeClock struct {
	ch chan time.Time
}

func newFakeClock(t time.Time) *fakeClock {
	c := &fakeClock{ch: make(chan time.Time, 1)}
	c.ch <- t
	return c
}

func (c *fakeClock) Now() time.Time {
	t := <-c.ch
	c.ch <- t
	return t
}

func (c *fakeClock) Advance(d time.Duration) {
	t := <-c.ch
	c.ch <- t.Add(d)
}
