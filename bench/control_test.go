package bench

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// BenchmarkGetFunctionConfiguration: 16 clients, each reading GetFunctionConfiguration
// of one of 16 functions. Target ≥ 5,000 ops/s.
func BenchmarkGetFunctionConfiguration(b *testing.B) {
	_, cs := startServer(b)
	fns := names("get", clients)
	createFns(b, cs, fns, pythonFn(b, types.RuntimePython312))
	b.ResetTimer()
	r := mustRun(b, b.N, clients, func(w, i int) error {
		_, err := cs[w].GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fns[i%len(fns)])})
		return err
	})
	b.StopTimer()
	r.report(b, "")
}

// BenchmarkUpdateFunctionConfiguration: 16 clients, each owning 8 functions
// and updating them round-robin (a new Description each time). An update
// leaves its function InProgress until the background transition finishes;
// an update that finds its function still InProgress gets a 409 and is
// counted in conflicts/op, not in ops/s (the client moves on to its next
// function). ops/s is the rate of accepted (200) updates. Target ≥ 1,000/s.
func BenchmarkUpdateFunctionConfiguration(b *testing.B) {
	const perClient = 8
	_, cs := startServer(b)
	fns := names("upd", clients*perClient)
	createFns(b, cs, fns, pythonFn(b, types.RuntimePython312))
	var conflicts atomic.Int64
	next := make([]int, clients)
	b.ResetTimer()
	r := run(b.N, clients, func(w, i int) error {
		fn := fns[w*perClient+next[w]%perClient]
		next[w]++
		_, err := cs[w].UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
			FunctionName: aws.String(fn),
			Description:  aws.String(strconv.Itoa(i)),
		})
		if isConflict(err) {
			conflicts.Add(1)
		}
		return err
	})
	b.StopTimer()
	if r.errs != conflicts.Load() {
		b.Fatalf("%d updates failed other than by conflict; first: %v", r.errs-conflicts.Load(), r.firstErr)
	}
	r.report(b, "")
	b.ReportMetric(float64(conflicts.Load())/float64(b.N), "conflicts/op")
}

// BenchmarkListFunctions10k stores 10,000 functions in a `lambkin serve`
// process, then measures paging through ListFunctions (default page size
// 50, all 200 pages, one client) and the server's RSS. Each iteration is
// one full listing. The server is then restarted on the same data directory
// and RSS measured again after one full listing (rss_restart_MB). Targets:
// list_all_ms < 1000, RSS < 150 MB.
func BenchmarkListFunctions10k(b *testing.B) {
	const n = 10000
	bin := lambkinBinary(b)
	dir := filepath.Join(b.TempDir(), "data")
	srv, _ := startExternal(b, bin, dir)
	defer func() { srv.stop() }()
	cs := newClients(srv.URL, clients)
	spec := pythonFn(b, types.RuntimePython312)
	t0 := time.Now()
	fns := names("list", n)
	mustRun(b, n, clients, func(w, i int) error { return createFn(cs[w], fns[i], spec) })
	createRate := float64(n) / time.Since(t0).Seconds()
	time.Sleep(time.Second) // let the Pending -> Active transitions finish
	listAll := func(c *lambda.Client) (int, time.Duration) {
		t0 := time.Now()
		count := 0
		p := lambda.NewListFunctionsPaginator(c, &lambda.ListFunctionsInput{})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				b.Fatal(err)
			}
			count += len(out.Functions)
		}
		return count, time.Since(t0)
	}
	if got, _ := listAll(cs[0]); got != n {
		b.Fatalf("listed %d functions, want %d", got, n)
	}
	rssLoaded, hwmLoaded := rssMB(srv.cmd.Process.Pid)
	var ds []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, d := listAll(cs[0])
		ds = append(ds, d)
	}
	b.StopTimer()
	b.ReportMetric(ms(median(ds)), "list_all_ms")
	b.ReportMetric(createRate, "creates/s")
	rss, _ := rssMB(srv.cmd.Process.Pid)
	b.ReportMetric(rssLoaded, "rss_loaded_MB")
	b.ReportMetric(hwmLoaded, "rss_peak_MB")
	b.ReportMetric(rss, "rss_after_list_MB")

	srv.stop()
	srv, _ = startExternal(b, bin, dir)
	c := newClient(srv.URL)
	if got, d := listAll(c); got != n {
		b.Fatalf("after restart listed %d functions, want %d", got, n)
	} else {
		b.ReportMetric(ms(d), "list_all_restart_ms")
	}
	rss, _ = rssMB(srv.cmd.Process.Pid)
	b.ReportMetric(rss, "rss_restart_MB")
}

