package runtimes

import (
	"fmt"
	"strconv"
	"strings"
)

// semver is an interpreter version: three numbers and an optional
// pre-release tag (3.14.0rc1, 22.0.0-nightly2024).
type semver struct {
	nums [3]int
	pre  string
}

// parseSemver reads "3.11.7", "3.14.0rc1" or "v20.20.2".
func parseSemver(s string) (semver, error) {
	var v semver
	rest := strings.TrimPrefix(strings.TrimSpace(s), "v")
	for i := range v.nums {
		n := 0
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n == 0 {
			if i < 2 { // major and minor are required
				return semver{}, fmt.Errorf("malformed version %q", s)
			}
			break
		}
		num, err := strconv.Atoi(rest[:n])
		if err != nil {
			return semver{}, fmt.Errorf("malformed version %q", s)
		}
		v.nums[i] = num
		rest = rest[n:]
		if i < 2 {
			if !strings.HasPrefix(rest, ".") {
				if i == 0 {
					return semver{}, fmt.Errorf("malformed version %q", s)
				}
				break
			}
			rest = rest[1:]
		}
	}
	v.pre = strings.TrimLeft(rest, "-+.")
	return v, nil
}

// compare orders versions; a pre-release sorts before its release.
func (v semver) compare(w semver) int {
	for i := range v.nums {
		if v.nums[i] != w.nums[i] {
			if v.nums[i] < w.nums[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case v.pre == w.pre:
		return 0
	case v.pre == "":
		return 1
	case w.pre == "":
		return -1
	case v.pre < w.pre:
		return -1
	}
	return 1
}

func (v semver) less(w semver) bool { return v.compare(w) < 0 }

// short is "3.8" or "16": the version without trailing zero parts.
func (v semver) short() string {
	if v.nums[1] == 0 && v.nums[2] == 0 {
		return strconv.Itoa(v.nums[0])
	}
	return fmt.Sprintf("%d.%d", v.nums[0], v.nums[1])
}
