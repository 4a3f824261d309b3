package lambda

import (
	"context"
	"sync"
	"time"

	"github.com/lambkin/lambkin/internal/api/model"
	"github.com/lambkin/lambkin/internal/codestore"
	"github.com/lambkin/lambkin/internal/engine"
	"github.com/lambkin/lambkin/internal/store"
)

// Executor runs function code (package engine implements it).
type Executor interface {
	Invoke(ctx context.Context, inv *engine.Invocation) (*engine.Result, error)
	// Provision makes key hold n initialized environments of fn; n == 0
	// releases them. A new fn for the same key is provisioned before the
	// old environments are released.
	Provision(key string, fn *engine.Function, n int)
	ProvisionStatus(key string) (engine.ProvisionStatus, bool)
	// SetReserved tells the executor a function's reserved concurrency.
	SetReserved(group string, reserved *int)
	// Retire ends every environment of a deleted function, provisioned
	// ones included.
	Retire(group string)
}

func groupKey(region, name string) string { return region + "/" + name }

func provisionKey(region, name, qualifier string) string {
	return region + "/" + name + ":" + qualifier
}

// specCache remembers the engine description of a version by its
// revision, so warm invocations do not rebuild it.
type specCache struct {
	mu    sync.Mutex
	specs map[string]*engine.Function // region/name/version@revision -> spec
}

func (c *specCache) get(key string) *engine.Function {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.specs[key]
}

func (c *specCache) put(key string, fn *engine.Function) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.specs == nil || len(c.specs) > 10000 {
		c.specs = map[string]*engine.Function{}
	}
	c.specs[key] = fn
}

// functionSpec describes to the engine what a version runs: its effective
// configuration (the previous one while an update is in progress), its
// unpacked code and layers, and its runtime version.
func (s *Service) functionSpec(tx store.Tx, region, account, name string, v *versionRecord) (*engine.Function, error) {
	// The runtime version is part of the key: rollouts and pins change it
	// without a new RevisionId.
	cacheKey := region + "/" + name + "/" + deref(v.Config.Version) + "@" + deref(v.Config.RevisionId) + "#" + deref(deref(v.Config.RuntimeVersionConfig).RuntimeVersionArn)
	if fn := s.specs.get(cacheKey); fn != nil {
		return fn, nil
	}
	cfg, code := effective(v)
	fn := &engine.Function{
		Key:          region + "/" + name + "/" + deref(v.Config.Version) + "@" + fingerprint(&versionRecord{Config: cfg, Code: code}),
		Group:        groupKey(region, name),
		Region:       region,
		Account:      account,
		Name:         name,
		Version:      deref(v.Config.Version),
		ARN:          arnFor(region, account, name, ""),
		Handler:      deref(cfg.Handler),
		MemoryMB:     deref(cfg.MemorySize),
		Timeout:      time.Duration(deref(cfg.Timeout)) * time.Second,
		EphemeralMB:  deref(deref(cfg.EphemeralStorage).Size),
		Architecture: architecture(&cfg),
		Environment:  map[string]string{},
	}
	if cfg.Environment != nil {
		fn.Environment = cfg.Environment.Variables
	}
	if cfg.TracingConfig != nil {
		fn.TracingActive = deref(cfg.TracingConfig.Mode) == "Active"
	}
	if lc := cfg.LoggingConfig; lc != nil {
		fn.Logging = engine.Logging{Format: deref(lc.LogFormat), ApplicationLevel: deref(lc.ApplicationLogLevel), SystemLevel: deref(lc.SystemLogLevel), Group: deref(lc.LogGroup)}
	}
	if err := s.specRuntime(fn, &cfg); err != nil {
		return nil, err
	}
	var err error
	if fn.CodeDir, err = s.unpacked(code.Ref); err != nil {
		return nil, err
	}
	if fn.OptDir, err = s.layersDir(tx, region, cfg.Layers); err != nil {
		return nil, err
	}
	fn.Mounts = s.fileSystemMounts(cfg.FileSystemConfigs)
	s.specs.put(cacheKey, fn)
	return fn, nil
}

