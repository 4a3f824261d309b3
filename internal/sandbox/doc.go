// Package sandbox starts, supervises, limits and destroys one Lambda
// execution environment: the process tree of a language runtime.
//
// # Wiring
//
// The program's main (and TestMain in tests) must call [Init] first: an
// environment is started by re-executing the current binary (or
// [Features.InitExe]) as a short-lived "sandbox init" that prepares the
// environment from inside (mounts, rlimits) and then execs the runtime. No
// init or reaper process stays behind: the runtime takes its place.
//
//	func main() {
//		sandbox.Init() // never returns in a sandbox init
//		features := sandbox.Detect()
//		log.Print(features)
//		sandbox.Sweep(features) // leftovers of a lambkin killed with SIGKILL
//		...
//		env, err := sandbox.Start(features, spec)
//		...
//		exit := env.Wait() // or <-env.Done()
//		env.Kill()         // always: frees cgroups and directories
//	}
//
// # Isolation layers
//
// [Detect] reports which layers the host allows; [Start] uses each one that
// is on in the [Features] it is given, and falls back otherwise:
//
//   - mount namespace: code read-only at /var/task, layers at /opt, bootstraps
//     at /var/runtime, a private tmpfs at /tmp sized to the ephemeral storage
//     (or a host directory, [Spec.DiskTmp]); as in Lambda the rest of the
//     host filesystem is visible but read-only. Without it the same layout
//     is a per-environment directory (see [Paths]) and /tmp is watched.
//   - pid namespace: the runtime is pid 1 of its own namespace; when it dies
//     the kernel kills and reaps every other process of the environment.
//     As pid 1 it only receives the signals it handles (plus SIGKILL and
//     SIGSTOP), also those it sends itself, and it inherits orphans.
//   - cgroups (v2 or v1, also mixed as on hybrid hosts): tracking, cgroup.kill,
//     freezing, memory limit with OOM and peak accounting, pids limit. Without
//     a memory cgroup the resident memory of the tree is polled instead.
//
// Always: own process group, SIGKILL on parent death, RLIMIT_NOFILE 1024,
// RLIMIT_CORE 0, stdin from /dev/null, no inherited file descriptors but
// stdout and stderr.
//
// The sandbox contains mistakes, not attackers: functions run as root.
package sandbox
