package runtimes

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDiscoveryFindsBothPython311Builds(t *testing.T) {
	need(t, debianPython311, pyenvPython311)
	c := openCatalog(t, newDataDir(t), Options{})

	vs := c.Versions("python3.11")
	byPath := map[string]Version{}
	for _, v := range vs {
		byPath[v.Interpreter] = v
	}
	deb, okDeb := byPath[debianPython311]
	pyenv, okPyenv := byPath[pyenvPython311]
	if !okDeb || !okPyenv {
		t.Fatalf("python3.11 versions %v do not include both %s and %s", labels(vs), debianPython311, pyenvPython311)
	}
	if deb.Label != "python:3.11.2.v1" || pyenv.Label != "python:3.11.7.v2" {
		t.Errorf("labels = %s, %s; want python:3.11.2.v1, python:3.11.7.v2 (registered oldest first)", deb.Label, pyenv.Label)
	}
	for _, v := range []Version{deb, pyenv} {
		if !v.Exact || !v.Available || v.Source != SourceDiscovered || v.Bootstrap != BootstrapPython || v.Language != LangPython {
			t.Errorf("%s: %+v", v.Label, v)
		}
		if v.Machine != "x86_64" && v.Machine != "arm64" {
			t.Errorf("%s: machine %q", v.Label, v.Machine)
		}
	}
	if !strings.Contains(pyenv.Build, "3.11.7") || deb.Build == pyenv.Build {
		t.Errorf("builds %q and %q should tell the interpreters apart", deb.Build, pyenv.Build)
	}
	if c.ARN(deb, "us-east-1", ArchX86_64) == c.ARN(pyenv, "us-east-1", ArchX86_64) {
		t.Error("both 3.11 builds have the same ARN")
	}
	// At first start the best exact build is promoted.
	if got := latest(t, c, "python3.11"); got.Interpreter != pyenvPython311 || !got.Promoted {
		t.Errorf("Latest(python3.11) = %s (%s), want the 3.11.7 build", got.Label, got.Interpreter)
	}
}

