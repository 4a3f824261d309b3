package runtimes

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestStrictModeTurnsFallbackOff(t *testing.T) {
	need(t, pyenvPython313)
	dir := newDataDir(t)
	c := openCatalog(t, dir, Options{Strict: true})
	if vs := c.Versions("python3.14"); len(vs) != 0 {
		t.Skipf("this host has python3.14 versions %v", labels(vs))
	}
	ue := unavailable(t, c, "python3.14")
	mustContain(t, "reason", ue.Reason, "python3.14 is not available", "strict mode", "Python 3.14", "3.13.0", "pyenv install 3.14", c.ConfigFile())
	latest(t, c, "python3.13") // exact versions are unaffected
	c.Close()

	// A fallback registered by a non-strict run is refused by a strict one.
	lax := openCatalog(t, dir, Options{})
	fb := latest(t, lax, "python3.14")
	lax.Close()
	strict := openCatalog(t, dir, Options{Strict: true})
	ue = unavailable(t, strict, "python3.14")
	mustContain(t, "reason", ue.Reason, fb.Label, "strict mode is on")
	v := versionByLabel(t, strict, "python3.14", fb.Label)
	if v.Available || !strings.Contains(v.Reason, "strict") {
		t.Errorf("strict view of the fallback: %+v", v)
	}
}

func TestJavaIsUnavailableWithAReason(t *testing.T) {
	c := openCatalog(t, newDataDir(t), Options{})
	ue := unavailable(t, c, "java21")
	mustContain(t, "reason", ue.Reason, "java21 is not available", "JDK 21", "openjdk-21-jdk-headless",
		"only for Python and Node.js", "provided.al2023")
	if len(c.Versions("java21")) != 0 {
		t.Error("java21 has versions")
	}
	for _, id := range []string{"ruby3.3", "dotnet8", "java8.al2"} {
		mustContain(t, id, unavailable(t, c, id).Reason, "only for Python and Node.js")
	}
	var ue2 *UnavailableError
	if _, err := c.Add("java21", "/usr/bin/java"); !errors.As(err, &ue2) {
		t.Errorf("Add(java21) = %v", err)
	}
	if _, err := c.Latest("cobol1", ArchX86_64); !errors.Is(err, ErrUnknownRuntime) {
		t.Errorf("unknown runtime: %v", err)
	}
	if _, err := c.Latest("python3.13", "sparc"); err == nil {
		t.Error("bad architecture accepted")
	}
}

var arnPattern = regexp.MustCompile(`^arn:aws:lambda:[a-z]{2}-[a-z]+-\d::runtime:[0-9a-f]{64}$`)

func TestARNsAreStableAndDistinct(t *testing.T) {
	dir := newDataDir(t)
	c := openCatalog(t, dir, Options{})
	all := c.List()
	if len(all) < 3 {
		t.Fatalf("only %d versions", len(all))
	}
	arns := map[string]string{}
	seen := map[string]string{}
	for _, v := range all {
		for _, region := range []string{"us-east-1", "eu-south-1"} {
			for _, arch := range []string{ArchX86_64, ArchARM64} {
				arn := c.ARN(v, region, arch)
				if !arnPattern.MatchString(arn) || !IsRuntimeVersionARN(arn) {
					t.Fatalf("malformed ARN %s", arn)
				}
				what := v.Runtime + " " + v.Label + " " + region + " " + arch
				if other, dup := seen[arn]; dup {
					t.Errorf("%s and %s share %s", what, other, arn)
				}
				seen[arn] = what
				arns[what] = arn

				got, ok := c.Resolve(arn)
				if !ok || got.Runtime != v.Runtime || got.Label != v.Label || got.Region != region || got.Arch != arch {
					t.Errorf("Resolve(%s) = %s %s %s %s, %v; want %s", arn, got.Runtime, got.Label, got.Region, got.Arch, ok, what)
				}
			}
		}
	}
	c.Close()

	// Another process, another day: the same ARNs.
	again := openCatalog(t, dir, Options{})
	for _, v := range again.List() {
		for _, region := range []string{"us-east-1", "eu-south-1"} {
			for _, arch := range []string{ArchX86_64, ArchARM64} {
				what := v.Runtime + " " + v.Label + " " + region + " " + arch
				if arn := again.ARN(v, region, arch); arns[what] != arn {
					t.Errorf("%s: ARN %s after reopen, was %s", what, arn, arns[what])
				}
			}
		}
	}

	v := latest(t, again, "provided.al2023")
	if v.Label != "provided:al2023.v1" || v.Interpreter != "" || v.Bootstrap != "" || !v.Available {
		t.Errorf("provided.al2023 = %+v", v)
	}
	if arn := again.ARN(v, "cn-north-1", ArchARM64); !strings.HasPrefix(arn, "arn:aws-cn:lambda:cn-north-1::runtime:") {
		t.Errorf("China ARN %s", arn)
	}
	for _, bad := range []string{
		"arn:aws:lambda:us-east-1::runtime:" + strings.Repeat("0", 64), // unknown
		"arn:aws:lambda:us-east-1::runtime:abc",                        // malformed
		"arn:aws-cn:lambda:us-east-1::runtime:" + strings.Repeat("0", 64),
		"python:3.13.0.v1",
	} {
		if _, ok := again.Resolve(bad); ok {
			t.Errorf("Resolve(%q) succeeded", bad)
		}
	}
}

