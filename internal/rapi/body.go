package rapi

import (
	"errors"
	"io"
)

// errTooLarge reports a request body over the limit.
var errTooLarge = errors.New("rapi: body too large")

// readBody reads a whole request body of at most limit bytes. A known
// length (sizeHint >= 0) sizes the buffer in one allocation; a longer body
// fails with errTooLarge without being read further.
func readBody(r io.Reader, sizeHint, limit int64) ([]byte, error) {
	if sizeHint > limit {
		return nil, errTooLarge
	}
	n := int64(512)
	if sizeHint >= 0 {
		n = sizeHint + 1 // room to see EOF without growing
	}
	buf := make([]byte, 0, n)
	for {
		if len(buf) == cap(buf) {
			buf = append(buf, 0)[:len(buf)]
		}
		m, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if int64(len(buf)) > limit {
			return nil, errTooLarge
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}
