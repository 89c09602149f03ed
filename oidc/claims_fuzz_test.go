package oidc_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/oidc"
)

// FuzzClaimsRequest feeds arbitrary claims parameters (OIDC Core §5.5) and
// scope lists through the parser and the release decisions: nothing panics,
// the level asked never falls below the client's minimum, and nothing but a
// releasable attribute claim is ever granted — so no name a request makes up
// ("portrait", "fingerprint", ...) can reach a token.
func FuzzClaimsRequest(f *testing.F) {
	f.Add(`{"id_token":{"acr":{"essential":true,"values":["urn:vn:eid:loa:2"]}}}`, "openid profile", "urn:vn:eid:loa:1")
	f.Add(`{"userinfo":{"portrait":null,"fingerprint":{"essential":true},"name":null}}`, "openid", "")
	f.Add(`{"id_token":{"acr":{"value":"urn:vn:eid:loa:9","essential":true}}}`, "openid documents.driving_licence", "")
	f.Add(`{"userinfo":{"personal_id_number":{"essential":true}},"id_token":{"address":null}}`, "openid personal_id", "x y")
	f.Add(`not json`, "", "")
	f.Add(`{"id_token":{"acr":{"values":"urn:vn:eid:loa:2"}}}`, "openid", "")
	releasable := attributes.Claims()
	client := &oidc.Client{ID: "c", MinLevel: 1, Scopes: attributes.Scopes()}
	bank := &oidc.Client{ID: "bank", MinLevel: 2, Scopes: []string{"openid", "profile"}}
	f.Fuzz(func(t *testing.T, claims, scopes, acrValues string) {
		cr, err := oidc.ParseClaimsRequest(claims)
		if err != nil {
			return
		}
		for _, c := range []*oidc.Client{client, bank} {
			userinfo, idToken := oidc.GrantClaims(c, strings.Fields(scopes), cr)
			for _, n := range append(slices.Clone(userinfo), idToken...) {
				if !slices.Contains(releasable, n) {
					t.Fatalf("granted %q, which is not a releasable attribute claim", n)
				}
			}
			req := oidc.Require(c, acrValues, cr, strings.Fields(scopes), oidc.RequestedClaims(c, cr))
			if req.Level < c.MinLevel || req.Level > 2 && !req.Unsatisfiable {
				t.Fatalf("required level %d for client minimum %d", req.Level, c.MinLevel)
			}
		}
	})
}
