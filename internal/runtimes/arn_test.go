package runtimes

import (
	"strings"
	"testing"
)

func TestParseARN(t *testing.T) {
	hex := strings.Repeat("ab", 32)
	cases := []struct {
		arn, region string
		ok          bool
	}{
		{"arn:aws:lambda:eu-south-1::runtime:" + hex, "eu-south-1", true},
		{"arn:aws-us-gov:lambda:us-gov-west-1::runtime:" + hex, "us-gov-west-1", true},
		{"arn:aws-cn:lambda:cn-north-1::runtime:" + hex, "cn-north-1", true},
		{"arn:aws:lambda:cn-north-1::runtime:" + hex, "", false},             // wrong partition
		{"arn:aws:lambda:eu-south-1:123456789012:runtime:" + hex, "", false}, // account set
		{"arn:aws:lambda:eu-south-1::runtime:" + strings.ToUpper(hex), "", false},
		{"arn:aws:lambda:eu-south-1::runtime:" + hex[:63], "", false},
		{"arn:aws:lambda:eu-south-1::function:" + hex, "", false},
	}
	for _, tc := range cases {
		region, id, ok := parseARN(tc.arn)
		if ok != tc.ok || region != tc.region || (ok && id != hex) {
			t.Errorf("parseARN(%s) = %q, %q, %v", tc.arn, region, id, ok)
		}
	}
	base, again := versionARN("x", "us-east-1", ArchX86_64), versionARN("x", "us-east-1", ArchX86_64)
	if base != again || base == versionARN("x", "us-east-1", ArchARM64) ||
		base == versionARN("x", "us-east-2", ArchX86_64) || base == versionARN("y", "us-east-1", ArchX86_64) {
		t.Error("ARNs must be stable and differ per region and architecture")
	}
}

func TestSemver(t *testing.T) {
	order := []string{"2.7.18", "3.8.18", "3.11.2", "3.11.7", "3.14.0a1", "3.14.0rc1", "3.14.0", "v20.20.2", "22.0.0"}
	for i := 1; i < len(order); i++ {
		a, err1 := parseSemver(order[i-1])
		b, err2 := parseSemver(order[i])
		if err1 != nil || err2 != nil || !a.less(b) || b.less(a) {
			t.Errorf("%s < %s: %v %v %v", order[i-1], order[i], a.less(b), err1, err2)
		}
	}
	for _, bad := range []string{"", "Python 3.11", "3", "v"} {
		if _, err := parseSemver(bad); err == nil {
			t.Errorf("parseSemver(%q) accepted", bad)
		}
	}
	if v, _ := parseSemver("3.8.0"); v.short() != "3.8" {
		t.Errorf("short = %s", v.short())
	}
	if v, _ := parseSemver("16.0.0"); v.short() != "16" {
		t.Errorf("short = %s", v.short())
	}
}

func TestLabels(t *testing.T) {
	py, _ := lookupRuntime("python3.11")
	node, _ := lookupRuntime("nodejs20.x")
	prov, _ := lookupRuntime("provided.al2023")
	for got, want := range map[string]string{
		label(py, "3.11.2", 1):    "python:3.11.2.v1",
		label(node, "20.20.2", 3): "nodejs:20.20.2.v3",
		label(prov, "", 1):        "provided:al2023.v1",
	} {
		if got != want {
			t.Errorf("label %s, want %s", got, want)
		}
	}
}
