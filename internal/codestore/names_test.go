package codestore

import "testing"

func TestCleanName(t *testing.T) {
	tests := []struct {
		raw, name string
		slash     bool
		bad       bool
	}{
		{"a", "a", false, false},
		{"a/b/", "a/b", true, false},
		{"./a/./b", "a/b", false, false},
		{"a//b", "a/b", false, false},
		{"./", "", true, false},
		{"", "", false, true},
		{"/a", "", false, true},
		{"a/../b", "", false, true},
		{"..", "", false, true},
		{`a\b`, "", false, true},
		{"a\x00b", "", false, true},
	}
	for _, tc := range tests {
		name, slash, reason := cleanName(tc.raw)
		if (reason != "") != tc.bad || name != tc.name || slash != tc.slash {
			t.Errorf("cleanName(%q) = %q, %v, %q", tc.raw, name, slash, reason)
		}
	}
}

func TestResolveLink(t *testing.T) {
	links := map[string]string{
		"root":    ".",
		"lib":     "usr/lib",
		"usr/lib": "../opt/lib",
		"loop1":   "loop2",
		"loop2":   "loop1",
	}
	readlink := func(p string) (string, bool) { t, ok := links[p]; return t, ok }
	tests := []struct {
		name, target, want string
		err                error
	}{
		{"a", "b", "b", nil},
		{"d/a", "../b", "b", nil},
		{"d/a", "../../b", "", errEscapes},
		{"a", "/b", "", errEscapes},
		{"a", "lib/x", "opt/lib/x", nil}, // through two links
		{"a", "root/..", "", errEscapes}, // lexically ".", really the parent
		{"a", "root/root/x", "x", nil},   // links to the root are fine
		{"a", "lib/../../..", "", errEscapes},
		{"a", "loop1", "", errLoop},
		{"a", "x//y/./z", "x/y/z", nil},
	}
	for _, tc := range tests {
		got, err := resolveLink(tc.name, tc.target, readlink)
		if err != tc.err || got != tc.want {
			t.Errorf("resolveLink(%q, %q) = %q, %v; want %q, %v", tc.name, tc.target, got, err, tc.want, tc.err)
		}
	}
}
