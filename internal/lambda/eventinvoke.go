package lambda

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/lambkin/lambkin/internal/api/model"
	"github.com/lambkin/lambkin/internal/store"
)

// Event invoke configs set retries, event age and destinations of
// asynchronous invocations, per qualifier ($LATEST, a version or an alias).
const bucketEventInvoke = "eventinvoke" // region\0name\0qualifier -> eventInvokeRecord

type eventInvokeRecord struct {
	MaximumRetryAttempts     *int                    `json:"maximumRetryAttempts,omitzero"`
	MaximumEventAgeInSeconds *int                    `json:"maximumEventAgeInSeconds,omitzero"`
	DestinationConfig        model.DestinationConfig `json:"destinationConfig"`
	LastModified             time.Time               `json:"lastModified"`
}

// PutFunctionEventInvokeConfig replaces a qualifier's config: settings left
// out are removed.
func (s *Service) PutFunctionEventInvokeConfig(_ context.Context, sc Scope, in *model.PutFunctionEventInvokeConfigRequest) (*model.FunctionEventInvokeConfig, error) {
	return s.setEventInvoke(sc, *in.FunctionName, in.Qualifier, func(rec *eventInvokeRecord) {
		*rec = eventInvokeRecord{MaximumRetryAttempts: in.MaximumRetryAttempts, MaximumEventAgeInSeconds: in.MaximumEventAgeInSeconds}
		if in.DestinationConfig != nil {
			rec.DestinationConfig = *in.DestinationConfig
		}
	}, in.MaximumRetryAttempts == nil && in.MaximumEventAgeInSeconds == nil && in.DestinationConfig == nil, in.DestinationConfig, false)
}

// UpdateFunctionEventInvokeConfig merges settings into a qualifier's config.
func (s *Service) UpdateFunctionEventInvokeConfig(_ context.Context, sc Scope, in *model.UpdateFunctionEventInvokeConfigRequest) (*model.FunctionEventInvokeConfig, error) {
	return s.setEventInvoke(sc, *in.FunctionName, in.Qualifier, func(rec *eventInvokeRecord) {
		if in.MaximumRetryAttempts != nil {
			rec.MaximumRetryAttempts = in.MaximumRetryAttempts
		}
		if in.MaximumEventAgeInSeconds != nil {
			rec.MaximumEventAgeInSeconds = in.MaximumEventAgeInSeconds
		}
		if d := in.DestinationConfig; d != nil {
			if d.OnSuccess != nil {
				rec.DestinationConfig.OnSuccess = d.OnSuccess
			}
			if d.OnFailure != nil {
				rec.DestinationConfig.OnFailure = d.OnFailure
			}
		}
	}, in.MaximumRetryAttempts == nil && in.MaximumEventAgeInSeconds == nil && in.DestinationConfig == nil, in.DestinationConfig, true)
}

func (s *Service) setEventInvoke(sc Scope, functionName string, qualifier *string, edit func(*eventInvokeRecord), empty bool, dest *model.DestinationConfig, mustExist bool) (*model.FunctionEventInvokeConfig, error) {
	ref, err := resolveName(sc, functionName, qualifier)
	if err != nil {
		return nil, err
	}
	if empty {
		return nil, errEventInvokeEmpty()
	}
	unlock := s.locks.lock(sc.Region, ref.Name)
	defer unlock()
	q := orDefault(&ref.Qualifier, "")
	if q == "" {
		q = latest
	}
	var rec eventInvokeRecord
	err = s.store.Update(func(tx store.Tx) error {
		if err := eventInvokeTarget(tx, sc, ref, q); err != nil {
			return err
		}
		if err := checkDestinations(tx, sc, ref, dest); err != nil {
			return err
		}
		found, err := getJSON(tx, bucketEventInvoke, versionKey(sc.Region, ref.Name, q), &rec)
		if err != nil {
			return err
		}
		if mustExist && !found {
			return errNoEventInvokeConfig(ref.arn(sc, q))
		}
		edit(&rec)
		rec.LastModified = s.now()
		return putJSON(tx, bucketEventInvoke, versionKey(sc.Region, ref.Name, q), &rec)
	})
	if err != nil {
		return nil, err
	}
	return eventInvokeView(ref.arn(sc, q), &rec), nil
}

