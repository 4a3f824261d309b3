package lambda

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"net/http"
	"sync"

	"github.com/lambkin/lambkin/internal/api/model"
	"github.com/lambkin/lambkin/internal/awserr"
	"github.com/lambkin/lambkin/internal/engine"
	"github.com/lambkin/lambkin/internal/store"
)

// Payload limits of invocations.
const (
	syncPayloadLimit  = 6291456 // checked on the request body (cf-10's template)
	asyncPayloadLimit = 1048576
	clientContextMax  = 3583
)

// Invoke runs a function: synchronously (RequestResponse), queued for
// asynchronous processing (Event, 202), or only checked (DryRun, 204).
func (s *Service) Invoke(ctx context.Context, sc Scope, in *model.InvocationRequest) (*model.InvocationResponse, error) {
	ref, err := resolveName(sc, *in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	switch {
	case in.DurableExecutionName != nil:
		return nil, errUnsupportedFeature("DurableExecutionName", "durable functions")
	case in.TenantId != nil:
		return nil, errUnsupportedFeature("TenantId", "tenant isolation mode")
	}
	invocationType := orDefault(in.InvocationType, "RequestResponse")
	payload := in.Payload
	if invocationType == "Event" && len(payload) > asyncPayloadLimit {
		return nil, errAsyncPayloadTooLarge(len(payload), asyncPayloadLimit)
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	} else if err := checkPayloadJSON(payload); err != nil {
		return nil, err
	}
	clientContext, err := decodeClientContext(in.ClientContext)
	if err != nil {
		return nil, err
	}
	target, err := s.invocationTarget(sc, ref)
	if err != nil {
		return nil, err
	}
	switch invocationType {
	case "DryRun":
		return &model.InvocationResponse{StatusCode: ptr(http.StatusNoContent)}, nil
	case "Event":
		if err := s.enqueue(sc, ref, target, payload); err != nil {
			return nil, err
		}
		return &model.InvocationResponse{StatusCode: ptr(http.StatusAccepted)}, nil
	}
	res, err := s.exec.Invoke(ctx, &engine.Invocation{
		Function:      target.spec,
		RequestID:     sc.RequestID,
		InvokedARN:    target.invokedARN,
		Qualifier:     ref.Qualifier,
		Payload:       payload,
		ClientContext: clientContext,
		TraceID:       sc.TraceID,
		LogTail:       deref(in.LogType) == "Tail",
	})
	if err != nil {
		return nil, invokeError(err)
	}
	out := &model.InvocationResponse{StatusCode: ptr(http.StatusOK), Payload: res.Payload, ExecutedVersion: ptr(target.version)}
	if res.FunctionError != "" {
		out.FunctionError = ptr(res.FunctionError)
	}
	if res.LogTail != "" {
		out.LogResult = ptr(res.LogTail)
	}
	return out, nil
}

// InvokeAsync is the deprecated asynchronous invocation: 202, payload
// queued like an Event invocation.
func (s *Service) InvokeAsync(ctx context.Context, sc Scope, in *model.InvokeAsyncRequest) (*model.InvokeAsyncResponse, error) {
	if len(in.InvokeArgs) > invokeAsyncLimit {
		return nil, errAsyncPayloadTooLarge(len(in.InvokeArgs), invokeAsyncLimit)
	}
	_, err := s.Invoke(ctx, sc, &model.InvocationRequest{FunctionName: in.FunctionName, InvocationType: ptr("Event"), Payload: in.InvokeArgs})
	if err != nil {
		return nil, err
	}
	return &model.InvokeAsyncResponse{Status: ptr(http.StatusAccepted)}, nil
}

// invokeAsyncLimit is InvokeAsync's own, older limit.
const invokeAsyncLimit = 262144

// invocationTarget is what an invocation runs.
type invocationTarget struct {
	version    string // the version that runs (an alias's pick)
	invokedARN string // as the caller named it
	spec       *engine.Function
}

// invocationTarget resolves what an invocation runs: the version named, or
// one of an alias's versions by its routing weights. The function must be
// able to run: not Pending, not Failed.
func (s *Service) invocationTarget(sc Scope, ref nameRef) (*invocationTarget, error) {
	// Warm invocations of a version skip the store: the target stays valid
	// until anything is written. (An alias picks a version per invocation.)
	key := sc.Region + sep + ref.account(sc) + sep + ref.Name + sep + ref.Qualifier
	cacheable := kindOf(ref.Qualifier) != qualAlias
	commits := s.store.commits.Load()
	if cacheable {
		if t := s.targets.get(key, commits); t != nil {
			return t, nil
		}
	}
	var t invocationTarget
	err := s.store.View(func(tx store.Tx) error {
		version := ref.Qualifier
		t.invokedARN = ref.arn(sc, ref.Qualifier)
		notFound := ref.arn(sc, orDefault(&ref.Qualifier, latest))
		if version == "" {
			version = latest
			notFound = ref.arn(sc, latest)
		}
		if kindOf(version) == qualAlias {
			a, err := loadAlias(tx, sc.Region, ref.Name, version)
			if err != nil {
				return err
			}
			if a == nil {
				return errFunctionNotFound(notFound)
			}
			version = pickVersion(a)
		}
		v, err := loadVersion(tx, sc.Region, ref.Name, version)
		if err != nil {
			return err
		}
		if v == nil {
			return errFunctionNotFound(notFound)
		}
		if state := deref(v.Config.State); state != "Active" {
			return errNotInvocable(state)
		}
		t.version = version
		t.spec, err = s.functionSpec(tx, sc.Region, ref.account(sc), ref.Name, v)
		return err
	})
	if err != nil {
		return nil, err
	}
	if t.invokedARN == "" {
		t.invokedARN = ref.arn(sc, "")
	}
	if cacheable {
		s.targets.put(key, commits, &t)
	}
	return &t, nil
}

// targetCache remembers invocation targets with the store's commit count
// when they were read.
type targetCache struct {
	mu      sync.Mutex
	entries map[string]cachedTarget
}

type cachedTarget struct {
	commits uint64
	target  *invocationTarget
}

func (c *targetCache) get(key string, commits uint64) *invocationTarget {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[key]; ok && e.commits == commits {
		return e.target
	}
	return nil
}

func (c *targetCache) put(key string, commits uint64, t *invocationTarget) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) > 10000 {
		c.entries = map[string]cachedTarget{}
	}
	c.entries[key] = cachedTarget{commits, t}
}

