package rapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"
)

// runEchoRuntime is a minimal runtime: it polls /next over one kept-alive
// connection and posts the event back as the response, until the server
// goes away.
func runEchoRuntime(addr string) (stop func()) {
	tr := &http.Transport{MaxIdleConnsPerHost: 1}
	hc := &http.Client{Transport: tr}
	base := "http://" + addr + invocationPrefix
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			resp, err := hc.Get(base + "next")
			if err != nil {
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			id := resp.Header.Get(hdrRequestID)
			resp, err = hc.Post(base+id+"/response", "application/json", bytes.NewReader(body))
			if err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	return func() {
		<-done
		tr.CloseIdleConnections()
	}
}

// BenchmarkInvoke measures a warm invoke round trip through the relay:
// Invoke -> /next answer -> /response -> Result, plus the runtime's next
// poll (the following Invoke waits for it).
func BenchmarkInvoke(b *testing.B) {
	s, err := New(Config{})
	if err != nil {
		b.Fatal(err)
	}
	stop := runEchoRuntime(s.Addr())
	ctx := context.Background()
	if _, err := s.WaitInit(ctx); err != nil {
		b.Fatal(err)
	}
	inv := &Invocation{RequestID: "bench", Payload: []byte(`{"hello":"world"}`), Deadline: time.Now().Add(time.Hour)}
	lat := make([]time.Duration, 0, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		res, err := s.Invoke(ctx, inv)
		if err != nil || res.Status != StatusOK {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	_ = s.Close()
	stop()
	if len(lat) > 0 {
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
}
