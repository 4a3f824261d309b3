package lambda

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"

	"github.com/lambkin/lambkin/internal/api/model"
	"github.com/lambkin/lambkin/internal/store"
)

// Layers are regional, named, and versioned from 1 upwards; numbers are
// never reused, even after every version was deleted.
const (
	bucketLayers        = "layers"        // region\0layer -> layerRecord
	bucketLayerVersions = "layerversions" // region\0layer\0version -> layerVersionRecord
)

type layerRecord struct {
	Name        string `json:"name"`
	LastVersion int64  `json:"lastVersion"`
}

type layerVersionRecord struct {
	Version            int64           `json:"version"`
	Description        string          `json:"description"`
	CreatedDate        string          `json:"createdDate"`
	CompatibleRuntimes []string        `json:"compatibleRuntimes,omitempty"`
	CompatibleArchs    []string        `json:"compatibleArchitectures,omitempty"`
	HasRuntimes        bool            `json:"hasRuntimes,omitzero"` // sent, even if empty
	HasArchs           bool            `json:"hasArchitectures,omitzero"`
	LicenseInfo        *string         `json:"licenseInfo,omitzero"`
	Code               codeRef         `json:"code"`
	Sha256             string          `json:"sha256"`
	Size               int64           `json:"size"`
	Policy             *policyDocument `json:"policy,omitzero"`
	PolicyRevision     string          `json:"policyRevision,omitzero"`
}

func layerKey(region, name string) []byte { return []byte(region + sep + name) }

func layerVersionKey(region, name string, version int64) []byte {
	return []byte(fmt.Sprintf("%s%s%s%s%020d", region, sep, name, sep, version))
}

func layerARN(region, account, name string) string {
	return "arn:aws:lambda:" + region + ":" + account + ":layer:" + name
}

func layerVersionARN(region, account, name string, version int64) string {
	return layerARN(region, account, name) + ":" + strconv.FormatInt(version, 10)
}

// layerNameRE accepts a layer name or ARN, as the LayerName parameter does.
var layerNameRE = regexp.MustCompile(`^(?:arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:)?([a-zA-Z0-9-_]+)$`)

// layerName resolves a LayerName parameter (a name or a layer ARN).
func layerName(s string) string {
	if m := layerNameRE.FindStringSubmatch(s); m != nil {
		return m[3]
	}
	return s
}

// layerVersionARNRE splits a layer version ARN.
var layerVersionARNRE = regexp.MustCompile(`^arn:[a-zA-Z0-9-]+:lambda:([a-zA-Z0-9-]+):(\d{12}):layer:([a-zA-Z0-9-_]+):([0-9]+)$`)

// PublishLayerVersion stores a new version of a layer from a zip.
func (s *Service) PublishLayerVersion(_ context.Context, sc Scope, in *model.PublishLayerVersionRequest) (*model.PublishLayerVersionResponse, error) {
	name := layerName(*in.LayerName)
	code, info, err := s.savePackage(layerCode(in.Content), "Zip")
	if err != nil {
		return nil, err
	}
	rec := &layerVersionRecord{
		Description:        deref(in.Description),
		CreatedDate:        lastModified(s.now()),
		CompatibleRuntimes: in.CompatibleRuntimes,
		CompatibleArchs:    in.CompatibleArchitectures,
		HasRuntimes:        in.CompatibleRuntimes != nil,
		HasArchs:           in.CompatibleArchitectures != nil,
		LicenseInfo:        in.LicenseInfo,
		Code:               code,
		Sha256:             info.Sha256,
		Size:               info.Size,
	}
	unlock := s.locks.lock(sc.Region, "layer:"+name)
	defer unlock()
	err = s.store.Update(func(tx store.Tx) error {
		var l layerRecord
		if _, err := getJSON(tx, bucketLayers, layerKey(sc.Region, name), &l); err != nil {
			return err
		}
		l.Name = name
		l.LastVersion++
		rec.Version = l.LastVersion
		if err := putJSON(tx, bucketLayers, layerKey(sc.Region, name), &l); err != nil {
			return err
		}
		return putJSON(tx, bucketLayerVersions, layerVersionKey(sc.Region, name, rec.Version), rec)
	})
	if err != nil {
		return nil, err
	}
	return s.layerVersionView(sc, name, rec), nil
}

// layerCode turns PublishLayerVersion content into function-code form.
func layerCode(c *model.LayerVersionContentInput) *model.FunctionCode {
	if c == nil {
		return nil
	}
	return &model.FunctionCode{ZipFile: c.ZipFile, S3Bucket: c.S3Bucket, S3Key: c.S3Key, S3ObjectVersion: c.S3ObjectVersion}
}