// pickVersion chooses an alias's version for one invocation by its
// routing weights.
func pickVersion(a *model.AliasConfiguration) string {
	if a.RoutingConfig != nil {
		r := rand.Float64()
		for version, weight := range a.RoutingConfig.AdditionalVersionWeights {
			if r < weight {
				return version
			}
		}
	}
	return deref(a.FunctionVersion)
}

// checkPayloadJSON rejects a payload that is not JSON, as Lambda does.
func checkPayloadJSON(payload []byte) error {
	var v any
	if err := json.Unmarshal(payload, &v); err != nil {
		return errPayloadNotJSON(err.Error())
	}
	return nil
}

// decodeClientContext turns the X-Amz-Client-Context header (base64 JSON)
// into the JSON the runtime receives.
func decodeClientContext(header *string) (string, error) {
	if header == nil || *header == "" {
		return "", nil
	}
	if len(*header) > clientContextMax {
		return "", errClientContextTooLarge(clientContextMax)
	}
	raw, err := base64.StdEncoding.DecodeString(*header)
	if err != nil || !json.Valid(raw) {
		return "", errClientContextInvalid()
	}
	return string(raw), nil
}

// invokeError maps engine errors to API errors: throttles become 429.
func invokeError(err error) error {
	var te *engine.ThrottleError
	if errors.As(err, &te) {
		return awserr.TooManyRequests("Rate Exceeded.", te.Reason)
	}
	return err
}
