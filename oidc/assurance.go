package oidc

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
)

// ClaimRequest is one entry of the claims request parameter (OIDC Core
// §5.5.1). Value and Values are kept raw: only acr's are interpreted.
type ClaimRequest struct {
	Essential bool            `json:"essential,omitempty"`
	Value     json.RawMessage `json:"value,omitempty"`
	Values    json.RawMessage `json:"values,omitempty"`
}

// ClaimsRequest is the claims request parameter (OIDC Core §5.5).
type ClaimsRequest struct {
	Userinfo map[string]*ClaimRequest `json:"userinfo,omitempty"`
	IDToken  map[string]*ClaimRequest `json:"id_token,omitempty"`
}

// ParseClaimsRequest decodes the claims parameter; empty is no request.
func ParseClaimsRequest(s string) (ClaimsRequest, error) {
	var cr ClaimsRequest
	if strings.TrimSpace(s) == "" {
		return cr, nil
	}
	if err := json.Unmarshal([]byte(s), &cr); err != nil {
		return ClaimsRequest{}, fmt.Errorf("claims parameter is not a JSON object: %w", err)
	}
	return cr, nil
}

// acrRequest returns the acr levels an entry accepts.
func (r *ClaimRequest) acrLevels() (levels []assurance.Level, any bool) {
	if r == nil {
		return nil, true
	}
	var vals []string
	var one string
	if len(r.Value) > 0 && json.Unmarshal(r.Value, &one) == nil {
		vals = append(vals, one)
	}
	var many []string
	if len(r.Values) > 0 && json.Unmarshal(r.Values, &many) == nil {
		vals = append(vals, many...)
	}
	if len(vals) == 0 {
		return nil, true
	}
	for _, v := range vals {
		if l, ok := assurance.ParseACR(v); ok {
			levels = append(levels, l)
		}
	}
	return levels, false
}

// Requirement is the assurance level an authorization request needs.
type Requirement struct {
	// Level is what the sign-in must reach (1 or 2).
	Level assurance.Level
	// Unsatisfiable is set when an essential acr names no level we know.
	Unsatisfiable bool
}

// Require computes the level a request needs: the lowest level acr_values
// or an essential acr claim accept (OIDC Core §3.1.2.1, §5.5.1.1), raised to
// the client's minimum and to what the requested scopes and claims need.
func Require(c *Client, acrValues string, cr ClaimsRequest, scopes []string, claims []string) Requirement {
	req := Requirement{Level: assurance.Level1}
	var asked []assurance.Level
	for _, v := range strings.Fields(acrValues) {
		if l, ok := assurance.ParseACR(v); ok {
			asked = append(asked, l)
		}
	}
	if e, ok := cr.IDToken["acr"]; ok && e != nil {
		levels, any := e.acrLevels()
		switch {
		case any:
		case len(levels) > 0:
			asked = levels
		case e.Essential:
			req.Unsatisfiable = true
		}
	}
	if len(asked) > 0 {
		req.Level = slices.Min(asked)
	}
	req.Level = max(req.Level, c.MinLevel)
	for _, s := range scopes {
		req.Level = max(req.Level, attributes.ScopeLevel(s))
	}
	for _, n := range claims {
		if p, ok := attributes.Policy(n); ok {
			req.Level = max(req.Level, p.MinLevel)
		}
	}
	return req
}

// GrantClaims returns the claim names for userinfo and the ID token: those
// of the granted scopes, plus individually requested claims (claims request)
// whose scope the client may use. Unknown names are ignored (§5.5).
func GrantClaims(c *Client, scopes []string, cr ClaimsRequest) (userinfo, idToken []string) {
	allowed := func(name string) bool {
		p, ok := attributes.Policy(name)
		return ok && slices.Contains(c.Scopes, p.Scope)
	}
	set := map[string]bool{}
	for _, n := range attributes.ClaimsForScopes(scopes) {
		set[n] = true
	}
	for n := range cr.Userinfo {
		if allowed(n) {
			set[n] = true
		}
	}
	for n := range cr.IDToken {
		if allowed(n) {
			idToken = append(idToken, n)
		}
	}
	for n := range set {
		userinfo = append(userinfo, n)
	}
	slices.Sort(userinfo)
	slices.Sort(idToken)
	return userinfo, idToken
}

// RequestedClaims lists the claim names a claims request names individually
// that GrantClaims would honour, for the consent decision.
func RequestedClaims(c *Client, cr ClaimsRequest) []string {
	ui, id := GrantClaims(c, nil, cr) // no scopes: only the named claims
	out := append(ui, id...)
	slices.Sort(out)
	return slices.Compact(out)
}
