package bench

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambkin/lambkin/internal/sandbox"
	"github.com/lambkin/lambkin/internal/testserver"
)

// pkgDir is this package's directory, where `go build` runs.
var pkgDir string

func TestMain(m *testing.M) {
	sandbox.Init()
	pkgDir, _ = os.Getwd()
	code := m.Run()
	cleanupBuilds()
	os.Exit(code)
}

// clients is the number of concurrent clients the throughput targets name.
const clients = 16

var ctx = context.Background()

// ---- running operations concurrently ----

// result is what a concurrent run measured.
type result struct {
	elapsed  time.Duration
	lat      []time.Duration // latency of every successful operation
	errs     int64
	firstErr error
}

// run performs n operations with c workers, each worker calling op(w, i)
// for the operation numbers it claims. Latencies of successful operations
// are recorded.
func run(n, c int, op func(w, i int) error) result {
	var (
		next     atomic.Int64
		errs     atomic.Int64
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	lats := make([][]time.Duration, c)
	start := time.Now()
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				t0 := time.Now()
				err := op(w, i)
				d := time.Since(t0)
				if err != nil {
					if errs.Add(1) == 1 {
						mu.Lock()
						firstErr = err
						mu.Unlock()
					}
					continue
				}
				lats[w] = append(lats[w], d)
			}
		}(w)
	}
	wg.Wait()
	r := result{elapsed: time.Since(start), errs: errs.Load(), firstErr: firstErr}
	for _, l := range lats {
		r.lat = append(r.lat, l...)
	}
	sort.Slice(r.lat, func(i, j int) bool { return r.lat[i] < r.lat[j] })
	return r
}

// percentile of sorted latencies, in milliseconds.
func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p * float64(len(sorted)-1))
	return ms(sorted[i])
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// report reports the rate of successful operations and their latency.
func (r result) report(b *testing.B, prefix string) {
	b.ReportMetric(float64(len(r.lat))/r.elapsed.Seconds(), prefix+"ops/s")
	b.ReportMetric(percentile(r.lat, 0.50), prefix+"p50_ms")
	b.ReportMetric(percentile(r.lat, 0.99), prefix+"p99_ms")
}

// mustRun fails the benchmark when any operation failed.
func mustRun(tb testing.TB, n, c int, op func(w, i int) error) result {
	tb.Helper()
	r := run(n, c, op)
	if r.errs > 0 {
		tb.Fatalf("%d of %d operations failed; first: %v", r.errs, n, r.firstErr)
	}
	return r
}

// ---- clients and servers ----

// newClient is an SDK client for a lambkin at url, with its own connection
// pool, no retries.
func newClient(url string) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDLAMBKIN", "secret", ""),
		HTTPClient:   &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}},
		Retryer:      aws.NopRetryer{},
	})
}

// newClients returns n independent clients (one connection pool each).
func newClients(url string, n int) []*lambda.Client {
	cs := make([]*lambda.Client, n)
	for i := range cs {
		cs[i] = newClient(url)
	}
	return cs
}

// startServer starts an in-process lambkin for a benchmark.
func startServer(tb testing.TB, opts ...testserver.Option) (*testserver.Server, []*lambda.Client) {
	tb.Helper()
	s := testserver.Start(tb, opts...)
	return s, newClients(s.URL, clients)
}

var (
	buildMu  sync.Mutex
	buildDir string
	built    = map[string]string{}
)

// build builds a package of this module once per test binary run and
// returns the executable's path.
func build(tb testing.TB, pkg string, env ...string) string {
	tb.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := built[pkg]; ok {
		return p
	}
	if buildDir == "" {
		d, err := os.MkdirTemp("", "lambkin-bench-")
		if err != nil {
			tb.Fatal(err)
		}
		buildDir = d
	}
	out := filepath.Join(buildDir, fmt.Sprintf("bin%d", len(built)))
	cmd := exec.Command("go", "build", "-o", out)
	cmd.Args = append(cmd.Args, strings.Fields(os.Getenv("BENCH_BUILD_FLAGS"))...)
	if strings.HasPrefix(pkg, "./") {
		cmd.Args = append(cmd.Args, "-tags", "lambda.norpc")
	}
	cmd.Args = append(cmd.Args, pkg)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = pkgDir
	if b, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	built[pkg] = out
	return out
}