func TestVanishedInterpreterStaysListedUnavailable(t *testing.T) {
	need(t, pyenvPython312)
	dir := newDataDir(t)
	bin := filepath.Join(t.TempDir(), "bin", "python3.12")
	copyFile(t, pyenvPython312, bin)
	writeConfig(t, dir, map[string]any{"python3.12": bin})

	c := openCatalog(t, dir, Options{})
	v := latest(t, c, "python3.12")
	if v.Interpreter != bin || v.Source != SourceConfig || !v.Exact || v.Label != "python:3.12.1.v1" {
		t.Fatalf("python3.12 = %+v; the config entry should override discovery", v)
	}
	if n := len(c.Versions("python3.12")); n != 1 {
		t.Errorf("python3.12 has %d versions, want only the configured one", n)
	}
	arn := c.ARN(v, "us-east-1", ArchX86_64)
	c.Close()

	if err := os.Remove(bin); err != nil {
		t.Fatal(err)
	}
	c = openCatalog(t, dir, Options{})
	gone := versionByLabel(t, c, "python3.12", v.Label)
	if gone.Available || !strings.Contains(gone.Reason, "no longer exists") || gone.Identity != v.Identity {
		t.Errorf("after removal: %+v", gone)
	}
	if got, ok := c.Resolve(arn); !ok || got.Available || got.Label != v.Label {
		t.Errorf("Resolve(pinned ARN) = %+v, %v", got, ok)
	}
	ue := unavailable(t, c, "python3.12")
	mustContain(t, "reason", ue.Reason, v.Label, bin, "no longer exists")
	c.mu.RLock()
	_, cached := c.st.Probes[bin]
	c.mu.RUnlock()
	if cached {
		t.Error("the probe of a removed file is still cached")
	}
}

func TestLaterDiscoveriesAreRegisteredNotPromoted(t *testing.T) {
	need(t, debianPython311, pyenvPython311, pyenvPython312)
	dir := newDataDir(t)
	home := t.TempDir()
	// First start: a host with only Debian's Python.
	bare := func(k string) string {
		switch k {
		case "PATH":
			return "/usr/bin:/bin"
		case "HOME", "PYENV_ROOT", "NVM_DIR":
			return home
		}
		return ""
	}
	c := openCatalog(t, dir, Options{Getenv: bare})
	if got := labels(c.Versions("python3.11")); strings.Join(got, " ") != "python:3.11.2.v1" {
		t.Fatalf("python3.11 versions %v", got)
	}
	fb := latest(t, c, "python3.12")
	if fb.Exact || fb.Interpreter != debianPython311 {
		t.Fatalf("python3.12 = %+v, want the closest match 3.11.2", fb)
	}
	c.Close()

	// pyenv appears: its builds are registered, promotions stay.
	c = openCatalog(t, dir, Options{})
	v2 := versionByLabel(t, c, "python3.11", "python:3.11.7.v2")
	if v2.Promoted || v2.Interpreter != pyenvPython311 {
		t.Errorf("3.11.7 = %+v", v2)
	}
	if got := latest(t, c, "python3.11"); got.Label != "python:3.11.2.v1" {
		t.Errorf("python3.11 promoted %s, want it unchanged", got.Label)
	}
	exact := versionByLabel(t, c, "python3.12", "python:3.12.1.v2")
	if !exact.Exact || exact.Promoted {
		t.Errorf("python3.12 exact build = %+v", exact)
	}
	if got := latest(t, c, "python3.12"); got.Label != fb.Label {
		t.Errorf("python3.12 promoted %s, want %s until an admin promotes", got.Label, fb.Label)
	}
}

