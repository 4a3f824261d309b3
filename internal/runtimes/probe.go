package runtimes

import (
	"bytes"
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// probe is what lambkin knows about one interpreter binary. It is cached in
// the catalog file by real path, size and modification time, so each build
// is run and hashed once, not at every start.
type probe struct {
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	ModTime int64  `json:"mtimeNs"`
	Lang    string `json:"language"`
	// Version is the interpreter's version ("3.11.7", "20.20.2").
	Version string `json:"version"`
	// Build is the interpreter's full version banner (Python's sys.version),
	// which tells apart builds of the same version.
	Build   string `json:"build"`
	SHA256  string `json:"sha256"`
	Machine string `json:"machine"`
}

// ErrNotInterpreter means a path is not a usable interpreter binary: a
// script (such as a pyenv shim), not executable, or the wrong language.
var ErrNotInterpreter = errors.New("not an interpreter binary")

// Python 2 compatible on purpose, so a Python 2 binary reports itself
// instead of failing with a syntax error.
const pythonProbe = `import sys
v = sys.version_info
tag = {'alpha': 'a', 'beta': 'b', 'candidate': 'rc'}.get(v[3], '')
print('%d.%d.%d%s' % (v[0], v[1], v[2], tag and tag + str(v[4])))
print(getattr(getattr(sys, 'implementation', None), 'name', 'cpython'))
print(sys.version.replace('\n', ' '))`

// probeTimeout bounds one interpreter run; a healthy one takes ~10 ms.
const probeTimeout = 10 * time.Second

// prober probes interpreters and remembers the results.
type prober struct {
	mu    sync.Mutex
	cache map[string]probe // by real path
}

func newProber(cached map[string]probe) *prober {
	p := &prober{cache: make(map[string]probe, len(cached))}
	for path, pr := range cached {
		p.cache[path] = pr
	}
	return p
}

// snapshot returns the cache for persisting.
func (p *prober) snapshot() map[string]probe {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]probe, len(p.cache))
	for k, v := range p.cache {
		out[k] = v
	}
	return out
}

// realPath resolves every symlink: interpreters are always recorded and run
// by their real file.
func realPath(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(abs)
}

// probe returns what path is, running it only when the cache has nothing for
// its current size and modification time.
func (p *prober) probe(ctx context.Context, path, lang string) (probe, error) {
	real, err := realPath(path)
	if errors.Is(err, fs.ErrNotExist) {
		return probe{}, fmt.Errorf("%s does not exist", path)
	}
	if err != nil {
		return probe{}, fmt.Errorf("%s: %w", path, err)
	}
	fi, err := os.Stat(real)
	if err != nil {
		return probe{}, fmt.Errorf("%s: %w", path, err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return probe{}, fmt.Errorf("%s: %w (not an executable file)", real, ErrNotInterpreter)
	}
	p.mu.Lock()
	cached, ok := p.cache[real]
	p.mu.Unlock()
	if ok && cached.Size == fi.Size() && cached.ModTime == fi.ModTime().UnixNano() {
		if cached.Lang != lang {
			return probe{}, fmt.Errorf("%s: %w (a %s interpreter, not %s)", real, ErrNotInterpreter, cached.Lang, lang)
		}
		return cached, nil
	}

	pr := probe{Path: real, Size: fi.Size(), ModTime: fi.ModTime().UnixNano(), Lang: lang}
	if pr.Machine, err = elfMachine(real); err != nil {
		return probe{}, err
	}
	switch lang {
	case LangPython:
		err = probePython(ctx, &pr)
	case LangNode:
		err = probeNode(ctx, &pr)
	default:
		err = fmt.Errorf("%s: lambkin cannot probe %s interpreters", real, lang)
	}
	if err != nil {
		return probe{}, err
	}
	if pr.SHA256, err = fileSHA256(real); err != nil {
		return probe{}, err
	}
	p.mu.Lock()
	p.cache[real] = pr
	p.mu.Unlock()
	return pr, nil
}

// elfMachine checks that path is an ELF binary (pyenv shims and other
// wrapper scripts are not) and returns its architecture.
func elfMachine(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		var fe *elf.FormatError
		if errors.As(err, &fe) {
			return "", fmt.Errorf("%s: %w (not an ELF binary; a shim or script?)", path, ErrNotInterpreter)
		}
		return "", err
	}
	defer f.Close()
	switch f.Machine {
	case elf.EM_X86_64:
		return "x86_64", nil
	case elf.EM_AARCH64:
		return "arm64", nil
	}
	return strings.ToLower(strings.TrimPrefix(f.Machine.String(), "EM_")), nil
}

func probePython(ctx context.Context, pr *probe) error {
	// -S -E: skip site (a .pth can cost 30 ms) and PYTHON* variables.
	out, err := run(ctx, pr.Path, "-S", "-E", "-c", pythonProbe)
	if err != nil {
		return fmt.Errorf("%s: %w (running it as Python failed: %v)", pr.Path, ErrNotInterpreter, err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		return fmt.Errorf("%s: %w (unexpected version output %q)", pr.Path, ErrNotInterpreter, out)
	}
	if _, err := parseSemver(lines[0]); err != nil {
		return fmt.Errorf("%s: %w (%v)", pr.Path, ErrNotInterpreter, err)
	}
	pr.Version = lines[0]
	pr.Build = strings.TrimSpace(lines[2])
	if impl := strings.TrimSpace(lines[1]); impl != "cpython" {
		pr.Build = impl + " " + pr.Build
	}
	return nil
}

func probeNode(ctx context.Context, pr *probe) error {
	out, err := run(ctx, pr.Path, "--version")
	if err != nil {
		return fmt.Errorf("%s: %w (running it as Node.js failed: %v)", pr.Path, ErrNotInterpreter, err)
	}
	out = strings.TrimSpace(out)
	if !strings.HasPrefix(out, "v") || strings.Contains(out, "\n") {
		return fmt.Errorf("%s: %w (unexpected version output %q)", pr.Path, ErrNotInterpreter, out)
	}
	if _, err := parseSemver(out); err != nil {
		return fmt.Errorf("%s: %w (%v)", pr.Path, ErrNotInterpreter, err)
	}
	pr.Version = strings.TrimPrefix(out, "v")
	pr.Build = "node " + out
	return nil
}

// run executes an interpreter with an empty environment (NODE_OPTIONS and
// friends must not change what it reports) and returns its stdout.
func run(ctx context.Context, path string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = []string{"LC_ALL=C"}
	cmd.Dir = "/"
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(stderr.String()); msg != "" {
			return "", fmt.Errorf("%v: %s", err, firstLine(msg))
		}
		return "", err
	}
	return stdout.String(), nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// fingerprintSample is how much of each end of a binary its fingerprint reads.
const fingerprintSample = 4 << 20

// fileSHA256 fingerprints an interpreter binary: the SHA-256 of its size
// and of its first and last 4 MiB. Two builds of an interpreter differ
// there (headers, build ids, version strings), and hashing all of a 100 MB
// node binary would cost a fresh server's start-up a tenth of a second.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "size %d\n", fi.Size())
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, min(fi.Size(), fingerprintSample))); err != nil {
		return "", fmt.Errorf("hash %s: %w", path, err)
	}
	if tail := fi.Size() - fingerprintSample; tail > fingerprintSample {
		if _, err := io.Copy(h, io.NewSectionReader(f, tail, fingerprintSample)); err != nil {
			return "", fmt.Errorf("hash %s: %w", path, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
