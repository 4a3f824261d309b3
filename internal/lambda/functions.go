package lambda

import (
	"context"
	"errors"

	"github.com/lambkin/lambkin/internal/api/model"
	"github.com/lambkin/lambkin/internal/store"
)

// CreateFunction creates a function from a zip package (or records an
// image-based one). It answers at once with State Pending; the transition
// worker makes it Active once its package is unpacked and its runtime can
// run it.
func (s *Service) CreateFunction(_ context.Context, sc Scope, in *model.CreateFunctionRequest) (*model.FunctionConfiguration, error) {
	ref, err := resolveName(sc, *in.FunctionName, nil)
	if err != nil {
		return nil, err
	}
	if ref.Qualifier != "" {
		return nil, errQualifiedCreate()
	}
	if len(ref.Name) > 64 {
		return nil, errNameTooLong(ref.Name)
	}
	packageType := orDefault(in.PackageType, "Zip")
	cfg := defaultConfiguration(ref.Name, packageType)
	if in.Architectures != nil {
		cfg.Architectures = in.Architectures
	}
	if packageType == "Zip" && (in.Runtime == nil || in.Handler == nil) {
		return nil, errRuntimeAndHandlerRequired()
	}
	if packageType == "Image" && (in.Runtime != nil || in.Handler != nil) {
		return nil, errImageWithRuntime()
	}
	if in.CodeSigningConfigArn != nil {
		return nil, errCodeSigningConfigNotFound(*in.CodeSigningConfigArn)
	}
	if in.PublishTo != nil {
		return nil, errUnsupportedFeature("PublishTo", "Lambda Managed Instances capacity providers")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	code, info, err := s.savePackage(in.Code, packageType)
	if err != nil {
		return nil, err
	}
	setCode(&cfg, info)
	latestRecord := &versionRecord{Config: cfg, Code: code}
	err = s.store.View(func(tx store.Tx) error {
		if err := s.apply(tx, sc, &latestRecord.Config, createSettings(in)); err != nil {
			return err
		}
		return s.checkCombinedSize(tx, sc, latestRecord)
	})
	if err != nil {
		return nil, err
	}
	s.assignRuntime(sc, latestRecord)
	cfg = latestRecord.Config

	now := s.now()
	rev := s.cfg.NewID()
	cfg.LastModified = ptr(lastModified(now))
	cfg.RevisionId = ptr(rev)
	cfg.State, cfg.StateReason, cfg.StateReasonCode = ptr("Pending"), ptr("The function is being created."), ptr("Creating")

	fn := &functionRecord{Name: ref.Name, Tags: in.Tags}
	versions := []*versionRecord{{Config: cfg, Code: code, Pending: &pendingChange{Token: rev}}}
	if deref(in.Publish) {
		published := publishedCopy(versions[0], 1, rev)
		published.Config.RevisionId = ptr(s.cfg.NewID())
		versions = append(versions, published)
		fn.LastVersion = 1
		fn.PublishedFingerprint = fingerprint(versions[0])
	}

	unlock := s.locks.lock(sc.Region, ref.Name)
	err = s.store.Update(func(tx store.Tx) error {
		if existing, err := loadFunction(tx, sc.Region, ref.Name); err != nil || existing != nil {
			if err == nil {
				err = errFunctionExists(ref.Name)
			}
			return err
		}
		if err := saveFunction(tx, sc.Region, fn); err != nil {
			return err
		}
		for _, v := range versions {
			if err := saveVersion(tx, sc.Region, ref.Name, v); err != nil {
				return err
			}
		}
		return nil
	})
	unlock()
	if err != nil {
		return nil, err
	}
	s.work.submit(transitionJob{region: sc.Region, name: ref.Name, token: rev})
	last := versions[len(versions)-1]
	return view(last, ref.arn(sc, publishedQualifier(last))), nil
}

// publishedQualifier is the qualifier a create or publish response carries
// in its FunctionArn: none for $LATEST, the number for a version.
func publishedQualifier(v *versionRecord) string {
	if ver := deref(v.Config.Version); ver != latest {
		return ver
	}
	return ""
}

// GetFunction returns a version's configuration, where to download its
// code, and the function's tags and reserved concurrency when set.
func (s *Service) GetFunction(_ context.Context, sc Scope, in *model.GetFunctionRequest) (*model.GetFunctionResponse, error) {
	ref, err := resolveName(sc, *in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	var out model.GetFunctionResponse
	err = s.store.View(func(tx store.Tx) error {
		v, arn, err := s.resolveVersion(tx, sc, ref)
		if err != nil {
			return err
		}
		fn, err := loadFunction(tx, sc.Region, ref.Name)
		if err != nil {
			return err
		}
		out.Configuration = view(v, arn)
		out.Code = s.codeLocation(sc, v)
		if len(fn.Tags) > 0 {
			out.Tags = fn.Tags
		}
		if fn.ReservedConcurrency != nil {
			out.Concurrency = &model.Concurrency{ReservedConcurrentExecutions: ptr(*fn.ReservedConcurrency)}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// GetFunctionConfiguration returns a version's configuration.
func (s *Service) GetFunctionConfiguration(_ context.Context, sc Scope, in *model.GetFunctionConfigurationRequest) (*model.FunctionConfiguration, error) {
	ref, err := resolveName(sc, *in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	var out *model.FunctionConfiguration
	err = s.store.View(func(tx store.Tx) error {
		v, arn, err := s.resolveVersion(tx, sc, ref)
		if err == nil {
			out = view(v, arn)
		}
		return err
	})
	return out, err
}

// DeleteFunction deletes a function with all its versions and settings, or
// one published version when a version number is given.
func (s *Service) DeleteFunction(_ context.Context, sc Scope, in *model.DeleteFunctionRequest) (*model.DeleteFunctionResponse, error) {
	ref, err := resolveName(sc, *in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	switch kindOf(ref.Qualifier) {
	case qualAlias:
		return nil, errDeleteAlias()
	case qualLatest:
		if ref.Qualifier == latest {
			return nil, errDeleteLatest()
		}
	}
	unlock := s.locks.lock(sc.Region, ref.Name)
	defer unlock()
	err = s.store.Update(func(tx store.Tx) error {
		if _, err := existingFunction(tx, sc, ref, ""); err != nil {
			return err
		}
		if ref.Qualifier != "" {
			return s.deleteVersion(tx, sc, ref)
		}
		return s.deleteAllOf(tx, sc.Region, ref.Name)
	})
	if err != nil {
		return nil, err
	}
	s.afterDelete(sc.Region, ref.Name, ref.Qualifier)
	return &model.DeleteFunctionResponse{StatusCode: ptr(204)}, nil
}

// resolveVersion finds the version a reference names: $LATEST when it has
// no qualifier, a published version for a number, an alias's target for a
// name. It returns the ARN to show: unqualified when the caller gave no
// qualifier, otherwise qualified as the caller asked.
func (s *Service) resolveVersion(tx store.Tx, sc Scope, ref nameRef) (*versionRecord, string, error) {
	arn := ref.arn(sc, ref.Qualifier)
	version := ref.Qualifier
	if kindOf(version) == qualAlias {
		a, err := loadAlias(tx, sc.Region, ref.Name, ref.Qualifier)
		if err != nil {
			return nil, "", err
		}
		if a == nil {
			return nil, "", errFunctionNotFound(arn)
		}
		version = *a.FunctionVersion
	}
	if version == "" {
		version = latest
	}
	v, err := loadVersion(tx, sc.Region, ref.Name, version)
	if err != nil {
		return nil, "", err
	}
	if v == nil {
		return nil, "", errFunctionNotFound(arn)
	}
	return v, arn, nil
}

// view is the configuration of v as shown under arn.
func view(v *versionRecord, arn string) *model.FunctionConfiguration {
	c := v.Config
	c.FunctionArn = ptr(arn)
	return &c
}

// listView drops what list operations leave out: states, update status and
// the runtime version (gf-17, pv-05).
func listView(v *versionRecord, arn string) model.FunctionConfiguration {
	c := *view(v, arn)
	c.State, c.StateReason, c.StateReasonCode = nil, nil, nil
	c.LastUpdateStatus, c.LastUpdateStatusReason, c.LastUpdateStatusReasonCode = nil, nil, nil
	c.RuntimeVersionConfig = nil
	return c
}

var errStop = errors.New("stop")

// ListFunctions lists the region's functions ($LATEST, unqualified ARNs),
// or with FunctionVersion=ALL every version ($LATEST qualified). AWS returns
// at most 50 items a page whatever MaxItems asks.
func (s *Service) ListFunctions(_ context.Context, sc Scope, in *model.ListFunctionsRequest) (*model.ListFunctionsResponse, error) {
	limit := min(orDefaultInt(in.MaxItems, 50), 50)
	page, err := newPage(in.Marker, &limit, 50)
	if err != nil {
		return nil, err
	}
	out := &model.ListFunctionsResponse{Functions: []model.FunctionConfiguration{}}
	if in.MasterRegion != nil {
		// Lambda@Edge replicas: lambkin has none.
		return out, nil
	}
	all := deref(in.FunctionVersion) == "ALL"
	prefix := []byte(sc.Region + sep)
	err = s.store.View(func(tx store.Tx) error {
		if all {
			return page.scan(tx, bucketVersions, prefix, func(k, b []byte) error {
				var v versionRecord
				if err := unmarshalRecord(b, &v); err != nil {
					return err
				}
				_, name := splitVersionKey(k)
				out.Functions = append(out.Functions, listView(&v, functionARN(sc, name, *v.Config.Version)))
				return nil
			})
		}
		return page.scan(tx, bucketFunctions, prefix, func(k, _ []byte) error {
			name := string(k[len(prefix):])
			v, err := loadVersion(tx, sc.Region, name, latest)
			if err != nil || v == nil {
				return err
			}
			out.Functions = append(out.Functions, listView(v, functionARN(sc, name, "")))
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	out.NextMarker = page.next
	return out, nil
}

func orDefaultInt(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}
