package lambda

import (
	"context"
	"regexp"
	"strings"

	"github.com/lambkin/lambkin/internal/api/model"
	"github.com/lambkin/lambkin/internal/store"
)

const maxTags = 50

// checkTags applies the tag rules CreateFunction shares with TagResource.
func checkTags(tags map[string]string) error {
	if len(tags) > maxTags {
		return errTooManyTags()
	}
	for k := range tags {
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return errReservedTagKey(k)
		}
	}
	return nil
}

// taggableARN splits a tag resource ARN; only functions exist in lambkin
// among the resources the model lets callers tag.
var taggableARN = regexp.MustCompile(`^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):(function|code-signing-config|event-source-mapping|capacity-provider):(.+)$`)

// taggedFunction resolves a tag resource to a function.
func taggedFunction(sc Scope, resource string) (nameRef, error) {
	m := taggableARN.FindStringSubmatch(resource)
	if m == nil || m[3] != "function" {
		return nameRef{}, errResourceNotFound()
	}
	ref, err := resolveName(sc, resource, nil)
	if err != nil {
		return nameRef{}, err
	}
	if ref.Qualifier != "" {
		return nameRef{}, errTagsOnQualified()
	}
	return ref, nil
}

// TagResource adds or overwrites tags on a function, a change of the
// function that gives $LATEST a new RevisionId.
func (s *Service) TagResource(_ context.Context, sc Scope, in *model.TagResourceRequest) (*struct{}, error) {
	ref, err := taggedFunction(sc, *in.Resource)
	if err != nil {
		return nil, err
	}
	if len(in.Tags) == 0 {
		return nil, errEmptyTags()
	}
	err = s.changeTags(sc, ref, func(tags map[string]string) error {
		for k, v := range in.Tags {
			tags[k] = v
		}
		return checkTags(tags)
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// UntagResource removes tags; keys that are not there are ignored.
func (s *Service) UntagResource(_ context.Context, sc Scope, in *model.UntagResourceRequest) (*struct{}, error) {
	ref, err := taggedFunction(sc, *in.Resource)
	if err != nil {
		return nil, err
	}
	err = s.changeTags(sc, ref, func(tags map[string]string) error {
		for _, k := range in.TagKeys {
			delete(tags, k)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}

// ListTags returns a function's tags ({} when it has none).
func (s *Service) ListTags(_ context.Context, sc Scope, in *model.ListTagsRequest) (*model.ListTagsResponse, error) {
	ref, err := taggedFunction(sc, *in.Resource)
	if err != nil {
		return nil, err
	}
	out := &model.ListTagsResponse{Tags: map[string]string{}}
	err = s.store.View(func(tx store.Tx) error {
		fn, err := existingFunction(tx, sc, ref, "")
		if err == nil && fn.Tags != nil {
			out.Tags = fn.Tags
		}
		return err
	})
	return out, err
}

func (s *Service) changeTags(sc Scope, ref nameRef, edit func(map[string]string) error) error {
	unlock := s.locks.lock(sc.Region, ref.Name)
	defer unlock()
	return s.store.Update(func(tx store.Tx) error {
		fn, v, err := s.loadLatest(tx, sc, ref)
		if err != nil {
			return err
		}
		if fn.Tags == nil {
			fn.Tags = map[string]string{}
		}
		if err := edit(fn.Tags); err != nil {
			return err
		}
		v.Config.RevisionId = ptr(s.cfg.NewID())
		if err := saveVersion(tx, sc.Region, ref.Name, v); err != nil {
			return err
		}
		return saveFunction(tx, sc.Region, fn)
	})
}
