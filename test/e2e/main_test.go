// Package e2e builds the real lambkin binary, starts it as a separate
// process and drives it with the real clients installed on this machine:
// the AWS CLI (v1), boto3 and aws-sdk-go-v2.
package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"
)

// binary is the lambkin built once for the whole test run.
var binary string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "lambkin-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "lambkin")
	start := time.Now()
	build := exec.Command("go", "build", "-o", binary, "./cmd/lambkin")
	build.Dir = filepath.Join("..", "..")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building lambkin:", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "e2e: built %s in %v\n", binary, time.Since(start).Round(time.Millisecond))
	return m.Run()
}

// ---------------------------------------------------------------------------
// The server process

// server is one running `lambkin serve` process.
type server struct {
	t        testing.TB
	cmd      *exec.Cmd
	Pid      int
	URL      string // http://127.0.0.1:port
	DataDir  string
	LogPath  string
	Startup  time.Duration // from exec to /_lambkin/health 200
	exited   chan struct{}
	exitCode int
}

var listenRE = regexp.MustCompile(`msg="lambkin serving".* listen=(\S+)`)

// startServer starts lambkin on a free loopback port with dataDir ("" for
// a fresh one) and waits until /_lambkin/health answers 200. The process
// is killed when the test ends.
func startServer(t testing.TB, dataDir string, args ...string) *server {
	t.Helper()
	if dataDir == "" {
		dataDir = filepath.Join(t.TempDir(), "data")
	}
	logf, err := os.CreateTemp(t.TempDir(), "lambkin-*.log")
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	argv := append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir}, args...)
	cmd := exec.Command(binary, argv...)
	// A file, not a pipe: Wait must never wait for a descendant that
	// inherited the server's stderr.
	cmd.Stdout, cmd.Stderr = logf, logf
	s := &server{t: t, cmd: cmd, DataDir: dataDir, LogPath: logf.Name(), exited: make(chan struct{})}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.Pid = cmd.Process.Pid
	go func() {
		err := cmd.Wait()
		s.exitCode = 0
		if err != nil {
			s.exitCode = -1
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				s.exitCode = ee.ExitCode()
			}
		}
		close(s.exited)
	}()
	t.Cleanup(func() {
		if !s.Exited() {
			s.cmd.Process.Kill()
			<-s.exited
		}
		if t.Failed() {
			s.dumpLog(40)
		}
	})
	hc := &http.Client{Timeout: time.Second}
	deadline := t0.Add(15 * time.Second)
	for {
		if s.URL == "" {
			if b, _ := os.ReadFile(s.LogPath); b != nil {
				if m := listenRE.FindSubmatch(b); m != nil {
					s.URL = "http://" + string(m[1])
				}
			}
		}
		if s.URL != "" {
			if resp, err := hc.Get(s.URL + "/_lambkin/health"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					s.Startup = time.Since(t0)
					return s
				}
			}
		}
		select {
		case <-s.exited:
			s.dumpLog(40)
			t.Fatalf("lambkin exited with %d before it was healthy", s.exitCode)
		default:
		}
		if time.Now().After(deadline) {
			s.dumpLog(40)
			t.Fatal("lambkin did not become healthy within 15s")
		}
		time.Sleep(3 * time.Millisecond)
	}
}

func (s *server) Exited() bool {
	select {
	case <-s.exited:
		return true
	default:
		return false
	}
}

// Terminate sends SIGTERM and waits up to limit for the process to exit. It
// returns the exit code and how long the exit took.
func (s *server) Terminate(limit time.Duration) (code int, took time.Duration) {
	s.t.Helper()
	t0 := time.Now()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatal(err)
	}
	select {
	case <-s.exited:
		return s.exitCode, time.Since(t0)
	case <-time.After(limit):
		s.t.Errorf("lambkin (pid %d) still running %v after SIGTERM", s.Pid, limit)
		s.cmd.Process.Kill()
		<-s.exited
		return s.exitCode, time.Since(t0)
	}
}

// Kill sends SIGKILL and waits for the process to be reaped.
func (s *server) Kill() {
	s.cmd.Process.Kill()
	<-s.exited
}

func (s *server) dumpLog(lines int) {
	b, _ := os.ReadFile(s.LogPath)
	all := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	s.t.Logf("last lines of lambkin log (pid %d, %s):\n%s", s.Pid, s.LogPath, strings.Join(all, "\n"))
}

// ---------------------------------------------------------------------------
// Clients

const role = "arn:aws:iam::000000000000:role/lambda-role"

// clientEnv is the environment of the AWS CLI and boto3: fixed credentials,
// no shared config files of the machine.
func clientEnv(t testing.TB, region string) []string {
	dir := t.TempDir()
	env := []string{}
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"AWS_ACCESS_KEY_ID=x", "AWS_SECRET_ACCESS_KEY=x", "AWS_DEFAULT_REGION="+region,
		"AWS_CONFIG_FILE="+filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
	)
}

// cliError is a failed AWS CLI command.
type cliError struct {
	Code   int
	Stderr string
}

func (e *cliError) Error() string { return fmt.Sprintf("aws exited %d: %s", e.Code, e.Stderr) }

// awsCLI runs `aws --endpoint-url URL lambda ARGS...` in region and
// decodes its JSON output (nil when it printed nothing).
func awsCLI(t testing.TB, s *server, region string, args ...string) (map[string]any, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	argv := append([]string{"--endpoint-url", s.URL, "--region", region, "--output", "json", "lambda"}, args...)
	cmd := exec.CommandContext(ctx, "aws", argv...)
	cmd.Env = clientEnv(t, region)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		code := -1
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
		}
		return nil, &cliError{Code: code, Stderr: strings.TrimSpace(stderr.String())}
	}
	if strings.TrimSpace(stdout.String()) == "" {
		return nil, nil
	}
	var out map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return nil, fmt.Errorf("aws %s: output is not JSON: %v\n%s", strings.Join(args, " "), err, stdout.String())
	}
	return out, nil
}

