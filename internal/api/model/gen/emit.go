package main

import (
	"bytes"
	"fmt"
	"log"
	"strconv"
	"strings"
	"unicode"
)

func genOperations(m *serviceModel) []byte {
	var b bytes.Buffer
	b.WriteString(header)
	b.WriteString("// Operations lists every operation of the service model.\nvar Operations = []Op{\n")
	for _, name := range sortedKeys(m.Operations) {
		op := m.Operations[name]
		path, query, _ := strings.Cut(op.HTTP.RequestURI, "?")
		status := op.HTTP.ResponseCode
		if status == 0 {
			status = 200
		}
		fmt.Fprintf(&b, "\t{Name: %q, Method: %q, Path: %q, ", name, op.HTTP.Method, path)
		if query != "" {
			fmt.Fprintf(&b, "FixedQuery: %q, ", query)
		}
		fmt.Fprintf(&b, "Status: %d", status)
		if op.Input != nil {
			fmt.Fprintf(&b, ", Input: %q", op.Input.Shape)
		}
		if op.Output != nil {
			fmt.Fprintf(&b, ", Output: %q", op.Output.Shape)
		}
		if op.Deprecated {
			b.WriteString(", Deprecated: true")
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n")
	return b.Bytes()
}

var kinds = map[string]string{
	"string": "KindString", "integer": "KindInteger", "long": "KindLong", "boolean": "KindBoolean",
	"double": "KindDouble", "float": "KindDouble", "blob": "KindBlob", "timestamp": "KindTimestamp",
	"list": "KindList", "map": "KindMap", "structure": "KindStructure",
}

var locations = map[string]string{
	"": "LocationBody", "uri": "LocationURI", "querystring": "LocationQuery",
	"header": "LocationHeader", "statusCode": "LocationStatusCode",
}

// skipped reports shapes with no place in a request/response table:
// exceptions (kept in Exceptions) and event-stream shapes.
func skipped(s *shape) bool { return s.Exception || s.Event || s.EventStream }

func genShapes(m *serviceModel) []byte {
	var b bytes.Buffer
	b.WriteString(header)
	b.WriteString("func f(v float64) *float64 { return &v }\n\n")
	b.WriteString("// Shapes maps each shape name to its definition.\nvar Shapes = map[string]*ShapeDef{\n")
	for _, name := range sortedKeys(m.Shapes) {
		s := m.Shapes[name]
		if skipped(s) {
			continue
		}
		kind, ok := kinds[s.Type]
		if !ok {
			log.Fatalf("shape %s: unknown type %s", name, s.Type)
		}
		fmt.Fprintf(&b, "\t%q: {Name: %q, Kind: %s", name, name, kind)
		if s.Min != nil {
			fmt.Fprintf(&b, ", Min: f(%s)", fmtFloat(*s.Min))
		}
		if s.Max != nil {
			fmt.Fprintf(&b, ", Max: f(%s)", fmtFloat(*s.Max))
		}
		if s.Pattern != nil {
			fmt.Fprintf(&b, ", Pattern: %s", strconv.Quote(*s.Pattern))
		}
		if len(s.Enum) > 0 {
			fmt.Fprintf(&b, ", Enum: %#v", s.Enum)
		}
		if s.Sensitive {
			b.WriteString(", Sensitive: true")
		}
		if s.Payload != "" {
			fmt.Fprintf(&b, ", Payload: %q", s.Payload)
		}
		if s.Member != nil {
			fmt.Fprintf(&b, ", Elem: %q", s.Member.Shape)
		}
		if s.Key != nil {
			fmt.Fprintf(&b, ", Key: %q, Value: %q", s.Key.Shape, s.Value.Shape)
		}
		if s.Type == "structure" {
			writeMembers(&b, m, s)
		}
		b.WriteString("},\n")
	}
	b.WriteString("}\n\n")

	b.WriteString("// Exceptions maps each modeled exception to its wire shape.\nvar Exceptions = map[string]ExceptionDef{\n")
	for _, name := range sortedKeys(m.Shapes) {
		s := m.Shapes[name]
		if !s.Exception {
			continue
		}
		status := 400
		if s.Error != nil && s.Error.HTTPStatusCode != 0 {
			status = s.Error.HTTPStatusCode
		}
		key := "message"
		for _, mem := range s.Members {
			if strings.EqualFold(mem.Name, "message") {
				key = mem.Name
			}
		}
		fmt.Fprintf(&b, "\t%q: {Status: %d, MessageKey: %q},\n", name, status, key)
	}
	b.WriteString("}\n")
	return b.Bytes()
}

func writeMembers(b *bytes.Buffer, m *serviceModel, s *shape) {
	required := map[string]bool{}
	for _, r := range s.Required {
		required[r] = true
	}
	b.WriteString(", Members: []MemberDef{\n")
	for _, mem := range s.Members {
		if skipped(m.Shapes[mem.Shape]) {
			continue
		}
		fmt.Fprintf(b, "\t\t{Name: %q, GoName: %q, Shape: %q, Location: %s", mem.Name, goName(mem.Name), mem.Shape, locations[mem.Location])
		if mem.LocationName != "" && mem.Location != "" {
			fmt.Fprintf(b, ", LocationName: %q", mem.LocationName)
		}
		if required[mem.Name] {
			b.WriteString(", Required: true")
		}
		b.WriteString("},\n")
	}
	b.WriteString("\t}")
}

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func goName(member string) string {
	r := []rune(member)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}

func genTypes(m *serviceModel) []byte {
	var b bytes.Buffer
	b.WriteString(header)
	b.WriteString("// New returns a new zero value of each generated structure, by shape name.\nvar New = map[string]func() any{\n")
	for _, name := range sortedKeys(m.Shapes) {
		if s := m.Shapes[name]; s.Type == "structure" && !skipped(s) {
			fmt.Fprintf(&b, "\t%q: func() any { return new(%s) },\n", name, name)
		}
	}
	b.WriteString("}\n\n")
	for _, name := range sortedKeys(m.Shapes) {
		s := m.Shapes[name]
		if s.Type != "structure" || skipped(s) {
			continue
		}
		fmt.Fprintf(&b, "// %s is the %s structure of the service model.\ntype %s struct {\n", name, name, name)
		for _, mem := range s.Members {
			if skipped(m.Shapes[mem.Shape]) {
				continue
			}
			tag := "-"
			if mem.Location == "" && mem.Name != s.Payload {
				tag = mem.Name + ",omitzero"
			}
			fmt.Fprintf(&b, "\t%s %s `json:%q`\n", goName(mem.Name), goType(m, mem.Shape, false), tag)
		}
		b.WriteString("}\n\n")
	}
	return b.Bytes()
}

// goType maps a shape to its Go type. Scalars are pointers at the top level
// of a structure, so that "absent" and "zero" stay distinct, and values
// inside lists and maps.
func goType(m *serviceModel, name string, inContainer bool) string {
	s := m.Shapes[name]
	ptr := "*"
	if inContainer {
		ptr = ""
	}
	switch s.Type {
	case "string":
		return ptr + "string"
	case "integer":
		return ptr + "int"
	case "long":
		return ptr + "int64"
	case "boolean":
		return ptr + "bool"
	case "double", "float":
		return ptr + "float64"
	case "timestamp":
		return ptr + "Timestamp"
	case "blob":
		return "[]byte"
	case "list":
		return "[]" + goType(m, s.Member.Shape, true)
	case "map":
		return "map[string]" + goType(m, s.Value.Shape, true)
	case "structure":
		return ptr + name
	}
	log.Fatalf("shape %s: no Go type for %s", name, s.Type)
	return ""
}
