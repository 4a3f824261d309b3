package lambda

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/lambkin/lambkin/internal/store"
)

// perFunctionBuckets hold records keyed under a function (region\0name\0...);
// deleting the function deletes them all.
var perFunctionBuckets = []string{bucketVersions, bucketAliases, bucketProvisioned, bucketPolicies, bucketEventInvoke, bucketURLs}

// perVersionBuckets hold records keyed by a qualifier (a version or an
// alias); deleting that version or alias deletes them.
var perVersionBuckets = []string{bucketVersions, bucketAliases, bucketProvisioned, bucketPolicies, bucketEventInvoke, bucketURLs}

func unmarshalRecord(b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("corrupt record: %w", err)
	}
	return nil
}

// splitVersionKey returns the region and function name of a per-function key.
func splitVersionKey(k []byte) (region, name string) {
	parts := bytes.SplitN(k, []byte(sep), 3)
	if len(parts) < 2 {
		return "", ""
	}
	return string(parts[0]), string(parts[1])
}

// unqualified resolves a FunctionName that must name the function itself,
// not a version or alias.
func (s *Service) unqualified(sc Scope, functionName string) (nameRef, error) {
	ref, err := resolveName(sc, functionName, nil)
	if err == nil && ref.Qualifier != "" {
		err = errQualifiedName()
	}
	return ref, err
}

// existingFunction loads a function that must exist; a missing one is
// reported as not found under the ARN qualified by qualifier.
func existingFunction(tx store.Tx, sc Scope, ref nameRef, qualifier string) (*functionRecord, error) {
	fn, err := loadFunction(tx, sc.Region, ref.Name)
	if err == nil && fn == nil {
		err = errFunctionNotFound(ref.arn(sc, qualifier))
	}
	return fn, err
}

// loadLatest loads a function and its $LATEST, which must exist.
func (s *Service) loadLatest(tx store.Tx, sc Scope, ref nameRef) (*functionRecord, *versionRecord, error) {
	fn, err := existingFunction(tx, sc, ref, "")
	if err != nil {
		return nil, nil, err
	}
	v, err := loadVersion(tx, sc.Region, ref.Name, latest)
	if err == nil && v == nil {
		err = fmt.Errorf("function %s has no $LATEST record", ref.Name)
	}
	return fn, v, err
}

// checkUpdatable refuses changes while a previous one is still being made
// effective: Pending after create, or an update InProgress.
func checkUpdatable(sc Scope, ref nameRef, v *versionRecord) error {
	arn := ref.arn(sc, "")
	switch {
	case deref(v.Config.State) == "Pending":
		return errNotReadyForUpdate(arn, "Pending", deref(v.Config.StateReasonCode))
	case deref(v.Config.LastUpdateStatus) == "InProgress":
		return errUpdateInProgress(arn)
	}
	return nil
}
