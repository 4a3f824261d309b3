package lambda

import (
	"context"

	"github.com/lambkin/lambkin/internal/api/model"
	"github.com/lambkin/lambkin/internal/store"
)

// AddLayerVersionPermission grants an account, an organization or everyone
// use of a layer version.
func (s *Service) AddLayerVersionPermission(_ context.Context, sc Scope, in *model.AddLayerVersionPermissionRequest) (*model.AddLayerVersionPermissionResponse, error) {
	name := layerName(*in.LayerName)
	arn := layerVersionARN(sc.Region, sc.Account, name, *in.VersionNumber)
	var principal any = "*"
	if *in.Principal != "*" {
		p := *in.Principal
		if accountIDRE.MatchString(p) {
			p = "arn:aws:iam::" + p + ":root"
		}
		principal = orderedJSON{{"AWS", p}}
	}
	st := orderedJSON{{"Sid", *in.StatementId}, {"Effect", "Allow"}, {"Principal", principal}, {"Action", *in.Action}, {"Resource", arn}}
	if in.OrganizationId != nil {
		st = append(st, kv{"Condition", orderedJSON{{"StringEquals", orderedJSON{{"aws:PrincipalOrgID", *in.OrganizationId}}}}})
	}
	statement := st.String()
	var rev string
	err := s.changeLayerPolicy(sc, name, *in.VersionNumber, in.RevisionId, func(doc *policyDocument) error { return doc.add(*in.StatementId, statement) }, &rev)
	if err != nil {
		return nil, err
	}
	return &model.AddLayerVersionPermissionResponse{Statement: ptr(statement), RevisionId: ptr(rev)}, nil
}

// RemoveLayerVersionPermission removes a statement from a layer version's policy.
func (s *Service) RemoveLayerVersionPermission(_ context.Context, sc Scope, in *model.RemoveLayerVersionPermissionRequest) (*struct{}, error) {
	name := layerName(*in.LayerName)
	var rev string
	err := s.changeLayerPolicy(sc, name, *in.VersionNumber, in.RevisionId, func(doc *policyDocument) error { return doc.remove(*in.StatementId) }, &rev)
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// GetLayerVersionPolicy returns a layer version's policy.
func (s *Service) GetLayerVersionPolicy(_ context.Context, sc Scope, in *model.GetLayerVersionPolicyRequest) (*model.GetLayerVersionPolicyResponse, error) {
	name := layerName(*in.LayerName)
	var out *model.GetLayerVersionPolicyResponse
	err := s.store.View(func(tx store.Tx) error {
		rec, err := loadLayerVersion(tx, sc.Region, name, *in.VersionNumber)
		if err != nil {
			return err
		}
		if rec == nil {
			return errLayerVersionNotFound(layerVersionARN(sc.Region, sc.Account, name, *in.VersionNumber))
		}
		if rec.Policy == nil || len(rec.Policy.Statements) == 0 {
			return errNoPolicyAssociated()
		}
		out = &model.GetLayerVersionPolicyResponse{Policy: ptr(rec.Policy.render()), RevisionId: ptr(rec.PolicyRevision)}
		return nil
	})
	return out, err
}

func (s *Service) changeLayerPolicy(sc Scope, name string, version int64, revisionID *string, edit func(*policyDocument) error, rev *string) error {
	unlock := s.locks.lock(sc.Region, "layer:"+name)
	defer unlock()
	return s.store.Update(func(tx store.Tx) error {
		rec, err := loadLayerVersion(tx, sc.Region, name, version)
		if err != nil {
			return err
		}
		if rec == nil {
			return errLayerVersionNotFound(layerVersionARN(sc.Region, sc.Account, name, version))
		}
		if revisionID != nil && *revisionID != rec.PolicyRevision {
			return errLayerPolicyRevisionMismatch()
		}
		if rec.Policy == nil {
			rec.Policy = &policyDocument{}
		}
		if err := edit(rec.Policy); err != nil {
			return err
		}
		if len(rec.Policy.Statements) == 0 {
			rec.Policy = nil
		}
		rec.PolicyRevision = s.cfg.NewID()
		*rev = rec.PolicyRevision
		return putJSON(tx, bucketLayerVersions, layerVersionKey(sc.Region, name, version), rec)
	})
}
