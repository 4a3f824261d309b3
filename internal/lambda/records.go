package lambda

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/lambkin/lambkin/internal/api/model"
	"github.com/lambkin/lambkin/internal/store"
)

// Buckets of the store and the records in them. Keys start with the region
// and the function name, joined by a NUL byte: names never contain it, and
// it sorts before every name character, so a function's keys are contiguous
// and functions list in name order.
const (
	bucketFunctions = "functions" // region\0name -> functionRecord
	bucketVersions  = "versions"  // region\0name\0version -> versionRecord
)

const sep = "\x00"

// SealedBuckets hold what must not reach the disk in plain text: function
// configurations (environment variables) and queued event payloads.
var SealedBuckets = []string{bucketVersions, bucketEvents}

func functionKey(region, name string) []byte { return []byte(region + sep + name) }

func versionsPrefix(region, name string) []byte { return []byte(region + sep + name + sep) }

// versionKey orders $LATEST first, then versions numerically ('$' sorts
// before digits, and numbers are zero-padded).
func versionKey(region, name, version string) []byte {
	if n, ok := versionNumber(version); ok {
		version = fmt.Sprintf("%010d", n)
	}
	return []byte(region + sep + name + sep + version)
}

// functionRecord is what a function's versions share.
type functionRecord struct {
	Name string `json:"name"`
	// LastVersion is the highest version number ever published; numbers are
	// never reused, even after deletes.
	LastVersion int `json:"lastVersion,omitzero"`
	// PublishedFingerprint identifies $LATEST's code and configuration when
	// it was last published, so an unchanged $LATEST publishes nothing new.
	PublishedFingerprint string            `json:"publishedFingerprint,omitzero"`
	ReservedConcurrency  *int              `json:"reservedConcurrency,omitzero"`
	Tags                 map[string]string `json:"tags,omitzero"`
}

// versionRecord is one version: $LATEST or a published number.
type versionRecord struct {
	// Config is the configuration as AWS shows it, without FunctionArn,
	// which depends on how the caller named the function.
	Config model.FunctionConfiguration `json:"config"`
	Code   codeRef                     `json:"code"`
	// RuntimeUpdate is the version's runtime management configuration.
	RuntimeUpdate runtimeUpdate `json:"runtimeUpdate,omitzero"`
	// Pending is set while a background transition (Pending -> Active,
	// InProgress -> Successful) has not finished.
	Pending *pendingChange `json:"pending,omitzero"`
}

// codeRef is the deployment package behind a version.
type codeRef struct {
	Ref          string `json:"ref,omitzero"` // content address in the code store
	UnzippedSize int64  `json:"unzippedSize,omitzero"`
	ImageURI     string `json:"imageUri,omitzero"`
}

// pendingChange records an accepted change that the transition worker has
// yet to make effective.
type pendingChange struct {
	// Token is the RevisionId written with the change; a transition only
	// applies while the version still carries it.
	Token string `json:"token"`
	// Previous is the configuration in effect before an update: invokes keep
	// using it until the update succeeds, and a failed update restores it.
	Previous     *model.FunctionConfiguration `json:"previous,omitzero"`
	PreviousCode *codeRef                     `json:"previousCode,omitzero"`
}

func getJSON(tx store.Tx, bucket string, key []byte, v any) (bool, error) {
	b := tx.Get(bucket, key)
	if b == nil {
		return false, nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("corrupt %s record %q: %w", bucket, key, err)
	}
	return true, nil
}

func putJSON(tx store.Tx, bucket string, key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return tx.Put(bucket, key, b)
}

func loadFunction(tx store.Tx, region, name string) (*functionRecord, error) {
	var f functionRecord
	ok, err := getJSON(tx, bucketFunctions, functionKey(region, name), &f)
	if !ok || err != nil {
		return nil, err
	}
	return &f, nil
}

func loadVersion(tx store.Tx, region, name, version string) (*versionRecord, error) {
	var v versionRecord
	ok, err := getJSON(tx, bucketVersions, versionKey(region, name, version), &v)
	if !ok || err != nil {
		return nil, err
	}
	return &v, nil
}

// loadQualified loads the version a qualifier names: $LATEST (also for
// none), a version number, or an alias's primary version. It returns nil
// when the alias or version does not exist.
func loadQualified(tx store.Tx, region, name, qualifier string) (*versionRecord, error) {
	version := qualifier
	if kindOf(qualifier) == qualAlias {
		a, err := loadAlias(tx, region, name, qualifier)
		if err != nil || a == nil {
			return nil, err
		}
		version = deref(a.FunctionVersion)
	}
	if version == "" {
		version = latest
	}
	return loadVersion(tx, region, name, version)
}

func saveFunction(tx store.Tx, region string, f *functionRecord) error {
	return putJSON(tx, bucketFunctions, functionKey(region, f.Name), f)
}

func saveVersion(tx store.Tx, region, name string, v *versionRecord) error {
	return putJSON(tx, bucketVersions, versionKey(region, name, *v.Config.Version), v)
}

// scanVersions calls fn for each version of a function in order.
func scanVersions(tx store.Tx, region, name string, fn func(*versionRecord) (bool, error)) error {
	var ferr error
	err := tx.Scan(bucketVersions, versionsPrefix(region, name), nil, func(_, b []byte) bool {
		var v versionRecord
		if ferr = json.Unmarshal(b, &v); ferr != nil {
			return false
		}
		more, err := fn(&v)
		ferr = err
		return more && err == nil
	})
	if err != nil {
		return err
	}
	return ferr
}

// deletePrefix removes every key of a bucket under prefix.
func deletePrefix(tx store.Tx, bucket string, prefix []byte) error {
	var keys [][]byte
	if err := tx.Scan(bucket, prefix, nil, func(k, _ []byte) bool {
		keys = append(keys, append([]byte(nil), k...))
		return true
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := tx.Delete(bucket, k); err != nil {
			return err
		}
	}
	return nil
}

func itoa(n int) string { return strconv.Itoa(n) }
