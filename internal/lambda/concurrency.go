package lambda

import (
	"context"
	"encoding/json"

	"github.com/lambkin/lambkin/internal/api/model"
	"github.com/lambkin/lambkin/internal/store"
)

// PutFunctionConcurrency reserves concurrency for a function. The account
// keeps at least its minimum unreserved concurrency, and a reservation may
// not go below the function's provisioned concurrency.
func (s *Service) PutFunctionConcurrency(_ context.Context, sc Scope, in *model.PutFunctionConcurrencyRequest) (*model.Concurrency, error) {
	ref, err := s.concurrencyTarget(sc, *in.FunctionName)
	if err != nil {
		return nil, err
	}
	n := *in.ReservedConcurrentExecutions
	unlockAccount := s.accounts.lock(sc.Region, "")
	defer unlockAccount()
	unlock := s.locks.lock(sc.Region, ref.Name)
	defer unlock()
	err = s.store.Update(func(tx store.Tx) error {
		fn, err := existingFunction(tx, sc, ref, latest)
		if err != nil {
			return err
		}
		usage, err := s.accountUsage(tx, sc.Region, ref.Name)
		if err != nil {
			return err
		}
		if pc := usage.provisionedOf[ref.Name]; n < pc {
			return errReservedBelowProvisioned(n, pc)
		}
		if s.cfg.Limits.ConcurrentExecutions-usage.committed-n < s.cfg.Limits.UnreservedConcurrency {
			return errReservedBelowUnreservedMinimum(s.cfg.Limits.UnreservedConcurrency)
		}
		fn.ReservedConcurrency = ptr(n)
		return saveFunction(tx, sc.Region, fn)
	})
	if err != nil {
		return nil, err
	}
	s.exec.SetReserved(groupKey(sc.Region, ref.Name), ptr(n))
	return &model.Concurrency{ReservedConcurrentExecutions: ptr(n)}, nil
}

// GetFunctionConcurrency returns the reservation, or {} when there is none.
func (s *Service) GetFunctionConcurrency(_ context.Context, sc Scope, in *model.GetFunctionConcurrencyRequest) (*model.GetFunctionConcurrencyResponse, error) {
	ref, err := s.concurrencyTarget(sc, *in.FunctionName)
	if err != nil {
		return nil, err
	}
	out := &model.GetFunctionConcurrencyResponse{}
	err = s.store.View(func(tx store.Tx) error {
		fn, err := existingFunction(tx, sc, ref, "")
		if err == nil {
			out.ReservedConcurrentExecutions = fn.ReservedConcurrency
		}
		return err
	})
	return out, err
}

// DeleteFunctionConcurrency removes the reservation.
func (s *Service) DeleteFunctionConcurrency(_ context.Context, sc Scope, in *model.DeleteFunctionConcurrencyRequest) (*struct{}, error) {
	ref, err := s.concurrencyTarget(sc, *in.FunctionName)
	if err != nil {
		return nil, err
	}
	unlockAccount := s.accounts.lock(sc.Region, "")
	defer unlockAccount()
	unlock := s.locks.lock(sc.Region, ref.Name)
	defer unlock()
	err = s.store.Update(func(tx store.Tx) error {
		fn, err := existingFunction(tx, sc, ref, "")
		if err != nil {
			return err
		}
		fn.ReservedConcurrency = nil
		return saveFunction(tx, sc.Region, fn)
	})
	if err != nil {
		return nil, err
	}
	s.exec.SetReserved(groupKey(sc.Region, ref.Name), nil)
	return &struct{}{}, nil
}

func (s *Service) concurrencyTarget(sc Scope, functionName string) (nameRef, error) {
	ref, err := resolveName(sc, functionName, nil)
	if err == nil && ref.Qualifier != "" {
		err = errConcurrencyOnQualified()
	}
	return ref, err
}

// usage is what an account has committed of its concurrency.
type usage struct {
	// committed is reserved concurrency plus the provisioned concurrency
	// of functions without a reservation (which the unreserved pool pays).
	committed     int
	provisionedOf map[string]int // total provisioned concurrency per function
	functions     int
}

// accountUsage adds up the region's commitments, leaving out the function
// named exclude (whose own numbers the caller is about to replace).
func (s *Service) accountUsage(tx store.Tx, region, exclude string) (usage, error) {
	u := usage{provisionedOf: map[string]int{}}
	prefix := []byte(region + sep)
	var ferr error
	if err := tx.Scan(bucketProvisioned, prefix, nil, func(k, b []byte) bool {
		var p provisionedRecord
		if ferr = json.Unmarshal(b, &p); ferr != nil {
			return false
		}
		_, name := splitVersionKey(k)
		u.provisionedOf[name] += p.Requested
		return true
	}); err != nil || ferr != nil {
		return u, firstErr(err, ferr)
	}
	if err := tx.Scan(bucketFunctions, prefix, nil, func(_, b []byte) bool {
		var fn functionRecord
		if ferr = json.Unmarshal(b, &fn); ferr != nil {
			return false
		}
		u.functions++
		if fn.Name == exclude {
			return true
		}
		if fn.ReservedConcurrency != nil {
			u.committed += *fn.ReservedConcurrency
		} else {
			u.committed += u.provisionedOf[fn.Name]
		}
		return true
	}); err != nil || ferr != nil {
		return u, firstErr(err, ferr)
	}
	return u, nil
}

// GetAccountSettings reports the account's limits and what it uses, from
// the stored functions, versions and layers.
func (s *Service) GetAccountSettings(_ context.Context, sc Scope, _ *model.GetAccountSettingsRequest) (*model.GetAccountSettingsResponse, error) {
	lim := s.cfg.Limits
	var u usage
	var codeSize int64
	err := s.store.View(func(tx store.Tx) error {
		var err error
		if u, err = s.accountUsage(tx, sc.Region, ""); err != nil {
			return err
		}
		codeSize, err = storedCodeSize(tx, sc.Region)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &model.GetAccountSettingsResponse{
		AccountLimit: &model.AccountLimit{
			TotalCodeSize:                  ptr(lim.TotalCodeSize),
			CodeSizeUnzipped:               ptr(lim.UnzippedCodeSize),
			CodeSizeZipped:                 ptr(lim.ZippedCodeSize),
			ConcurrentExecutions:           ptr(lim.ConcurrentExecutions),
			UnreservedConcurrentExecutions: ptr(lim.ConcurrentExecutions - u.committed),
		},
		AccountUsage: &model.AccountUsage{TotalCodeSize: ptr(codeSize), FunctionCount: ptr(int64(u.functions))},
	}, nil
}

// storedCodeSize sums the package sizes of every version and layer version
// in a region: AWS counts each published copy.
func storedCodeSize(tx store.Tx, region string) (int64, error) {
	var total int64
	var ferr error
	for _, bucket := range []string{bucketVersions, bucketLayerVersions} {
		err := tx.Scan(bucket, []byte(region+sep), nil, func(_, b []byte) bool {
			var sized struct {
				Config struct{ CodeSize int64 } `json:"config"`
				Size   int64                    `json:"size"`
			}
			if ferr = json.Unmarshal(b, &sized); ferr != nil {
				return false
			}
			total += sized.Config.CodeSize + sized.Size
			return true
		})
		if err != nil || ferr != nil {
			return 0, firstErr(err, ferr)
		}
	}
	return total, nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
