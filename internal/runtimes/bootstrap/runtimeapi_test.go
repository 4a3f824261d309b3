package bootstrap

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// How long a test waits for a runtime to do something before failing.
const waitLimit = 20 * time.Second

// fakeRuntimeAPI stands in for lambkin's Runtime API server: /next hands out
// queued invocations and every post the runtime makes is recorded.
type fakeRuntimeAPI struct {
	server    *httptest.Server
	invokes   chan invocation
	posts     chan runtimePost
	firstNext chan time.Time // receives the arrival time of the first /next
	nextSeen  sync.Once
	closing   chan struct{}

	mu    sync.Mutex
	conns map[string]bool // client addresses seen
}

// invocation is one event handed to the runtime with its /next headers.
type invocation struct {
	RequestID     string
	Event         string
	TraceID       string
	ClientContext string
	Identity      string
	Timeout       time.Duration // deadline = delivery time + Timeout; default 30 s
}

// runtimePost is what the runtime sent to /response, /error or /init/error.
type runtimePost struct {
	Kind      string // "response", "error" or "init/error"
	RequestID string
	Header    http.Header
	Body      []byte
}

func newFakeRuntimeAPI(t *testing.T) *fakeRuntimeAPI {
	t.Helper()
	f := &fakeRuntimeAPI{
		invokes:   make(chan invocation),
		posts:     make(chan runtimePost, 16),
		firstNext: make(chan time.Time, 1),
		closing:   make(chan struct{}),
		conns:     map[string]bool{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", f.next)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", f.record("response"))
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", f.record("error"))
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", f.record("init/error"))
	f.server = httptest.NewServer(mux)
	t.Cleanup(func() {
		close(f.closing) // releases /next calls still parked
		f.server.Close()
	})
	return f
}

// Address is the host:port for AWS_LAMBDA_RUNTIME_API.
func (f *fakeRuntimeAPI) Address() string {
	return strings.TrimPrefix(f.server.URL, "http://")
}

// Connections counts the TCP connections the runtime has used.
func (f *fakeRuntimeAPI) Connections() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.conns)
}

func (f *fakeRuntimeAPI) sawConnection(r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.conns[r.RemoteAddr] = true
}

func (f *fakeRuntimeAPI) next(w http.ResponseWriter, r *http.Request) {
	f.sawConnection(r)
	f.nextSeen.Do(func() { f.firstNext <- time.Now() })
	var inv invocation
	select {
	case inv = <-f.invokes:
	case <-r.Context().Done():
		return
	case <-f.closing:
		return
	}
	timeout := inv.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	h := w.Header()
	h.Set("Lambda-Runtime-Aws-Request-Id", inv.RequestID)
	h.Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(timeout).UnixMilli(), 10))
	h.Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:fn")
	h.Set("Content-Type", "application/json")
	for name, value := range map[string]string{
		"Lambda-Runtime-Trace-Id":         inv.TraceID,
		"Lambda-Runtime-Client-Context":   inv.ClientContext,
		"Lambda-Runtime-Cognito-Identity": inv.Identity,
	} {
		if value != "" {
			h.Set(name, value)
		}
	}
	io.WriteString(w, inv.Event)
}