// BenchmarkServeColdStart execs `lambkin serve` and polls
// GET /_lambkin/health (every 200µs) until it answers 200; the process is
// then stopped. "fresh" uses a new, empty data directory each time (the
// runtime catalog discovers interpreters); "existing" restarts on a data
// directory a previous run created. Target: median < 200 ms.
func BenchmarkServeColdStart(b *testing.B) {
	bin := lambkinBinary(b)
	b.Run("fresh", func(b *testing.B) {
		var ds []time.Duration
		for i := 0; i < b.N; i++ {
			dir := filepath.Join(b.TempDir(), "data")
			srv, d := startExternal(b, bin, dir)
			b.StopTimer()
			srv.stop()
			os.RemoveAll(dir)
			b.StartTimer()
			ds = append(ds, d)
		}
		b.ReportMetric(ms(median(ds)), "median_ms")
	})
	b.Run("existing", func(b *testing.B) {
		dir := filepath.Join(b.TempDir(), "data")
		srv, _ := startExternal(b, bin, dir)
		srv.stop()
		var ds []time.Duration
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			srv, d := startExternal(b, bin, dir)
			b.StopTimer()
			srv.stop()
			b.StartTimer()
			ds = append(ds, d)
		}
		b.ReportMetric(ms(median(ds)), "median_ms")
	})
}

// BenchmarkPublishVersion: 16 clients publish version 1 of b.N fresh
// functions (created, untimed, beforehand), so every call really creates a
// version: publishing an unchanged $LATEST again would just return the
// existing version. Target ≥ 500 ops/s.
func BenchmarkPublishVersion(b *testing.B) {
	_, cs := startServer(b)
	fns := names("pub", b.N)
	createFns(b, cs, fns, pythonFn(b, types.RuntimePython312))
	b.ResetTimer()
	r := mustRun(b, b.N, clients, func(w, i int) error {
		out, err := cs[w].PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(fns[i])})
		if err == nil && aws.ToString(out.Version) != "1" {
			err = fmt.Errorf("published version %s, want 1", aws.ToString(out.Version))
		}
		return err
	})
	b.StopTimer()
	r.report(b, "")
}

// BenchmarkGetAlias: 16 clients read one alias each (16 functions, each
// with a published version and an alias "live" to it). Target ≥ 5,000 ops/s.
func BenchmarkGetAlias(b *testing.B) {
	_, cs := startServer(b)
	fns := names("alias", clients)
	createFns(b, cs, fns, pythonFn(b, types.RuntimePython312))
	mustRun(b, len(fns), clients, func(w, i int) error {
		v, err := cs[w].PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(fns[i])})
		if err != nil {
			return err
		}
		_, err = cs[w].CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: aws.String(fns[i]), Name: aws.String("live"), FunctionVersion: v.Version})
		return err
	})
	b.ResetTimer()
	r := mustRun(b, b.N, clients, func(w, i int) error {
		_, err := cs[w].GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fns[w]), Name: aws.String("live")})
		return err
	})
	b.StopTimer()
	r.report(b, "")
}

// BenchmarkListVersions1k publishes 1,000 versions of one function (each
// after an UpdateFunctionConfiguration that changes its description, waiting
// for the update to finish) and measures paging through
// ListVersionsByFunction (default page size 50, all pages, 1,001 entries
// with $LATEST). Each iteration is one full listing. Target: < 200 ms.
func BenchmarkListVersions1k(b *testing.B) {
	const n = 1000
	_, cs := startServer(b)
	c := cs[0]
	fn := "versions"
	createFns(b, cs[:1], []string{fn}, pythonFn(b, types.RuntimePython312))
	t0 := time.Now()
	for i := 1; i <= n; i++ {
		if _, err := c.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn), Description: aws.String(strconv.Itoa(i))}); err != nil {
			b.Fatal(err)
		}
		if err := waitReady(c, fn, ""); err != nil {
			b.Fatal(err)
		}
		out, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(fn)})
		if err != nil {
			b.Fatal(err)
		}
		if aws.ToString(out.Version) != strconv.Itoa(i) {
			b.Fatalf("published %s, want %d", aws.ToString(out.Version), i)
		}
	}
	setup := time.Since(t0)
	var ds []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		count := 0
		p := lambda.NewListVersionsByFunctionPaginator(c, &lambda.ListVersionsByFunctionInput{FunctionName: aws.String(fn)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				b.Fatal(err)
			}
			count += len(out.Versions)
		}
		ds = append(ds, time.Since(t0))
		if count != n+1 {
			b.Fatalf("listed %d versions, want %d", count, n+1)
		}
	}
	b.StopTimer()
	b.ReportMetric(ms(median(ds)), "list_all_ms")
	b.ReportMetric(ms(setup), "setup_ms")
}
