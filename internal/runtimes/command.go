package runtimes

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/lambkin/lambkin/internal/runtimes/bootstrap"
)

// Defaults of `lambkin runtimes`.
const (
	DefaultDataDir = "./.lambkin"
	DefaultRegion  = "us-east-1"
)

const commandUsage = `usage:
  lambkin runtimes list [--all] [--region REGION] [--arch x86_64|arm64]
  lambkin runtimes add RUNTIME INTERPRETER
  lambkin runtimes promote RUNTIME LABEL|ARN [--complete]
  lambkin runtimes promote --complete RUNTIME

flags (anywhere on the line):
  --data-dir DIR   lambkin's data directory (default ./.lambkin)
  --config FILE    runtimes config file (default DIR/runtimes.config.json)
  --strict         no closest-match fallback

list prints one version per line, tab-separated, after a header line that
starts with '#': RUNTIME, LABEL, ARN (for --region and --arch, default
us-east-1 and x86_64), INTERPRETER ('-' for provided.*), FLAGS (comma-separated:
promoted, rollout-pending, fallback, unavailable, superseded; '-' for none)
and NOTE ('-' for none). --all adds a line for each runtime without a
version, with the reason it is unavailable.

The commands lock the catalog file, so they are safe while a server runs on
the same data directory; the server picks the change up within a second.
`

// RunCommand runs `lambkin runtimes ARGS...` and returns the exit status:
// 0 on success, 1 on failure, 2 on a usage error.
func RunCommand(args []string, stdout, stderr io.Writer) int {
	cmd := command{stdout: stdout, stderr: stderr}
	fs := flag.NewFlagSet("lambkin runtimes", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&cmd.dataDir, "data-dir", DefaultDataDir, "")
	fs.StringVar(&cmd.config, "config", "", "")
	fs.BoolVar(&cmd.strict, "strict", false, "")
	fs.StringVar(&cmd.region, "region", DefaultRegion, "")
	fs.StringVar(&cmd.arch, "arch", ArchX86_64, "")
	all := fs.Bool("all", false, "")
	complete := fs.Bool("complete", false, "")
	pos, err := parseInterleaved(fs, args)
	if errors.Is(err, flag.ErrHelp) || (err == nil && len(pos) > 0 && pos[0] == "help") {
		fmt.Fprint(stdout, commandUsage)
		return 0
	}
	if err != nil {
		return cmd.usage(err.Error())
	}
	if len(pos) == 0 {
		return cmd.usage("missing subcommand")
	}
	if !validArch(cmd.arch) {
		return cmd.usage(fmt.Sprintf("--arch must be %s or %s", ArchX86_64, ArchARM64))
	}
	if !ValidRegion(cmd.region) {
		return cmd.usage(fmt.Sprintf("--region %q is not a region name", cmd.region))
	}

	sub, pos := pos[0], pos[1:]
	switch sub {
	case "list":
		if len(pos) != 0 {
			return cmd.usage("list takes no arguments")
		}
		return cmd.list(*all)
	case "add":
		if len(pos) != 2 {
			return cmd.usage("add takes RUNTIME and INTERPRETER")
		}
		return cmd.add(pos[0], pos[1])
	case "promote":
		switch {
		case len(pos) == 2:
			return cmd.promote(pos[0], pos[1], *complete)
		case len(pos) == 1 && *complete:
			return cmd.complete(pos[0])
		}
		return cmd.usage("promote takes RUNTIME and LABEL|ARN, or --complete and RUNTIME")
	}
	return cmd.usage(fmt.Sprintf("unknown subcommand %q", sub))
}

// command is one run of `lambkin runtimes`.
type command struct {
	stdout, stderr io.Writer
	dataDir        string
	config         string
	strict         bool
	region, arch   string
}

// parseInterleaved parses flags that may come before, between or after the
// positional arguments ("promote python3.11 LABEL --complete").
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), nil // everything after "--" is positional
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
}

func (cmd command) usage(msg string) int {
	fmt.Fprintf(cmd.stderr, "lambkin runtimes: %s\n%s", msg, commandUsage)
	return 2
}

func (cmd command) fail(err error) int {
	fmt.Fprintf(cmd.stderr, "lambkin runtimes: %s\n", strings.TrimPrefix(err.Error(), "runtimes: "))
	return 1
}

