package lambda

import (
	"context"
	"encoding/json"

	"github.com/lambkin/lambkin/internal/api/model"
	"github.com/lambkin/lambkin/internal/store"
)

// UpdateFunctionConfiguration changes $LATEST's settings. The response
// already shows them, with LastUpdateStatus InProgress; the transition
// worker finishes the update in the background. A request that changes
// nothing is still an update (ufc-08).
func (s *Service) UpdateFunctionConfiguration(_ context.Context, sc Scope, in *model.UpdateFunctionConfigurationRequest) (*model.FunctionConfiguration, error) {
	ref, err := resolveName(sc, *in.FunctionName, nil)
	if err != nil {
		return nil, err
	}
	return s.updateLatest(sc, ref, latestUpdate{revisionID: in.RevisionId, change: func(tx store.Tx, v *versionRecord) error {
		if err := s.checkRuntimeChange(tx, sc, ref, v, in.Runtime, nil); err != nil {
			return err
		}
		if err := s.apply(tx, sc, &v.Config, updateSettings(in)); err != nil {
			return err
		}
		return s.checkCombinedSize(tx, sc, v)
	}})
}

// UpdateFunctionCode replaces $LATEST's package (and architecture), and
// publishes a version of the result when asked. DryRun checks everything
// and changes nothing.
func (s *Service) UpdateFunctionCode(_ context.Context, sc Scope, in *model.UpdateFunctionCodeRequest) (*model.FunctionConfiguration, error) {
	ref, err := resolveName(sc, *in.FunctionName, nil)
	if err != nil {
		return nil, err
	}
	if in.PublishTo != nil {
		return nil, errUnsupportedFeature("PublishTo", "Lambda Managed Instances capacity providers")
	}
	// A function's package type never changes, so it can be read before the
	// lock is taken; storing the package (slow for big zips) happens
	// outside the lock and the transaction.
	packageType, err := s.packageType(sc, ref)
	if err != nil {
		return nil, err
	}
	stored, info, err := s.savePackage(&model.FunctionCode{ZipFile: in.ZipFile, S3Bucket: in.S3Bucket, S3Key: in.S3Key, S3ObjectVersion: in.S3ObjectVersion, ImageUri: in.ImageUri}, packageType)
	if err != nil {
		return nil, err
	}
	return s.updateLatest(sc, ref, latestUpdate{revisionID: in.RevisionId, publish: deref(in.Publish), dryRun: deref(in.DryRun), change: func(tx store.Tx, v *versionRecord) error {
		if in.Architectures != nil {
			if err := s.checkRuntimeChange(tx, sc, ref, v, nil, in.Architectures); err != nil {
				return err
			}
			v.Config.Architectures = in.Architectures
		}
		v.Code = stored
		setCode(&v.Config, info)
		return s.checkCombinedSize(tx, sc, v)
	}})
}

// packageType reads a function's package type (Zip or Image).
func (s *Service) packageType(sc Scope, ref nameRef) (string, error) {
	var pt string
	err := s.store.View(func(tx store.Tx) error {
		_, v, err := s.loadLatest(tx, sc, ref)
		if err == nil {
			pt = deref(v.Config.PackageType)
		}
		return err
	})
	return pt, err
}

// latestUpdate is one change of $LATEST.
type latestUpdate struct {
	revisionID      *string
	publish, dryRun bool
	// change applies the update to a copy of $LATEST; it may read, not write.
	change func(store.Tx, *versionRecord) error
}

// updateLatest runs one update of $LATEST and then makes it effective
// (see transitions.submit).
func (s *Service) updateLatest(sc Scope, ref nameRef, u latestUpdate) (*model.FunctionConfiguration, error) {
	out, token, err := s.writeUpdate(sc, ref, u)
	if err == nil && token != "" {
		s.work.submit(transitionJob{region: sc.Region, name: ref.Name, token: token})
	}
	return out, err
}

// writeUpdate does an update under the function's lock: preconditions and
// the change in a read transaction, then one write transaction with the
// InProgress revision (and a published version when asked). Holding the
// lock keeps what was read current until the write. It returns the
// change's token ("" for a dry run).
func (s *Service) writeUpdate(sc Scope, ref nameRef, u latestUpdate) (*model.FunctionConfiguration, string, error) {
	if ref.Qualifier != "" && ref.Qualifier != latest {
		return nil, "", errPublishedVersionImmutable()
	}
	unlock := s.locks.lock(sc.Region, ref.Name)
	defer unlock()
	var fn *functionRecord
	var cur, next *versionRecord
	err := s.store.View(func(tx store.Tx) error {
		var err error
		if fn, cur, err = s.loadLatest(tx, sc, ref); err != nil {
			return err
		}
		if u.revisionID != nil && *u.revisionID != deref(cur.Config.RevisionId) {
			return errRevisionMismatch()
		}
		if err := checkUpdatable(sc, ref, cur); err != nil {
			return err
		}
		next = cloneVersion(cur)
		return u.change(tx, next)
	})
	if err != nil {
		return nil, "", err
	}
	s.assignRuntime(sc, next)
	if u.dryRun {
		return view(next, ref.arn(sc, "")), "", nil
	}

	token := s.cfg.NewID()
	previous, previousCode := cur.Config, cur.Code
	next.Pending = &pendingChange{Token: token, Previous: &previous, PreviousCode: &previousCode}
	next.Config.RevisionId = ptr(token)
	next.Config.LastModified = ptr(lastModified(s.now()))
	next.Config.LastUpdateStatus = ptr("InProgress")
	next.Config.LastUpdateStatusReason = ptr("The function is being created.")
	next.Config.LastUpdateStatusReasonCode = ptr("Creating")
	result := next
	if u.publish {
		fn.LastVersion++
		fn.PublishedFingerprint = fingerprint(next)
		result = publishedCopy(next, fn.LastVersion, token)
		result.Config.RevisionId = ptr(s.cfg.NewID())
	}
	err = s.store.Update(func(tx store.Tx) error {
		if u.publish {
			if err := saveFunction(tx, sc.Region, fn); err != nil {
				return err
			}
			if err := saveVersion(tx, sc.Region, ref.Name, result); err != nil {
				return err
			}
		}
		return saveVersion(tx, sc.Region, ref.Name, next)
	})
	if err != nil {
		return nil, "", err
	}
	return view(result, ref.arn(sc, publishedQualifier(result))), token, nil
}

// cloneVersion deep-copies a record, so a failed check leaves the original
// untouched.
func cloneVersion(v *versionRecord) *versionRecord {
	b, _ := json.Marshal(v)
	var c versionRecord
	json.Unmarshal(b, &c)
	return &c
}