func TestShimsAreNeverChosen(t *testing.T) {
	dir := newDataDir(t)
	// A shim-like script first on PATH, named like an interpreter.
	fake := t.TempDir()
	script := filepath.Join(fake, "python3.12")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexec /usr/bin/python3 \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	env := func(k string) string {
		if k == "PATH" {
			return fake + string(os.PathListSeparator) + pyenvShims + string(os.PathListSeparator) + os.Getenv("PATH")
		}
		return os.Getenv(k)
	}
	c := openCatalog(t, dir, Options{Getenv: env})
	if len(c.List()) == 0 {
		t.Fatal("no versions at all")
	}
	for _, v := range c.List() {
		if v.Interpreter == "" {
			continue
		}
		if strings.Contains(v.Interpreter, "/shims/") || v.Interpreter == script {
			t.Errorf("%s %s uses %s", v.Runtime, v.Label, v.Interpreter)
		}
		if _, err := elfMachine(v.Interpreter); err != nil {
			t.Errorf("%s %s: %v", v.Runtime, v.Label, err)
		}
		if real, err := filepath.EvalSymlinks(v.Interpreter); err != nil || real != v.Interpreter {
			t.Errorf("%s: interpreter %s is not a real path (%s, %v)", v.Label, v.Interpreter, real, err)
		}
	}
	// Named explicitly, a script is refused for what it is.
	_, err := c.Add("python3.12", script)
	if !errors.Is(err, ErrNotInterpreter) || !strings.Contains(err.Error(), "not an ELF binary") {
		t.Errorf("Add(script) = %v, want ErrNotInterpreter", err)
	}
	if shim := filepath.Join(pyenvShims, "python3"); fileExists(shim) {
		if _, err := c.Add("python3.12", shim); !errors.Is(err, ErrNotInterpreter) {
			t.Errorf("Add(pyenv shim) = %v, want ErrNotInterpreter", err)
		}
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

func TestClosestInterpreterServesMissingVersions(t *testing.T) {
	need(t, pyenvPython313)
	c := openCatalog(t, newDataDir(t), Options{})
	if len(c.Versions("python3.14")) > 0 && c.Versions("python3.14")[0].Exact {
		t.Skip("this host has Python 3.14")
	}
	v := latest(t, c, "python3.14")
	if v.Exact || !strings.HasPrefix(v.InterpreterVersion, "3.13.") || v.Source != SourceDiscovered {
		t.Errorf("python3.14 = %+v, want a closest match on 3.13", v)
	}
	if v.Interpreter != pyenvPython313 || v.Label != "python:3.13.0.v1" {
		t.Errorf("python3.14 = %s on %s", v.Label, v.Interpreter)
	}
	mustContain(t, "note", v.Note, "closest match", "python3.14", "Python 3.13.0")
	if exact := latest(t, c, "python3.13"); !exact.Exact || exact.Interpreter != v.Interpreter {
		t.Errorf("python3.13 = %+v", exact)
	}
	// Same interpreter, different runtime: different version and ARN.
	if c.ARN(v, "us-east-1", ArchX86_64) == c.ARN(latest(t, c, "python3.13"), "us-east-1", ArchX86_64) {
		t.Error("python3.14 and python3.13 share an ARN")
	}

	if n := latest(t, c, "nodejs20.x"); n.Exact && n.InterpreterVersion != "" {
		for _, id := range []string{"nodejs16.x", "nodejs18.x", "nodejs22.x", "nodejs24.x"} {
			if fb := latest(t, c, id); fb.Exact || fb.Interpreter != n.Interpreter {
				t.Errorf("%s = %+v, want a fallback to %s", id, fb, n.Interpreter)
			}
		}
	}
}

func TestClosestPicksNearestNewestNeverPython2(t *testing.T) {
	b := func(v, path string) probe { return probe{Path: path, Version: v, Lang: LangPython} }
	builds := []probe{
		b("2.7.18", "/py27"), b("3.6.15", "/py36"), b("3.11.2", "/usr/bin/python3.11"),
		b("3.11.7", "/pyenv/3.11.7"), b("3.13.0", "/py313"), b("3.14.0rc1", "/py314rc"),
	}
	spec := func(id string) runtimeSpec { s, _ := lookupRuntime(id); return s }
	cases := []struct {
		runtime, want string
		exact         bool
	}{
		{"python3.12", "/py313", false},             // 3.11 and 3.13 tie: newer wins
		{"python3.10", "/pyenv/3.11.7", false},      // best build of the nearest version
		{"python3.8", "/pyenv/3.11.7", false},       // 3.6 is below the bootstrap's minimum
		{"python3.14", "/py314rc", true},            // a release candidate is still 3.14
		{"python3.11", "/usr/bin/python3.11", true}, // every exact build...
		{"python3.11", "/pyenv/3.11.7", true},       // ...is a candidate
	}
	for _, tc := range cases {
		got, exact := candidatesFor(spec(tc.runtime), builds, false)
		found := false
		for _, g := range got {
			found = found || g.Path == tc.want
		}
		if !found || exact != tc.exact {
			t.Errorf("%s: candidates %v (exact %v), want %s (exact %v)", tc.runtime, got, exact, tc.want, tc.exact)
		}
	}
	if got, _ := candidatesFor(spec("python3.12"), []probe{b("2.7.18", "/py27")}, false); len(got) != 0 {
		t.Errorf("Python 2 serves python3.12: %v", got)
	}
	if got, _ := candidatesFor(spec("python3.12"), builds, true); len(got) != 0 {
		t.Errorf("strict: %v", got)
	}
	node := []probe{{Path: "/node14", Version: "14.21.3", Lang: LangNode}, {Path: "/node20", Version: "20.20.2", Lang: LangNode}}
	if got, exact := candidatesFor(spec("nodejs16.x"), node, false); len(got) != 1 || got[0].Path != "/node20" || exact {
		t.Errorf("nodejs16.x: %v (Node 14 is too old for the bootstrap)", got)
	}
}

func TestProbeCacheAvoidsRunningInterpreters(t *testing.T) {
	need(t, pyenvPython312)
	bin := filepath.Join(t.TempDir(), "python3.12")
	copyFile(t, pyenvPython312, bin)
	p := newProber(nil)
	ctx := context.Background()
	first, err := p.probe(ctx, bin, LangPython)
	if err != nil {
		t.Fatal(err)
	}
	if first.Version != "3.12.1" || len(first.SHA256) != 64 {
		t.Fatalf("probe = %+v", first)
	}
	// A cached probe is returned without running anything: prove it by
	// making the file unrunnable content-wise but keeping size and mtime.
	fi, _ := os.Stat(bin)
	garbage := make([]byte, fi.Size())
	if err := os.WriteFile(bin, garbage, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(bin, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if again, err := p.probe(ctx, bin, LangPython); err != nil || again != first {
		t.Errorf("cached probe = %+v, %v", again, err)
	}
	// A changed mtime invalidates the entry.
	if err := os.Chtimes(bin, fi.ModTime().Add(1e9), fi.ModTime().Add(1e9)); err != nil {
		t.Fatal(err)
	}
	if _, err := p.probe(ctx, bin, LangPython); !errors.Is(err, ErrNotInterpreter) {
		t.Errorf("probe of garbage = %v", err)
	}
	// The wrong language is refused.
	if _, err := p.probe(ctx, pyenvPython312, LangNode); !errors.Is(err, ErrNotInterpreter) {
		t.Errorf("probing Python as Node.js = %v", err)
	}
}
