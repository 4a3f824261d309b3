package lambda

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/lambkin/lambkin/internal/api/model"
	"github.com/lambkin/lambkin/internal/store"
)

// PublishVersion snapshots $LATEST as a new, immutable version. When
// nothing changed since the last publish it returns that version instead
// (pv-04).
func (s *Service) PublishVersion(_ context.Context, sc Scope, in *model.PublishVersionRequest) (*model.FunctionConfiguration, error) {
	ref, err := resolveName(sc, *in.FunctionName, nil)
	if err != nil {
		return nil, err
	}
	if ref.Qualifier != "" && ref.Qualifier != latest {
		return nil, errQualifiedName()
	}
	unlock := s.locks.lock(sc.Region, ref.Name)
	defer unlock()
	var out *versionRecord
	err = s.store.Update(func(tx store.Tx) error {
		fn, cur, err := s.loadLatest(tx, sc, ref)
		if err != nil {
			return err
		}
		if in.RevisionId != nil && *in.RevisionId != deref(cur.Config.RevisionId) {
			return errRevisionMismatch()
		}
		if err := checkUpdatable(sc, ref, cur); err != nil {
			return err
		}
		if in.CodeSha256 != nil && *in.CodeSha256 != deref(cur.Config.CodeSha256) {
			return errCodeShaMismatch(*in.CodeSha256, deref(cur.Config.CodeSha256))
		}
		fp := fingerprint(cur)
		if fn.LastVersion > 0 && fp == fn.PublishedFingerprint {
			if last, err := loadVersion(tx, sc.Region, ref.Name, itoa(fn.LastVersion)); err != nil || last != nil {
				out = last
				return err
			}
		}
		fn.LastVersion++
		fn.PublishedFingerprint = fp
		out = publishedCopy(cur, fn.LastVersion, "")
		out.Config.RevisionId = ptr(s.cfg.NewID())
		if in.Description != nil {
			out.Config.Description = in.Description
		}
		// Publishing is a change of $LATEST too: it gets a new RevisionId.
		cur.Config.RevisionId = ptr(s.cfg.NewID())
		if err := saveFunction(tx, sc.Region, fn); err != nil {
			return err
		}
		if err := saveVersion(tx, sc.Region, ref.Name, cur); err != nil {
			return err
		}
		return saveVersion(tx, sc.Region, ref.Name, out)
	})
	if err != nil {
		return nil, err
	}
	return view(out, ref.arn(sc, *out.Config.Version)), nil
}

// ListVersionsByFunction lists $LATEST and the published versions, in order.
func (s *Service) ListVersionsByFunction(_ context.Context, sc Scope, in *model.ListVersionsByFunctionRequest) (*model.ListVersionsByFunctionResponse, error) {
	ref, err := resolveName(sc, *in.FunctionName, nil)
	if err != nil {
		return nil, err
	}
	out := &model.ListVersionsByFunctionResponse{Versions: []model.FunctionConfiguration{}}
	listing := functionListing{bucket: bucketVersions, marker: in.Marker, maxItems: in.MaxItems, missing: errFunctionNotFound(ref.arn(sc, ""))}
	out.NextMarker, err = s.listFunctionRecords(sc, ref, listing, func(_, b []byte) error {
		var v versionRecord
		if err := unmarshalRecord(b, &v); err != nil {
			return err
		}
		out.Versions = append(out.Versions, listView(&v, ref.arn(sc, *v.Config.Version)))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// publishedCopy is the snapshot of $LATEST that becomes version n. A
// non-empty pendingToken keeps it pending with $LATEST (CreateFunction and
// UpdateFunctionCode with Publish).
func publishedCopy(cur *versionRecord, n int, pendingToken string) *versionRecord {
	b, _ := json.Marshal(cur)
	var v versionRecord
	json.Unmarshal(b, &v)
	v.Config.Version = ptr(itoa(n))
	v.Pending = nil
	if pendingToken != "" {
		// A version published with a change still in progress is being
		// created: it shows Pending, without update status, until the
		// change is done.
		v.Pending = &pendingChange{Token: pendingToken}
		v.Config.State, v.Config.StateReason, v.Config.StateReasonCode = ptr("Pending"), ptr("The function is being created."), ptr("Creating")
		v.Config.LastUpdateStatus, v.Config.LastUpdateStatusReason, v.Config.LastUpdateStatusReasonCode = nil, nil, nil
	}
	return &v
}

// fingerprint identifies what a version runs and how: code and every
// configuration member, but not revision, time or state.
func fingerprint(v *versionRecord) string {
	c := v.Config
	c.RevisionId, c.LastModified, c.Version, c.FunctionArn = nil, nil, nil, nil
	c.State, c.StateReason, c.StateReasonCode = nil, nil, nil
	c.LastUpdateStatus, c.LastUpdateStatusReason, c.LastUpdateStatusReasonCode = nil, nil, nil
	b, _ := json.Marshal(struct {
		Config model.FunctionConfiguration
		Code   codeRef
	}{c, v.Code})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// deleteVersion deletes one published version; a version that does not
// exist is already deleted (df-04), one an alias routes to is in use.
func (s *Service) deleteVersion(tx store.Tx, sc Scope, ref nameRef) error {
	v, err := loadVersion(tx, sc.Region, ref.Name, ref.Qualifier)
	if err != nil || v == nil {
		return err
	}
	users, err := aliasesUsing(tx, sc.Region, ref.Name, ref.Qualifier)
	if err != nil {
		return err
	}
	if len(users) > 0 {
		return errVersionInUse(users)
	}
	for _, bucket := range perVersionBuckets {
		if err := tx.Delete(bucket, versionKey(sc.Region, ref.Name, ref.Qualifier)); err != nil {
			return err
		}
	}
	return nil
}

// deleteAllOf deletes a function and everything that belongs to it.
func (s *Service) deleteAllOf(tx store.Tx, region, name string) error {
	if err := tx.Delete(bucketFunctions, functionKey(region, name)); err != nil {
		return err
	}
	for _, bucket := range perFunctionBuckets {
		if err := deletePrefix(tx, bucket, versionsPrefix(region, name)); err != nil {
			return err
		}
	}
	return nil
}
