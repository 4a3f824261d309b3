// Package model holds the Lambda wire protocol, generated from the botocore
// service model: the operation table, every shape with its bindings and
// constraints, and Go types for the structures. The tables drive routing,
// binding and validation in package api; the types are what the service
// layer reads and writes.
package model

//go:generate go run ./gen -out .

import (
	"strconv"
	"strings"
	"time"
)

// Op is one API operation and its HTTP binding.
type Op struct {
	Name       string
	Method     string
	Path       string // URI path template, e.g. /2015-03-31/functions/{FunctionName}
	FixedQuery string // query the URI template fixes, e.g. "List=ALL"
	Status     int    // success status code
	Input      string // input shape name ("" when none)
	Output     string // output shape name ("" when none)
	Deprecated bool
}

// Kind is a shape's type.
type Kind uint8

// Shape kinds, as named by the service model.
const (
	KindString Kind = iota + 1
	KindInteger
	KindLong
	KindBoolean
	KindDouble
	KindBlob
	KindTimestamp
	KindList
	KindMap
	KindStructure
)

// Location says where a member travels in an HTTP message.
type Location uint8

// Member locations. LocationBody members are JSON body members unless the
// structure names them as its payload.
const (
	LocationBody Location = iota
	LocationURI
	LocationQuery
	LocationHeader
	LocationStatusCode
)

// ShapeDef is one shape of the service model with its constraints.
type ShapeDef struct {
	Name      string
	Kind      Kind
	Min, Max  *float64 // length for strings, lists, maps, blobs; value for numbers
	Pattern   string   // whole-value regular expression (Java syntax, as in the model)
	Enum      []string
	Sensitive bool
	Members   []MemberDef // structures, in model order
	Payload   string      // structures: the member that is the whole HTTP body
	Elem      string      // lists: member shape
	Key       string      // maps: key shape
	Value     string      // maps: value shape
}

// MemberDef is one member of a structure.
type MemberDef struct {
	Name         string // member name (the JSON key for body members)
	GoName       string // field name in the generated Go struct
	Shape        string
	Location     Location
	LocationName string // URI label, query key or header name
	Required     bool
}

// ExceptionDef is the wire shape of a modeled exception.
type ExceptionDef struct {
	Status int
	// MessageKey is "message" or "Message", following the shape's member.
	MessageKey string
}

// Shape returns the named shape; it panics on a name the model does not
// have, which can only be a programming error in lambkin.
func Shape(name string) *ShapeDef {
	s, ok := Shapes[name]
	if !ok {
		panic("model: unknown shape " + name)
	}
	return s
}

// OpByName returns the named operation.
func OpByName(name string) (*Op, bool) {
	for i := range Operations {
		if Operations[i].Name == name {
			return &Operations[i], true
		}
	}
	return nil, false
}

// Timestamp is a model timestamp. In JSON bodies it travels as epoch seconds
// with millisecond precision, the rest-json default (e.g. 1573686021.479).
type Timestamp struct{ time.Time }

// MarshalJSON encodes epoch seconds.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	ms := t.UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

// UnmarshalJSON accepts epoch seconds (with or without a fraction) or an
// ISO 8601 string.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		t.Time = time.UnixMilli(int64(f * 1000)).UTC()
		return nil
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	t.Time = v
	return nil
}