// open opens the catalog with lambkin's own bootstraps, so versions get the
// same identities as in the server.
func (cmd command) open() (*Catalog, error) {
	return Open(cmd.dataDir, Options{
		ConfigFile:    cmd.config,
		Strict:        cmd.strict,
		BootstrapHash: BundledBootstraps(),
	})
}

// BundledBootstraps hashes the bootstraps built into this binary: the
// BootstrapHash both the server and the admin command must use.
func BundledBootstraps() func(string) string {
	return HashBootstraps(map[string][]byte{
		BootstrapPython: bootstrap.Python(),
		BootstrapNode:   bootstrap.Node(),
	})
}

func (cmd command) list(all bool) int {
	c, err := cmd.open()
	if err != nil {
		return cmd.fail(err)
	}
	defer c.Close()
	cmd.header()
	for _, id := range RuntimeIDs() {
		versions := c.Versions(id)
		for _, v := range versions {
			cmd.line(c, v)
		}
		if len(versions) == 0 && all {
			reason := "-"
			var ue *UnavailableError
			if _, err := c.Latest(id, cmd.arch); errors.As(err, &ue) {
				reason = ue.Reason
			}
			fmt.Fprintf(cmd.stdout, "%s\t-\t-\t-\tunavailable\t%s\n", id, oneLine(reason))
		}
	}
	return 0
}

func (cmd command) add(runtimeID, interpreter string) int {
	c, err := cmd.open()
	if err != nil {
		return cmd.fail(err)
	}
	defer c.Close()
	v, err := c.Add(runtimeID, interpreter)
	if errors.Is(err, ErrAlreadyRegistered) {
		fmt.Fprintf(cmd.stderr, "lambkin runtimes: %s\n", strings.TrimPrefix(err.Error(), "runtimes: "))
	} else if err != nil {
		return cmd.fail(err)
	}
	cmd.header()
	cmd.line(c, v)
	return 0
}

func (cmd command) promote(runtimeID, version string, complete bool) int {
	c, err := cmd.open()
	if err != nil {
		return cmd.fail(err)
	}
	defer c.Close()
	if err := c.Promote(runtimeID, version); err != nil {
		return cmd.fail(err)
	}
	if complete {
		if err := c.Complete(runtimeID); err != nil {
			return cmd.fail(err)
		}
	}
	return cmd.printPromoted(c, runtimeID)
}

func (cmd command) complete(runtimeID string) int {
	c, err := cmd.open()
	if err != nil {
		return cmd.fail(err)
	}
	defer c.Close()
	if err := c.Complete(runtimeID); err != nil {
		return cmd.fail(err)
	}
	return cmd.printPromoted(c, runtimeID)
}

func (cmd command) printPromoted(c *Catalog, runtimeID string) int {
	rs := c.Rollout(runtimeID)
	cmd.header()
	cmd.lineRollout(c, rs.Promoted, rs)
	return 0
}

func (cmd command) header() {
	fmt.Fprintln(cmd.stdout, "# RUNTIME\tLABEL\tARN\tINTERPRETER\tFLAGS\tNOTE")
}

func (cmd command) line(c *Catalog, v Version) {
	cmd.lineRollout(c, v, c.Rollout(v.Runtime))
}

func (cmd command) lineRollout(c *Catalog, v Version, rs RolloutState) {
	var flags []string
	if v.Promoted {
		flags = append(flags, "promoted")
		if !rs.Complete {
			flags = append(flags, "rollout-pending")
		}
	}
	if !v.Exact {
		flags = append(flags, "fallback")
	}
	if !v.Available {
		flags = append(flags, "unavailable")
	}
	if v.SupersededBy != "" {
		flags = append(flags, "superseded")
	}
	note := v.Note
	if !v.Available {
		note = v.Reason
	}
	fmt.Fprintf(cmd.stdout, "%s\t%s\t%s\t%s\t%s\t%s\n",
		v.Runtime, v.Label, c.ARN(v, cmd.region, cmd.arch), orDash(v.Interpreter), orDash(strings.Join(flags, ",")), orDash(oneLine(note)))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine keeps a field from breaking the one-line-per-version format.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
