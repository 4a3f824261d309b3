package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"time"

	"github.com/lambkin/lambkin/internal/api/model"
	"github.com/lambkin/lambkin/internal/awserr"
)

// bind fills in, a pointer to an operation's generated input struct, from
// the request: the JSON body (or the raw body for a payload member), then
// the path labels, query parameters and headers the model binds.
func bind(in any, shape *model.ShapeDef, body []byte, labels map[string]string, r *http.Request) error {
	v := reflect.ValueOf(in).Elem()
	if shape.Payload != "" {
		for i, m := range shape.Members {
			if m.Name == shape.Payload {
				v.Field(i).SetBytes(body)
			}
		}
	} else if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, in); err != nil {
			return errBadJSON(err)
		}
	}
	query := r.URL.Query()
	for i, m := range shape.Members {
		var raw []string
		switch m.Location {
		case model.LocationURI:
			if s, ok := labels[m.LocationName]; ok {
				raw = []string{s}
			}
		case model.LocationQuery:
			raw = query[m.LocationName]
		case model.LocationHeader:
			if s := r.Header.Get(m.LocationName); s != "" {
				raw = []string{s}
			}
		default:
			continue
		}
		if len(raw) == 0 {
			continue
		}
		if err := setScalar(v.Field(i), model.Shape(m.Shape), raw, m.LocationName); err != nil {
			return err
		}
	}
	return nil
}

// setScalar converts the text of a path label, query parameter or header
// to the field's type.
func setScalar(f reflect.Value, shape *model.ShapeDef, raw []string, name string) error {
	if shape.Kind == model.KindList {
		f.Set(reflect.ValueOf(raw))
		return nil
	}
	s := raw[0]
	switch shape.Kind {
	case model.KindString:
		f.Set(reflect.ValueOf(&s))
	case model.KindInteger:
		n, err := strconv.Atoi(s)
		if err != nil {
			return errBadParameter(name, s)
		}
		f.Set(reflect.ValueOf(&n))
	case model.KindLong:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return errBadParameter(name, s)
		}
		f.Set(reflect.ValueOf(&n))
	case model.KindBoolean:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return errBadParameter(name, s)
		}
		f.Set(reflect.ValueOf(&b))
	case model.KindTimestamp:
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return errBadParameter(name, s)
		}
		f.Set(reflect.ValueOf(&model.Timestamp{Time: t}))
	default:
		return errBadParameter(name, s)
	}
	return nil
}

// errBadJSON answers a body that is not valid JSON for the operation's input.
func errBadJSON(err error) error {
	detail := err.Error()
	var syntax *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		detail = fmt.Sprintf("%s at offset %d", syntax.Error(), syntax.Offset)
	case errors.As(err, &typeErr):
		detail = fmt.Sprintf("Cannot deserialize value of type %s from %s at '%s'", typeErr.Type, typeErr.Value, typeErr.Field)
	}
	return awserr.User(http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json: "+detail)
}

func errBadParameter(name, value string) error {
	return awserr.InvalidParameter(fmt.Sprintf("Invalid value '%s' for parameter %s.", value, name))
}
