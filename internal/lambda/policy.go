package lambda

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"

	"github.com/lambkin/lambkin/internal/api/model"
	"github.com/lambkin/lambkin/internal/store"
)

// Resource policies belong to one qualifier: the function itself (no
// qualifier), a version or an alias. Adding or removing a statement is a
// change of that version or alias and gives it a new RevisionId, which is
// also the policy's RevisionId.
const bucketPolicies = "policies" // region\0name\0qualifier -> policyDocument

const policyLimit = 20480

// policyDocument keeps statements as compact JSON in insertion order.
type policyDocument struct {
	Statements []json.RawMessage `json:"statements"`
}

func (p *policyDocument) render() string {
	var b bytes.Buffer
	b.WriteString(`{"Version":"2012-10-17","Id":"default","Statement":[`)
	for i, st := range p.Statements {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(st)
	}
	b.WriteString("]}")
	return b.String()
}

// add appends a statement, refusing a duplicate statement id and a policy
// over the size limit.
func (p *policyDocument) add(sid, statement string) error {
	if p.index(sid) >= 0 {
		return errStatementExists(sid)
	}
	p.Statements = append(p.Statements, json.RawMessage(statement))
	if size := len(p.render()); size > policyLimit {
		return errPolicyTooLarge(size, policyLimit)
	}
	return nil
}

// remove deletes a statement by id.
func (p *policyDocument) remove(sid string) error {
	if len(p.Statements) == 0 {
		return errNoPolicyAssociated()
	}
	i := p.index(sid)
	if i < 0 {
		return errStatementNotFound(sid)
	}
	p.Statements = append(p.Statements[:i], p.Statements[i+1:]...)
	return nil
}

func (p *policyDocument) index(sid string) int {
	for i, st := range p.Statements {
		var head struct{ Sid string }
		if json.Unmarshal(st, &head) == nil && head.Sid == sid {
			return i
		}
	}
	return -1
}