func (s *Service) layerVersionView(sc Scope, name string, rec *layerVersionRecord) *model.PublishLayerVersionResponse {
	out := &model.PublishLayerVersionResponse{
		Content: &model.LayerVersionContentOutput{
			Location:   ptr(LayerURL(sc.BaseURL, rec.Code.Ref)),
			CodeSha256: ptr(rec.Sha256),
			CodeSize:   ptr(rec.Size),
		},
		LayerArn:        ptr(layerARN(sc.Region, sc.Account, name)),
		LayerVersionArn: ptr(layerVersionARN(sc.Region, sc.Account, name, rec.Version)),
		Description:     ptr(rec.Description),
		CreatedDate:     ptr(rec.CreatedDate),
		Version:         ptr(rec.Version),
		LicenseInfo:     rec.LicenseInfo,
	}
	if rec.HasRuntimes {
		out.CompatibleRuntimes = nonNilSlice(rec.CompatibleRuntimes)
	}
	if rec.HasArchs {
		out.CompatibleArchitectures = nonNilSlice(rec.CompatibleArchs)
	}
	return out
}

// LayerURL is where lambkin serves a layer's zip for download.
func LayerURL(baseURL, ref string) string { return CodeURL(baseURL, ref) }

// GetLayerVersion returns one layer version.
func (s *Service) GetLayerVersion(_ context.Context, sc Scope, in *model.GetLayerVersionRequest) (*model.GetLayerVersionResponse, error) {
	return s.getLayerVersion(sc, layerName(*in.LayerName), *in.VersionNumber)
}

// GetLayerVersionByArn returns one layer version named by its ARN.
func (s *Service) GetLayerVersionByArn(_ context.Context, sc Scope, in *model.GetLayerVersionByArnRequest) (*model.GetLayerVersionResponse, error) {
	m := layerVersionARNRE.FindStringSubmatch(*in.Arn)
	if m == nil || m[1] != sc.Region {
		return nil, errLayerResourceNotFound()
	}
	n, _ := strconv.ParseInt(m[4], 10, 64)
	return s.getLayerVersion(sc, m[3], n)
}

