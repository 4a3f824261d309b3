package bench

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// benchWarm invokes one function: "serial" (1 client, for latency) and
// "16clients" (throughput). Environments are warmed before timing: the
// 16-client case first runs 16 concurrent invokes a few times so 16
// environments exist.
func benchWarm(b *testing.B, spec func(testing.TB) fnSpec) {
	_, cs := startServer(b)
	fn := "warm"
	createFns(b, cs[:1], []string{fn}, spec(b))
	b.Run("serial", func(b *testing.B) {
		mustRun(b, 20, 1, func(w, i int) error { return invoke(cs[0], fn, "") })
		b.ResetTimer()
		r := mustRun(b, b.N, 1, func(w, i int) error { return invoke(cs[0], fn, "") })
		b.StopTimer()
		r.report(b, "")
	})
	b.Run("16clients", func(b *testing.B) {
		mustRun(b, clients*20, clients, func(w, i int) error { return invoke(cs[w], fn, "") })
		b.ResetTimer()
		r := mustRun(b, b.N, clients, func(w, i int) error { return invoke(cs[w], fn, "") })
		b.StopTimer()
		r.report(b, "")
	})
}

// BenchmarkInvokeWarmProvided: provided.al2023 echo built with aws-lambda-go
// (-tags lambda.norpc). Targets: p50 ≤ 0.5 ms, ≥ 3,000 invokes/s at 16.
func BenchmarkInvokeWarmProvided(b *testing.B) { benchWarm(b, providedFn) }

// BenchmarkInvokeWarmPython: python3.12 `return event`. Target p50 ≤ 1 ms.
func BenchmarkInvokeWarmPython(b *testing.B) {
	benchWarm(b, func(tb testing.TB) fnSpec { return pythonFn(tb, types.RuntimePython312) })
}

// benchCold measures the first invoke of a new function, from the client:
// each iteration creates a function (untimed, waits until Active), times
// its first Invoke, then deletes it (untimed).
func benchCold(b *testing.B, spec fnSpec) {
	// The real binary: environments start from lambkin-init, as in
	// production (the in-process harness would re-execute this test binary).
	srv, _ := startExternal(b, lambkinBinary(b), filepath.Join(b.TempDir(), "data"))
	defer srv.stop()
	cs := newClients(srv.URL, 1)
	c := cs[0]
	var ds []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		fn := fmt.Sprintf("cold-%d", i)
		createFns(b, cs[:1], []string{fn}, spec)
		b.StartTimer()
		t0 := time.Now()
		if err := invoke(c, fn, ""); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(t0))
		b.StopTimer()
		if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(fn)}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(ms(median(ds)), "median_ms")
	b.ReportMetric(ms(ds[0]), "first_ms")
}

// BenchmarkColdStart: first invoke of a new function, against the built
// `lambkin serve` binary. Targets (median):
// provided ≤ 15 ms, python ≤ 60 ms, node ≤ 120 ms.
func BenchmarkColdStart(b *testing.B) {
	b.Run("provided", func(b *testing.B) { benchCold(b, providedFn(b)) })
	b.Run("python", func(b *testing.B) { benchCold(b, pythonFn(b, types.RuntimePython312)) })
	b.Run("node", func(b *testing.B) { benchCold(b, nodeFn(b)) })
}

// BenchmarkIdlePython200: a `lambkin serve` process, 200 Python functions
// each invoked once (16 clients), so 200 warm environments sit idle at
// once; then lambkin's own RSS (the serve process only, VmRSS) and, for
// information, the summed RSS of its descendants (the environments). Each
// iteration is one such round on a fresh server. Target: no errors,
// lambkin RSS < 200 MB.
func BenchmarkIdlePython200(b *testing.B) {
	const n = 200
	bin := lambkinBinary(b)
	spec := pythonFn(b, types.RuntimePython312)
	for i := 0; i < b.N; i++ {
		srv, _ := startExternal(b, bin, filepath.Join(b.TempDir(), "data"))
		cs := newClients(srv.URL, clients)
		fns := names("idle", n)
		createFns(b, cs, fns, spec)
		r := mustRun(b, n, clients, func(w, i int) error { return invoke(cs[w], fns[i], "") })
		// Invoke all again: every function must still have its warm
		// environment (second invokes are warm).
		r2 := mustRun(b, n, clients, func(w, i int) error { return invoke(cs[w], fns[i], "") })
		time.Sleep(500 * time.Millisecond)
		rss, hwm := rssMB(srv.cmd.Process.Pid)
		tree, procs := treeRSSMB(srv.cmd.Process.Pid)
		b.ReportMetric(rss, "lambkin_rss_MB")
		b.ReportMetric(hwm, "lambkin_peak_MB")
		b.ReportMetric(tree, "envs_rss_MB")
		b.ReportMetric(float64(procs), "env_procs")
		b.ReportMetric(percentile(r.lat, 0.5), "first_p50_ms")
		b.ReportMetric(percentile(r2.lat, 0.5), "second_p50_ms")
		srv.stop()
	}
}
