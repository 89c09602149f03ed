package oidc

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// IntrospectionJWTType is the media type of a signed introspection response
// (RFC 9701 §4), for Accept and Content-Type.
const IntrospectionJWTType = "application/token-introspection+jwt"

// introspectionJWTTyp is the JWS typ header of such a response (RFC 9701 §5).
const introspectionJWTTyp = "token-introspection+jwt"

// maxAccept bounds the Accept header read: a longer one is cut there.
const maxAccept = 4096

// WantsIntrospectionJWT reports whether an Accept header (RFC 9110 §12.5.1)
// prefers a signed introspection response (RFC 9701 §4): it names
// application/token-introspection+jwt with a q above 0, at least as high as
// what it gives application/json, directly or through application/* or */*.
// Media types compare case-insensitively; a malformed q counts as 0.
func WantsIntrospectionJWT(accept string) bool {
	if len(accept) > maxAccept {
		accept = accept[:maxAccept]
	}
	jwtQ, jsonQ := -1.0, -1.0
	jsonSpecific := 0 // 3: exact, 2: application/*, 1: */*
	for _, part := range strings.Split(accept, ",") {
		params := strings.Split(part, ";")
		mt := strings.ToLower(strings.TrimSpace(params[0]))
		if mt == "" {
			continue
		}
		q := 1.0
		for _, p := range params[1:] {
			k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(k), "q") {
				continue
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil || math.IsNaN(f) || f < 0 || f > 1 {
				f = 0
			}
			q = f
		}
		switch mt {
		case IntrospectionJWTType:
			jwtQ = max(jwtQ, q)
		case "application/json", "application/*", "*/*":
			// The most specific range that matches application/json
			// decides its q (RFC 9110 §12.5.1).
			spec := map[string]int{"application/json": 3, "application/*": 2, "*/*": 1}[mt]
			if spec > jsonSpecific {
				jsonSpecific, jsonQ = spec, q
			} else if spec == jsonSpecific {
				jsonQ = max(jsonQ, q)
			}
		}
	}
	return jwtQ > 0 && jwtQ >= jsonQ
}

// IntrospectionJWT is the introspection response out signed for the
// resource server callerID (RFC 9701 §5): a JWS typed
// token-introspection+jwt with iss, aud (the caller's client_id), iat and
// token_introspection, signed with the caller's
// introspection_signed_response_alg (ES256 by default), then encrypted to
// its key (nested, cty JWT) when it registered
// introspection_encrypted_response_alg (RFC 9701 §6).
func (p *Provider) IntrospectionJWT(ctx context.Context, callerID string, out map[string]any) (string, error) {
	alg := ES256
	c, err := p.Client(ctx, callerID)
	if err != nil {
		return "", fmt.Errorf("oidc: introspection caller: %w", err)
	}
	if c.IntrospectionSignedResponseAlg != "" {
		alg = c.IntrospectionSignedResponseAlg
	}
	claims := map[string]any{
		"iss":                 p.Issuer,
		"aud":                 callerID,
		"iat":                 p.now().Unix(),
		"token_introspection": out,
	}
	jws, err := p.Keys.SignType(alg, introspectionJWTTyp, claims)
	if err != nil {
		return "", fmt.Errorf("oidc: sign introspection response: %w", err)
	}
	if c.IntrospectionEncryptedResponseAlg == "" {
		return jws, nil
	}
	return p.encryptTo(ctx, c, c.IntrospectionEncryptedResponseAlg, c.IntrospectionEncryptedResponseEnc, []byte(jws), "JWT")
}
