package codestore

import "strings"

// Longest name component and path Linux accepts (NAME_MAX, PATH_MAX).
const (
	maxComponent = 255
	maxPath      = 4095
)

// cleanName turns a zip member name into a slash-separated path relative to
// the package root, without a trailing slash. slash reports whether the name
// ended in "/", the zip convention for directories. An empty result with no
// reason is the root itself ("./"). A non-empty reason rejects the name.
//
// Empty and "." components are dropped (some tools write "./a"); anything
// that could step outside the root or be read differently by another
// unzipper is refused rather than repaired.
func cleanName(raw string) (name string, slash bool, reason string) {
	switch {
	case raw == "":
		return "", false, "empty name"
	case strings.IndexByte(raw, 0) >= 0:
		return "", false, "NUL byte in name"
	case strings.IndexByte(raw, '\\') >= 0:
		// Windows separators: "..\\x" is a parent reference to some unzippers.
		return "", false, "backslash in name"
	case raw[0] == '/':
		return "", false, "absolute path"
	case len(raw) > maxPath:
		return "", false, "name too long"
	}
	slash = strings.HasSuffix(raw, "/")
	parts := strings.Split(raw, "/")
	kept := parts[:0]
	for _, p := range parts {
		switch {
		case p == "" || p == ".":
			continue
		case p == "..":
			return "", false, "parent directory component"
		case len(p) > maxComponent:
			return "", false, "name component too long"
		}
		kept = append(kept, p)
	}
	return strings.Join(kept, "/"), slash, ""
}

// parentDir returns the directory part of a cleaned name ("" for the root).
func parentDir(name string) string {
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		return name[:i]
	}
	return ""
}

// baseName returns the last component of a cleaned name.
func baseName(name string) string {
	return name[strings.LastIndexByte(name, '/')+1:]
}
