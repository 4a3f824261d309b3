package runtimes

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"sync"
)

// host is what discovery found on this machine.
type host struct {
	// builds are the usable interpreters per language, oldest first.
	builds map[string][]probe
	// searched describes where each language was looked for, for reasons.
	searched map[string]string
	// commands are interpreters lambkin has no bootstrap for (java, ruby,
	// dotnet) found on PATH, by language.
	commands map[string]string
}

var pythonName = regexp.MustCompile(`^python3(\.[0-9]+)?$`)

// discover finds the Python and Node.js interpreters of this host. Every
// candidate is resolved to its real file and probed once (cached), so a
// build reachable by several paths (/bin/python3, /usr/bin/python3.11) is
// one build, and shims are rejected by the ELF check.
func discover(ctx context.Context, p *prober, getenv func(string) string, log *slog.Logger) host {
	h := host{
		builds:   map[string][]probe{},
		searched: map[string]string{},
		commands: map[string]string{},
	}
	home := getenv("HOME")
	if home == "" {
		home = "/root"
	}
	path := filepath.SplitList(getenv("PATH"))

	pyenv := getenv("PYENV_ROOT")
	if pyenv == "" {
		pyenv = filepath.Join(home, ".pyenv")
	}
	pyDirs := append([]string{"/usr/bin", "/usr/local/bin"}, globAll(filepath.Join(pyenv, "versions", "*", "bin"))...)
	pyDirs = append(pyDirs, path...)
	var pyCandidates []string
	for _, dir := range pyDirs {
		for _, f := range globAll(filepath.Join(dir, "python3*")) {
			if pythonName.MatchString(filepath.Base(f)) {
				pyCandidates = append(pyCandidates, f)
			}
		}
	}
	h.searched[LangPython] = "python3.N in /usr/bin, /usr/local/bin, " + filepath.Join(pyenv, "versions", "*", "bin") + " and PATH"

	nvm := getenv("NVM_DIR")
	if nvm == "" {
		nvm = filepath.Join(home, ".nvm")
	}
	nodeGlobs := []string{
		"/usr/bin/node", "/usr/bin/nodejs", "/usr/local/bin/node",
		filepath.Join(nvm, "versions", "node", "*", "bin", "node"),
		"/usr/local/lib/nodejs/*/bin/node",
		"/opt/node*/bin/node",
		filepath.Join(home, ".volta", "tools", "image", "node", "*", "bin", "node"),
		filepath.Join(home, ".local", "share", "fnm", "node-versions", "*", "installation", "bin", "node"),
	}
	for _, dir := range path {
		nodeGlobs = append(nodeGlobs, filepath.Join(dir, "node"), filepath.Join(dir, "nodejs"))
	}
	var nodeCandidates []string
	for _, g := range nodeGlobs {
		nodeCandidates = append(nodeCandidates, globAll(g)...)
	}
	h.searched[LangNode] = "node and nodejs on PATH, /usr/local/bin, " + filepath.Join(nvm, "versions", "node") + " and /usr/local/lib/nodejs"

	h.builds[LangPython] = probeAll(ctx, p, LangPython, pyCandidates, log)
	h.builds[LangNode] = probeAll(ctx, p, LangNode, nodeCandidates, log)

	for lang, names := range map[string][]string{LangJava: {"java"}, LangRuby: {"ruby"}, LangDotnet: {"dotnet"}} {
		if found := lookPath(path, names...); found != "" {
			if real, err := realPath(found); err == nil {
				found = real // /usr/lib/jvm/java-17-openjdk-amd64/bin/java says which Java
			}
			h.commands[lang] = found
		}
	}
	return h
}

// probeAll probes candidates (deduplicated by real path) a few at a time and
// returns the usable builds, oldest version first.
func probeAll(ctx context.Context, p *prober, lang string, candidates []string, log *slog.Logger) []probe {
	seen := map[string]bool{}
	var reals []string
	for _, c := range candidates {
		real, err := realPath(c)
		if err != nil || seen[real] {
			continue
		}
		seen[real] = true
		reals = append(reals, real)
	}
	var (
		mu     sync.Mutex
		builds []probe
		wg     sync.WaitGroup
		slots  = make(chan struct{}, 4)
	)
	for _, real := range reals {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			pr, err := p.probe(ctx, real, lang)
			if err != nil {
				level := slog.LevelWarn
				if errors.Is(err, ErrNotInterpreter) {
					level = slog.LevelDebug // shims and wrappers are expected
				}
				log.Log(ctx, level, "runtimes: skipping interpreter", "path", real, "error", err)
				return
			}
			v, _ := parseSemver(pr.Version) // probe checked it
			if v.less(minimumVersion(lang)) {
				log.Debug("runtimes: interpreter too old for lambkin's bootstrap", "path", real, "version", pr.Version)
				return
			}
			mu.Lock()
			builds = append(builds, pr)
			mu.Unlock()
		}()
	}
	wg.Wait()
	sortBuilds(builds)
	return builds
}

// sortBuilds orders builds oldest first; the last one is the best.
func sortBuilds(builds []probe) {
	sort.Slice(builds, func(i, j int) bool { return betterBuild(builds[j], builds[i]) })
}

// betterBuild says whether a should be preferred over b: the newer version,
// then (for a deterministic choice) the lexically smaller path.
func betterBuild(a, b probe) bool {
	va, _ := parseSemver(a.Version)
	vb, _ := parseSemver(b.Version)
	if c := va.compare(vb); c != 0 {
		return c > 0
	}
	return a.Path < b.Path
}

// candidatesFor picks the builds that serve a runtime: every exact match,
// or else (unless strict) the best build of the closest version.
func candidatesFor(spec runtimeSpec, builds []probe, strict bool) (picked []probe, exact bool) {
	for _, b := range builds {
		v, _ := parseSemver(b.Version)
		if spec.matches(v) {
			picked = append(picked, b)
		}
	}
	if len(picked) > 0 || strict {
		return picked, true
	}
	if best, ok := closest(spec, builds); ok {
		return []probe{best}, false
	}
	return nil, false
}

// closest returns the build nearest to the runtime's version: the smallest
// distance, the newer version on ties, the best build of that version.
func closest(spec runtimeSpec, builds []probe) (probe, bool) {
	var (
		best  probe
		bestD = -1
	)
	for _, b := range builds {
		v, _ := parseSemver(b.Version)
		d, ok := spec.distance(v)
		if !ok {
			continue
		}
		if bestD < 0 || d < bestD || (d == bestD && betterBuild(b, best)) {
			best, bestD = b, d
		}
	}
	return best, bestD >= 0
}

// globAll is filepath.Glob without the error (patterns here are fixed).
func globAll(pattern string) []string {
	m, _ := filepath.Glob(pattern)
	return m
}

// lookPath finds the first executable of names in dirs, like exec.LookPath
// but on the given PATH.
func lookPath(dirs []string, names ...string) string {
	for _, dir := range dirs {
		for _, n := range names {
			f := filepath.Join(dir, n)
			if fi, err := os.Stat(f); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
				return f
			}
		}
	}
	return ""
}

// describe is a build for humans: "Python 3.13.0 (/usr/bin/python3.13)".
func describe(b probe) string {
	name := "Python"
	if b.Lang == LangNode {
		name = "Node.js"
	}
	return name + " " + b.Version + " (" + b.Path + ")"
}
