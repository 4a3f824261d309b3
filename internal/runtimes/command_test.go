package runtimes

import (
	"bytes"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func runCommand(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := RunCommand(args, &stdout, &stderr)
	return stdout.String(), stderr.String(), code
}

// rows parses list output into fields, checking the format on the way.
func rows(t *testing.T, out string) [][]string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) == 0 || lines[0] != "# RUNTIME\tLABEL\tARN\tINTERPRETER\tFLAGS\tNOTE" {
		t.Fatalf("no header in:\n%s", out)
	}
	var rs [][]string
	for _, l := range lines[1:] {
		f := strings.Split(l, "\t")
		if len(f) != 6 {
			t.Fatalf("line with %d fields: %q", len(f), l)
		}
		for i, field := range f {
			if field == "" {
				t.Fatalf("empty field %d in %q", i, l)
			}
		}
		rs = append(rs, f)
	}
	return rs
}

func findRow(rs [][]string, runtime, label string) []string {
	for _, r := range rs {
		if r[0] == runtime && r[1] == label {
			return r
		}
	}
	return nil
}

func TestCommandList(t *testing.T) {
	need(t, pyenvPython313)
	dir := newDataDir(t)
	out, errOut, code := runCommand(t, "list", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("list: %d %s", code, errOut)
	}
	rs := rows(t, out)
	c := openCatalog(t, dir, Options{BootstrapHash: BundledBootstraps()})
	if len(rs) != len(c.List()) {
		t.Errorf("%d rows for %d versions", len(rs), len(c.List()))
	}
	v := latest(t, c, "python3.14")
	row := findRow(rs, "python3.14", v.Label)
	if row == nil {
		t.Fatalf("no python3.14 row in\n%s", out)
	}
	if row[2] != c.ARN(v, "us-east-1", ArchX86_64) || row[3] != v.Interpreter {
		t.Errorf("python3.14 row %q", row)
	}
	if !v.Exact && (row[4] != "promoted,fallback" || !strings.Contains(row[5], "closest match")) {
		t.Errorf("python3.14 row %q should be marked promoted and fallback", row)
	}
	if r := findRow(rs, "provided.al2023", "provided:al2023.v1"); r == nil || r[3] != "-" {
		t.Errorf("provided row %q", r)
	}

	out, _, code = runCommand(t, "list", "--data-dir", dir, "--region", "eu-south-1", "--arch", "arm64", "--all")
	if code != 0 {
		t.Fatal(code)
	}
	rs = rows(t, out)
	if row := findRow(rs, "python3.14", v.Label); row == nil || row[2] != c.ARN(v, "eu-south-1", ArchARM64) {
		t.Errorf("eu-south-1 arm64 row %q", row)
	}
	java := findRow(rs, "java21", "-")
	if java == nil || java[4] != "unavailable" || !strings.Contains(java[5], "JDK 21") {
		t.Errorf("java21 row %q", java)
	}

	for _, bad := range [][]string{
		{}, {"frobnicate"}, {"list", "extra"}, {"list", "--arch", "sparc"}, {"list", "--region", "mars"},
		{"add", "python3.12"}, {"promote", "python3.12"}, {"list", "--nope"},
	} {
		if _, _, code := runCommand(t, append(bad, "--data-dir", dir)...); code != 2 {
			t.Errorf("%q: exit %d, want 2", bad, code)
		}
	}
}

func TestCommandEditsWhileAServerRuns(t *testing.T) {
	need(t, pyenvPython312)
	dir := newDataDir(t)
	server := openCatalog(t, dir, Options{BootstrapHash: BundledBootstraps(), PollInterval: 5 * time.Millisecond})
	var events atomic.Int32
	go server.Watch(t.Context(), func() { events.Add(1) })
	orig := latest(t, server, "python3.12")

	bin := filepath.Join(t.TempDir(), "python3.12")
	copyFile(t, pyenvPython312, bin)
	out, errOut, code := runCommand(t, "add", "python3.12", bin, "--data-dir", dir)
	if code != 0 {
		t.Fatalf("add: %d %s", code, errOut)
	}
	rs := rows(t, out)
	if len(rs) != 1 || rs[0][0] != "python3.12" || rs[0][3] != bin || rs[0][4] != "-" {
		t.Fatalf("add printed %q", rs)
	}
	label := rs[0][1]
	eventually(t, "the server to see the added version", func() bool {
		for _, v := range server.Versions("python3.12") {
			if v.Label == label && v.Interpreter == bin {
				return true
			}
		}
		return false
	})
	if latest(t, server, "python3.12").Label != orig.Label {
		t.Error("add promoted the new version")
	}
	// Adding it again is harmless.
	if out, errOut, code := runCommand(t, "add", "--data-dir", dir, "python3.12", bin); code != 0 || !strings.Contains(errOut, "already registered") || rows(t, out)[0][1] != label {
		t.Errorf("second add: %d %q %q", code, out, errOut)
	}

	before := events.Load()
	out, errOut, code = runCommand(t, "promote", "python3.12", label, "--data-dir", dir)
	if code != 0 {
		t.Fatalf("promote: %d %s", code, errOut)
	}
	if r := rows(t, out); r[0][1] != label || r[0][4] != "promoted,rollout-pending" {
		t.Errorf("promote printed %q", r)
	}
	eventually(t, "the server to see the promotion", func() bool {
		rs := server.Rollout("python3.12")
		return rs.Promoted.Label == label && !rs.Complete && events.Load() > before
	})
	if got := latest(t, server, "python3.12"); got.Label != label {
		t.Errorf("server Latest = %s", got.Label)
	}

	out, errOut, code = runCommand(t, "promote", "--complete", "python3.12", "--data-dir", dir)
	if code != 0 {
		t.Fatalf("promote --complete: %d %s", code, errOut)
	}
	if r := rows(t, out); r[0][1] != label || r[0][4] != "promoted" {
		t.Errorf("promote --complete printed %q", r)
	}
	eventually(t, "the server to see phase 2 complete", func() bool { return server.Rollout("python3.12").Complete })

	// Roll back by ARN and complete in one go.
	arn := server.ARN(orig, "us-east-1", ArchX86_64)
	if _, errOut, code := runCommand(t, "--data-dir", dir, "promote", "python3.12", arn, "--complete"); code != 0 {
		t.Fatalf("promote ARN: %d %s", code, errOut)
	}
	eventually(t, "the server to see the rollback", func() bool {
		rs := server.Rollout("python3.12")
		return rs.Promoted.Label == orig.Label && rs.Complete && rs.Previous == label
	})

	for _, bad := range [][]string{
		{"promote", "python3.12", "python:0.0.0.v9"},
		{"promote", "--complete", "java21"},
		{"add", "python3.12", "/nonexistent/python3.12"},
		{"add", "cobol1", bin},
	} {
		if _, errOut, code := runCommand(t, append(bad, "--data-dir", dir)...); code != 1 || !strings.HasPrefix(errOut, "lambkin runtimes: ") {
			t.Errorf("%q: exit %d %q, want 1", bad, code, errOut)
		}
	}
}