func (s *Service) specRuntime(fn *engine.Function, c *model.FunctionConfiguration) error {
	if c.RuntimeVersionConfig == nil || c.RuntimeVersionConfig.RuntimeVersionArn == nil {
		return errRuntimeUnavailable(deref(c.Runtime))
	}
	rv, ok := s.runtimes.Resolve(*c.RuntimeVersionConfig.RuntimeVersionArn)
	if !ok {
		return errRuntimeUnavailable(deref(c.Runtime))
	}
	fn.Runtime = engine.Runtime{
		ID:          deref(c.Runtime),
		Label:       rv.Label,
		VersionARN:  rv.ARN,
		Interpreter: rv.Interpreter,
		Bootstrap:   rv.Bootstrap,
	}
	return nil
}

// layersDir is the merged /opt of a configuration's layers ("" for none).
func (s *Service) layersDir(tx store.Tx, region string, layers []model.Layer) (string, error) {
	if len(layers) == 0 {
		return "", nil
	}
	refs, err := layerCodeRefs(tx, Scope{Region: region}, layers)
	if err != nil {
		return "", err
	}
	ids := make([]codestore.Ref, len(refs))
	for i, r := range refs {
		if ids[i], err = codestore.ParseRef(r.Ref); err != nil {
			return "", err
		}
	}
	return s.code.Layers(ids)
}

// fileSystemMounts maps FileSystemConfigs to host directories through the
// configured access points; unmapped access points are not mounted (the
// update that set them failed with a reason).
func (s *Service) fileSystemMounts(configs []model.FileSystemConfig) []engine.Mount {
	var out []engine.Mount
	for _, c := range configs {
		if dir, ok := s.cfg.FileSystems[deref(c.Arn)]; ok {
			out = append(out, engine.Mount{HostDir: dir, MountPath: deref(c.LocalMountPath)})
		}
	}
	return out
}

// provisionStatus is the live state of a provisioned concurrency config.
func (s *Service) provisionStatus(region, name, qualifier string) ProvisionStatus {
	st, ok := s.exec.ProvisionStatus(provisionKey(region, name, qualifier))
	if !ok {
		return ProvisionStatus{Status: "IN_PROGRESS"}
	}
	return ProvisionStatus(st)
}

// reconcileProvisioned hands the engine the desired state of one
// provisioned concurrency config: its count and the version it runs.
func (s *Service) reconcileProvisioned(region, name, qualifier string) {
	key := provisionKey(region, name, qualifier)
	var fn *engine.Function
	var n int
	err := s.store.View(func(tx store.Tx) error {
		rec, err := loadProvisioned(tx, region, name, qualifier)
		if err != nil || rec == nil {
			return err
		}
		v, err := loadQualified(tx, region, name, qualifier)
		if err != nil || v == nil {
			return err
		}
		if fn, err = s.functionSpec(tx, region, s.cfg.Account, name, v); err != nil {
			return err
		}
		n = rec.Requested
		return nil
	})
	if err != nil {
		s.cfg.Log.Error("provisioned concurrency: reading desired state", "function", name, "qualifier", qualifier, "err", err)
	}
	s.exec.Provision(key, fn, n)
}

// resumeConcurrency hands the executor every stored reservation.
func (s *Service) resumeConcurrency() error {
	return s.store.View(func(tx store.Tx) error {
		return tx.Scan(bucketFunctions, nil, nil, func(k, b []byte) bool {
			var fn functionRecord
			if unmarshalRecord(b, &fn) == nil && fn.ReservedConcurrency != nil {
				region, _ := splitVersionKey(k)
				s.exec.SetReserved(groupKey(region, fn.Name), fn.ReservedConcurrency)
			}
			return true
		})
	})
}

// resumeProvisioned re-provisions every stored config at startup.
func (s *Service) resumeProvisioned() error {
	type target struct{ region, name, qualifier string }
	var targets []target
	err := s.store.View(func(tx store.Tx) error {
		return tx.Scan(bucketProvisioned, nil, nil, func(k, _ []byte) bool {
			region, name := splitVersionKey(k)
			targets = append(targets, target{region, name, qualifierOfKey(k)})
			return true
		})
	})
	for _, t := range targets {
		s.reconcileProvisioned(t.region, t.name, t.qualifier)
	}
	return err
}

// aliasMoved re-provisions an alias whose version changed (or that was
// deleted, which releases its environments).
func (s *Service) aliasMoved(region, name, alias string) {
	s.reconcileProvisioned(region, name, alias)
}

// afterDelete releases what a deleted function or version held.
func (s *Service) afterDelete(region, name, qualifier string) {
	if qualifier == "" {
		s.exec.Retire(groupKey(region, name))
	} else {
		s.reconcileProvisioned(region, name, qualifier)
	}
	go s.collectCode()
}
