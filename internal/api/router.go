package api

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/lambkin/lambkin/internal/api/model"
)

// router matches requests to operations by method, path template and, for
// the operations that share a path, the query the template fixes
// (ListProvisionedConcurrencyConfigs' List=ALL, GetLayerVersionByArn's
// find=LayerVersion).
type router struct {
	routes map[string][]route // by method
}

type route struct {
	op         *model.Op
	segments   []string // literal segments, or "{Label}" for path labels
	fixedKey   string
	fixedValue string
}

func newRouter(ops []model.Op) *router {
	r := &router{routes: map[string][]route{}}
	for i := range ops {
		op := &ops[i]
		rt := route{op: op, segments: strings.Split(strings.Trim(op.Path, "/"), "/")}
		if op.FixedQuery != "" {
			rt.fixedKey, rt.fixedValue, _ = strings.Cut(op.FixedQuery, "=")
		}
		// Routes that fix a query go first, so they win over their twin.
		if rt.fixedKey != "" {
			r.routes[op.Method] = append([]route{rt}, r.routes[op.Method]...)
		} else {
			r.routes[op.Method] = append(r.routes[op.Method], rt)
		}
	}
	return r
}

// match returns the operation for a request and its path labels.
func (r *router) match(req *http.Request) (*model.Op, map[string]string, bool) {
	parts := strings.Split(strings.Trim(req.URL.EscapedPath(), "/"), "/")
	query := req.URL.Query()
	for _, rt := range r.routes[req.Method] {
		if len(rt.segments) != len(parts) {
			continue
		}
		if rt.fixedKey != "" && query.Get(rt.fixedKey) != rt.fixedValue {
			continue
		}
		if labels, ok := rt.bind(parts); ok {
			return rt.op, labels, true
		}
	}
	return nil, nil, false
}

func (rt route) bind(parts []string) (map[string]string, bool) {
	var labels map[string]string
	for i, seg := range rt.segments {
		if strings.HasPrefix(seg, "{") {
			v, err := url.PathUnescape(parts[i])
			if err != nil || v == "" {
				return nil, false
			}
			if labels == nil {
				labels = map[string]string{}
			}
			labels[strings.Trim(seg, "{}")] = v
			continue
		}
		if seg != parts[i] {
			return nil, false
		}
	}
	return labels, true
}
