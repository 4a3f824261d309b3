package lambda

import (
	"context"
	"errors"

	"github.com/lambkin/lambkin/internal/api/model"
	"github.com/lambkin/lambkin/internal/store"
)

// RuntimeVersion is one version of a runtime: an interpreter build and
// lambkin's bootstrap for it, named by an ARN.
type RuntimeVersion struct {
	Runtime     string // runtime identifier, e.g. python3.12
	ARN         string
	Label       string // e.g. python:3.11.2.v1
	Interpreter string // real path; empty for provided.*
	Bootstrap   string // python, node, or empty for provided.*
	Exact       bool   // false when a closer interpreter of the language stands in
}

// RuntimeCatalog knows which runtime versions exist (package runtimes).
type RuntimeCatalog interface {
	// Latest is the runtime's promoted version; a *RuntimeUnavailableError
	// when lambkin cannot run the runtime here.
	Latest(runtime, region, arch string) (RuntimeVersion, error)
	// Resolve finds a version by ARN, for pinned (Manual) functions.
	Resolve(arn string) (RuntimeVersion, bool)
	// RolloutComplete reports whether a runtime's latest promotion has
	// reached phase 2: every Auto function moves to it.
	RolloutComplete(runtime string) bool
}

// RuntimeUnavailableError says why a runtime cannot run on this host.
type RuntimeUnavailableError struct{ Reason string }

func (e *RuntimeUnavailableError) Error() string { return e.Reason }

// Runtime update modes.
const (
	modeAuto           = "Auto"
	modeManual         = "Manual"
	modeFunctionUpdate = "FunctionUpdate"
)

// runtimeUpdate is a version's runtime management configuration.
type runtimeUpdate struct {
	Mode string `json:"mode,omitzero"` // empty means Auto
	ARN  string `json:"arn,omitzero"`  // the pinned version in Manual mode
}

func (r runtimeUpdate) mode() string {
	if r.Mode == "" {
		return modeAuto
	}
	return r.Mode
}

// assignRuntime sets the runtime version a zip function version uses after
// it is created or updated: the pinned one in Manual mode, otherwise the
// runtime's latest (phase 1 of a rollout). A runtime lambkin cannot run is
// recorded as the RuntimeVersionConfig error, and the transition fails.
func (s *Service) assignRuntime(sc Scope, v *versionRecord) {
	c := &v.Config
	if deref(c.PackageType) != "Zip" || c.Runtime == nil {
		c.RuntimeVersionConfig = nil
		return
	}
	if v.RuntimeUpdate.mode() == modeManual {
		c.RuntimeVersionConfig = &model.RuntimeVersionConfig{RuntimeVersionArn: ptr(v.RuntimeUpdate.ARN)}
		return
	}
	rv, err := s.runtimes.Latest(*c.Runtime, sc.Region, architecture(c))
	var unavailable *RuntimeUnavailableError
	switch {
	case errors.As(err, &unavailable):
		c.RuntimeVersionConfig = &model.RuntimeVersionConfig{Error: &model.RuntimeVersionError{ErrorCode: ptr("InvalidRuntime"), Message: ptr(unavailable.Reason)}}
	case err != nil:
		c.RuntimeVersionConfig = &model.RuntimeVersionConfig{Error: &model.RuntimeVersionError{ErrorCode: ptr("InternalError"), Message: ptr(err.Error())}}
	default:
		c.RuntimeVersionConfig = &model.RuntimeVersionConfig{RuntimeVersionArn: ptr(rv.ARN)}
	}
}

// runtimeFailure says why a version's runtime cannot run, if it cannot.
func (s *Service) runtimeFailure(c *model.FunctionConfiguration) *failure {
	if c.RuntimeVersionConfig == nil || c.RuntimeVersionConfig.Error == nil {
		return nil
	}
	return &failure{Code: "InvalidRuntime", Reason: deref(c.RuntimeVersionConfig.Error.Message)}
}

func architecture(c *model.FunctionConfiguration) string {
	if len(c.Architectures) > 0 {
		return c.Architectures[0]
	}
	return "x86_64"
}

// checkRuntimeChange refuses to change $LATEST's runtime or architecture
// while it is pinned in Manual mode, as AWS does.
func (s *Service) checkRuntimeChange(_ store.Tx, _ Scope, _ nameRef, v *versionRecord, runtime *string, archs []string) error {
	if v.RuntimeUpdate.mode() != modeManual {
		return nil
	}
	changesRuntime := runtime != nil && *runtime != deref(v.Config.Runtime)
	changesArch := archs != nil && (len(archs) != len(v.Config.Architectures) || archs[0] != architecture(&v.Config))
	if changesRuntime || changesArch {
		return errManualBlocksRuntimeChange()
	}
	return nil
}