// mustCLI is awsCLI that fails the test on error.
func mustCLI(t testing.TB, s *server, args ...string) map[string]any {
	t.Helper()
	out, err := awsCLI(t, s, "us-east-1", args...)
	if err != nil {
		t.Fatalf("aws lambda %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// sharedHTTP carries every Go SDK client: enough idle connections for the
// concurrency tests.
var sharedHTTP = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
	tr.MaxIdleConns = 256
	tr.MaxIdleConnsPerHost = 256
}).WithTimeout(30 * time.Second)

// goClient is an aws-sdk-go-v2 Lambda client for s in region that never
// retries, so tests see every status code the server returns.
func goClient(s *server, region string) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:       region,
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("x", "x", ""),
		Retryer:      aws.NopRetryer{},
		HTTPClient:   sharedHTTP,
	})
}

// statusOf is the HTTP status of an SDK call's outcome: 200 for success, 0
// when no response arrived (connection refused or reset).
func statusOf(err error) int {
	if err == nil {
		return 200
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// codeOf is the AWS error code of err ("" when none).
func codeOf(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// waitConfig polls GetFunctionConfiguration until State is Active and
// LastUpdateStatus is Successful (or absent), within limit.
func waitReady(t testing.TB, c *lambda.Client, name string, limit time.Duration) *lambda.GetFunctionConfigurationOutput {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		out, err := c.GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{FunctionName: &name})
		if err != nil {
			t.Fatalf("GetFunctionConfiguration(%s): %v", name, err)
		}
		if out.State == "Active" && (out.LastUpdateStatus == "" || out.LastUpdateStatus == "Successful") {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready after %v: State=%s LastUpdateStatus=%s", name, limit, out.State, out.LastUpdateStatus)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// ---------------------------------------------------------------------------
// Function code

const echoV1 = `import os

def handler(event, context):
    return {"echo": event, "greeting": os.environ.get("GREETING"), "code": 1}
`

const echoV2 = `import os

def handler(event, context):
    return {"echo": event, "greeting": os.environ.get("GREETING"), "code": 2}
`

// zipOf returns a deployment package with lambda_function.py = src.
func zipOf(t testing.TB, src string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("lambda_function.py")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(src)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeZip writes zipOf(src) to a temporary file and returns its path.
func writeZip(t testing.TB, src string) (path string, content []byte) {
	t.Helper()
	content = zipOf(t, src)
	path = filepath.Join(t.TempDir(), "function.zip")
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return path, content
}

// ---------------------------------------------------------------------------
// Processes

// proc identifies a process across pid reuse.
type proc struct {
	PID       int
	StartTime string // field 22 of /proc/PID/stat
	Cmdline   string
}

// procStat returns the parent pid, state and start time of pid.
func procStat(pid int) (ppid int, state, start string, ok bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, "", "", false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, "", "", false
	}
	f := strings.Fields(s[i+1:]) // f[0] is field 3 (state)
	if len(f) < 20 {
		return 0, "", "", false
	}
	ppid, _ = strconv.Atoi(f[1])
	return ppid, f[0], f[19], true
}

// descendants lists the live processes whose parent chain leads to root.
func descendants(root int) []proc {
	entries, _ := os.ReadDir("/proc")
	parent := map[int]int{}
	info := map[int]proc{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		ppid, state, start, ok := procStat(pid)
		if !ok || state == "Z" || state == "X" {
			continue
		}
		parent[pid] = ppid
		cmd, _ := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		info[pid] = proc{PID: pid, StartTime: start, Cmdline: strings.TrimSpace(string(bytes.ReplaceAll(cmd, []byte{0}, []byte{' '})))}
	}
	var out []proc
	for pid := range parent {
		for p, hops := parent[pid], 0; p > 1 && hops < 64; p, hops = parent[p], hops+1 {
			if p == root {
				out = append(out, info[pid])
				break
			}
		}
	}
	return out
}

// alive reports whether p still runs (not a zombie, not reused).
func (p proc) alive() bool {
	_, state, start, ok := procStat(p.PID)
	return ok && start == p.StartTime && state != "Z" && state != "X"
}

// waitGone waits up to limit until none of procs is alive and returns the
// survivors.
func waitGone(procs []proc, limit time.Duration) []proc {
	deadline := time.Now().Add(limit)
	for {
		var left []proc
		for _, p := range procs {
			if p.alive() {
				left = append(left, p)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// ---------------------------------------------------------------------------
// Small things

// statusCounter counts HTTP statuses seen by concurrent goroutines.
type statusCounter struct {
	mu       sync.Mutex
	counts   map[int]int
	fiveXX   []string // calls answered with a 5xx
	noAnswer []string // calls that got no response
}

func (c *statusCounter) add(err error) int {
	st := statusOf(err)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.counts == nil {
		c.counts = map[int]int{}
	}
	c.counts[st]++
	switch {
	case st >= 500:
		c.fiveXX = append(c.fiveXX, err.Error())
	case st == 0:
		c.noAnswer = append(c.noAnswer, err.Error())
	}
	return st
}

// failures lists the calls that got a 5xx or no response at all.
func (c *statusCounter) failures() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append(append([]string(nil), c.fiveXX...), c.noAnswer...)
}

// runBinary runs lambkin with args and returns its standard output.
func runBinary(args ...string) (string, error) {
	out, err := exec.Command(binary, args...).Output()
	return string(out), err
}
