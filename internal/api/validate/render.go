package validate

import (
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// render writes a value the way the service's Java validation layer prints
// it in messages: lists as [a, b], maps as {k=v}, doubles as Java's
// Double.toString does (2.0, -1.0, 1.0E-5).
func render(v reflect.Value) string {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return "null"
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Int, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Float64:
		return javaDouble(v.Float())
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return "java.nio.HeapByteBuffer[pos=0 lim=" + strconv.Itoa(v.Len()) + " cap=" + strconv.Itoa(v.Len()) + "]"
		}
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = render(v.Index(i))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k.String() + "=" + render(v.MapIndex(k))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	case reflect.Struct:
		if t, ok := v.Interface().(interface{ String() string }); ok {
			return t.String()
		}
		var parts []string
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			if f.IsZero() {
				continue
			}
			parts = append(parts, v.Type().Field(i).Name+": "+render(f))
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	return v.String()
}

// javaDouble formats f as java.lang.Double.toString does.
func javaDouble(f float64) string {
	abs := math.Abs(f)
	if f == 0 || (abs >= 1e-3 && abs < 1e7) {
		s := strconv.FormatFloat(f, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	mant, exp, _ := strings.Cut(strconv.FormatFloat(f, 'E', -1, 64), "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	n, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(n)
}

// javaBound formats a constraint bound: whole numbers for integer shapes,
// Java doubles for double shapes.
func javaBound(f float64, double bool) string {
	if double {
		return javaDouble(f)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}
