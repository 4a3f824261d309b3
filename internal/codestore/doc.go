// Package codestore keeps deployment packages (function code zips and layer
// zips) by content, validates them the way AWS Lambda does, and provides the
// unpacked directories that execution environments run from.
//
// A package is addressed by the SHA-256 of its bytes ([Ref]); the AWS
// CodeSha256 is that digest in standard base64 ([Ref.Base64]). A [Store] owns
// one directory, laid out as:
//
//	lock                  flock(2) held while the Store is open
//	zips/<hex>.zip        the packages, exactly as uploaded
//	unpacked/<hex>/       one package extracted, shared read-only
//	layers/<key>/opt/     an ordered list of layers extracted on top of each other
//	layers/<key>/refs     that list, one hex digest a line
//	tmp/                  work in progress; emptied by Open
//
// Everything under zips, unpacked and layers appears by an atomic rename of a
// finished, synced file or directory built under tmp, so a reader never sees a
// partial package.
//
// Errors are values that the API layer maps to AWS errors: [ErrNotZip],
// [*EntryError], [*TooLargeError] and [ErrNotFound]. Their doc comments give
// the AWS messages.
package codestore
