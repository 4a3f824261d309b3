package lambda

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"time"

	"github.com/lambkin/lambkin/internal/engine"
)

// outcome is how an asynchronous invocation ended: Success,
// RetriesExhausted, EventAgeExceeded or ZeroReservedConcurrency.
type outcome struct {
	condition string
	target    *invocationTarget
	result    *engine.Result
}

// destinationRecord is the record AWS sends to an async destination.
type destinationRecord struct {
	Version         string           `json:"version"`
	Timestamp       string           `json:"timestamp"`
	RequestContext  requestContext   `json:"requestContext"`
	RequestPayload  json.RawMessage  `json:"requestPayload"`
	ResponseContext *responseContext `json:"responseContext,omitempty"`
	ResponsePayload json.RawMessage  `json:"responsePayload,omitempty"`
}

type requestContext struct {
	RequestID              string `json:"requestId"`
	FunctionArn            string `json:"functionArn"`
	Condition              string `json:"condition"`
	ApproximateInvokeCount int    `json:"approximateInvokeCount"`
}

type responseContext struct {
	StatusCode      int    `json:"statusCode"`
	ExecutedVersion string `json:"executedVersion"`
	FunctionError   string `json:"functionError,omitempty"`
}

// deliverOutcome sends an async invocation's record to its destination: on
// success to OnSuccess; on failure to OnFailure, else the event itself to
// the dead-letter queue; with neither, the failure is logged.
func (s *Service) deliverOutcome(ev *queuedEvent, o outcome, st asyncSettings) {
	success := o.condition == "Success"
	dest := st.onFailure
	if success {
		dest = st.onSuccess
	}
	if dest != "" {
		s.deliver(ev, dest, s.destinationRecord(ev, o))
		return
	}
	if success {
		return
	}
	if st.deadLetter != "" {
		s.deliverDeadLetter(ev, st.deadLetter, o)
		return
	}
	s.cfg.Log.Warn("async invocation failed and has no destination or dead-letter queue",
		"function", ev.Name, "requestId", ev.RequestID, "condition", o.condition, "attempts", ev.Attempts)
}

func (s *Service) destinationRecord(ev *queuedEvent, o outcome) []byte {
	q := ev.Qualifier
	if q == "" {
		q = latest
	}
	rec := destinationRecord{
		Version:   "1.0",
		Timestamp: s.now().Format("2006-01-02T15:04:05.000Z"),
		RequestContext: requestContext{
			RequestID:              ev.RequestID,
			FunctionArn:            arnFor(ev.Region, ev.Account, ev.Name, q),
			Condition:              o.condition,
			ApproximateInvokeCount: ev.Attempts,
		},
		RequestPayload: rawJSON(ev.Payload),
	}
	if o.result != nil {
		rec.ResponseContext = &responseContext{StatusCode: http.StatusOK, ExecutedVersion: o.target.version, FunctionError: o.result.FunctionError}
		rec.ResponsePayload = rawJSON(o.result.Payload)
	}
	b, _ := json.Marshal(rec)
	return b
}

// rawJSON keeps a payload as JSON when it is, and as a JSON string when not.
func rawJSON(b []byte) json.RawMessage {
	if json.Valid(b) {
		return b
	}
	s, _ := json.Marshal(string(b))
	return s
}

var lambdaDestinationRE = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):function:([a-zA-Z0-9-_]+)(?::([a-zA-Z0-9-_$]+))?$`)

// deliver sends a record to a destination ARN: a Lambda function gets it
// as an asynchronous invocation; any other ARN goes to the HTTP endpoint
// configured for it (lambkin does not run SQS, SNS, EventBridge or S3).
func (s *Service) deliver(ev *queuedEvent, arn string, record []byte) {
	if m := lambdaDestinationRE.FindStringSubmatch(arn); m != nil {
		sc := Scope{Region: m[1], Account: m[2], RequestID: s.cfg.NewID()}
		ref := nameRef{Name: m[3], Account: m[2], Qualifier: m[4]}
		target, err := s.invocationTarget(sc, ref)
		if err == nil {
			err = s.enqueue(sc, ref, target, record)
		}
		if err != nil {
			s.cfg.Log.Error("async destination: invoking function", "destination", arn, "requestId", ev.RequestID, "err", err)
		}
		return
	}
	s.post(arn, record, nil, ev)
}

// deliverDeadLetter sends the original event to the dead-letter target,
// with the attributes AWS sets on the message as headers.
func (s *Service) deliverDeadLetter(ev *queuedEvent, arn string, o outcome) {
	code, msg := "200", "The function failed after its retries."
	if o.result != nil && o.result.ErrorType != "" {
		msg = o.result.ErrorType
	}
	if o.condition == "ZeroReservedConcurrency" {
		code, msg = "429", "The function has zero reserved concurrency."
	}
	s.post(arn, ev.Payload, map[string]string{
		"X-Lambda-Request-Id":    ev.RequestID,
		"X-Lambda-Error-Code":    code,
		"X-Lambda-Error-Message": msg,
	}, ev)
}

// post sends a message to the HTTP endpoint mapped to arn.
func (s *Service) post(arn string, body []byte, headers map[string]string, ev *queuedEvent) {
	url, ok := s.cfg.Destinations[arn]
	if !ok {
		s.cfg.Log.Warn("async destination has no endpoint configured; record dropped (map one with --destination ARN=URL)",
			"destination", arn, "function", ev.Name, "requestId", ev.RequestID, "record", string(body))
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err == nil {
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Lambkin-Destination", arn)
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		var resp *http.Response
		if resp, err = http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode >= 300 {
				err = fmt.Errorf("endpoint answered %s", resp.Status)
			}
		}
	}
	if err != nil {
		s.cfg.Log.Error("async destination: delivery failed", "destination", arn, "endpoint", url, "requestId", ev.RequestID, "err", err)
	}
}
