package codestore

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// Ref identifies a package by the SHA-256 of its zip bytes.
type Ref [sha256.Size]byte

// RefOf returns the Ref of the given zip bytes.
func RefOf(zip []byte) Ref { return sha256.Sum256(zip) }

// Hex returns the digest in lower-case hex, the form used for file names.
func (r Ref) Hex() string { return hex.EncodeToString(r[:]) }

// Base64 returns the digest in standard base64 with padding: AWS's CodeSha256.
func (r Ref) Base64() string { return base64.StdEncoding.EncodeToString(r[:]) }

// String returns the hex form.
func (r Ref) String() string { return r.Hex() }

// IsZero reports whether r is the zero Ref, which names no package.
func (r Ref) IsZero() bool { return r == Ref{} }

// ParseRef parses the hex form returned by [Ref.Hex].
func ParseRef(s string) (Ref, error) {
	var r Ref
	if len(s) != hex.EncodedLen(len(r)) {
		return Ref{}, fmt.Errorf("codestore: ref %q: want %d hex digits", s, hex.EncodedLen(len(r)))
	}
	if _, err := hex.Decode(r[:], []byte(s)); err != nil {
		return Ref{}, fmt.Errorf("codestore: ref %q: %w", s, err)
	}
	return r, nil
}

// ParseCodeSha256 parses the base64 form returned by [Ref.Base64].
func ParseCodeSha256(s string) (Ref, error) {
	var r Ref
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return Ref{}, fmt.Errorf("codestore: CodeSha256 %q: %w", s, err)
	}
	if len(b) != len(r) {
		return Ref{}, fmt.Errorf("codestore: CodeSha256 %q: want %d bytes, got %d", s, len(r), len(b))
	}
	copy(r[:], b)
	return r, nil
}
