package sandbox

import (
	"testing"
)

func TestPidsLimit(t *testing.T) {
	if host.CgroupV1Pids == "" && !host.CgroupV2Pids {
		t.Skipf("no pids cgroup on this host: %v", host.Notes)
	}
	s, out := testSpec(t, host, "spawn", "50")
	s.MaxProcs = 20
	start(t, host, s)
	// pids.max counts tasks, threads included (as Lambda's limit of 1024
	// processes/threads does): the Go runtime and each Go child take
	// several, and fork fails with EAGAIN well before 20 children.
	got := out.wait(t, "started")
	var n int
	var errno string
	if _, err := fmtSscan(got, "started %d error %s", &n, &errno); err != nil || errno != "EAGAIN" || n > 19 || n < 1 {
		t.Errorf("%q, want fork to fail with EAGAIN after 1..19 children", got)
	}
}