func TestInPlaceUpgradeSupersedesAndTakesOverPromotion(t *testing.T) {
	need(t, debianPython311, pyenvPython311)
	dir := newDataDir(t)
	bin := filepath.Join(t.TempDir(), "python3.11")
	copyFile(t, debianPython311, bin)
	writeConfig(t, dir, map[string]any{"python3.11": []string{bin}})
	clock := newFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c := openCatalog(t, dir, Options{Now: clock.Now})
	old := latest(t, c, "python3.11")
	c.Close()

	copyFile(t, pyenvPython311, bin) // "apt-get upgrade"
	clock.Advance(time.Hour)
	c = openCatalog(t, dir, Options{Now: clock.Now})
	cur := latest(t, c, "python3.11")
	if cur.Label != "python:3.11.7.v2" || cur.Interpreter != bin || cur.Identity == old.Identity {
		t.Errorf("after the upgrade python3.11 = %+v", cur)
	}
	was := versionByLabel(t, c, "python3.11", old.Label)
	if was.SupersededBy != cur.Label || !strings.Contains(was.Note, "superseded") {
		t.Errorf("old version = %+v", was)
	}
	rs := c.Rollout("python3.11")
	if rs.Complete || rs.Previous != old.Label || !rs.PromotedAt.Equal(clock.Now()) {
		t.Errorf("rollout = %+v; the takeover starts a rollout", rs)
	}
	if err := c.Promote("python3.11", old.Label); err == nil || !strings.Contains(err.Error(), "superseded") {
		t.Errorf("promoting a superseded version: %v", err)
	}
}

func TestNewBootstrapMakesNewVersions(t *testing.T) {
	dir := newDataDir(t)
	c := openCatalog(t, dir, Options{})
	before := latest(t, c, "python3.13")
	prov := latest(t, c, "provided.al2023")
	c.Close()

	hashB := HashBootstraps(map[string][]byte{BootstrapPython: []byte("py v2"), BootstrapNode: []byte("node v1")})
	c = openCatalog(t, dir, Options{BootstrapHash: hashB})
	after := latest(t, c, "python3.13")
	if after.Identity == before.Identity || after.Interpreter != before.Interpreter || after.Number != before.Number+1 {
		t.Errorf("python3.13 after a bootstrap change: %+v (before %+v)", after, before)
	}
	if after.BootstrapHash != hashB(BootstrapPython) {
		t.Errorf("bootstrap hash %s", after.BootstrapHash)
	}
	if got := versionByLabel(t, c, "python3.13", before.Label); got.SupersededBy != after.Label {
		t.Errorf("old version = %+v", got)
	}
	if c.Rollout("python3.13").Complete {
		t.Error("a new bootstrap should roll out in two phases")
	}
	if n := latest(t, c, "nodejs20.x"); n.Number != 1 {
		t.Errorf("nodejs20.x changed with the Python bootstrap: %s", n.Label)
	}
	if p := latest(t, c, "provided.al2023"); p.Identity != prov.Identity {
		t.Error("provided.al2023 changed")
	}
}

func TestPromoteCompleteAndRolloutDelay(t *testing.T) {
	need(t, debianPython311, pyenvPython311)
	dir := newDataDir(t)
	clock := newFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c := openCatalog(t, dir, Options{Now: clock.Now, RolloutDelay: 24 * time.Hour, PollInterval: 5 * time.Millisecond})
	if rs := c.Rollout("python3.11"); !rs.Complete || rs.Promoted.Label != "python:3.11.7.v2" {
		t.Fatalf("initial rollout %+v", rs)
	}
	// Promote by ARN (of another region and architecture: still the same
	// version).
	deb := versionByLabel(t, c, "python3.11", "python:3.11.2.v1")
	if err := c.Promote("python3.11", c.ARN(deb, "eu-west-3", ArchARM64)); err != nil {
		t.Fatal(err)
	}
	rs := c.Rollout("python3.11")
	if rs.Promoted.Label != deb.Label || rs.Complete || rs.Previous != "python:3.11.7.v2" || !rs.DueAt.Equal(clock.Now().Add(24*time.Hour)) {
		t.Fatalf("after Promote: %+v", rs)
	}
	if got := latest(t, c, "python3.11"); got.Label != deb.Label {
		t.Errorf("phase 1: Latest = %s", got.Label)
	}
	if err := c.Promote("python3.11", "python:9.9.9.v9"); !errors.Is(err, ErrUnknownVersion) {
		t.Errorf("unknown label: %v", err)
	}

	ctx := t.Context()
	events := make(chan struct{}, 16)
	go c.Watch(ctx, func() { events <- struct{}{} })
	clock.Advance(25 * time.Hour)
	eventually(t, "the delayed rollout to complete", func() bool { return c.Rollout("python3.11").Complete })
	<-events

	// A second catalog sees the completion in the file.
	other := openCatalog(t, dir, Options{})
	if rs := other.Rollout("python3.11"); !rs.Complete || rs.Promoted.Label != deb.Label {
		t.Errorf("other catalog sees %+v", rs)
	}
	if err := other.Complete("python3.11"); err != nil {
		t.Errorf("completing twice: %v", err)
	}
	if err := other.Complete("java21"); !errors.Is(err, ErrUnknownVersion) {
		t.Errorf("Complete(java21) = %v", err)
	}
}

