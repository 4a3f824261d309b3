package lambda

import (
	"context"
	"time"

	"github.com/lambkin/lambkin/internal/api/model"
	"github.com/lambkin/lambkin/internal/store"
)

// Provisioned concurrency is desired state: the store keeps how many
// environments each version or alias should hold initialized, and the
// executor's reconciler makes it so (after a restart too). Status and
// counts come from the executor, which alone knows the live environments.
const bucketProvisioned = "provisioned" // region\0name\0qualifier -> provisionedRecord

type provisionedRecord struct {
	Requested    int    `json:"requested"`
	LastModified string `json:"lastModified"`
}

// ProvisionStatus is the live state of one provisioned concurrency config.
type ProvisionStatus struct {
	Status               string // IN_PROGRESS, READY or FAILED
	Reason               string // for FAILED
	Allocated, Available int
}

// PutProvisionedConcurrencyConfig sets a version's or alias's provisioned
// concurrency; environments start in the background (202, IN_PROGRESS).
func (s *Service) PutProvisionedConcurrencyConfig(_ context.Context, sc Scope, in *model.PutProvisionedConcurrencyConfigRequest) (*model.PutProvisionedConcurrencyConfigResponse, error) {
	ref, err := resolveName(sc, *in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	if kindOf(ref.Qualifier) == qualLatest {
		return nil, errProvisionedOnUnpublished()
	}
	n := *in.ProvisionedConcurrentExecutions
	unlockAccount := s.accounts.lock(sc.Region, "")
	defer unlockAccount()
	unlock := s.locks.lock(sc.Region, ref.Name)
	defer unlock()
	rec := provisionedRecord{Requested: n, LastModified: provisionedTime(s.now())}
	err = s.store.Update(func(tx store.Tx) error {
		version, err := provisionedTarget(tx, sc, ref, true)
		if err != nil {
			return err
		}
		if v, err := loadVersion(tx, sc.Region, ref.Name, version); err != nil || v != nil && snapStartOn(&v.Config) {
			if err == nil {
				err = errProvisionedWithSnapStart()
			}
			return err
		}
		if err := s.checkProvisionedLimits(tx, sc, ref, n); err != nil {
			return err
		}
		return putJSON(tx, bucketProvisioned, versionKey(sc.Region, ref.Name, ref.Qualifier), &rec)
	})
	if err != nil {
		return nil, err
	}
	s.reconcileProvisioned(sc.Region, ref.Name, ref.Qualifier)
	return &model.PutProvisionedConcurrencyConfigResponse{
		RequestedProvisionedConcurrentExecutions: ptr(n),
		AvailableProvisionedConcurrentExecutions: ptr(0),
		AllocatedProvisionedConcurrentExecutions: ptr(0),
		Status:                                   ptr("IN_PROGRESS"),
		LastModified:                             ptr(rec.LastModified),
	}, nil
}

// GetProvisionedConcurrencyConfig returns one config with its live status.
func (s *Service) GetProvisionedConcurrencyConfig(_ context.Context, sc Scope, in *model.GetProvisionedConcurrencyConfigRequest) (*model.GetProvisionedConcurrencyConfigResponse, error) {
	ref, err := resolveName(sc, *in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	if kindOf(ref.Qualifier) == qualLatest {
		return nil, errNotAliasOrVersion()
	}
	var rec *provisionedRecord
	err = s.store.View(func(tx store.Tx) error {
		if _, err := provisionedTarget(tx, sc, ref, false); err != nil {
			return err
		}
		rec, err = loadProvisioned(tx, sc.Region, ref.Name, ref.Qualifier)
		if err == nil && rec == nil {
			err = errProvisionedConfigNotFound()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	item := s.provisionedView(sc.Region, ref.Name, ref.Qualifier, rec)
	return &model.GetProvisionedConcurrencyConfigResponse{
		RequestedProvisionedConcurrentExecutions: item.RequestedProvisionedConcurrentExecutions,
		AvailableProvisionedConcurrentExecutions: item.AvailableProvisionedConcurrentExecutions,
		AllocatedProvisionedConcurrentExecutions: item.AllocatedProvisionedConcurrentExecutions,
		Status:                                   item.Status,
		StatusReason:                             item.StatusReason,
		LastModified:                             item.LastModified,
	}, nil
}

// DeleteProvisionedConcurrencyConfig removes a config and releases its
// environments; removing one that does not exist succeeds (pc-12).
func (s *Service) DeleteProvisionedConcurrencyConfig(_ context.Context, sc Scope, in *model.DeleteProvisionedConcurrencyConfigRequest) (*struct{}, error) {
	ref, err := resolveName(sc, *in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	if kindOf(ref.Qualifier) == qualLatest {
		return nil, errNotAliasOrVersion()
	}
	unlock := s.locks.lock(sc.Region, ref.Name)
	defer unlock()
	err = s.store.Update(func(tx store.Tx) error {
		if _, err := provisionedTarget(tx, sc, ref, false); err != nil {
			return err
		}
		return tx.Delete(bucketProvisioned, versionKey(sc.Region, ref.Name, ref.Qualifier))
	})
	if err != nil {
		return nil, err
	}
	s.reconcileProvisioned(sc.Region, ref.Name, ref.Qualifier)
	return &struct{}{}, nil
}

// ListProvisionedConcurrencyConfigs lists a function's configs.
func (s *Service) ListProvisionedConcurrencyConfigs(_ context.Context, sc Scope, in *model.ListProvisionedConcurrencyConfigsRequest) (*model.ListProvisionedConcurrencyConfigsResponse, error) {
	ref, err := s.unqualified(sc, *in.FunctionName)
	if err != nil {
		return nil, err
	}
	out := &model.ListProvisionedConcurrencyConfigsResponse{ProvisionedConcurrencyConfigs: []model.ProvisionedConcurrencyConfigListItem{}}
	listing := functionListing{bucket: bucketProvisioned, marker: in.Marker, maxItems: in.MaxItems, missing: errFunctionNotFound(ref.arn(sc, ""))}
	out.NextMarker, err = s.listFunctionRecords(sc, ref, listing, func(k, b []byte) error {
		var rec provisionedRecord
		if err := unmarshalRecord(b, &rec); err != nil {
			return err
		}
		qualifier := qualifierOfKey(k)
		item := s.provisionedView(sc.Region, ref.Name, qualifier, &rec)
		item.FunctionArn = ptr(ref.arn(sc, qualifier))
		out.ProvisionedConcurrencyConfigs = append(out.ProvisionedConcurrencyConfigs, item)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Service) provisionedView(region, name, qualifier string, rec *provisionedRecord) model.ProvisionedConcurrencyConfigListItem {
	st := s.provisionStatus(region, name, qualifier)
	item := model.ProvisionedConcurrencyConfigListItem{
		RequestedProvisionedConcurrentExecutions: ptr(rec.Requested),
		AvailableProvisionedConcurrentExecutions: ptr(st.Available),
		AllocatedProvisionedConcurrentExecutions: ptr(st.Allocated),
		Status:                                   ptr(st.Status),
		LastModified:                             ptr(rec.LastModified),
	}
	if st.Reason != "" {
		item.StatusReason = ptr(st.Reason)
	}
	return item
}

// provisionedTarget resolves a provisioned concurrency qualifier to the
// version it provisions. Missing aliases and versions get AWS's words
// (pc-02, pc-04); for Put, an alias must route to one published version
// and neither the alias nor its version may already be provisioned the
// other way (409).
func provisionedTarget(tx store.Tx, sc Scope, ref nameRef, forPut bool) (string, error) {
	if kindOf(ref.Qualifier) == qualAlias {
		a, err := loadAlias(tx, sc.Region, ref.Name, ref.Qualifier)
		if err != nil {
			return "", err
		}
		if a == nil {
			return "", errAliasNotFound(ref.arn(sc, ref.Qualifier))
		}
		version := deref(a.FunctionVersion)
		if !forPut {
			return version, nil
		}
		if version == latest {
			return "", errProvisionedOnUnpublished()
		}
		if a.RoutingConfig != nil {
			return "", errProvisionedWeightedAlias()
		}
		if p, err := loadProvisioned(tx, sc.Region, ref.Name, version); err != nil || p != nil {
			if err == nil {
				err = errProvisionedVersionAlreadyProvisioned()
			}
			return "", err
		}
		return version, nil
	}
	if v, err := loadVersion(tx, sc.Region, ref.Name, ref.Qualifier); err != nil || v == nil {
		if err == nil {
			err = errFunctionNotFound(ref.arn(sc, ref.Qualifier))
		}
		return "", err
	}
	if forPut {
		users, err := provisionedAliasesOf(tx, sc.Region, ref.Name, ref.Qualifier)
		if err != nil {
			return "", err
		}
		if len(users) > 0 {
			return "", errProvisionedVersionPointedByAlias()
		}
	}
	return ref.Qualifier, nil
}

// provisionedAliasesOf lists the provisioned aliases that route to version.
func provisionedAliasesOf(tx store.Tx, region, name, version string) ([]string, error) {
	aliases, err := aliasesUsing(tx, region, name, version)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, a := range aliases {
		p, err := loadProvisioned(tx, region, name, a)
		if err != nil {
			return nil, err
		}
		if p != nil {
			out = append(out, a)
		}
	}
	return out, nil
}

// checkProvisionedLimits applies the quota rules: within the function's
// reservation when it has one (pc-31, pc-32), otherwise within the
// account's unreserved concurrency and its minimum (pc-25, pc-26). The
// config being replaced does not count.
func (s *Service) checkProvisionedLimits(tx store.Tx, sc Scope, ref nameRef, n int) error {
	fn, err := loadFunction(tx, sc.Region, ref.Name)
	if err != nil {
		return err
	}
	replaced, err := loadProvisioned(tx, sc.Region, ref.Name, ref.Qualifier)
	if err != nil {
		return err
	}
	u, err := s.accountUsage(tx, sc.Region, ref.Name)
	if err != nil {
		return err
	}
	others := u.provisionedOf[ref.Name]
	if replaced != nil {
		others -= replaced.Requested
	}
	if fn.ReservedConcurrency != nil {
		if others+n > *fn.ReservedConcurrency {
			return errProvisionedOverReserved()
		}
		return nil
	}
	unreserved := s.cfg.Limits.ConcurrentExecutions - u.committed - others
	if n > unreserved {
		return errProvisionedOverUnreserved(unreserved)
	}
	if unreserved-n < s.cfg.Limits.UnreservedConcurrency {
		return errProvisionedBelowUnreservedMinimum(s.cfg.Limits.UnreservedConcurrency)
	}
	return nil
}

// checkProvisionedAliasChange keeps a provisioned alias valid when it is
// updated: it must stay on one published version that is not provisioned
// directly.
func (s *Service) checkProvisionedAliasChange(tx store.Tx, sc Scope, ref nameRef, alias, version string, routing *model.AliasRoutingConfiguration) error {
	p, err := loadProvisioned(tx, sc.Region, ref.Name, alias)
	if err != nil || p == nil {
		return err
	}
	switch {
	case version == latest:
		return errProvisionedOnUnpublished()
	case routing != nil:
		return errProvisionedWeightedAlias()
	}
	direct, err := loadProvisioned(tx, sc.Region, ref.Name, version)
	if err == nil && direct != nil {
		err = errProvisionedVersionAlreadyProvisioned()
	}
	return err
}

func loadProvisioned(tx store.Tx, region, name, qualifier string) (*provisionedRecord, error) {
	var rec provisionedRecord
	ok, err := getJSON(tx, bucketProvisioned, versionKey(region, name, qualifier), &rec)
	if !ok || err != nil {
		return nil, err
	}
	return &rec, nil
}

// qualifierOfKey is the qualifier at the end of a per-function key, with
// version numbers unpadded.
func qualifierOfKey(k []byte) string {
	q := string(k[lastSep(k)+1:])
	if n, ok := versionNumber(q); ok {
		return itoa(n)
	}
	return q
}

func lastSep(k []byte) int {
	for i := len(k) - 1; i >= 0; i-- {
		if k[i] == 0 {
			return i
		}
	}
	return -1
}

// provisionedTime formats PC LastModified: no milliseconds (2019-11-21T19:32:12+0000).
func provisionedTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05-0700") }
