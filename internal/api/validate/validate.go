// Package validate checks request values against the constraints of the
// service model and words the failures exactly as Lambda's validation layer
// does:
//
//	2 validation errors detected: Value 'x' at 'functionName' failed to
//	satisfy constraint: Member must have length ...; Value ...
//
// Members are checked in model order; for one value, length comes before
// pattern and enum. List and map members are reported once per collection
// with the full constraint set of their elements (keys, values or members),
// ending with "Member must not be null".
package validate

import (
	"reflect"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/lambkin/lambkin/internal/api/model"
	"github.com/lambkin/lambkin/internal/awserr"
)

// Check validates v, a pointer to the generated struct of the named shape,
// and returns the ValidationException AWS would answer, or nil.
func Check(shape string, v any) *awserr.Error {
	c := checker{}
	c.structure(model.Shape(shape), reflect.ValueOf(v).Elem(), "")
	if len(c.items) == 0 {
		return nil
	}
	return awserr.Validation(Message(c.items))
}

// Message joins violation items with the service's count prefix.
func Message(items []string) string {
	prefix := strconv.Itoa(len(items)) + " validation errors detected: "
	if len(items) == 1 {
		prefix = "1 validation error detected: "
	}
	return prefix + strings.Join(items, "; ")
}

// Item words one violation. value is the rendered value; null is true for an
// absent value, and sensitive values are not shown at all.
func Item(path, value string, null, sensitive bool, constraint string) string {
	var b strings.Builder
	switch {
	case null:
		b.WriteString("Value null at '")
	case sensitive:
		b.WriteString("Value at '")
	default:
		b.WriteString("Value '" + value + "' at '")
	}
	b.WriteString(path + "' failed to satisfy constraint: " + constraint)
	return b.String()
}

type checker struct{ items []string }

func (c *checker) add(path string, v reflect.Value, s *model.ShapeDef, constraint string) {
	c.items = append(c.items, Item(path, render(v), isNil(v), s.Sensitive, constraint))
}

// structure checks the members of struct value v. Generated structs carry
// their members as fields in model order, so field i is member i.
func (c *checker) structure(s *model.ShapeDef, v reflect.Value, path string) {
	for i, m := range s.Members {
		f := v.Field(i)
		mpath := join(path, lowerFirst(m.Name))
		ms := model.Shape(m.Shape)
		if isNil(f) {
			if m.Required {
				c.add(mpath, f, ms, "Member must not be null")
			}
			continue
		}
		c.value(ms, f, mpath)
	}
}

func (c *checker) value(s *model.ShapeDef, v reflect.Value, path string) {
	for _, failed := range failures(s, v) {
		c.add(path, v, s, failed)
	}
	v = deref(v)
	switch s.Kind {
	case model.KindStructure:
		c.structure(s, v, path)
	case model.KindList:
		elem := model.Shape(s.Elem)
		for i := 0; i < v.Len(); i++ {
			if len(failures(elem, v.Index(i))) > 0 {
				c.add(path, v, s, "Member must satisfy constraint: ["+strings.Join(append(describe(elem), "Member must not be null"), ", ")+"]")
				break
			}
		}
		if elem.Kind == model.KindStructure {
			for i := 0; i < v.Len(); i++ {
				c.structure(elem, v.Index(i), path+"."+strconv.Itoa(i+1)+".member")
			}
		}
	case model.KindMap:
		key, val := model.Shape(s.Key), model.Shape(s.Value)
		iter := v.MapRange()
		var badKey, badValue bool
		for iter.Next() {
			badKey = badKey || len(failures(key, iter.Key())) > 0
			badValue = badValue || len(failures(val, iter.Value())) > 0
		}
		if badKey {
			c.add(path, v, s, "Map keys must satisfy constraint: ["+strings.Join(append(describe(key), "Member must not be null"), ", ")+"]")
		}
		if badValue {
			c.add(path, v, s, "Map value must satisfy constraint: ["+strings.Join(append(describe(val), "Member must not be null"), ", ")+"]")
		}
	}
}

// failures lists the constraints of s that v violates, in the service's order.
func failures(s *model.ShapeDef, v reflect.Value) []string {
	v = deref(v)
	var out []string
	if n, ok := size(s, v); ok {
		if s.Max != nil && n > *s.Max {
			out = append(out, maxConstraint(s))
		}
		if s.Min != nil && n < *s.Min {
			out = append(out, minConstraint(s))
		}
	}
	if s.Kind == model.KindString {
		if s.Pattern != "" && !matchers[s.Pattern].match(v.String()) {
			out = append(out, patternConstraint(s))
		}
		if len(s.Enum) > 0 && !contains(s.Enum, v.String()) {
			out = append(out, enumConstraint(s))
		}
	}
	return out
}

// describe lists every constraint of s, as the service prints the element
// constraints of a list or map.
func describe(s *model.ShapeDef) []string {
	var out []string
	if s.Max != nil {
		out = append(out, maxConstraint(s))
	}
	if s.Min != nil {
		out = append(out, minConstraint(s))
	}
	if s.Pattern != "" {
		out = append(out, patternConstraint(s))
	}
	if len(s.Enum) > 0 {
		out = append(out, enumConstraint(s))
	}
	return out
}

func isNumber(s *model.ShapeDef) bool {
	return s.Kind == model.KindInteger || s.Kind == model.KindLong || s.Kind == model.KindDouble
}

func maxConstraint(s *model.ShapeDef) string {
	if isNumber(s) {
		return "Member must have value less than or equal to " + javaBound(*s.Max, s.Kind == model.KindDouble)
	}
	return "Member must have length less than or equal to " + javaBound(*s.Max, false)
}

func minConstraint(s *model.ShapeDef) string {
	if isNumber(s) {
		return "Member must have value greater than or equal to " + javaBound(*s.Min, s.Kind == model.KindDouble)
	}
	return "Member must have length greater than or equal to " + javaBound(*s.Min, false)
}

func patternConstraint(s *model.ShapeDef) string {
	return "Member must satisfy regular expression pattern: " + s.Pattern
}

func enumConstraint(s *model.ShapeDef) string {
	return "Member must satisfy enum value set: [" + strings.Join(s.Enum, ", ") + "]"
}

// size is what min/max bound for v: UTF-16 length for strings (as Java
// counts), element count for lists and maps, bytes for blobs, the value for
// numbers.
func size(s *model.ShapeDef, v reflect.Value) (float64, bool) {
	switch s.Kind {
	case model.KindString:
		return float64(len(utf16.Encode([]rune(v.String())))), true
	case model.KindList, model.KindMap, model.KindBlob:
		return float64(v.Len()), true
	case model.KindInteger, model.KindLong:
		return float64(v.Int()), true
	case model.KindDouble:
		return v.Float(), true
	}
	return 0, false
}

func deref(v reflect.Value) reflect.Value {
	for v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	return v
}

func isNil(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return v.IsNil()
	}
	return false
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