func (f *fakeRuntimeAPI) record(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.sawConnection(r)
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.posts <- runtimePost{Kind: kind, RequestID: r.PathValue("id"), Header: r.Header.Clone(), Body: body}
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"status":"OK"}`)
	}
}

// Invoke hands inv to the runtime's next /next call and returns the post
// that ends it.
func (f *fakeRuntimeAPI) Invoke(t *testing.T, p *runtimeProcess, inv invocation) runtimePost {
	t.Helper()
	select {
	case f.invokes <- inv:
	case <-p.exited:
		t.Fatalf("runtime exited before taking invoke %s: %v\nstdout:\n%s\nstderr:\n%s", inv.RequestID, p.err, p.stdout, p.stderr)
	case <-time.After(waitLimit):
		t.Fatalf("runtime did not ask for invoke %s\nstdout:\n%s\nstderr:\n%s", inv.RequestID, p.stdout, p.stderr)
	}
	return f.NextPost(t, p)
}

// NextPost waits for the runtime's next post.
func (f *fakeRuntimeAPI) NextPost(t *testing.T, p *runtimeProcess) runtimePost {
	t.Helper()
	select {
	case post := <-f.posts:
		return post
	case <-p.exited:
		// The post may have landed just before the exit.
		select {
		case post := <-f.posts:
			return post
		default:
		}
		t.Fatalf("runtime exited without posting: %v\nstdout:\n%s\nstderr:\n%s", p.err, p.stdout, p.stderr)
	case <-time.After(waitLimit):
		t.Fatalf("runtime posted nothing\nstdout:\n%s\nstderr:\n%s", p.stdout, p.stderr)
	}
	panic("unreachable")
}

// runtimeProcess is a bootstrap running as a child process.
type runtimeProcess struct {
	cmd     *exec.Cmd
	started time.Time
	stdout  *outputBuffer
	stderr  *outputBuffer
	exited  chan struct{} // closed once the process has been waited for
	err     error         // the Wait result, once exited is closed
}

// startRuntime runs argv in dir with the Lambda environment pointing at api
// plus extra variables; the process is killed when the test ends.
func startRuntime(t *testing.T, api *fakeRuntimeAPI, dir string, argv []string, extra map[string]string) *runtimeProcess {
	t.Helper()
	env := map[string]string{
		"PATH":                            os.Getenv("PATH"),
		"AWS_LAMBDA_RUNTIME_API":          api.Address(),
		"LAMBDA_TASK_ROOT":                dir,
		"AWS_LAMBDA_FUNCTION_NAME":        "fn",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/fn",
		"AWS_LAMBDA_LOG_STREAM_NAME":      "2026/01/02/[$LATEST]0123456789abcdef",
	}
	for k, v := range extra {
		env[k] = v
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	p := &runtimeProcess{cmd: cmd, stdout: newOutputBuffer(), stderr: newOutputBuffer(), exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", argv, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.exited
	})
	return p
}

// ExitCode waits for the process to exit on its own and returns its status.
func (p *runtimeProcess) ExitCode(t *testing.T) int {
	t.Helper()
	select {
	case <-p.exited:
		return p.cmd.ProcessState.ExitCode()
	case <-time.After(waitLimit):
		t.Fatalf("runtime did not exit\nstdout:\n%s\nstderr:\n%s", p.stdout, p.stderr)
	}
	panic("unreachable")
}

// outputBuffer collects a child's output and wakes waiters on every write.
type outputBuffer struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	written chan struct{}
}

func newOutputBuffer() *outputBuffer {
	return &outputBuffer{written: make(chan struct{}, 1)}
}

func (b *outputBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	select {
	case b.written <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (b *outputBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// WaitFor returns the output once it contains want; a runtime writes its
// logs before the post they belong to, but they travel through a pipe.
func (b *outputBuffer) WaitFor(t *testing.T, want string) string {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		if out := b.String(); strings.Contains(out, want) {
			return out
		}
		select {
		case <-b.written:
		case <-deadline:
			t.Fatalf("output never contained %q; got:\n%s", want, b.String())
		}
	}
}

// writeTree creates files (relative path → content) under a new temp dir.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, content := range files {
		path := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// runtimeDir installs the bootstraps into a fresh directory, as lambkin does.
func runtimeDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "runtime")
	if err := Install(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// lineOf returns the 1-based line of the first line of source containing s.
func lineOf(t *testing.T, source, s string) int {
	t.Helper()
	for i, line := range strings.Split(source, "\n") {
		if strings.Contains(line, s) {
			return i + 1
		}
	}
	t.Fatalf("fixture has no line containing %q", s)
	return 0
}

func requestID(n int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", n) }