func (s *Service) getLayerVersion(sc Scope, name string, version int64) (*model.GetLayerVersionResponse, error) {
	if version < 1 {
		return nil, errLayerVersionBelowOne()
	}
	var rec *layerVersionRecord
	err := s.store.View(func(tx store.Tx) error {
		var err error
		rec, err = loadLayerVersion(tx, sc.Region, name, version)
		if err == nil && rec == nil {
			err = errLayerResourceNotFound()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := model.GetLayerVersionResponse(*s.layerVersionView(sc, name, rec))
	return &out, nil
}

func loadLayerVersion(tx store.Tx, region, name string, version int64) (*layerVersionRecord, error) {
	var rec layerVersionRecord
	ok, err := getJSON(tx, bucketLayerVersions, layerVersionKey(region, name, version), &rec)
	if !ok || err != nil {
		return nil, err
	}
	return &rec, nil
}

// DeleteLayerVersion deletes a layer version; deleting one that does not
// exist succeeds. Functions that use it keep their copy.
func (s *Service) DeleteLayerVersion(_ context.Context, sc Scope, in *model.DeleteLayerVersionRequest) (*struct{}, error) {
	if *in.VersionNumber < 1 {
		return nil, errLayerVersionBelowOne()
	}
	name := layerName(*in.LayerName)
	unlock := s.locks.lock(sc.Region, "layer:"+name)
	defer unlock()
	err := s.store.Update(func(tx store.Tx) error {
		return tx.Delete(bucketLayerVersions, layerVersionKey(sc.Region, name, *in.VersionNumber))
	})
	if err != nil {
		return nil, err
	}
	go s.collectCode()
	return &struct{}{}, nil
}

// ListLayerVersions lists a layer's versions, newest first.
func (s *Service) ListLayerVersions(_ context.Context, sc Scope, in *model.ListLayerVersionsRequest) (*model.ListLayerVersionsResponse, error) {
	name := layerName(*in.LayerName)
	versions, err := s.layerVersions(sc, name, in.CompatibleRuntime, in.CompatibleArchitecture)
	if err != nil {
		return nil, err
	}
	out := &model.ListLayerVersionsResponse{LayerVersions: []model.LayerVersionsListItem{}}
	items, next, err := pageSlice(versions, in.Marker, in.MaxItems, 50, func(r *layerVersionRecord) string {
		return strconv.FormatInt(r.Version, 10)
	})
	if err != nil {
		return nil, err
	}
	for _, r := range items {
		out.LayerVersions = append(out.LayerVersions, s.layerListItem(sc, name, r))
	}
	out.NextMarker = next
	return out, nil
}

// ListLayers lists layers with their latest version matching the filters.
func (s *Service) ListLayers(_ context.Context, sc Scope, in *model.ListLayersRequest) (*model.ListLayersResponse, error) {
	var names []string
	err := s.store.View(func(tx store.Tx) error {
		return tx.Scan(bucketLayers, []byte(sc.Region+sep), nil, func(k, _ []byte) bool {
			names = append(names, string(k[len(sc.Region)+1:]))
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	type layer struct {
		name   string
		latest *layerVersionRecord
	}
	var layers []layer
	for _, name := range names {
		versions, err := s.layerVersions(sc, name, in.CompatibleRuntime, in.CompatibleArchitecture)
		if err != nil {
			return nil, err
		}
		if len(versions) > 0 {
			layers = append(layers, layer{name, versions[0]})
		}
	}
	items, next, err := pageSlice(layers, in.Marker, in.MaxItems, 50, func(l layer) string { return l.name })
	if err != nil {
		return nil, err
	}
	out := &model.ListLayersResponse{Layers: []model.LayersListItem{}, NextMarker: next}
	for _, l := range items {
		item := s.layerListItem(sc, l.name, l.latest)
		out.Layers = append(out.Layers, model.LayersListItem{
			LayerName:             ptr(l.name),
			LayerArn:              ptr(layerARN(sc.Region, sc.Account, l.name)),
			LatestMatchingVersion: &item,
		})
	}
	return out, nil
}

// layerVersions loads a layer's versions, newest first, keeping those that
// match the optional runtime and architecture filters.
func (s *Service) layerVersions(sc Scope, name string, runtime, arch *string) ([]*layerVersionRecord, error) {
	var out []*layerVersionRecord
	err := s.store.View(func(tx store.Tx) error {
		var ferr error
		err := tx.Scan(bucketLayerVersions, []byte(sc.Region+sep+name+sep), nil, func(_, b []byte) bool {
			var r layerVersionRecord
			if ferr = json.Unmarshal(b, &r); ferr != nil {
				return false
			}
			if (runtime == nil || contains(r.CompatibleRuntimes, *runtime)) && (arch == nil || contains(r.CompatibleArchs, *arch)) {
				out = append(out, &r)
			}
			return true
		})
		if err == nil {
			err = ferr
		}
		return err
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Version > out[j].Version })
	return out, err
}

func (s *Service) layerListItem(sc Scope, name string, r *layerVersionRecord) model.LayerVersionsListItem {
	full := s.layerVersionView(sc, name, r)
	return model.LayerVersionsListItem{
		LayerVersionArn:         full.LayerVersionArn,
		Version:                 full.Version,
		Description:             full.Description,
		CreatedDate:             full.CreatedDate,
		CompatibleRuntimes:      full.CompatibleRuntimes,
		LicenseInfo:             full.LicenseInfo,
		CompatibleArchitectures: full.CompatibleArchitectures,
	}
}

// resolveLayers checks a function's layer list as AWS does and returns the
// Layers member of its configuration.
func resolveLayers(tx store.Tx, sc Scope, arns []string) ([]model.Layer, error) {
	if len(arns) > 5 {
		return nil, errTooManyLayers()
	}
	seen := map[string]string{}
	var out []model.Layer
	for _, arn := range arns {
		m := layerVersionARNRE.FindStringSubmatch(arn)
		if m == nil {
			return nil, errLayerVersionMissing(arn)
		}
		if m[1] != sc.Region {
			return nil, errLayerOtherRegion(sc.Region)
		}
		base := m[1] + ":" + m[2] + ":" + m[3]
		if first, dup := seen[base]; dup {
			return nil, errLayerTwoVersions(first, arn)
		}
		seen[base] = arn
	}
	for _, arn := range arns {
		m := layerVersionARNRE.FindStringSubmatch(arn)
		n, _ := strconv.ParseInt(m[4], 10, 64)
		rec, err := loadLayerVersion(tx, sc.Region, m[3], n)
		if err != nil {
			return nil, err
		}
		if rec == nil || m[2] != sc.Account {
			return nil, errLayerVersionMissing(arn)
		}
		out = append(out, model.Layer{Arn: ptr(arn), CodeSize: ptr(rec.Size)})
	}
	if out == nil {
		return nil, nil
	}
	return out, nil
}

// layerCodeRefs loads the packages of a configuration's layers, in order.
func layerCodeRefs(tx store.Tx, sc Scope, layers []model.Layer) ([]codeRef, error) {
	var refs []codeRef
	for _, l := range layers {
		m := layerVersionARNRE.FindStringSubmatch(deref(l.Arn))
		if m == nil {
			continue
		}
		n, _ := strconv.ParseInt(m[4], 10, 64)
		rec, err := loadLayerVersion(tx, m[1], m[3], n)
		if err != nil {
			return nil, err
		}
		if rec != nil {
			refs = append(refs, rec.Code)
		}
	}
	return refs, nil
}

// checkCombinedSize refuses code plus layers over the unzipped limit.
func (s *Service) checkCombinedSize(tx store.Tx, sc Scope, v *versionRecord) error {
	refs, err := layerCodeRefs(tx, sc, v.Config.Layers)
	if err != nil {
		return err
	}
	total := v.Code.UnzippedSize
	for _, r := range refs {
		total += r.UnzippedSize
	}
	if limit := s.cfg.Limits.UnzippedCodeSize; total > limit {
		return errCombinedTooLarge(limit, total)
	}
	return nil
}
