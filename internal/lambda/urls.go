package lambda

import (
	"context"
	"crypto/rand"
	"time"

	"github.com/lambkin/lambkin/internal/api/model"
	"github.com/lambkin/lambkin/internal/store"
)

// Function URL configs give the function (or one alias) an HTTPS endpoint.
// lambkin stores and validates them; serving the URLs comes with the
// security work.
const bucketURLs = "urls" // region\0name\0qualifier ("" for the function) -> urlRecord

type urlRecord struct {
	URLID            string      `json:"urlId"`
	AuthType         string      `json:"authType"`
	Cors             *model.Cors `json:"cors,omitzero"`
	InvokeMode       *string     `json:"invokeMode,omitzero"`
	CreationTime     string      `json:"creationTime"`
	LastModifiedTime string      `json:"lastModifiedTime"`
}

// urlTime formats function URL timestamps: microseconds and Z, unlike the
// rest of the API.
func urlTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// newURLID is the 32-character host label of a function URL.
func newURLID() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	var b [32]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b[:])
}

// CreateFunctionUrlConfig creates the URL of a function or alias.
func (s *Service) CreateFunctionUrlConfig(_ context.Context, sc Scope, in *model.CreateFunctionUrlConfigRequest) (*model.CreateFunctionUrlConfigResponse, error) {
	ref, err := resolveName(sc, *in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	unlock := s.locks.lock(sc.Region, ref.Name)
	defer unlock()
	now := urlTime(s.now())
	rec := urlRecord{URLID: newURLID(), AuthType: *in.AuthType, Cors: in.Cors, InvokeMode: in.InvokeMode, CreationTime: now, LastModifiedTime: now}
	err = s.store.Update(func(tx store.Tx) error {
		if err := urlTarget(tx, sc, ref, errFunctionDoesNotExist()); err != nil {
			return err
		}
		var existing urlRecord
		found, err := getJSON(tx, bucketURLs, versionKey(sc.Region, ref.Name, ref.Qualifier), &existing)
		if err != nil {
			return err
		}
		if found {
			return errURLConfigExists(ref.arn(sc, ref.Qualifier))
		}
		return putJSON(tx, bucketURLs, versionKey(sc.Region, ref.Name, ref.Qualifier), &rec)
	})
	if err != nil {
		return nil, err
	}
	return &model.CreateFunctionUrlConfigResponse{
		FunctionUrl:  ptr(functionURL(sc, rec.URLID)),
		FunctionArn:  ptr(ref.arn(sc, ref.Qualifier)),
		AuthType:     ptr(rec.AuthType),
		Cors:         rec.Cors,
		CreationTime: ptr(rec.CreationTime),
		InvokeMode:   rec.InvokeMode,
	}, nil
}

// GetFunctionUrlConfig returns a URL config; InvokeMode defaults to BUFFERED.
func (s *Service) GetFunctionUrlConfig(_ context.Context, sc Scope, in *model.GetFunctionUrlConfigRequest) (*model.GetFunctionUrlConfigResponse, error) {
	ref, rec, err := s.loadURL(sc, *in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	out := urlView(sc, ref.arn(sc, ref.Qualifier), rec, true)
	return &out, nil
}

// UpdateFunctionUrlConfig changes the settings it is given.
func (s *Service) UpdateFunctionUrlConfig(_ context.Context, sc Scope, in *model.UpdateFunctionUrlConfigRequest) (*model.UpdateFunctionUrlConfigResponse, error) {
	ref, err := resolveName(sc, *in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	unlock := s.locks.lock(sc.Region, ref.Name)
	defer unlock()
	var rec urlRecord
	err = s.store.Update(func(tx store.Tx) error {
		if err := urlTarget(tx, sc, ref, errFunctionDoesNotExist()); err != nil {
			return err
		}
		found, err := getJSON(tx, bucketURLs, versionKey(sc.Region, ref.Name, ref.Qualifier), &rec)
		if err == nil && !found {
			err = errResourceNotFound()
		}
		if err != nil {
			return err
		}
		if in.AuthType != nil {
			rec.AuthType = *in.AuthType
		}
		if in.Cors != nil {
			rec.Cors = in.Cors
		}
		if in.InvokeMode != nil {
			rec.InvokeMode = in.InvokeMode
		}
		rec.LastModifiedTime = urlTime(s.now())
		return putJSON(tx, bucketURLs, versionKey(sc.Region, ref.Name, ref.Qualifier), &rec)
	})
	if err != nil {
		return nil, err
	}
	out := model.UpdateFunctionUrlConfigResponse(urlView(sc, ref.arn(sc, ref.Qualifier), &rec, false))
	return &out, nil
}

// DeleteFunctionUrlConfig removes a URL config.
func (s *Service) DeleteFunctionUrlConfig(_ context.Context, sc Scope, in *model.DeleteFunctionUrlConfigRequest) (*struct{}, error) {
	ref, _, err := s.loadURL(sc, *in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	unlock := s.locks.lock(sc.Region, ref.Name)
	defer unlock()
	err = s.store.Update(func(tx store.Tx) error { return tx.Delete(bucketURLs, versionKey(sc.Region, ref.Name, ref.Qualifier)) })
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// ListFunctionUrlConfigs lists the function's URL first, then its aliases'.
func (s *Service) ListFunctionUrlConfigs(_ context.Context, sc Scope, in *model.ListFunctionUrlConfigsRequest) (*model.ListFunctionUrlConfigsResponse, error) {
	ref, err := s.unqualified(sc, *in.FunctionName)
	if err != nil {
		return nil, err
	}
	out := &model.ListFunctionUrlConfigsResponse{FunctionUrlConfigs: []model.FunctionUrlConfig{}}
	listing := functionListing{bucket: bucketURLs, marker: in.Marker, maxItems: in.MaxItems, missing: errFunctionDoesNotExist()}
	out.NextMarker, err = s.listFunctionRecords(sc, ref, listing, func(k, b []byte) error {
		var rec urlRecord
		if err := unmarshalRecord(b, &rec); err != nil {
			return err
		}
		v := urlView(sc, ref.arn(sc, qualifierOfKey(k)), &rec, true)
		out.FunctionUrlConfigs = append(out.FunctionUrlConfigs, model.FunctionUrlConfig{
			FunctionUrl: v.FunctionUrl, FunctionArn: v.FunctionArn, AuthType: v.AuthType, Cors: v.Cors,
			CreationTime: v.CreationTime, LastModifiedTime: v.LastModifiedTime, InvokeMode: v.InvokeMode,
		})
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// urlView is a URL config as Get shows it; Get and List fill InvokeMode
// with its default (BUFFERED), Update shows it only when it was set.
func urlView(sc Scope, arn string, rec *urlRecord, defaultMode bool) model.GetFunctionUrlConfigResponse {
	v := model.GetFunctionUrlConfigResponse{
		FunctionUrl:      ptr(functionURL(sc, rec.URLID)),
		FunctionArn:      ptr(arn),
		AuthType:         ptr(rec.AuthType),
		Cors:             rec.Cors,
		CreationTime:     ptr(rec.CreationTime),
		LastModifiedTime: ptr(rec.LastModifiedTime),
		InvokeMode:       rec.InvokeMode,
	}
	if defaultMode {
		v.InvokeMode = ptr(orDefault(rec.InvokeMode, "BUFFERED"))
	}
	return v
}

func (s *Service) loadURL(sc Scope, functionName string, qualifier *string) (nameRef, *urlRecord, error) {
	ref, err := resolveName(sc, functionName, qualifier)
	if err != nil {
		return ref, nil, err
	}
	var rec urlRecord
	err = s.store.View(func(tx store.Tx) error {
		if err := urlTarget(tx, sc, ref, errResourceNotFound()); err != nil {
			return err
		}
		found, err := getJSON(tx, bucketURLs, versionKey(sc.Region, ref.Name, ref.Qualifier), &rec)
		if err == nil && !found {
			err = errResourceNotFound()
		}
		return err
	})
	return ref, &rec, err
}

// urlTarget checks that the function (and the alias, if any) exists.
func urlTarget(tx store.Tx, sc Scope, ref nameRef, missing error) error {
	fn, err := loadFunction(tx, sc.Region, ref.Name)
	if err != nil {
		return err
	}
	if fn == nil {
		return missing
	}
	if ref.Qualifier != "" {
		a, err := loadAlias(tx, sc.Region, ref.Name, ref.Qualifier)
		if err == nil && a == nil {
			err = missing
		}
		return err
	}
	return nil
}

// functionURL is the URL AWS would assign. lambkin records it but does not
// serve function URLs yet.
func functionURL(sc Scope, id string) string {
	return "https://" + id + ".lambda-url." + sc.Region + ".on.aws/"
}
