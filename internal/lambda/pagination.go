package lambda

import (
	"bytes"
	"encoding/base64"

	"github.com/lambkin/lambkin/internal/store"
)

// page walks one page of a listing. Markers are opaque to clients: the
// base64 of the last key returned, so a page resumes exactly after it even
// when items were added or removed meanwhile.
type page struct {
	after  []byte
	limit  int
	next   *string
	filter func(value []byte) bool // optional: items to skip entirely
}

func newPage(marker *string, maxItems *int, def int) (*page, error) {
	p := &page{limit: def}
	if maxItems != nil {
		p.limit = *maxItems
	}
	if marker != nil && *marker != "" {
		after, err := base64.RawURLEncoding.DecodeString(*marker)
		if err != nil || len(after) == 0 {
			return nil, errInvalidMarker()
		}
		p.after = after
	}
	return p, nil
}

// scan calls fn for up to limit items under prefix, after the marker, and
// sets next when more remain.
func (p *page) scan(tx store.Tx, bucket string, prefix []byte, fn func(k, v []byte) error) error {
	if p.after != nil && !bytes.HasPrefix(p.after, prefix) {
		return errInvalidMarker()
	}
	var last []byte
	var ferr error
	n := 0
	err := tx.Scan(bucket, prefix, p.after, func(k, v []byte) bool {
		if p.filter != nil && !p.filter(v) {
			return true
		}
		if n == p.limit {
			m := base64.RawURLEncoding.EncodeToString(last)
			p.next = &m
			return false
		}
		if ferr = fn(k, v); ferr != nil {
			return false
		}
		last = append(last[:0], k...)
		n++
		return true
	})
	if err != nil {
		return err
	}
	return ferr
}

// pageSlice pages through an in-memory listing whose items have unique
// keys; the marker is the key of the last item returned.
func pageSlice[T any](items []T, marker *string, maxItems *int, def int, key func(T) string) ([]T, *string, error) {
	limit := def
	if maxItems != nil {
		limit = *maxItems
	}
	start := 0
	if marker != nil && *marker != "" {
		after, err := base64.RawURLEncoding.DecodeString(*marker)
		if err != nil {
			return nil, nil, errInvalidMarker()
		}
		start = -1
		for i, it := range items {
			if key(it) == string(after) {
				start = i + 1
				break
			}
		}
		if start < 0 {
			return nil, nil, errInvalidMarker()
		}
	}
	end := min(start+limit, len(items))
	var next *string
	if end < len(items) {
		m := base64.RawURLEncoding.EncodeToString([]byte(key(items[end-1])))
		next = &m
	}
	return items[start:end], next, nil
}

// functionListing is a list operation over the records a function has in
// one bucket (its versions, aliases, provisioned concurrency configs...).
type functionListing struct {
	bucket   string
	marker   *string
	maxItems *int
	missing  error                   // the answer when the function does not exist
	keep     func(value []byte) bool // optional filter
}

// listFunctionRecords pages through a function's records in order and
// returns the next page's marker.
func (s *Service) listFunctionRecords(sc Scope, ref nameRef, l functionListing, each func(k, v []byte) error) (*string, error) {
	page, err := newPage(l.marker, l.maxItems, 50)
	if err != nil {
		return nil, err
	}
	page.filter = l.keep
	err = s.store.View(func(tx store.Tx) error {
		fn, err := loadFunction(tx, sc.Region, ref.Name)
		if err == nil && fn == nil {
			err = l.missing
		}
		if err != nil {
			return err
		}
		return page.scan(tx, l.bucket, versionsPrefix(sc.Region, ref.Name), each)
	})
	return page.next, err
}