func cleanupBuilds() {
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
}

// lambkinBinary is the built lambkin command.
func lambkinBinary(tb testing.TB) string {
	tb.Helper()
	// lambkin-init next to lambkin is what environments start from.
	init := build(tb, "github.com/lambkin/lambkin/cmd/lambkin-init")
	bin := build(tb, "github.com/lambkin/lambkin/cmd/lambkin")
	dir := filepath.Join(buildDir, "lambkin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	for src, name := range map[string]string{init: "lambkin-init", bin: "lambkin"} {
		if err := os.Link(src, filepath.Join(dir, name)); err != nil && !os.IsExist(err) {
			tb.Fatal(err)
		}
	}
	return filepath.Join(dir, "lambkin")
}

// external is a `lambkin serve` process.
type external struct {
	cmd    *exec.Cmd
	URL    string
	Listen string
	Dir    string
}

func freePort(tb testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startExternal execs `lambkin serve` on dataDir and waits until healthy. It
// returns the process and the time from exec to the first healthy answer.
func startExternal(tb testing.TB, bin, dataDir string, extra ...string) (*external, time.Duration) {
	tb.Helper()
	addr := freePort(tb)
	args := append([]string{"serve", "--listen", addr, "--data-dir", dataDir, "--log-level", "warn"}, extra...)
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	e := &external{cmd: cmd, URL: "http://" + addr, Listen: addr, Dir: dataDir}
	hc := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: time.Second}
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	for {
		resp, err := hc.Get(e.URL + "/_lambkin/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return e, time.Since(t0)
			}
		}
		if time.Since(t0) > 30*time.Second {
			e.stop()
			tb.Fatalf("lambkin serve did not become healthy: %v\n%s", err, stderr.String())
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// stop sends SIGTERM and waits.
func (e *external) stop() {
	if e.cmd.Process == nil {
		return
	}
	e.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { e.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		e.cmd.Process.Kill()
		<-done
	}
}

// rssMB reads VmRSS and VmHWM of a process, in MB.
func rssMB(pid int) (rss, hwm float64) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(fields[1], 64)
		switch fields[0] {
		case "VmRSS:":
			rss = kb / 1024
		case "VmHWM:":
			hwm = kb / 1024
		}
	}
	return rss, hwm
}

// treeRSSMB is the summed VmRSS of every descendant of pid (not pid
// itself), and how many there are.
func treeRSSMB(pid int) (float64, int) {
	children := map[int][]int{}
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		pp, _ := strconv.Atoi(f[1])
		children[pp] = append(children[pp], p)
	}
	var total float64
	n := 0
	var walk func(int)
	walk = func(p int) {
		for _, c := range children[p] {
			r, _ := rssMB(c)
			total += r
			n++
			walk(c)
		}
	}
	walk(pid)
	return total, n
}

// ---- functions ----

const role = "arn:aws:iam::000000000000:role/bench"

func zipOf(tb testing.TB, files map[string]string, exe map[string][]byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			tb.Fatal(err)
		}
		w.Write([]byte(body))
	}
	for name, body := range exe {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(0o755)
		w, err := zw.CreateHeader(h)
		if err != nil {
			tb.Fatal(err)
		}
		w.Write(body)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// fnSpec is what CreateFunction needs besides the name.
type fnSpec struct {
	runtime types.Runtime
	handler string
	zip     []byte
}

func pythonFn(tb testing.TB, runtime types.Runtime) fnSpec {
	return fnSpec{runtime, "index.handler", zipOf(tb, map[string]string{
		"index.py": "def handler(event, context):\n    return event\n",
	}, nil)}
}

func nodeFn(tb testing.TB) fnSpec {
	return fnSpec{types.RuntimeNodejs20x, "index.handler", zipOf(tb, map[string]string{
		"index.js": "exports.handler = async (event) => event;\n",
	}, nil)}
}

func providedFn(tb testing.TB) fnSpec {
	bin := build(tb, "./testdata/echo", "CGO_ENABLED=0")
	b, err := os.ReadFile(bin)
	if err != nil {
		tb.Fatal(err)
	}
	return fnSpec{types.RuntimeProvidedal2023, "bootstrap", zipOf(tb, nil, map[string][]byte{"bootstrap": b})}
}

func createFn(c *lambda.Client, name string, spec fnSpec) error {
	_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String(name),
		Runtime:      spec.runtime,
		Handler:      aws.String(spec.handler),
		Role:         aws.String(role),
		Code:         &types.FunctionCode{ZipFile: spec.zip},
	})
	return err
}

