package engine

import (
	"encoding/json"
	"time"
)

// Platform log events. In Text format Lambda writes its familiar lines
// (INIT_START, START, END, REPORT); with LoggingConfig LogFormat JSON it
// writes JSON records of the same events, filtered by SystemLogLevel
// (platform events are INFO: WARN keeps none of them).
const (
	platformInitStart   = "platform.initStart"
	platformStart       = "platform.start"
	platformRuntimeDone = "platform.runtimeDone"
	platformReport      = "platform.report"
)

// platform writes one platform event: text in Text format, the JSON
// record otherwise.
func (e *environment) platform(kind, text string, record map[string]any) {
	if e.fn.Logging.Format != "JSON" {
		e.log.Event(text)
		return
	}
	if e.fn.Logging.SystemLevel == "WARN" {
		return
	}
	b, _ := json.Marshal(struct {
		Time   string         `json:"time"`
		Type   string         `json:"type"`
		Record map[string]any `json:"record"`
	}{e.now().UTC().Format("2006-01-02T15:04:05.000Z"), kind, record})
	e.log.Event(string(b))
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
