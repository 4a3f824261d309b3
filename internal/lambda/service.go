// Package lambda holds the rules of the Lambda service: what each operation
// accepts, what it changes and what it answers. It knows nothing of HTTP;
// package api binds requests to the methods here, and every error returned
// is an *awserr.Error built in errors.go.
package lambda

import (
	"hash/fnv"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lambkin/lambkin/internal/ids"
	"github.com/lambkin/lambkin/internal/store"
)

// Limits are the account quotas the service enforces.
type Limits struct {
	ZippedCodeSize         int64 // 50 MB
	UnzippedCodeSize       int64 // 250 MB, code plus layers
	TotalCodeSize          int64 // 75 GB
	ConcurrentExecutions   int   // account concurrency limit
	UnreservedConcurrency  int   // minimum unreserved concurrency
	EnvironmentVariableMax int   // bytes of the compact JSON of the variables
}

// DefaultLimits are AWS's defaults for a new account.
func DefaultLimits() Limits {
	return Limits{
		ZippedCodeSize:         52428800,
		UnzippedCodeSize:       262144000,
		TotalCodeSize:          80530636800,
		ConcurrentExecutions:   1000,
		UnreservedConcurrency:  100,
		EnvironmentVariableMax: 4096,
	}
}

// Config configures a Service.
type Config struct {
	Account string // the account every resource belongs to
	Limits  Limits
	// FileSystems maps file system access point ARNs (FileSystemConfigs)
	// to host directories.
	FileSystems map[string]string
	// Destinations maps async destination and dead-letter ARNs (SQS, SNS,
	// EventBridge, S3) to HTTP endpoints that receive their messages.
	Destinations map[string]string
	Async        AsyncConfig
	// StateDelay is the least time a function stays Pending or InProgress
	// after a change; AWS takes seconds, lambkin needs none, tests use it to
	// observe the intermediate states.
	StateDelay time.Duration
	// Now and NewID are injectable for deterministic tests.
	Now   func() time.Time
	NewID func() string
	Log   *slog.Logger
}

// Service implements the Lambda API's rules.
type Service struct {
	store    *countingStore
	code     CodeStore
	runtimes RuntimeCatalog
	exec     Executor
	cfg      Config
	locks    lockTable // per function
	accounts lockTable // per region: changes to account-wide quotas
	specs    specCache
	targets  targetCache
	work     *transitions
	async    *asyncQueue
}

// Deps are the components a Service works with.
type Deps struct {
	Store    store.Store
	Code     CodeStore
	Runtimes RuntimeCatalog
	Executor Executor
}

// New returns a Service, resuming any transition a previous run left
// unfinished and handing stored provisioned concurrency to the executor.
func New(d Deps, cfg Config) (*Service, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		cfg.NewID = ids.UUID
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Limits == (Limits{}) {
		cfg.Limits = DefaultLimits()
	}
	cfg.Async.defaults()
	s := &Service{store: &countingStore{Store: d.Store}, code: d.Code, runtimes: d.Runtimes, exec: d.Executor, cfg: cfg}
	s.work = newTransitions(s)
	if err := s.resumeTransitions(); err != nil {
		s.work.stop()
		return nil, err
	}
	if err := s.resumeConcurrency(); err != nil {
		s.work.stop()
		return nil, err
	}
	if err := s.resumeProvisioned(); err != nil {
		s.work.stop()
		return nil, err
	}
	if err := s.startAsync(); err != nil {
		s.work.stop()
		return nil, err
	}
	return s, nil
}

// Close stops background work; unfinished transitions and queued
// asynchronous invocations resume on the next New.
func (s *Service) Close() {
	s.async.stop()
	s.work.stop()
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// lastModified formats a time as FunctionConfiguration.LastModified.
func lastModified(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

// countingStore counts committed updates, so caches of what the store
// holds can tell when they might be stale.
type countingStore struct {
	store.Store
	commits atomic.Uint64
}

func (c *countingStore) Update(fn func(store.Tx) error) error {
	err := c.Store.Update(fn)
	if err == nil {
		c.commits.Add(1)
	}
	return err
}

// lockTable serialises changes to one function: every mutating operation
// reads, checks and writes under its function's lock, so a check can never
// be invalidated before its write commits. Distinct functions rarely share a
// stripe, and sharing one only costs parallelism.
type lockTable struct{ stripes [1024]sync.Mutex }

func (l *lockTable) lock(region, name string) func() {
	h := fnv.New32a()
	h.Write([]byte(region))
	h.Write([]byte{0})
	h.Write([]byte(name))
	m := &l.stripes[h.Sum32()%uint32(len(l.stripes))]
	m.Lock()
	return m.Unlock
}
