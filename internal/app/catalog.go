package app

import (
	"errors"

	"github.com/lambkin/lambkin/internal/lambda"
	"github.com/lambkin/lambkin/internal/runtimes"
)

// openCatalog opens the runtime catalog of the data directory; the
// bootstraps' hashes are part of every runtime version's identity.
func openCatalog(cfg Config) (*runtimes.Catalog, error) {
	return runtimes.Open(cfg.DataDir, runtimes.Options{
		ConfigFile:    cfg.RuntimeConfig,
		Strict:        cfg.StrictRuntimes,
		BootstrapHash: runtimes.BundledBootstraps(),
		RolloutDelay:  cfg.RolloutDelay,
		Logger:        cfg.Log,
	})
}

// catalogAdapter gives the service the catalog in its own terms.
type catalogAdapter struct{ c *runtimes.Catalog }

func (a catalogAdapter) Latest(runtime, region, arch string) (lambda.RuntimeVersion, error) {
	v, err := a.c.Latest(runtime, arch)
	var unavailable *runtimes.UnavailableError
	if errors.As(err, &unavailable) {
		return lambda.RuntimeVersion{}, &lambda.RuntimeUnavailableError{Reason: unavailable.Reason}
	}
	if err != nil {
		return lambda.RuntimeVersion{}, err
	}
	return runtimeVersion(v, a.c.ARN(v, region, arch)), nil
}

func (a catalogAdapter) Resolve(arn string) (lambda.RuntimeVersion, bool) {
	v, ok := a.c.Resolve(arn)
	if !ok || !v.Available {
		return lambda.RuntimeVersion{}, false
	}
	return runtimeVersion(v, arn), true
}

func (a catalogAdapter) RolloutComplete(runtime string) bool { return a.c.Rollout(runtime).Complete }

func runtimeVersion(v runtimes.Version, arn string) lambda.RuntimeVersion {
	return lambda.RuntimeVersion{
		Runtime:     v.Runtime,
		ARN:         arn,
		Label:       v.Label,
		Interpreter: v.Interpreter,
		Bootstrap:   v.Bootstrap,
		Exact:       v.Exact,
	}
}
