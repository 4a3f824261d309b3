package codestore

import (
	"errors"
	"strings"
)

// maxHops bounds symlink expansions while resolving, as Linux does (ELOOP
// after 40).
const maxHops = 40

var (
	errEscapes = errors.New("symlink target resolves outside the package root")
	errLoop    = errors.New("too many levels of symbolic links")
)

// readlinkFunc reports the target of the symlink at the cleaned path p, and
// whether p is a symlink at all. Its callers guarantee that every directory
// on p is a real directory, already resolved.
type readlinkFunc func(p string) (target string, ok bool)

// resolveLink follows the symlink at name (pointing at target) the way the
// kernel would, through any symlinks in the tree that readlink describes,
// and returns the path it finally denotes, relative to the root. It fails
// with errEscapes when any step of the walk leaves the root (an absolute
// target, or ".." above the root, including ".." after another link that
// resolves to the root) and with errLoop when the chain does not end.
//
// Checking each link's target lexically is not enough: with "a -> ." a
// second link "b -> a/.." is lexically "." yet resolves to the root's parent.
func resolveLink(name, target string, readlink readlinkFunc) (string, error) {
	var cur []string
	if dir := parentDir(name); dir != "" {
		cur = strings.Split(dir, "/")
	}
	if strings.HasPrefix(target, "/") {
		return "", errEscapes
	}
	// rest is a stack of paths still to walk; the top one is walked first.
	rest := []string{target}
	hops := 0
	for len(rest) > 0 {
		comp, tail, _ := strings.Cut(rest[len(rest)-1], "/")
		if tail == "" {
			rest = rest[:len(rest)-1]
		} else {
			rest[len(rest)-1] = tail
		}
		switch comp {
		case "", ".":
			continue
		case "..":
			if len(cur) == 0 {
				return "", errEscapes
			}
			cur = cur[:len(cur)-1]
			continue
		}
		cur = append(cur, comp)
		t, ok := readlink(strings.Join(cur, "/"))
		if !ok {
			continue
		}
		if hops++; hops > maxHops {
			return "", errLoop
		}
		if strings.HasPrefix(t, "/") {
			return "", errEscapes
		}
		// A link's target is relative to the directory holding the link.
		cur = cur[:len(cur)-1]
		rest = append(rest, t)
	}
	return strings.Join(cur, "/"), nil
}
