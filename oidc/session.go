package oidc

import (
	"encoding/json"
	"time"

	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/token/jwt"

	"github.com/dinhdanh/dinhdanh/assurance"
)

// Session is what fosite stores with every code and token. It names the
// account and the claims granted, never their values: values are read from
// the registries when a token response or userinfo is built.
type Session struct {
	*openid.DefaultSession
	AccountID string `json:"account_id,omitempty"`
	// Level is the acr level reached (1 or 2).
	Level assurance.Level `json:"level,omitempty"`
	// UserinfoClaims are the claim names granted for userinfo; IDTokenClaims
	// the ones the client asked to have in the ID token too (claims request).
	UserinfoClaims    []string `json:"userinfo_claims,omitempty"`
	IDTokenClaimNames []string `json:"id_token_claim_names,omitempty"`
	// PurposeVersion of the client's purpose text the grant was made under.
	PurposeVersion int `json:"purpose_version,omitempty"`
	// CodeIssuedAt is when the authorization code was issued (the
	// provider's clock): a fapi2 client's code is refused after
	// FAPI2CodeLifespan whatever fosite's global lifespan says.
	CodeIssuedAt time.Time `json:"code_issued_at,omitzero"`
	// SignedRequest: the pushed request came as a verified request object
	// (RFC 9101), for clients that must sign (RequireSignedRequestObject).
	SignedRequest bool `json:"signed_request,omitempty"`
	// JKT is the thumbprint of the DPoP key the grant is bound to (RFC 9449
	// §6: cnf.jkt); "" for bearer tokens.
	JKT string `json:"cnf_jkt,omitempty"`
	// DependentID is set when the guardian (AccountID) acts for a
	// dependent: sub is then the dependent's and act names the guardian
	// (Act); the released attributes are the dependent's.
	DependentID string `json:"dependent_id,omitempty"`
}

var _ openid.Session = (*Session)(nil)

// NewSession returns an empty session, ready for fosite to fill or decode.
func NewSession() *Session {
	return &Session{DefaultSession: &openid.DefaultSession{
		Claims:  &jwt.IDTokenClaims{Extra: map[string]any{}},
		Headers: &jwt.Headers{Extra: map[string]any{}},
	}}
}

// NewFositeSession is NewSession as a fosite.Session, for stores.
func NewFositeSession() fosite.Session { return NewSession() }

// Clone implements fosite.Session; the embedded DefaultSession's Clone would
// lose this type.
func (s *Session) Clone() fosite.Session {
	if s == nil {
		return nil
	}
	b, err := json.Marshal(s)
	if err != nil {
		panic(err)
	}
	c := NewSession()
	if err := json.Unmarshal(b, c); err != nil {
		panic(err)
	}
	return c
}

// SID is the sign-in session id carried in ID tokens and logout.
func (s *Session) SID() string {
	if s.DefaultSession == nil || s.Claims == nil {
		return ""
	}
	sid, _ := s.Claims.Extra["sid"].(string)
	return sid
}

// ACR is the session's acr value.
func (s *Session) ACR() string { return s.Level.ACR() }

// AuthTime of the sign-in.
func (s *Session) AuthTime() time.Time {
	if s.DefaultSession == nil || s.Claims == nil {
		return time.Time{}
	}
	return s.Claims.AuthTime
}
