package lambda

import (
	"regexp"
	"strconv"
	"strings"
)

// Scope is who is asking and where: every resource is regional and belongs
// to one account.
type Scope struct {
	Region    string
	Account   string
	RequestID string
	// BaseURL is how the caller reached lambkin (scheme://host), used for
	// download URLs such as GetFunction's Code.Location.
	BaseURL string
	// TraceID is the caller's X-Amzn-Trace-Id header, if any.
	TraceID string
}

// latest is the unpublished version's qualifier.
const latest = "$LATEST"

// nameRef is a parsed FunctionName parameter: a bare name, a partial ARN or
// a full ARN, each optionally with a ":qualifier" suffix.
type nameRef struct {
	Name      string
	Region    string // from the ARN; empty for a bare name
	Account   string // from the ARN; empty for a bare name
	Qualifier string // from the ":qualifier" suffix; empty when none
	HasARN    bool   // the caller used an ARN (full or partial)
}

// functionNameRE splits a FunctionName the way the service's pattern groups
// it; the model's validation has already accepted the string.
var functionNameRE = regexp.MustCompile(`^(arn:(?:aws[a-zA-Z-]*)?:lambda:)?((?:eusc-)?[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_.]+)(?::(\$LATEST(?:\.PUBLISHED)?|[a-zA-Z0-9-_]+))?$`)

func parseName(s string) (nameRef, bool) {
	m := functionNameRE.FindStringSubmatch(s)
	if m == nil {
		return nameRef{}, false
	}
	return nameRef{
		Name:      m[5],
		Region:    strings.TrimSuffix(m[2], ":"),
		Account:   strings.TrimSuffix(m[3], ":"),
		Qualifier: m[6],
		HasARN:    m[1] != "" || m[3] != "" || m[4] != "",
	}, true
}

// resolveName parses a FunctionName and an optional Qualifier parameter and
// applies the checks every operation shares: the ARN's region must be the
// caller's, and a qualifier in the name must agree with the parameter.
func resolveName(sc Scope, functionName string, qualifier *string) (nameRef, error) {
	ref, ok := parseName(functionName)
	if !ok {
		// The model pattern is checked before any operation runs, so this is
		// a name the pattern admits but the grammar above does not.
		return nameRef{}, errFunctionNotFound(functionARN(sc, functionName, ""))
	}
	if ref.Region != "" && ref.Region != sc.Region {
		return nameRef{}, errOtherRegion(ref.Region, sc.Region)
	}
	if qualifier != nil && *qualifier != "" {
		if ref.Qualifier != "" && ref.Qualifier != *qualifier {
			return nameRef{}, errQualifierMismatch()
		}
		ref.Qualifier = *qualifier
	}
	return ref, nil
}

// account is the account a reference names, or the caller's.
func (r nameRef) account(sc Scope) string {
	if r.Account != "" {
		return r.Account
	}
	return sc.Account
}

// arn is the function's ARN with the given qualifier ("" for unqualified).
func (r nameRef) arn(sc Scope, qualifier string) string {
	return arnFor(sc.Region, r.account(sc), r.Name, qualifier)
}

func functionARN(sc Scope, name, qualifier string) string {
	return arnFor(sc.Region, sc.Account, name, qualifier)
}

func arnFor(region, account, name, qualifier string) string {
	arn := "arn:aws:lambda:" + region + ":" + account + ":function:" + name
	if qualifier != "" {
		arn += ":" + qualifier
	}
	return arn
}

// qualifierKind classifies a qualifier: $LATEST, a version number or an alias.
type qualifierKind int

const (
	qualLatest qualifierKind = iota
	qualVersion
	qualAlias
)

func kindOf(qualifier string) qualifierKind {
	switch {
	case qualifier == "" || qualifier == latest:
		return qualLatest
	case isVersionNumber(qualifier):
		return qualVersion
	}
	return qualAlias
}

func isVersionNumber(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// versionNumber parses a published version number.
func versionNumber(s string) (int, bool) {
	if !isVersionNumber(s) {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}
