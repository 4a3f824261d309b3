package sandbox

import (
	"os"
	"slices"
	"syscall"
	"testing"
)

func TestParseStat(t *testing.T) {
	line := "1234 (a (weird) name) S 1 1234 1234 0 -1 4194560 97 0 0 0 0 0 0 0 20 0 1 0 98765 1234567 89 18446744073709551615\n"
	s, err := parseStat([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if s != (procStat{pid: 1234, ppid: 1, pgrp: 1234, state: 'S', start: 98765}) {
		t.Errorf("got %+v", s)
	}
	for _, bad := range []string{"", "12 (x", "x (y) S 1 2", "1 (x) S 1 2 3"} {
		if _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("parseStat(%q) succeeded", bad)
		}
	}
}

func TestDescendants(t *testing.T) {
	self, err := readStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	procs, err := descendants(os.Getpid(), self.start)
	if err != nil || len(procs) == 0 || procs[0].pid != os.Getpid() {
		t.Fatalf("descendants of self: %v %v", procs, err)
	}
	// A wrong start time means the pid was reused: nothing.
	if procs, _ := descendants(os.Getpid(), self.start+1); len(procs) != 0 {
		t.Errorf("matched a reused pid: %v", procs)
	}
	if _, err := rssBytes(os.Getpid()); err != nil {
		t.Error(err)
	}
}

func TestSignalProcessChecksStartTime(t *testing.T) {
	self, err := readStat(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if err := signalProcess(os.Getpid(), self.start+1, syscall.SIGKILL); err != syscall.ESRCH {
		t.Errorf("signalled a process with another start time: %v", err)
	}
	if err := signalProcess(os.Getpid(), self.start, 0); err != nil {
		t.Errorf("signal 0 to self: %v", err)
	}
	pids, err := listPIDs()
	if err != nil || !slices.Contains(pids, os.Getpid()) {
		t.Errorf("listPIDs: %v", err)
	}
}

func TestExitMaxMemoryMB(t *testing.T) {
	for _, c := range []struct {
		b    uint64
		want int
	}{{0, 0}, {1, 1}, {1 << 20, 1}, {1<<20 + 1, 2}, {128 << 20, 128}} {
		if got := (Exit{MaxMemory: c.b}).MaxMemoryMB(); got != c.want {
			t.Errorf("MaxMemoryMB(%d) = %d, want %d", c.b, got, c.want)
		}
	}
}
