package runtimes

import "fmt"

// Languages a runtime identifier belongs to (Version.Language).
const (
	LangPython   = "python"
	LangNode     = "nodejs"
	LangProvided = "provided"
	LangJava     = "java"
	LangRuby     = "ruby"
	LangDotnet   = "dotnet"
)

// Bootstrap kinds (Version.Bootstrap): which of lambkin's bootstraps a
// version runs. provided.* versions have none.
const (
	BootstrapPython = "python"
	BootstrapNode   = "node"
)

// minimumVersion is the oldest interpreter lambkin's bootstrap for lang runs
// on (bootstrap.py: Python 3.8; index.mjs: the oldest Node.js runtime AWS
// still accepts); older builds are never used, not even as a closest match.
func minimumVersion(lang string) semver {
	switch lang {
	case LangPython:
		return semver{nums: [3]int{3, 8, 0}}
	case LangNode:
		return semver{nums: [3]int{16, 0, 0}}
	}
	return semver{}
}

// runtimeSpec describes one runtime identifier.
type runtimeSpec struct {
	id        string
	lang      string
	major     int // python3.13: 3; nodejs20.x: 20; java21: 21
	minor     int // python3.13: 13; -1 where only the major counts
	name      string
	bootstrap string
	// install says how to get an interpreter, for unavailable reasons.
	install string
}

// runtimeTable lists the runtime identifiers AWS accepts today, in the
// order `lambkin runtimes list` shows them.
var runtimeTable = buildTable()

func buildTable() []runtimeSpec {
	var t []runtimeSpec
	for minor := 8; minor <= 14; minor++ {
		v := fmt.Sprintf("3.%d", minor)
		t = append(t, runtimeSpec{
			id: "python" + v, lang: LangPython, major: 3, minor: minor,
			name: "Python " + v, bootstrap: BootstrapPython,
			install: fmt.Sprintf("install Python %s (e.g. `pyenv install %s` or `apt-get install python%s` where the distribution has it)", v, v, v),
		})
	}
	for _, major := range []int{16, 18, 20, 22, 24} {
		t = append(t, runtimeSpec{
			id: fmt.Sprintf("nodejs%d.x", major), lang: LangNode, major: major, minor: -1,
			name: fmt.Sprintf("Node.js %d", major), bootstrap: BootstrapNode,
			install: fmt.Sprintf("install Node.js %d (e.g. `nvm install %d`, or a release from https://nodejs.org/)", major, major),
		})
	}
	for _, base := range []string{"al2", "al2023"} {
		t = append(t, runtimeSpec{id: "provided." + base, lang: LangProvided, minor: -1, name: "OS-only runtime " + base})
	}
	for _, major := range []int{8, 11, 17, 21, 25} {
		id := fmt.Sprintf("java%d", major)
		if major == 8 {
			id = "java8.al2"
		}
		t = append(t, runtimeSpec{
			id: id, lang: LangJava, major: major, minor: -1, name: fmt.Sprintf("Java %d", major),
			install: fmt.Sprintf("install a JDK %d (e.g. `apt-get install openjdk-%d-jdk-headless`)", major, major),
		})
	}
	for _, v := range [][2]int{{3, 2}, {3, 3}, {3, 4}, {4, 0}} {
		t = append(t, runtimeSpec{
			id: fmt.Sprintf("ruby%d.%d", v[0], v[1]), lang: LangRuby, major: v[0], minor: v[1],
			name:    fmt.Sprintf("Ruby %d.%d", v[0], v[1]),
			install: fmt.Sprintf("install Ruby %d.%d (e.g. `rbenv install %d.%d`)", v[0], v[1], v[0], v[1]),
		})
	}
	for _, major := range []int{6, 8, 10} {
		t = append(t, runtimeSpec{
			id: fmt.Sprintf("dotnet%d", major), lang: LangDotnet, major: major, minor: -1,
			name:    fmt.Sprintf(".NET %d", major),
			install: fmt.Sprintf("install the .NET %d runtime (e.g. `apt-get install dotnet-runtime-%d.0` from Microsoft's package feed)", major, major),
		})
	}
	return t
}

// lookupRuntime returns the spec of a runtime identifier.
func lookupRuntime(id string) (runtimeSpec, bool) {
	for _, s := range runtimeTable {
		if s.id == id {
			return s, true
		}
	}
	return runtimeSpec{}, false
}

// RuntimeIDs returns every runtime identifier the catalog knows, in display
// order.
func RuntimeIDs() []string {
	ids := make([]string, len(runtimeTable))
	for i, s := range runtimeTable {
		ids[i] = s.id
	}
	return ids
}

// runnable reports whether lambkin has a way to run the runtime at all.
func (s runtimeSpec) runnable() bool {
	return s.lang == LangProvided || s.bootstrap != ""
}

// matches reports whether an interpreter version is the one the runtime
// names (python3.11: any 3.11.x; nodejs20.x: any 20.x.y).
func (s runtimeSpec) matches(v semver) bool {
	if v.nums[0] != s.major {
		return false
	}
	return s.minor < 0 || v.nums[1] == s.minor
}

// distance is how far an interpreter is from the runtime's version, in the
// unit that names runtimes (minor versions for Python, majors for Node.js).
// ok is false when the interpreter can never serve the runtime.
func (s runtimeSpec) distance(v semver) (d int, ok bool) {
	if v.less(minimumVersion(s.lang)) {
		return 0, false
	}
	if s.minor < 0 {
		return abs(v.nums[0] - s.major), true
	}
	if v.nums[0] != s.major { // never Python 2 (or 4) for python3.x
		return 0, false
	}
	return abs(v.nums[1] - s.minor), true
}

// labelPrefix is the language part of labels (python:3.13.1.v4).
func (s runtimeSpec) labelPrefix() string {
	return s.lang
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
