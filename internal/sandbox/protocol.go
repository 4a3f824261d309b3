package sandbox

// The parent and the sandbox init talk over two pipes passed as fds 3 and 4:
//
//	init → parent (status): one hello byte as soon as Init runs, then
//	                        nothing if the exec succeeds (the pipe is
//	                        close-on-exec, so the parent reads EOF), or
//	                        an error message.
//	parent → init (config): one JSON initConfig, then EOF. The parent sends
//	                        it only after it moved the init into the
//	                        environment's cgroups, so no runtime code ever
//	                        runs outside them.
//
// The init is recognised by argv[0], which a function cannot choose for
// lambkin; nothing is added to the environment, so the runtime's
// environment is exactly Spec.Env.
const (
	initArg0  = "lambkin-sandbox-init"
	configFD  = 3
	statusFD  = 4
	helloByte = 'H'
)

// initConfig tells the sandbox init what to prepare and what to exec.
type initConfig struct {
	// Probe: prepare, then exit 0 instead of exec (used by Detect).
	Probe bool `json:"probe,omitempty"`
	// Mounts, when set, is applied inside the new mount namespace.
	Mounts *mountPlan `json:"mounts,omitempty"`
	// Subreaper makes the runtime a child subreaper, so orphaned
	// descendants stay in its subtree where the tree walk finds them.
	Subreaper bool `json:"subreaper,omitempty"`
	// IgnoreXFSZ makes writes beyond RLIMIT_FSIZE fail with EFBIG instead
	// of killing the writer (an ignored disposition survives exec).
	IgnoreXFSZ bool     `json:"ignoreXFSZ,omitempty"`
	Rlimits    []rlimit `json:"rlimits,omitempty"`
	Dir        string   `json:"dir,omitempty"`
	Path       string   `json:"path,omitempty"`
	Args       []string `json:"args,omitempty"`
	Env        []string `json:"env,omitempty"`
}

// rlimit is one resource limit set before exec.
type rlimit struct {
	Resource int    `json:"resource"`
	Cur      uint64 `json:"cur"`
	Max      uint64 `json:"max"`
}
