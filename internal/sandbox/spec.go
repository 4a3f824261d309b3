package sandbox

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
)

// Defaults for zero Spec fields.
const (
	DefaultEphemeralMB  = 512
	DefaultMemoryMB     = 128
	DefaultMaxProcs     = 1024
	DefaultPollInterval = 100 * time.Millisecond
	// MaxOpenFiles is RLIMIT_NOFILE in every environment, as in Lambda.
	MaxOpenFiles = 1024
)

// Spec describes one execution environment.
type Spec struct {
	// ID names the environment (its cgroups); letters, digits, '.', '_'
	// and '-'. A random one is used when empty.
	ID string
	// Path is the absolute path of the runtime as the environment sees it
	// (so under Paths.Runtime or Paths.Task for lambkin's bootstraps and
	// provided runtimes); Args includes argv[0] (Path when empty).
	Path string
	Args []string
	// Env is exactly the runtime's environment.
	Env []string
	// Stdout and Stderr receive the tree's output; nil discards it. An
	// *os.File is handed to the processes; other writers are called from
	// a goroutine per writer (two different writers may be called
	// concurrently). The same pointer for both gives one pipe, which keeps
	// the lines in order. Output is complete when Done is closed.
	Stdout, Stderr io.Writer

	// TaskDir holds the function code (required). LayersDir is shown as
	// /opt (empty when ""); RuntimeDir as /var/runtime (when set).
	TaskDir, LayersDir, RuntimeDir string
	// Binds are host directories shown read-write at absolute paths (a
	// function's file systems under /mnt). Only with a mount namespace;
	// Start fails without one.
	Binds []Bind
	// WorkDir is this environment's own host directory (required). Start
	// creates it (it must be absent or empty) when /tmp is a host
	// directory (no mount namespace, or DiskTmp) and Kill removes it;
	// otherwise it is not touched.
	WorkDir string

	// EphemeralMB sizes /tmp (default 512), MemoryMB the memory limit
	// (default 128), MaxProcs the pids limit where a pids cgroup exists
	// (default 1024; it counts threads too, like Lambda's limit).
	EphemeralMB int
	MemoryMB    int
	MaxProcs    int
	// DiskTmp backs /tmp with a directory in WorkDir on the host disk
	// instead of a tmpfs, when there is a mount namespace. A tmpfs gives
	// exact ENOSPC, but its pages count toward the memory limit (a 128 MB
	// function is OOM-killed after writing ~120 MB to /tmp, where Lambda
	// would allow 512 MB); on disk they do not, but the size is only
	// watched, as without a mount namespace: a single file cannot grow past
	// it (EFBIG), the total is sampled every PollInterval and the
	// environment killed beyond it (Exit.StorageExceeded).
	DiskTmp bool
	// PollInterval is the period of the RSS and /tmp watchers, which only
	// run where the kernel cannot enforce the limit (default 100ms).
	PollInterval time.Duration
}

// Bind is a host directory shown at Path inside the environment.
type Bind struct {
	HostDir string `json:"hostDir"`
	Path    string `json:"path"`
}

// withDefaults validates s and fills zero fields.
func (s Spec) withDefaults() (Spec, error) {
	if s.ID == "" {
		var b [6]byte
		if _, err := rand.Read(b[:]); err != nil {
			return s, err
		}
		s.ID = hex.EncodeToString(b[:])
	}
	if strings.Trim(s.ID, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != "" ||
		strings.HasPrefix(s.ID, ".") || len(s.ID) > 128 {
		return s, fmt.Errorf("invalid environment id %q", s.ID)
	}
	if !filepath.IsAbs(s.Path) {
		return s, fmt.Errorf("runtime path %q is not absolute", s.Path)
	}
	if len(s.Args) == 0 {
		s.Args = []string{s.Path}
	}
	if s.TaskDir == "" {
		return s, errors.New("no TaskDir")
	}
	if s.WorkDir == "" {
		return s, errors.New("no WorkDir")
	}
	if s.EphemeralMB <= 0 {
		s.EphemeralMB = DefaultEphemeralMB
	}
	if s.MemoryMB <= 0 {
		s.MemoryMB = DefaultMemoryMB
	}
	if s.MaxProcs <= 0 {
		s.MaxProcs = DefaultMaxProcs
	}
	if s.PollInterval <= 0 {
		s.PollInterval = DefaultPollInterval
	}
	return s, nil
}

// memoryBytes is the memory limit in bytes.
func (s Spec) memoryBytes() uint64 { return uint64(s.MemoryMB) << 20 }

// ephemeralBytes is the /tmp size in bytes.
func (s Spec) ephemeralBytes() int64 { return int64(s.EphemeralMB) << 20 }
