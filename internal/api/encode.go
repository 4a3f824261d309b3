package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"

	"github.com/lambkin/lambkin/internal/api/model"
	"github.com/lambkin/lambkin/internal/awserr"
)

// writeOutput sends an operation's result: header members as headers, a
// statusCode member (or the operation's status) as the status, a payload
// member as the raw body, anything else as a JSON body.
func writeOutput(w http.ResponseWriter, op *model.Op, out any) {
	status := op.Status
	h := w.Header()
	v := reflect.ValueOf(out).Elem()
	shape, modeled := model.Shapes[op.Output]
	var payload []byte
	hasPayload := false
	if modeled {
		for i, m := range shape.Members {
			f := v.Field(i)
			switch {
			case m.Location == model.LocationStatusCode && !f.IsNil():
				status = int(f.Elem().Int())
			case m.Location == model.LocationHeader && !f.IsNil():
				h.Set(m.LocationName, headerValue(f.Elem()))
			case m.Name == shape.Payload:
				hasPayload = true
				payload = f.Bytes()
			}
		}
	}
	switch {
	case status == http.StatusNoContent || status == http.StatusAccepted && hasPayload && len(payload) == 0:
		w.WriteHeader(status)
	case hasPayload:
		if h.Get("Content-Type") == "" {
			h.Set("Content-Type", "application/json")
		}
		h.Set("Content-Length", strconv.Itoa(len(payload)))
		w.WriteHeader(status)
		w.Write(payload)
	default:
		body, err := json.Marshal(out)
		if err != nil {
			writeError(w, nil, err)
			return
		}
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		w.Write(body)
	}
}

func headerValue(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Int, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	}
	return v.String()
}

// writeError sends an error as AWS does: x-amzn-ErrorType and a JSON body
// with Type (when the error has one), the message under the exception's
// own key casing, and Reason for throttling. Errors that are not AWS errors
// are lambkin's own failures: logged, and answered as a ServiceException.
func writeError(w http.ResponseWriter, log *slog.Logger, err error) {
	var ae *awserr.Error
	if !errors.As(err, &ae) {
		if log != nil {
			log.Error("internal error", "err", err)
		}
		ae = awserr.Service("An internal error occurred in lambkin: " + err.Error())
	}
	key := "message"
	if def, ok := model.Exceptions[ae.Code]; ok {
		key = def.MessageKey
	}
	if ae.UpperMessage {
		key = "Message"
	}
	var b bytes.Buffer
	b.WriteByte('{')
	if ae.Reason != "" {
		b.WriteString(`"Reason":`)
		writeJSONString(&b, ae.Reason)
		b.WriteByte(',')
	}
	if ae.Type != "" {
		b.WriteString(`"Type":`)
		writeJSONString(&b, ae.Type)
		b.WriteByte(',')
	}
	writeJSONString(&b, key)
	b.WriteByte(':')
	writeJSONString(&b, ae.Message)
	b.WriteByte('}')

	h := w.Header()
	h.Set("x-amzn-ErrorType", ae.Code)
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	if ae.RetryAfterSeconds > 0 {
		h.Set("Retry-After", strconv.Itoa(ae.RetryAfterSeconds))
	}
	w.WriteHeader(ae.Status)
	w.Write(b.Bytes())
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	b.Truncate(b.Len() - 1) // Encode adds a newline
}