func TestCorruptCatalogIsNotOverwritten(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, CatalogFileName)
	if err := os.WriteFile(path, []byte(`{"format": 1, "runtimes": {`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("Open = %v", err)
	}
	if data, _ := os.ReadFile(path); string(data) != `{"format": 1, "runtimes": {` {
		t.Error("the corrupt file was replaced")
	}
	if err := os.WriteFile(path, []byte(`{"format": 99}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{}); err == nil || !strings.Contains(err.Error(), "newer lambkin") {
		t.Errorf("Open(format 99) = %v", err)
	}
}

func TestConfigFile(t *testing.T) {
	need(t, pyenvPython312, pyenvPython313)
	dir := newDataDir(t)
	writeConfig(t, dir, map[string]any{
		"python3.14": []string{pyenvPython313, pyenvPython312},
		"java21":     "/usr/bin/java",
		"nodejs22.x": "/nonexistent/node",
	})
	c := openCatalog(t, dir, Options{Strict: true})
	// Explicit mappings are not fallback: strict mode honours them.
	v := latest(t, c, "python3.14")
	if v.Source != SourceConfig || v.Exact || v.Interpreter != pyenvPython313 || !strings.Contains(v.Note, "mapped") {
		t.Errorf("python3.14 = %+v", v)
	}
	if got := labels(c.Versions("python3.14")); strings.Join(got, " ") != "python:3.12.1.v1 python:3.13.0.v2" {
		t.Errorf("python3.14 versions %v", got)
	}
	mustContain(t, "nodejs22.x reason", unavailable(t, c, "nodejs22.x").Reason, "/nonexistent/node", c.ConfigFile())
	unavailable(t, c, "java21")

	for name, content := range map[string]string{
		"unknown runtime": `{"runtimes": {"python2.7": "/usr/bin/python2"}}`,
		"unknown field":   `{"runtime": {}}`,
		"bad value":       `{"runtimes": {"python3.12": 3}}`,
		"empty list":      `{"runtimes": {"python3.12": []}}`,
	} {
		path := filepath.Join(t.TempDir(), "config.json")
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(newDataDir(t), Options{ConfigFile: path}); err == nil {
			t.Errorf("%s: Open accepted %s", name, content)
		}
	}
	if _, err := Open(newDataDir(t), Options{ConfigFile: "/nonexistent/config.json"}); err == nil {
		t.Error("a missing explicit config file was accepted")
	}
}

func TestAddRefusesUnsuitableInterpreters(t *testing.T) {
	need(t, pyenvPython312)
	c := openCatalog(t, newDataDir(t), Options{})
	if _, err := c.Add("python3.12", "/root/.pyenv/versions/3.6.15/bin/python3.6"); err == nil || !strings.Contains(err.Error(), "cannot serve") {
		t.Errorf("Add(Python 3.6) = %v", err)
	}
	if _, err := c.Add("nodejs20.x", pyenvPython312); !errors.Is(err, ErrNotInterpreter) {
		t.Errorf("Add(Python as Node.js) = %v", err)
	}
	if _, err := c.Add("provided.al2023", pyenvPython312); err == nil {
		t.Error("Add(provided) accepted")
	}
	v, err := c.Add("python3.12", pyenvPython312)
	if !errors.Is(err, ErrAlreadyRegistered) || v.Interpreter != pyenvPython312 || v.Source != SourceDiscovered {
		t.Errorf("Add(registered) = %+v, %v", v, err)
	}
}
