package lambda

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"

	"github.com/lambkin/lambkin/internal/api/model"
	"github.com/lambkin/lambkin/internal/codestore"
	"github.com/lambkin/lambkin/internal/store"
)

// CodeStore keeps deployment packages by content address; *codestore.Store
// implements it.
type CodeStore interface {
	Limits() codestore.Limits
	Put(zip []byte) (codestore.Ref, error)
	Unpacked(ref codestore.Ref) (string, error)
	Layers(refs []codestore.Ref) (string, error)
	Sweep(keep func(codestore.Ref) bool) (codestore.Swept, error)
}

// PackageInfo is what a configuration shows of its package.
type PackageInfo struct {
	Sha256 string // base64, as CodeSha256
	Size   int64
}

// savePackage stores the code of a create or code update and returns what
// the version records about it.
func (s *Service) savePackage(code *model.FunctionCode, packageType string) (codeRef, PackageInfo, error) {
	switch {
	case code == nil:
		return codeRef{}, PackageInfo{}, errNoCodeSource()
	case packageType == "Image":
		if code.ImageUri == nil {
			return codeRef{}, PackageInfo{}, errZipUpdateForImage()
		}
		return codeRef{ImageURI: *code.ImageUri}, PackageInfo{Sha256: imageDigest(*code.ImageUri)}, nil
	case code.ImageUri != nil:
		return codeRef{}, PackageInfo{}, errImageUpdateForZip()
	case code.ZipFile == nil && code.S3Bucket != nil:
		return codeRef{}, PackageInfo{}, errNoSuchBucket()
	case code.ZipFile == nil:
		return codeRef{}, PackageInfo{}, errNoCodeSource()
	}
	if int64(len(code.ZipFile)) > s.cfg.Limits.ZippedCodeSize {
		return codeRef{}, PackageInfo{}, errZipTooLarge(s.cfg.Limits.ZippedCodeSize)
	}
	info, err := s.code.Limits().Inspect(code.ZipFile)
	if err == nil {
		_, err = s.code.Put(code.ZipFile)
	}
	var tooLarge *codestore.TooLargeError
	switch {
	case errors.Is(err, codestore.ErrNotZip):
		return codeRef{}, PackageInfo{}, errBadZip()
	case errors.As(err, &tooLarge) && tooLarge.Kind == codestore.SizeZipped:
		return codeRef{}, PackageInfo{}, errZipTooLarge(tooLarge.Limit)
	case errors.As(err, &tooLarge):
		return codeRef{}, PackageInfo{}, errUnzippedTooLarge(tooLarge.Limit)
	case err != nil:
		return codeRef{}, PackageInfo{}, err
	}
	return codeRef{Ref: info.Sha256.Hex(), UnzippedSize: info.UnzippedSize}, PackageInfo{Sha256: info.CodeSha256(), Size: info.Size}, nil
}

// imageDigest is the CodeSha256 of an image function: the digest the image
// reference pins, or, since lambkin cannot pull images to learn it, the
// SHA-256 of the reference itself.
func imageDigest(uri string) string {
	if _, digest, ok := strings.Cut(uri, "@sha256:"); ok {
		return digest
	}
	sum := sha256.Sum256([]byte(uri))
	return hex.EncodeToString(sum[:])
}

// setCode records a package's identity in a configuration.
func setCode(c *model.FunctionConfiguration, info PackageInfo) {
	c.CodeSha256 = ptr(info.Sha256)
	c.CodeSize = ptr(info.Size)
}

// codeLocation is GetFunction's Code member: for zips a URL on lambkin that
// downloads the package.
func (s *Service) codeLocation(sc Scope, v *versionRecord) *model.FunctionCodeLocation {
	if v.Code.ImageURI != "" {
		return &model.FunctionCodeLocation{RepositoryType: ptr("ECR"), ImageUri: ptr(v.Code.ImageURI), ResolvedImageUri: ptr(v.Code.ImageURI)}
	}
	return &model.FunctionCodeLocation{RepositoryType: ptr("S3"), Location: ptr(CodeURL(sc.BaseURL, v.Code.Ref))}
}

// CodeURL is where lambkin serves a stored package for download.
func CodeURL(baseURL, ref string) string { return baseURL + "/_lambkin/code/" + ref + ".zip" }

// collectCode removes packages no version or layer refers to any more.
func (s *Service) collectCode() {
	refs := map[string]bool{}
	err := s.store.View(func(tx store.Tx) error {
		for _, bucket := range []string{bucketVersions, bucketLayerVersions} {
			if err := tx.Scan(bucket, nil, nil, func(_, b []byte) bool {
				for _, ref := range codeRefsIn(b) {
					refs[ref] = true
				}
				return true
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		_, err = s.code.Sweep(func(ref codestore.Ref) bool { return refs[ref.Hex()] })
	}
	if err != nil {
		s.cfg.Log.Error("collecting unused code packages", "err", err)
	}
}

// codeRefsIn lists the packages a stored version or layer version refers
// to, including the one an update in progress may still fall back to.
func codeRefsIn(record []byte) []string {
	var r struct {
		Code    codeRef `json:"code"`
		Pending *struct {
			PreviousCode *codeRef `json:"previousCode"`
		} `json:"pending"`
	}
	if json.Unmarshal(record, &r) != nil {
		return nil
	}
	refs := []string{r.Code.Ref}
	if r.Pending != nil && r.Pending.PreviousCode != nil {
		refs = append(refs, r.Pending.PreviousCode.Ref)
	}
	return refs
}

// unpacked is the unpacked directory of a stored package.
func (s *Service) unpacked(hexRef string) (string, error) {
	ref, err := codestore.ParseRef(hexRef)
	if err != nil {
		return "", err
	}
	return s.code.Unpacked(ref)
}
