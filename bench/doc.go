// Package bench holds lambkin's end-to-end benchmarks: each one drives a
// real lambkin (in-process, or the built binary where process-level numbers
// such as RSS or start-up time are measured) through aws-sdk-go-v2 on
// loopback and reports its figures with testing.B.ReportMetric.
//
// Run them with
//
//	go test -run '^$' -bench . -benchtime 1x ./bench/
//
// See docs/benchmarks.md for the targets, the exact command for each
// benchmark and the results measured.
package bench
