package bench

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/lambkin/lambkin/internal/runtimes"
)

// BenchmarkProvisionedConcurrency: per iteration, a new Python function with
// a published version 1 (untimed); time from PutProvisionedConcurrencyConfig
// (10 environments) to GetProvisionedConcurrencyConfig saying READY (polled
// every 1 ms); then the first invoke of version 1 after READY and 200 more
// serial invokes (p50). Targets: ready < 1000 ms, invoke p50 ≤ 1 ms.
func BenchmarkProvisionedConcurrency(b *testing.B) {
	_, cs := startServer(b)
	c := cs[0]
	spec := pythonFn(b, types.RuntimePython312)
	var readys, firsts []time.Duration
	var p50s []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		fn := fmt.Sprintf("pc-%d", i)
		createFns(b, cs[:1], []string{fn}, spec)
		if _, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(fn)}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0 := time.Now()
		if _, err := c.PutProvisionedConcurrencyConfig(ctx, &lambda.PutProvisionedConcurrencyConfigInput{
			FunctionName: aws.String(fn), Qualifier: aws.String("1"), ProvisionedConcurrentExecutions: aws.Int32(10),
		}); err != nil {
			b.Fatal(err)
		}
		for {
			out, err := c.GetProvisionedConcurrencyConfig(ctx, &lambda.GetProvisionedConcurrencyConfigInput{FunctionName: aws.String(fn), Qualifier: aws.String("1")})
			if err != nil {
				b.Fatal(err)
			}
			if out.Status == types.ProvisionedConcurrencyStatusEnumReady {
				break
			}
			if out.Status == types.ProvisionedConcurrencyStatusEnumFailed {
				b.Fatalf("provisioned concurrency failed: %s", aws.ToString(out.StatusReason))
			}
			if time.Since(t0) > 30*time.Second {
				b.Fatalf("not READY after 30s: %s", out.Status)
			}
			time.Sleep(time.Millisecond)
		}
		readys = append(readys, time.Since(t0))
		t1 := time.Now()
		if err := invoke(c, fn, "1"); err != nil {
			b.Fatal(err)
		}
		firsts = append(firsts, time.Since(t1))
		b.StopTimer()
		r := mustRun(b, 200, 1, func(w, j int) error { return invoke(c, fn, "1") })
		p50s = append(p50s, percentile(r.lat, 0.5))
		if _, err := c.DeleteFunction(ctx, &lambda.DeleteFunctionInput{FunctionName: aws.String(fn)}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(ms(median(readys)), "ready_ms")
	b.ReportMetric(ms(median(firsts)), "first_invoke_ms")
	var sum float64
	for _, p := range p50s {
		sum += p
	}
	b.ReportMetric(sum/float64(len(p50s)), "invoke_p50_ms")
}

// python311Labels returns the promoted version label of python3.11 in the
// data directory's catalog and another available one.
func python311Labels(b *testing.B, dataDir string) (promoted, other string) {
	var out, errb bytes.Buffer
	if rc := runtimes.RunCommand([]string{"list", "--data-dir", dataDir}, &out, &errb); rc != 0 {
		b.Fatalf("runtimes list: %d %s", rc, errb.String())
	}
	for _, line := range strings.Split(out.String(), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 5 || f[0] != "python3.11" {
			continue
		}
		switch {
		case strings.Contains(f[4], "promoted"):
			promoted = f[1]
		case f[4] == "-" && other == "":
			other = f[1]
		}
	}
	if promoted == "" || other == "" {
		b.Skipf("need two python3.11 versions (e.g. python:3.11.2.v1 and python:3.11.7.v2); catalog:\n%s", out.String())
	}
	return promoted, other
}

// BenchmarkRuntimePromotion: 1,000 python3.11 functions (runtime update
// mode Auto). Each iteration runs `lambkin runtimes promote --data-dir DIR
// python3.11 <other label> --complete` (runtimes.RunCommand, in process,
// against the running server's data directory) and times until every
// function's GetFunctionConfiguration shows the new RuntimeVersionArn (16
// clients poll the functions not yet moved, every 10 ms). Iterations
// alternate between the two labels. Target: < 5 s.
func BenchmarkRuntimePromotion(b *testing.B) {
	const n = 1000
	s, cs := startServer(b)
	labels := [2]string{}
	labels[0], labels[1] = python311Labels(b, s.DataDir)
	fns := names("promo", n)
	t0 := time.Now()
	createFns(b, cs, fns, pythonFn(b, types.RuntimePython311))
	setup := time.Since(t0)
	arnOf := func(c *lambda.Client, fn string) (string, error) {
		out, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(fn)})
		if err != nil {
			return "", err
		}
		if out.RuntimeVersionConfig == nil {
			return "", fmt.Errorf("%s has no RuntimeVersionConfig", fn)
		}
		return aws.ToString(out.RuntimeVersionConfig.RuntimeVersionArn), nil
	}
	var ds []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		before, err := arnOf(cs[0], fns[0])
		if err != nil {
			b.Fatal(err)
		}
		target := labels[(i+1)%2]
		b.StartTimer()
		t0 := time.Now()
		var out, errb bytes.Buffer
		if rc := runtimes.RunCommand([]string{"promote", "--data-dir", s.DataDir, "python3.11", target, "--complete"}, &out, &errb); rc != 0 {
			b.Fatalf("promote: %d %s", rc, errb.String())
		}
		pending := fns
		for len(pending) > 0 {
			moved := make([]bool, len(pending))
			mustRun(b, len(pending), clients, func(w, j int) error {
				arn, err := arnOf(cs[w], pending[j])
				moved[j] = err == nil && arn != before
				return err
			})
			var left []string
			for j, fn := range pending {
				if !moved[j] {
					left = append(left, fn)
				}
			}
			pending = left
			if time.Since(t0) > time.Minute {
				b.Fatalf("%d functions still on %s after a minute", len(pending), before)
			}
			if len(pending) > 0 {
				time.Sleep(10 * time.Millisecond)
			}
		}
		ds = append(ds, time.Since(t0))
	}
	b.StopTimer()
	b.ReportMetric(ms(median(ds)), "phase2_ms")
	b.ReportMetric(ms(setup), "setup_ms")
}
