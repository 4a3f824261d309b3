package codestore

import (
	"errors"
	"fmt"
)

// ErrNotZip reports a package that cannot be unzipped: not a zip at all,
// truncated, corrupt, encrypted, or compressed with a method other than
// store or deflate. AWS answers 400 InvalidParameterValueException
// "Could not unzip uploaded file. Please check your file, then try to upload again."
//
// Errors for malformed packages wrap ErrNotZip (and usually the archive/zip
// error that revealed the problem), so test with errors.Is.
var ErrNotZip = errors.New("codestore: not a valid zip file")

// ErrNotFound reports a Ref that the Store does not hold.
var ErrNotFound = errors.New("codestore: package not found")

// EntryError reports a zip member that lambkin refuses to extract: a path
// that escapes the package root (absolute, "..", backslashes), a symlink whose
// target resolves outside the root, or entries that contradict each other
// (a file that is also a directory). It wraps ErrNotZip, so the API answers
// it like any other package that cannot be unzipped:
// 400 InvalidParameterValueException
// "Could not unzip uploaded file. Please check your file, then try to upload again."
type EntryError struct {
	Name   string // the member's name as written in the zip
	Reason string
}

func (e *EntryError) Error() string {
	return fmt.Sprintf("codestore: zip entry %q: %s", e.Name, e.Reason)
}

// Unwrap returns ErrNotZip.
func (e *EntryError) Unwrap() error { return ErrNotZip }

// SizeKind names the quota a [TooLargeError] exceeds.
type SizeKind int

const (
	// SizeZipped is the zipped package size. AWS: 413
	// RequestEntityTooLargeException "Zipped size must be smaller than 52428800 bytes".
	SizeZipped SizeKind = iota + 1
	// SizeUnzipped is the sum of one package's uncompressed sizes. AWS: 400
	// InvalidParameterValueException "Unzipped size must be smaller than 262144000 bytes".
	SizeUnzipped
	// SizeCombined is function code plus all its layers, unzipped. AWS: 400
	// InvalidParameterValueException "Function code combined with layers
	// exceeds the maximum allowed size of 262144000 bytes. The actual size is N bytes."
	// where N is Actual.
	SizeCombined
)

func (k SizeKind) String() string {
	switch k {
	case SizeZipped:
		return "zipped"
	case SizeUnzipped:
		return "unzipped"
	case SizeCombined:
		return "combined code and layers"
	}
	return fmt.Sprintf("SizeKind(%d)", int(k))
}

// TooLargeError reports a package over a size quota. Limit is the quota in
// bytes (the number in the AWS message). Actual is the size found; when
// extraction stops at the cap because headers lied, it is the number of bytes
// that would have been written, a lower bound.
type TooLargeError struct {
	Kind   SizeKind
	Limit  int64
	Actual int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("codestore: %s size %d exceeds the limit of %d bytes", e.Kind, e.Actual, e.Limit)
}

// notZip wraps the error that showed a package to be malformed.
func notZip(err error) error {
	return fmt.Errorf("%w: %w", ErrNotZip, err)
}
