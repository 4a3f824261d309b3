package rapi

import (
	"encoding/json"
	"net/http"
	"strings"
)

const (
	hdrExtName          = "Lambda-Extension-Name"
	hdrExtIdentifier    = "Lambda-Extension-Identifier"
	hdrExtAcceptFeature = "Lambda-Extension-Accept-Feature"
	hdrExtEventID       = "Lambda-Extension-Event-Identifier"
	hdrExtErrorType     = "Lambda-Extension-Function-Error-Type"
)

// registerRequest is the /extension/register document.
type registerRequest struct {
	Events            []string `json:"events"`
	ConfigurationKeys []string `json:"configurationKeys"` // deprecated, refused
}

// handleExtRegister serves POST /extension/register. Registration is open
// during Init only, until the runtime first polls /next.
func (s *Server) handleExtRegister(w http.ResponseWriter, r *http.Request) {
	name := r.Header.Get(hdrExtName)
	if name == "" {
		newAPIError(http.StatusForbidden, apiExtInvalidName, msgEmptyExtName).write(w)
		return
	}
	req, apiErr := parseRegisterRequest(r)
	if apiErr != nil {
		apiErr.write(w)
		return
	}
	e := &extension{id: s.newID(), name: name, external: s.cfg.isExternal(name), box: newMailbox[event]()}
	if apiErr := e.subscribe(req.Events); apiErr != nil {
		apiErr.write(w)
		return
	}
	if apiErr := s.addExtension(e); apiErr != nil {
		apiErr.write(w)
		return
	}
	body := s.registerBody
	if s.cfg.AccountID != "" && acceptsFeature(r.Header.Get(hdrExtAcceptFeature), "accountId") {
		body = s.registerBodyAccount
	}
	w.Header().Set(hdrExtIdentifier, e.id)
	writeBody(w, http.StatusOK, contentTypeJSON, body)
}

// parseRegisterRequest reads and validates the register document.
func parseRegisterRequest(r *http.Request) (registerRequest, *apiError) {
	var req registerRequest
	body, err := readBody(r.Body, r.ContentLength, maxRegisterBody)
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		return req, newAPIError(http.StatusForbidden, apiInvalidRequestFormat, err.Error())
	}
	if len(req.ConfigurationKeys) > 0 {
		return req, newAPIError(http.StatusForbidden, apiInvalidRequestFormat, msgDeprecatedConfig)
	}
	return req, nil
}

// subscribe records the extension's events. Internal extensions (threads of
// the runtime process) cannot have SHUTDOWN: they die with the runtime.
func (e *extension) subscribe(events []string) *apiError {
	for _, ev := range events {
		switch {
		case ev == "INVOKE":
			e.invoke = true
		case ev == "SHUTDOWN" && e.external:
			e.shutdown = true
		case ev == "SHUTDOWN":
			return newAPIError(http.StatusForbidden, apiExtInvalidEventType, msgShutdownInternal, ev)
		default:
			return newAPIError(http.StatusForbidden, apiExtInvalidEventType, msgInvalidEvent, ev)
		}
	}
	return nil
}

// addExtension registers e unless registration is closed, its name is
// taken or the limit is reached.
func (s *Server) addExtension(e *extension) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.exts.byName(e.name) != nil:
		if e.external {
			return extensionTransitionError(extRegistered, extRegistered, e.name)
		}
		return newAPIError(http.StatusForbidden, apiExtInvalidState, msgDuplicateExtension)
	case !s.registrationOpenLocked():
		return newAPIError(http.StatusForbidden, apiExtRegistrationClosed, msgRegistrationClosed)
	case len(s.exts.list) >= MaxExtensions:
		return newAPIError(http.StatusForbidden, apiExtTooMany, msgTooManyExtensions, MaxExtensions)
	}
	e.state = extRegistered
	s.exts.list = append(s.exts.list, e)
	s.broadcastLocked()
	return nil
}

// acceptsFeature reports whether the comma-separated header lists feature.
func acceptsFeature(header, feature string) bool {
	for f := range strings.SplitSeq(header, ",") {
		if strings.TrimSpace(f) == feature {
			return true
		}
	}
	return false
}
