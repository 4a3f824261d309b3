package lambda

import (
	"context"
	"sort"

	"github.com/lambkin/lambkin/internal/api/model"
	"github.com/lambkin/lambkin/internal/store"
)

const bucketAliases = "aliases" // region\0name\0alias -> model.AliasConfiguration (without AliasArn)

func aliasKey(region, name, alias string) []byte { return []byte(region + sep + name + sep + alias) }

func loadAlias(tx store.Tx, region, name, alias string) (*model.AliasConfiguration, error) {
	var a model.AliasConfiguration
	ok, err := getJSON(tx, bucketAliases, aliasKey(region, name, alias), &a)
	if !ok || err != nil {
		return nil, err
	}
	return &a, nil
}

func saveAlias(tx store.Tx, region, name string, a *model.AliasConfiguration) error {
	stored := *a
	stored.AliasArn = nil
	return putJSON(tx, bucketAliases, aliasKey(region, name, *a.Name), &stored)
}

// aliasView is an alias as the API shows it.
func aliasView(sc Scope, ref nameRef, a *model.AliasConfiguration) *model.AliasConfiguration {
	out := *a
	out.AliasArn = ptr(ref.arn(sc, *a.Name))
	return &out
}

// CreateAlias creates an alias for a version, optionally routing a share
// of invocations to one more version.
func (s *Service) CreateAlias(_ context.Context, sc Scope, in *model.CreateAliasRequest) (*model.AliasConfiguration, error) {
	ref, err := s.unqualified(sc, *in.FunctionName)
	if err != nil {
		return nil, err
	}
	unlock := s.locks.lock(sc.Region, ref.Name)
	defer unlock()
	a := &model.AliasConfiguration{
		Name:            in.Name,
		FunctionVersion: in.FunctionVersion,
		Description:     ptr(deref(in.Description)),
		RevisionId:      ptr(s.cfg.NewID()),
	}
	err = s.store.Update(func(tx store.Tx) error {
		if err := checkAliasTarget(tx, sc, ref, *in.FunctionVersion, in.RoutingConfig); err != nil {
			return err
		}
		existing, err := loadAlias(tx, sc.Region, ref.Name, *in.Name)
		if err != nil {
			return err
		}
		if existing != nil {
			return errAliasExists(ref.arn(sc, *in.Name))
		}
		a.RoutingConfig = routingOrNil(in.RoutingConfig)
		return saveAlias(tx, sc.Region, ref.Name, a)
	})
	if err != nil {
		return nil, err
	}
	return aliasView(sc, ref, a), nil
}