// PutRuntimeManagementConfig sets how a version's runtime is updated.
// Manual pins the given runtime version at once (the rollback path); Auto
// moves to the runtime's latest version now; FunctionUpdate keeps the
// current version until the next update.
func (s *Service) PutRuntimeManagementConfig(_ context.Context, sc Scope, in *model.PutRuntimeManagementConfigRequest) (*model.PutRuntimeManagementConfigResponse, error) {
	ref, err := s.runtimeConfigTarget(sc, *in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	mode := *in.UpdateRuntimeOn
	switch {
	case mode == modeManual && in.RuntimeVersionArn == nil:
		return nil, errManualNeedsARN()
	case mode != modeManual && in.RuntimeVersionArn != nil:
		return nil, errARNOnlyForManual()
	}
	unlock := s.locks.lock(sc.Region, ref.Name)
	defer unlock()
	var v *versionRecord
	err = s.store.Update(func(tx store.Tx) error {
		var err error
		if v, err = s.runtimeConfigVersion(tx, sc, ref); err != nil {
			return err
		}
		if deref(v.Config.PackageType) != "Zip" {
			return errRuntimeConfigForImage()
		}
		v.RuntimeUpdate = runtimeUpdate{Mode: mode}
		switch mode {
		case modeManual:
			rv, ok := s.runtimes.Resolve(*in.RuntimeVersionArn)
			if !ok || rv.Runtime != deref(v.Config.Runtime) {
				return errUnknownRuntimeVersion(*in.RuntimeVersionArn, deref(v.Config.Runtime))
			}
			v.RuntimeUpdate.ARN = rv.ARN
			s.assignRuntime(sc, v)
		case modeAuto:
			s.assignRuntime(sc, v)
		}
		return saveVersion(tx, sc.Region, ref.Name, v)
	})
	if err != nil {
		return nil, err
	}
	out := &model.PutRuntimeManagementConfigResponse{UpdateRuntimeOn: ptr(mode), FunctionArn: ptr(ref.arn(sc, ref.Qualifier))}
	if mode == modeManual {
		out.RuntimeVersionArn = ptr(v.RuntimeUpdate.ARN)
	}
	return out, nil
}

// GetRuntimeManagementConfig returns a version's runtime update mode; the
// ARN only in Manual mode (the version in use is in the configuration's
// RuntimeVersionConfig).
func (s *Service) GetRuntimeManagementConfig(_ context.Context, sc Scope, in *model.GetRuntimeManagementConfigRequest) (*model.GetRuntimeManagementConfigResponse, error) {
	ref, err := s.runtimeConfigTarget(sc, *in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	var out *model.GetRuntimeManagementConfigResponse
	err = s.store.View(func(tx store.Tx) error {
		v, err := s.runtimeConfigVersion(tx, sc, ref)
		if err != nil {
			return err
		}
		out = &model.GetRuntimeManagementConfigResponse{UpdateRuntimeOn: ptr(v.RuntimeUpdate.mode()), FunctionArn: ptr(ref.arn(sc, ref.Qualifier))}
		if v.RuntimeUpdate.mode() == modeManual {
			out.RuntimeVersionArn = ptr(v.RuntimeUpdate.ARN)
		}
		return nil
	})
	return out, err
}

// runtimeConfigTarget resolves the qualifier of the runtime management
// operations: $LATEST (the default) or a version number, never an alias.
func (s *Service) runtimeConfigTarget(sc Scope, functionName string, qualifier *string) (nameRef, error) {
	ref, err := resolveName(sc, functionName, qualifier)
	if err == nil && kindOf(ref.Qualifier) == qualAlias {
		err = errAliasNotAllowed(ref.arn(sc, ref.Qualifier))
	}
	return ref, err
}

func (s *Service) runtimeConfigVersion(tx store.Tx, sc Scope, ref nameRef) (*versionRecord, error) {
	version := ref.Qualifier
	if version == "" {
		version = latest
	}
	if _, err := existingFunction(tx, sc, ref, ref.Qualifier); err != nil {
		return nil, err
	}
	v, err := loadVersion(tx, sc.Region, ref.Name, version)
	if err == nil && v == nil {
		err = errFunctionNotFound(ref.arn(sc, ref.Qualifier))
	}
	return v, err
}

// RuntimesChanged is called when the runtime catalog changes. Phase 2 of a
// rollout moves every Auto function version — published ones included —
// whose runtime's promotion is complete to the runtime's latest version.
func (s *Service) RuntimesChanged() {
	type target struct{ region, name, version string }
	var targets []target
	err := s.store.View(func(tx store.Tx) error {
		return tx.Scan(bucketVersions, nil, nil, func(k, b []byte) bool {
			var v versionRecord
			if unmarshalRecord(b, &v) != nil || v.RuntimeUpdate.mode() != modeAuto || v.Config.Runtime == nil {
				return true
			}
			if !s.runtimes.RolloutComplete(*v.Config.Runtime) {
				return true
			}
			region, name := splitVersionKey(k)
			rv, err := s.runtimes.Latest(*v.Config.Runtime, region, architecture(&v.Config))
			if err == nil && deref(v.Config.RuntimeVersionConfig).RuntimeVersionArn != nil && *v.Config.RuntimeVersionConfig.RuntimeVersionArn != rv.ARN {
				targets = append(targets, target{region, name, *v.Config.Version})
			}
			return true
		})
	})
	if err != nil {
		s.cfg.Log.Error("runtime rollout: scanning functions", "err", err)
		return
	}
	for _, t := range targets {
		sc := Scope{Region: t.region}
		unlock := s.locks.lock(t.region, t.name)
		err := s.store.Update(func(tx store.Tx) error {
			v, err := loadVersion(tx, t.region, t.name, t.version)
			if err != nil || v == nil || v.RuntimeUpdate.mode() != modeAuto {
				return err
			}
			s.assignRuntime(sc, v)
			return saveVersion(tx, t.region, t.name, v)
		})
		unlock()
		if err != nil {
			s.cfg.Log.Error("runtime rollout: moving function", "function", t.name, "version", t.version, "err", err)
		}
	}
}