// GetFunctionEventInvokeConfig returns a qualifier's config.
func (s *Service) GetFunctionEventInvokeConfig(_ context.Context, sc Scope, in *model.GetFunctionEventInvokeConfigRequest) (*model.FunctionEventInvokeConfig, error) {
	ref, q, rec, err := s.loadEventInvoke(sc, *in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	return eventInvokeView(ref.arn(sc, q), rec), nil
}

// DeleteFunctionEventInvokeConfig removes a qualifier's config.
func (s *Service) DeleteFunctionEventInvokeConfig(_ context.Context, sc Scope, in *model.DeleteFunctionEventInvokeConfigRequest) (*struct{}, error) {
	ref, q, _, err := s.loadEventInvoke(sc, *in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	unlock := s.locks.lock(sc.Region, ref.Name)
	defer unlock()
	err = s.store.Update(func(tx store.Tx) error { return tx.Delete(bucketEventInvoke, versionKey(sc.Region, ref.Name, q)) })
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// ListFunctionEventInvokeConfigs lists a function's configs.
func (s *Service) ListFunctionEventInvokeConfigs(_ context.Context, sc Scope, in *model.ListFunctionEventInvokeConfigsRequest) (*model.ListFunctionEventInvokeConfigsResponse, error) {
	ref, err := s.unqualified(sc, *in.FunctionName)
	if err != nil {
		return nil, err
	}
	out := &model.ListFunctionEventInvokeConfigsResponse{FunctionEventInvokeConfigs: []model.FunctionEventInvokeConfig{}}
	listing := functionListing{bucket: bucketEventInvoke, marker: in.Marker, maxItems: in.MaxItems, missing: errFunctionDoesntExist()}
	out.NextMarker, err = s.listFunctionRecords(sc, ref, listing, func(k, b []byte) error {
		var rec eventInvokeRecord
		if err := unmarshalRecord(b, &rec); err != nil {
			return err
		}
		out.FunctionEventInvokeConfigs = append(out.FunctionEventInvokeConfigs, *eventInvokeView(ref.arn(sc, qualifierOfKey(k)), &rec))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) loadEventInvoke(sc Scope, functionName string, qualifier *string) (nameRef, string, *eventInvokeRecord, error) {
	ref, err := resolveName(sc, functionName, qualifier)
	if err != nil {
		return ref, "", nil, err
	}
	q := ref.Qualifier
	if q == "" {
		q = latest
	}
	var rec eventInvokeRecord
	err = s.store.View(func(tx store.Tx) error {
		found, err := getJSON(tx, bucketEventInvoke, versionKey(sc.Region, ref.Name, q), &rec)
		if err == nil && !found {
			err = errNoEventInvokeConfig(ref.arn(sc, q))
		}
		return err
	})
	return ref, q, &rec, err
}

// eventInvokeTarget checks that the function and qualifier exist.
func eventInvokeTarget(tx store.Tx, sc Scope, ref nameRef, q string) error {
	fn, err := loadFunction(tx, sc.Region, ref.Name)
	if err != nil {
		return err
	}
	if fn == nil {
		return errFunctionDoesntExist()
	}
	if kindOf(q) == qualAlias {
		a, err := loadAlias(tx, sc.Region, ref.Name, q)
		if err == nil && a == nil {
			err = errFunctionDoesntExist()
		}
		return err
	}
	v, err := loadVersion(tx, sc.Region, ref.Name, q)
	if err == nil && v == nil {
		err = errFunctionDoesntExist()
	}
	return err
}

// destinationServiceRE accepts the destination services Lambda supports.
var destinationServiceRE = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:(sqs|sns|lambda|events|s3):`)

// checkDestinations validates destination ARNs: supported services only,
// never the function itself, and a Lambda destination must exist.
func checkDestinations(tx store.Tx, sc Scope, ref nameRef, d *model.DestinationConfig) error {
	if d == nil {
		return nil
	}
	for _, dest := range []*string{destinationOf(d.OnSuccess), destinationOf(d.OnFailure)} {
		if dest == nil || *dest == "" {
			continue
		}
		if !destinationServiceRE.MatchString(*dest) {
			return errInvalidDestinationConfig(d)
		}
		target, ok := parseName(*dest)
		if !ok || !target.HasARN || !regexp.MustCompile(`:lambda:`).MatchString(*dest) {
			continue
		}
		if target.Name == ref.Name && (target.Region == "" || target.Region == sc.Region) {
			return errSelfDestination()
		}
		fn, err := loadFunction(tx, orDefault(&target.Region, sc.Region), target.Name)
		if err != nil {
			return err
		}
		if fn == nil {
			return errInvalidDestination(*dest)
		}
	}
	return nil
}

func destinationOf(t any) *string {
	switch t := t.(type) {
	case *model.OnSuccess:
		if t != nil {
			return t.Destination
		}
	case *model.OnFailure:
		if t != nil {
			return t.Destination
		}
	}
	return nil
}

// eventInvokeView renders a config: DestinationConfig always shows both
// sides, the other settings only when set.
func eventInvokeView(arn string, rec *eventInvokeRecord) *model.FunctionEventInvokeConfig {
	dest := rec.DestinationConfig
	if dest.OnSuccess == nil {
		dest.OnSuccess = &model.OnSuccess{}
	}
	if dest.OnFailure == nil {
		dest.OnFailure = &model.OnFailure{}
	}
	return &model.FunctionEventInvokeConfig{
		LastModified:             &model.Timestamp{Time: rec.LastModified},
		FunctionArn:              ptr(arn),
		MaximumRetryAttempts:     rec.MaximumRetryAttempts,
		MaximumEventAgeInSeconds: rec.MaximumEventAgeInSeconds,
		DestinationConfig:        &dest,
	}
}

// renderDestinationConfig writes a DestinationConfig as AWS prints it in
// errors: DestinationConfig(onSuccess=OnSuccess(destination=...), onFailure=null).
func renderDestinationConfig(d *model.DestinationConfig) string {
	side := func(name string, dest *string, set bool) string {
		if !set {
			return "null"
		}
		return fmt.Sprintf("%s(destination=%s)", name, deref(dest))
	}
	return fmt.Sprintf("DestinationConfig(onSuccess=%s, onFailure=%s)",
		side("OnSuccess", destinationOf(d.OnSuccess), d.OnSuccess != nil),
		side("OnFailure", destinationOf(d.OnFailure), d.OnFailure != nil))
}