// AddPermission adds a statement to the resource policy of a function,
// version or alias.
func (s *Service) AddPermission(_ context.Context, sc Scope, in *model.AddPermissionRequest) (*model.AddPermissionResponse, error) {
	ref, err := resolveName(sc, *in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	if ref.Qualifier == latest {
		return nil, errPolicyOnLatest()
	}
	principal, ok := functionPrincipal(*in.Principal)
	if !ok {
		return nil, errInvalidPrincipal()
	}
	st := orderedJSON{
		{"Sid", *in.StatementId}, {"Effect", "Allow"}, {"Principal", principal},
		{"Action", *in.Action}, {"Resource", ref.arn(sc, ref.Qualifier)},
	}
	if cond := permissionConditions(in); len(cond) > 0 {
		st = append(st, kv{"Condition", cond})
	}
	var statement string
	err = s.changePolicy(sc, ref, policyChange{mismatch: errPolicyRevisionMismatch, revisionID: in.RevisionId}, func(doc *policyDocument) error {
		statement = st.String()
		return doc.add(*in.StatementId, statement)
	})
	if err != nil {
		return nil, err
	}
	return &model.AddPermissionResponse{Statement: ptr(statement)}, nil
}

// RemovePermission removes a statement from a resource policy.
func (s *Service) RemovePermission(_ context.Context, sc Scope, in *model.RemovePermissionRequest) (*struct{}, error) {
	ref, err := resolveName(sc, *in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	change := policyChange{mismatch: errRevisionMismatch, revisionID: in.RevisionId, noFunction: errNoPolicyFound(ref.arn(sc, ""))}
	err = s.changePolicy(sc, ref, change, func(doc *policyDocument) error { return doc.remove(*in.StatementId) })
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// GetPolicy returns the resource policy of a function, version or alias.
func (s *Service) GetPolicy(_ context.Context, sc Scope, in *model.GetPolicyRequest) (*model.GetPolicyResponse, error) {
	ref, err := resolveName(sc, *in.FunctionName, in.Qualifier)
	if err != nil {
		return nil, err
	}
	var out *model.GetPolicyResponse
	err = s.store.View(func(tx store.Tx) error {
		rev, err := policyTarget(tx, sc, ref, nil)
		if err != nil {
			return err
		}
		doc, err := loadPolicy(tx, sc.Region, ref.Name, ref.Qualifier)
		if err != nil {
			return err
		}
		if len(doc.Statements) == 0 {
			return errResourceNotFound()
		}
		out = &model.GetPolicyResponse{Policy: ptr(doc.render()), RevisionId: ptr(rev.revision())}
		return nil
	})
	return out, err
}

// policyChange says how a policy edit words its failures.
type policyChange struct {
	revisionID *string
	mismatch   func() error // the RevisionId precondition's error
	noFunction error        // error for a missing function; nil for the usual one
}

// changePolicy edits a qualifier's policy under the function's lock and
// bumps the RevisionId of the version or alias it belongs to.
func (s *Service) changePolicy(sc Scope, ref nameRef, c policyChange, edit func(*policyDocument) error) error {
	unlock := s.locks.lock(sc.Region, ref.Name)
	defer unlock()
	return s.store.Update(func(tx store.Tx) error {
		target, err := policyTarget(tx, sc, ref, c.noFunction)
		if err != nil {
			return err
		}
		if c.revisionID != nil && *c.revisionID != target.revision() {
			return c.mismatch()
		}
		doc, err := loadPolicy(tx, sc.Region, ref.Name, ref.Qualifier)
		if err != nil {
			return err
		}
		if err := edit(doc); err != nil {
			return err
		}
		if err := target.bump(tx, s.cfg.NewID()); err != nil {
			return err
		}
		key := versionKey(sc.Region, ref.Name, ref.Qualifier)
		if len(doc.Statements) == 0 {
			return tx.Delete(bucketPolicies, key)
		}
		return putJSON(tx, bucketPolicies, key, doc)
	})
}

func loadPolicy(tx store.Tx, region, name, qualifier string) (*policyDocument, error) {
	var doc policyDocument
	_, err := getJSON(tx, bucketPolicies, versionKey(region, name, qualifier), &doc)
	return &doc, err
}

// revisioned is the version or alias a policy belongs to.
type revisioned struct {
	region, name string
	version      *versionRecord
	alias        *model.AliasConfiguration
}

func (r revisioned) revision() string {
	if r.alias != nil {
		return deref(r.alias.RevisionId)
	}
	return deref(r.version.Config.RevisionId)
}

func (r revisioned) bump(tx store.Tx, id string) error {
	if r.alias != nil {
		r.alias.RevisionId = ptr(id)
		return saveAlias(tx, r.region, r.name, r.alias)
	}
	r.version.Config.RevisionId = ptr(id)
	return saveVersion(tx, r.region, r.name, r.version)
}

// policyTarget loads what a policy qualifier names: the function's
// $LATEST for none, a version, or an alias (whose absence is reported as
// "Cannot find alias arn"). noFunction replaces the usual error for a
// missing function when not nil.
func policyTarget(tx store.Tx, sc Scope, ref nameRef, noFunction error) (revisioned, error) {
	t := revisioned{region: sc.Region, name: ref.Name}
	fn, err := loadFunction(tx, sc.Region, ref.Name)
	if err != nil {
		return t, err
	}
	if fn == nil {
		if noFunction != nil {
			return t, noFunction
		}
		return t, errFunctionNotFound(ref.arn(sc, ""))
	}
	if kindOf(ref.Qualifier) == qualAlias && !containsDollar(ref.Qualifier) {
		t.alias, err = loadAlias(tx, sc.Region, ref.Name, ref.Qualifier)
		if err == nil && t.alias == nil {
			err = errAliasNotFound(ref.arn(sc, ref.Qualifier))
		}
		return t, err
	}
	version := ref.Qualifier
	if version == "" {
		version = latest
	}
	t.version, err = loadVersion(tx, sc.Region, ref.Name, version)
	if err == nil && t.version == nil {
		err = errFunctionNotFound(ref.arn(sc, ref.Qualifier))
	}
	return t, err
}

// containsDollar reports qualifiers like "x$y": AWS treats them as
// versions, not aliases, when it words not-found errors.
func containsDollar(q string) bool { return bytes.ContainsRune([]byte(q), '$') }

var (
	accountIDRE  = regexp.MustCompile(`^\d{12}$`)
	iamARNRE     = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:iam::\d{12}:(root|user/.+|role/.+)$`)
	servicePrinc = regexp.MustCompile(`^[a-z0-9-]+(\.[a-z0-9-]+)*\.(amazonaws\.com|amazon\.com|aws\.internal)$`)
)

// functionPrincipal renders a Principal as AWS writes it into a statement.
func functionPrincipal(p string) (any, bool) {
	switch {
	case p == "*":
		return "*", true
	case accountIDRE.MatchString(p):
		return orderedJSON{{"AWS", "arn:aws:iam::" + p + ":root"}}, true
	case iamARNRE.MatchString(p):
		return orderedJSON{{"AWS", p}}, true
	case servicePrinc.MatchString(p):
		return orderedJSON{{"Service", p}}, true
	}
	return nil, false
}

// permissionConditions builds a statement's Condition: StringEquals before
// ArnLike, and the keys inside in the order AWS writes them.
func permissionConditions(in *model.AddPermissionRequest) orderedJSON {
	var equals orderedJSON
	for _, c := range []struct {
		key string
		val *string
	}{
		{"AWS:SourceAccount", in.SourceAccount},
		{"lambda:FunctionUrlAuthType", in.FunctionUrlAuthType},
		{"aws:PrincipalOrgID", in.PrincipalOrgID},
		{"lambda:EventSourceToken", in.EventSourceToken},
	} {
		if c.val != nil {
			equals = append(equals, kv{c.key, *c.val})
		}
	}
	var cond orderedJSON
	if len(equals) > 0 {
		cond = append(cond, kv{"StringEquals", equals})
	}
	if in.SourceArn != nil {
		cond = append(cond, kv{"ArnLike", orderedJSON{{"AWS:SourceArn", *in.SourceArn}}})
	}
	if in.InvokedViaFunctionUrl != nil {
		cond = append(cond, kv{"Bool", orderedJSON{{"lambda:InvokedViaFunctionUrl", boolString(*in.InvokedViaFunctionUrl)}}})
	}
	return cond
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// orderedJSON is a JSON object whose keys keep their order, as AWS's
// statements do.
type orderedJSON []kv

type kv struct {
	Key   string
	Value any
}

func (o orderedJSON) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(e.Key)
		v, err := json.Marshal(e.Value)
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (o orderedJSON) String() string {
	b, _ := o.MarshalJSON()
	return string(b)
}