// GetAlias returns one alias.
func (s *Service) GetAlias(_ context.Context, sc Scope, in *model.GetAliasRequest) (*model.AliasConfiguration, error) {
	ref, err := s.unqualified(sc, *in.FunctionName)
	if err != nil {
		return nil, err
	}
	var a *model.AliasConfiguration
	err = s.store.View(func(tx store.Tx) error {
		a, err = loadAlias(tx, sc.Region, ref.Name, *in.Name)
		if err == nil && a == nil {
			err = errAliasNotFound(ref.arn(sc, *in.Name))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return aliasView(sc, ref, a), nil
}

// UpdateAlias changes an alias's version, description or routing. Every
// update, even one that changes nothing, gets a new RevisionId (al-18).
func (s *Service) UpdateAlias(_ context.Context, sc Scope, in *model.UpdateAliasRequest) (*model.AliasConfiguration, error) {
	ref, err := s.unqualified(sc, *in.FunctionName)
	if err != nil {
		return nil, err
	}
	unlock := s.locks.lock(sc.Region, ref.Name)
	defer unlock()
	var a *model.AliasConfiguration
	var moved string
	err = s.store.Update(func(tx store.Tx) error {
		a, err = loadAlias(tx, sc.Region, ref.Name, *in.Name)
		if err != nil {
			return err
		}
		if a == nil {
			return errAliasUpdateNotFound(ref.arn(sc, *in.Name))
		}
		if in.RevisionId != nil && *in.RevisionId != deref(a.RevisionId) {
			return errRevisionMismatch()
		}
		version := deref(a.FunctionVersion)
		if in.FunctionVersion != nil {
			version = *in.FunctionVersion
		}
		routing := a.RoutingConfig
		if in.RoutingConfig != nil {
			routing = routingOrNil(in.RoutingConfig)
		}
		if err := checkAliasTarget(tx, sc, ref, version, routing); err != nil {
			return err
		}
		if err := s.checkProvisionedAliasChange(tx, sc, ref, *in.Name, version, routing); err != nil {
			return err
		}
		if version != deref(a.FunctionVersion) {
			moved = version
		}
		a.FunctionVersion = ptr(version)
		a.RoutingConfig = routing
		if in.Description != nil {
			a.Description = in.Description
		}
		a.RevisionId = ptr(s.cfg.NewID())
		return saveAlias(tx, sc.Region, ref.Name, a)
	})
	if err != nil {
		return nil, err
	}
	if moved != "" {
		s.aliasMoved(sc.Region, ref.Name, *in.Name)
	}
	return aliasView(sc, ref, a), nil
}

// DeleteAlias deletes an alias and what is configured on it; deleting an
// alias that does not exist succeeds (al-15).
func (s *Service) DeleteAlias(_ context.Context, sc Scope, in *model.DeleteAliasRequest) (*struct{}, error) {
	ref, err := s.unqualified(sc, *in.FunctionName)
	if err != nil {
		return nil, err
	}
	unlock := s.locks.lock(sc.Region, ref.Name)
	defer unlock()
	err = s.store.Update(func(tx store.Tx) error {
		for _, bucket := range perVersionBuckets {
			if err := tx.Delete(bucket, aliasKey(sc.Region, ref.Name, *in.Name)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.aliasMoved(sc.Region, ref.Name, *in.Name)
	return &struct{}{}, nil
}

// ListAliases lists a function's aliases, optionally only those routing to
// one version.
func (s *Service) ListAliases(_ context.Context, sc Scope, in *model.ListAliasesRequest) (*model.ListAliasesResponse, error) {
	ref, err := s.unqualified(sc, *in.FunctionName)
	if err != nil {
		return nil, err
	}
	out := &model.ListAliasesResponse{Aliases: []model.AliasConfiguration{}}
	listing := functionListing{bucket: bucketAliases, marker: in.Marker, maxItems: in.MaxItems, missing: errFunctionNotFound(ref.arn(sc, ""))}
	if in.FunctionVersion != nil {
		listing.keep = func(b []byte) bool {
			var a model.AliasConfiguration
			return unmarshalRecord(b, &a) == nil && deref(a.FunctionVersion) == *in.FunctionVersion
		}
	}
	out.NextMarker, err = s.listFunctionRecords(sc, ref, listing, func(_, b []byte) error {
		var a model.AliasConfiguration
		if err := unmarshalRecord(b, &a); err != nil {
			return err
		}
		out.Aliases = append(out.Aliases, *aliasView(sc, ref, &a))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkAliasTarget applies the routing rules (al-04 to al-07): the primary
// and the one additional version must exist, differ, and not be $LATEST
// when weights are set.
func checkAliasTarget(tx store.Tx, sc Scope, ref nameRef, version string, routing *model.AliasRoutingConfiguration) error {
	weights := map[string]float64{}
	if routing != nil {
		weights = routing.AdditionalVersionWeights
	}
	if len(weights) > 1 {
		return errTooManyWeights()
	}
	if _, err := requireVersion(tx, sc, ref, version); err != nil {
		return err
	}
	for extra := range weights {
		if version == latest {
			return errLatestWithWeights()
		}
		if extra == version {
			return errVersionAlreadyRouted(version)
		}
		if _, err := requireVersion(tx, sc, ref, extra); err != nil {
			return err
		}
	}
	return nil
}

// requireVersion loads a version that must exist; the error names the
// version-qualified ARN even when the whole function is missing (al-09).
func requireVersion(tx store.Tx, sc Scope, ref nameRef, version string) (*versionRecord, error) {
	v, err := loadVersion(tx, sc.Region, ref.Name, version)
	if err == nil && v == nil {
		err = errFunctionNotFound(ref.arn(sc, version))
	}
	return v, err
}

// routingOrNil drops an empty routing configuration, which AWS omits (al-12).
func routingOrNil(r *model.AliasRoutingConfiguration) *model.AliasRoutingConfiguration {
	if r == nil || len(r.AdditionalVersionWeights) == 0 {
		return nil
	}
	return &model.AliasRoutingConfiguration{AdditionalVersionWeights: r.AdditionalVersionWeights}
}

func routesTo(a *model.AliasConfiguration, version string) bool {
	if deref(a.FunctionVersion) == version {
		return true
	}
	if a.RoutingConfig != nil {
		_, ok := a.RoutingConfig.AdditionalVersionWeights[version]
		return ok
	}
	return false
}

// aliasesUsing lists the aliases that route to a version, sorted.
func aliasesUsing(tx store.Tx, region, name, version string) ([]string, error) {
	var names []string
	var ferr error
	err := tx.Scan(bucketAliases, versionsPrefix(region, name), nil, func(_, b []byte) bool {
		var a model.AliasConfiguration
		if ferr = unmarshalRecord(b, &a); ferr != nil {
			return false
		}
		if routesTo(&a, version) {
			names = append(names, deref(a.Name))
		}
		return true
	})
	if err == nil {
		err = ferr
	}
	sort.Strings(names)
	return names, err
}