// createFns creates functions concurrently and waits until all are Active.
func createFns(tb testing.TB, cs []*lambda.Client, names []string, spec fnSpec) {
	tb.Helper()
	mustRun(tb, len(names), len(cs), func(w, i int) error { return createFn(cs[w], names[i], spec) })
	mustRun(tb, len(names), len(cs), func(w, i int) error { return waitReady(cs[w], names[i], "") })
}

// waitReady polls until the function (or version) is Active and its last
// update Successful.
func waitReady(c *lambda.Client, name, qualifier string) error {
	deadline := time.Now().Add(30 * time.Second)
	in := &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	for {
		out, err := c.GetFunctionConfiguration(ctx, in)
		if err != nil {
			return err
		}
		switch {
		case out.State == types.StateFailed || out.LastUpdateStatus == types.LastUpdateStatusFailed:
			return fmt.Errorf("%s failed: %s %s", name, aws.ToString(out.StateReason), aws.ToString(out.LastUpdateStatusReason))
		case out.State == types.StateActive && out.LastUpdateStatus != types.LastUpdateStatusInProgress:
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: still %s/%s", name, out.State, out.LastUpdateStatus)
		}
		time.Sleep(500 * time.Microsecond)
	}
}

var payload = []byte(`{"hello":"lambkin"}`)

// invoke invokes synchronously and checks the function answered.
func invoke(c *lambda.Client, name, qualifier string) error {
	in := &lambda.InvokeInput{FunctionName: aws.String(name), Payload: payload}
	if qualifier != "" {
		in.Qualifier = aws.String(qualifier)
	}
	out, err := c.Invoke(ctx, in)
	if err != nil {
		return err
	}
	if out.FunctionError != nil {
		return fmt.Errorf("%s: function error %s: %s", name, *out.FunctionError, out.Payload)
	}
	if !bytes.Equal(bytes.TrimSpace(out.Payload), payload) && !bytes.Equal(bytes.ReplaceAll(out.Payload, []byte(" "), nil), payload) {
		return fmt.Errorf("%s: unexpected payload %q", name, out.Payload)
	}
	return nil
}

func names(prefix string, n int) []string {
	s := make([]string, n)
	for i := range s {
		s[i] = fmt.Sprintf("%s-%05d", prefix, i)
	}
	return s
}

// isConflict reports a 409 ResourceConflictException.
func isConflict(err error) bool {
	var rc *types.ResourceConflictException
	return errors.As(err, &rc)
}

// TestBenchHarness runs a tiny version of the harness so the benchmarks keep
// compiling and their helpers keep working: a server, concurrent control
// plane calls, a Python function invoked cold then warm.
func TestBenchHarness(t *testing.T) {
	s, cs := startServer(t)
	_ = s
	fns := names("harness", 4)
	createFns(t, cs[:4], fns, pythonFn(t, types.RuntimePython311))
	r := mustRun(t, 64, 4, func(w, i int) error {
		_, err := cs[w].GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fns[i%4])})
		return err
	})
	if len(r.lat) != 64 || percentile(r.lat, 0.5) <= 0 {
		t.Fatalf("bad result: %d latencies, p50 %v", len(r.lat), percentile(r.lat, 0.5))
	}
	pages := 0
	p := lambda.NewListFunctionsPaginator(cs[0], &lambda.ListFunctionsInput{MaxItems: aws.Int32(2)})
	for p.HasMorePages() {
		if _, err := p.NextPage(ctx); err != nil {
			t.Fatal(err)
		}
		pages++
	}
	if pages != 2 {
		t.Fatalf("listed %d pages of 2, want 2", pages)
	}
	mustRun(t, 10, 1, func(w, i int) error { return invoke(cs[0], fns[0], "") })
	if rss, _ := rssMB(os.Getpid()); rss <= 0 {
		t.Fatal("cannot read RSS")
	}
}
