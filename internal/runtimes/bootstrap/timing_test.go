package bootstrap

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestLatency measures, per interpreter, how long a bootstrap takes from
// process start to its first /next (its own cold-start cost on top of the
// interpreter's), to the first response, and warm invoke round trips through
// the fake Runtime API. It logs the numbers (go test -v) and fails only if an
// invoke does.
func TestLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("latency measurement skipped in -short mode")
	}
	const coldRuns, warmRuns = 10, 300
	dir := runtimeDir(t)
	type subject struct {
		name     string
		argv     []string
		root     string
		handler  string
		response string // the handler's answer to {}
	}
	var subjects []subject
	for _, py := range pythonInterpreters(t) {
		root := pythonFixture(t, py.Version)
		script := filepath.Join(dir, PythonFile)
		subjects = append(subjects,
			subject{py.Name, []string{py.Path, script}, root, "app.ok", `{"echo": {}}`},
			subject{py.Name + " -S", []string{py.Path, "-S", script}, root, "app.ok", `{"echo": {}}`})
	}
	nodeRoot := nodeFixture(t)
	subjects = append(subjects, subject{"node " + nodeVersion(t), []string{"node", filepath.Join(dir, NodeFile)}, nodeRoot, "index.ok", `{"echo":{}}`})
	if ric := os.Getenv("LAMBKIN_OFFICIAL_NODE_RIC"); ric != "" { // see TestNodeMatchesOfficialClient
		argv := []string{"node", filepath.Join(ric, "index.mjs")}
		if _, err := os.Stat(filepath.Join(ric, "bin", "index.mjs")); err == nil {
			argv = []string{"node", filepath.Join(ric, "bin", "index.mjs"), "index.ok"}
		}
		subjects = append(subjects, subject{"official " + ric, argv, nodeRoot, "index.ok", `{"echo":{}}`})
	}

	for _, s := range subjects {
		t.Run(s.name, func(t *testing.T) {
			var toNext, toResponse []time.Duration
			for i := range coldRuns {
				api := newFakeRuntimeAPI(t)
				p := startRuntime(t, api, s.root, s.argv, map[string]string{"_HANDLER": s.handler})
				select {
				case at := <-api.firstNext:
					toNext = append(toNext, at.Sub(p.started))
				case <-p.exited:
					t.Fatalf("exited: %v\n%s", p.err, p.stderr)
				case <-time.After(waitLimit):
					t.Fatal("no /next")
				}
				wantResponse(t, api.Invoke(t, p, invocation{RequestID: requestID(i), Event: `{}`}), requestID(i), "application/json", s.response)
				toResponse = append(toResponse, time.Since(p.started))
			}

			api := newFakeRuntimeAPI(t)
			p := startRuntime(t, api, s.root, s.argv, map[string]string{"_HANDLER": s.handler})
			var warm []time.Duration
			for i := range warmRuns {
				start := time.Now()
				post := api.Invoke(t, p, invocation{RequestID: requestID(i), Event: `{}`})
				warm = append(warm, time.Since(start))
				if post.Kind != "response" {
					t.Fatalf("invoke %d: %s %s", i, post.Kind, post.Body)
				}
			}
			t.Logf("start→first /next: %s; start→first response: %s; warm invoke: %s",
				summary(toNext), summary(toResponse), summary(warm))
		})
	}
}

// summary renders min, median and p99 of ds.
func summary(ds []time.Duration) string {
	slices.Sort(ds)
	at := func(q float64) time.Duration { return ds[int(q*float64(len(ds)-1))] }
	return fmt.Sprintf("min %v p50 %v p99 %v", ds[0].Round(10*time.Microsecond), at(0.5).Round(10*time.Microsecond), at(0.99).Round(10*time.Microsecond))
}
