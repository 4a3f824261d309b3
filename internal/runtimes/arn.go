package runtimes

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
)

// Architectures a runtime version ARN can be made for.
const (
	ArchX86_64 = "x86_64"
	ArchARM64  = "arm64"
)

// architectures in the order Resolve tries them.
var architectures = [...]string{ArchX86_64, ArchARM64}

func validArch(arch string) bool {
	return arch == ArchX86_64 || arch == ArchARM64
}

// identity hashes what makes a runtime version: the runtime identifier, the
// interpreter build (real path, version banner, binary hash) and the
// bootstrap (kind and content hash). Two versions with the same identity are
// the same version.
func identity(runtime string, b probe, bootstrapKind, bootstrapHash string) string {
	return hashFields("lambkin runtime version 1", runtime, b.Path, b.Version, b.Build, b.SHA256, bootstrapKind, bootstrapHash)
}

// arnHex is the hex part of a version's ARN in one region and architecture,
// so the same version has different ARNs per region and architecture, as
// on AWS.
func arnHex(identity, region, arch string) string {
	return hashFields("lambkin runtime version arn 1", identity, region, arch)
}

func hashFields(fields ...string) string {
	h := sha256.New()
	for _, f := range fields {
		// NUL separators: no field contains one, so no two lists collide.
		h.Write([]byte(f))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ARN returns the runtime version ARN of v in a region and architecture,
// e.g. arn:aws:lambda:us-east-1::runtime:<64 hex>. It depends only on the
// version's identity, so it is the same in every process and after restarts.
func (c *Catalog) ARN(v Version, region, arch string) string {
	return versionARN(v.Identity, region, arch)
}

func versionARN(identity, region, arch string) string {
	return "arn:" + partition(region) + ":lambda:" + region + "::runtime:" + arnHex(identity, region, arch)
}

// partition returns the AWS partition of a region.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso"
	}
	return "aws"
}

// regionName is the region part of the botocore pattern below.
var regionName = regexp.MustCompile(`^[a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1}$`)

// ValidRegion reports whether region is shaped like an AWS region name.
func ValidRegion(region string) bool { return regionName.MatchString(region) }

// runtimeARN is the botocore pattern of runtime version ARNs, narrowed to
// the 64 lowercase hex digits Lambda uses.
var runtimeARN = regexp.MustCompile(`^arn:(aws[a-zA-Z-]*):lambda:([a-z]{2}((-gov)|(-iso(b?)))?-[a-z]+-\d{1})::runtime:([0-9a-f]{64})$`)

// parseARN splits a runtime version ARN into region and hex id.
func parseARN(arn string) (region, hexID string, ok bool) {
	m := runtimeARN.FindStringSubmatch(arn)
	if m == nil || m[1] != partition(m[2]) {
		return "", "", false
	}
	return m[2], m[7], true
}

// IsRuntimeVersionARN reports whether s is shaped like a runtime version
// ARN (whether or not this catalog knows it).
func IsRuntimeVersionARN(s string) bool {
	_, _, ok := parseARN(s)
	return ok
}
