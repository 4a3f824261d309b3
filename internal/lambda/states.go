package lambda

import (
	"fmt"

	"github.com/lambkin/lambkin/internal/api/model"
	"github.com/lambkin/lambkin/internal/store"
)

// failure is why a change could not be made effective: a StateReasonCode
// (or LastUpdateStatusReasonCode) and its reason.
type failure struct {
	Code   string
	Reason string
}

// prepare does what a pending change needs before the function can run
// with it, and says why it cannot when it cannot.
func (s *Service) prepare(region string, v *versionRecord) *failure {
	if v.Code.ImageURI != "" {
		return &failure{Code: "InvalidImage", Reason: "lambkin cannot run container images: it has no container runtime. Use a .zip deployment package."}
	}
	if v.Code.Ref != "" {
		if _, err := s.unpacked(v.Code.Ref); err != nil {
			s.cfg.Log.Error("unpacking function code", "function", deref(v.Config.FunctionName), "err", err)
			return &failure{Code: "InvalidZipFileException", Reason: "Lambda was unable to unzip the deployment package."}
		}
	}
	if f := s.runtimeFailure(&v.Config); f != nil {
		return f
	}
	if f := s.prepareLayers(region, v); f != nil {
		return f
	}
	return s.checkFileSystems(v)
}

// prepareLayers builds the /opt a version's layers make together, so the
// first environment does not pay for it.
func (s *Service) prepareLayers(region string, v *versionRecord) *failure {
	err := s.store.View(func(tx store.Tx) error {
		_, err := s.layersDir(tx, region, v.Config.Layers)
		return err
	})
	if err != nil {
		s.cfg.Log.Error("unpacking layers", "function", deref(v.Config.FunctionName), "err", err)
		return &failure{Code: "InvalidConfiguration", Reason: "Lambda was unable to unpack the function's layers."}
	}
	return nil
}

// checkFileSystems requires every file system access point to be mapped to
// a host directory.
func (s *Service) checkFileSystems(v *versionRecord) *failure {
	for _, fs := range v.Config.FileSystemConfigs {
		if _, ok := s.cfg.FileSystems[deref(fs.Arn)]; !ok {
			return &failure{Code: "EFSMountFailure", Reason: fmt.Sprintf("lambkin has no host directory for the file system access point %s: map one with --file-system %s=/some/dir.", deref(fs.Arn), deref(fs.Arn))}
		}
	}
	return nil
}

// complete makes a pending change effective (f == nil) or records why it
// failed. A failed create leaves the function Failed; a failed update
// restores the configuration that was in effect, as AWS aborts it.
func (s *Service) complete(v *versionRecord, f *failure) {
	c := &v.Config
	creating := v.Pending.Previous == nil
	switch {
	case f == nil:
		c.State, c.StateReason, c.StateReasonCode = ptr("Active"), nil, nil
		setUpdateStatus(c, "Successful", nil)
	case creating:
		c.State, c.StateReason, c.StateReasonCode = ptr("Failed"), ptr(f.Reason), ptr(f.Code)
		setUpdateStatus(c, "Failed", f)
	default:
		restored := *v.Pending.Previous
		restored.Version = c.Version
		*c = restored
		if v.Pending.PreviousCode != nil {
			v.Code = *v.Pending.PreviousCode
		}
		setUpdateStatus(c, "Failed", f)
	}
	c.RevisionId = ptr(s.cfg.NewID())
	v.Pending = nil
}

func setUpdateStatus(c *model.FunctionConfiguration, status string, f *failure) {
	c.LastUpdateStatus = ptr(status)
	c.LastUpdateStatusReason, c.LastUpdateStatusReasonCode = nil, nil
	if f != nil {
		c.LastUpdateStatusReason, c.LastUpdateStatusReasonCode = ptr(f.Reason), ptr(f.Code)
	}
}

// effective is the configuration invocations use: during an update still
// in progress, the one before it (AWS keeps serving the old version).
func effective(v *versionRecord) (model.FunctionConfiguration, codeRef) {
	if v.Pending != nil && v.Pending.Previous != nil {
		return *v.Pending.Previous, *v.Pending.PreviousCode
	}
	return v.Config, v.Code
}
