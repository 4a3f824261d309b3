package runtimes

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"testing"
)

// checkFile verifies the catalog file is whole and that every version of
// every runtime is numbered 1..n with unique labels.
func checkFile(t *testing.T, dir string) *fileState {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, CatalogFileName))
	if err != nil {
		t.Fatal(err)
	}
	var st fileState
	if err := json.Unmarshal(data, &st); err != nil {
		t.Fatalf("catalog file is corrupt: %v", err)
	}
	for id, rr := range st.Runtimes {
		seen := map[string]bool{}
		for i, v := range rr.Versions {
			if v.Number != i+1 || seen[v.Label] {
				t.Errorf("%s: version %d is %+v", id, i+1, v)
			}
			seen[v.Label] = true
		}
		if rr.Promoted != "" && !seen[rr.Promoted] {
			t.Errorf("%s: promoted %s is not a version", id, rr.Promoted)
		}
	}
	if matches, _ := filepath.Glob(filepath.Join(dir, "."+CatalogFileName+".*")); len(matches) > 0 {
		t.Errorf("temp files left behind: %v", matches)
	}
	return &st
}

// copies makes n copies of an interpreter, each a distinct build path.
func copies(t *testing.T, src string, n int) []string {
	t.Helper()
	dir := t.TempDir()
	var out []string
	for i := range n {
		p := filepath.Join(dir, fmt.Sprintf("py%d", i), "python3.12")
		copyFile(t, src, p)
		out = append(out, p)
	}
	return out
}

func interpreters(st *fileState, runtime string) []string {
	var out []string
	for _, v := range st.Runtimes[runtime].Versions {
		out = append(out, v.Interpreter)
	}
	sort.Strings(out)
	return out
}

func TestConcurrentCatalogsDoNotLoseWrites(t *testing.T) {
	need(t, pyenvPython312)
	dir := newDataDir(t)
	bins := copies(t, pyenvPython312, 8)
	const writers = 4
	cats := make([]*Catalog, writers)
	for i := range cats {
		cats[i] = openCatalog(t, dir, Options{})
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(bins)*2)
	for i, c := range cats {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := i; j < len(bins); j += writers {
				v, err := c.Add("python3.12", bins[j])
				if err != nil {
					errs <- err
					continue
				}
				if err := c.Promote("python3.12", v.Label); err != nil {
					errs <- err
				}
				c.Reload()
				c.Rollout("python3.12")
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	st := checkFile(t, dir)
	got := interpreters(st, "python3.12")
	want := append([]string{pyenvPython312}, bins...)
	sort.Strings(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("python3.12 interpreters\n got %v\nwant %v", got, want)
	}
	for _, c := range cats {
		if _, err := c.Reload(); err != nil {
			t.Fatal(err)
		}
		if n := len(c.Versions("python3.12")); n != len(want) {
			t.Errorf("a catalog sees %d versions after Reload, want %d", n, len(want))
		}
		if changed, err := c.Reload(); changed || err != nil {
			t.Errorf("second Reload = %v, %v; nothing changed", changed, err)
		}
	}
}

func TestConcurrentProcessesDoNotLoseWrites(t *testing.T) {
	need(t, pyenvPython312)
	dir := newDataDir(t)
	// Let one process create the catalog, so the others only add.
	if _, errOut, code := runCommand(t, "list", "--data-dir", dir); code != 0 {
		t.Fatal(errOut)
	}
	bins := copies(t, pyenvPython312, 4)
	var wg sync.WaitGroup
	for _, bin := range bins {
		args, _ := json.Marshal([]string{"add", "--data-dir", dir, "python3.12", bin})
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperEnv+"="+string(args))
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := cmd.Wait(); err != nil {
				t.Errorf("add %s: %v\n%s", bin, err, out.String())
			}
		}()
	}
	wg.Wait()
	st := checkFile(t, dir)
	got := interpreters(st, "python3.12")
	want := append([]string{pyenvPython312}, bins...)
	sort.Strings(want)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("python3.12 interpreters\n got %v\nwant %v", got, want)
	}
}
