package oidc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/ory/fosite"
)

// Limits of a request object (RFC 9101; FAPI 2.0 Message Signing §5.3.1).
const (
	// RequestObjectMaxLifetime bounds exp - nbf (FAPI 2.0 Message Signing
	// §5.3.1: no longer than 60 minutes), and exp - now without nbf.
	RequestObjectMaxLifetime = 60 * time.Minute
	// requestObjectSkew is the clock difference tolerated on nbf and iat.
	requestObjectSkew = 10 * time.Second
	// maxRequestObject bounds the compact JWS read (a URL of 8 KiB is
	// already more than many browsers carry; a pushed one may be larger).
	maxRequestObject = 64 << 10
)

// requestObjectClaims are the JWT claims of a request object that are not
// authorization parameters: they are checked, then dropped.
var requestObjectClaims = []string{"iss", "aud", "exp", "nbf", "iat", "jti", "sub"}

// KeySource returns a client's public keys published at its jwks_uri,
// fetched again when refresh is set (an unknown kid).
type KeySource func(ctx context.Context, jwksURI string, refresh bool) ([]jose.JSONWebKey, error)

// RequestObjects verifies signed authorization request objects (RFC 9101)
// against the client's registered keys, inline (jwks) or by reference
// (jwks_uri, through Keys), and turns them into authorization parameters.
type RequestObjects struct {
	// Issuer is the only accepted aud (RFC 9101 §4).
	Issuer string
	// Keys fetches jwks_uri key sets; nil refuses clients that have no
	// inline keys.
	Keys KeySource
	Now  func() time.Time
}

func invalidRequestObject(format string, args ...any) *fosite.RFC6749Error {
	return fosite.ErrInvalidRequestObject.WithHintf(format, args...)
}

// Verify checks raw, a request object of client c, and returns its
// authorization parameters, client_id included, for the request to be made
// of them alone (RFC 9101 §6.3: the parameters outside it are not used).
// Every refusal is invalid_request_object (RFC 9101 §6.2, FAPI 2.0).
func (v *RequestObjects) Verify(ctx context.Context, raw string, c *Client) (url.Values, error) {
	if len(raw) > maxRequestObject {
		return nil, invalidRequestObject("The request object is larger than %d bytes.", maxRequestObject)
	}
	if strings.Count(raw, ".") != 2 {
		// Five parts are an encrypted object, which is not supported; one
		// or two, not a JWS at all.
		return nil, invalidRequestObject("The request object must be a signed JWT (JWS compact serialization); encrypted request objects are not supported.")
	}
	algs := c.RequestObjectAlgs()
	sigAlgs := make([]jose.SignatureAlgorithm, len(algs))
	for i, a := range algs {
		sigAlgs[i] = jose.SignatureAlgorithm(a)
	}
	jws, err := jose.ParseSigned(raw, sigAlgs)
	if err != nil {
		return nil, invalidRequestObject("The request object must be signed with one of %s (alg none is never accepted).", strings.Join(algs, ", "))
	}
	if len(jws.Signatures) != 1 {
		return nil, invalidRequestObject("The request object must carry one signature.")
	}
	payload, err := v.verifySignature(ctx, jws, c)
	if err != nil {
		return nil, err
	}
	var claims map[string]any
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	if err := dec.Decode(&claims); err != nil || claims == nil || dec.More() {
		return nil, invalidRequestObject("The request object's payload is not a JSON object.")
	}
	if err := v.checkClaims(claims, c); err != nil {
		return nil, err
	}
	return RequestObjectParams(claims, c.ID)
}

// verifySignature finds the client's key for the JWS and verifies it.
func (v *RequestObjects) verifySignature(ctx context.Context, jws *jose.JSONWebSignature, c *Client) ([]byte, error) {
	h := jws.Signatures[0].Header
	try := func(keys []jose.JSONWebKey) ([]byte, bool) {
		for _, k := range keys {
			if h.KeyID != "" && k.KeyID != h.KeyID || k.Use != "" && k.Use != "sig" || !k.IsPublic() {
				continue
			}
			if k.Algorithm != "" && k.Algorithm != h.Algorithm {
				continue
			}
			if out, err := jws.Verify(k.Key); err == nil {
				return out, true
			}
		}
		return nil, false
	}
	if len(c.JWKS) > 0 {
		var set jose.JSONWebKeySet
		if err := json.Unmarshal(c.JWKS, &set); err != nil {
			return nil, fosite.ErrServerError.WithDebug("the client's jwks does not parse")
		}
		if out, ok := try(set.Keys); ok {
			return out, nil
		}
		return nil, invalidRequestObject("The request object's signature does not verify with the client's registered keys.")
	}
	if c.JWKSURI == "" || v.Keys == nil {
		return nil, invalidRequestObject("The client has no registered keys to verify request objects with.")
	}
	for _, refresh := range []bool{false, true} {
		keys, err := v.Keys(ctx, c.JWKSURI, refresh)
		if err != nil {
			return nil, invalidRequestObject("The client's jwks_uri could not be read.").WithWrap(err)
		}
		if out, ok := try(keys); ok {
			return out, nil
		}
		if h.KeyID == "" || slices.ContainsFunc(keys, func(k jose.JSONWebKey) bool { return k.KeyID == h.KeyID }) {
			// A known kid that does not verify is not fixed by fetching
			// again (a rotated key gets a new kid).
			break
		}
	}
	return nil, invalidRequestObject("The request object's signature does not verify with the keys at the client's jwks_uri.")
}

// checkClaims applies RFC 9101 §4 and §6 and FAPI 2.0 Message Signing
// §5.3.1 to the claims of a verified object.
func (v *RequestObjects) checkClaims(claims map[string]any, c *Client) error {
	now := time.Now()
	if v.Now != nil {
		now = v.Now()
	}
	if iss, _ := claims["iss"].(string); iss != c.ID {
		return invalidRequestObject("The request object's iss must be the client_id.")
	}
	if !audienceHas(claims["aud"], v.Issuer) {
		return invalidRequestObject("The request object's aud must be the issuer %s.", v.Issuer)
	}
	if id, ok := claims["client_id"]; ok && id != c.ID {
		return invalidRequestObject("The request object's client_id must be the client_id of the request.")
	}
	exp, ok := numericDate(claims["exp"])
	if !ok {
		return invalidRequestObject("The request object must have an exp.")
	}
	if !now.Before(exp) {
		return invalidRequestObject("The request object has expired.")
	}
	if v, present := claims["iat"]; present {
		iat, ok := numericDate(v)
		if !ok || iat.After(now.Add(requestObjectSkew)) {
			return invalidRequestObject("The request object's iat is not a time in the past.")
		}
	}
	nbfRaw, present := claims["nbf"]
	switch {
	case present:
		nbf, ok := numericDate(nbfRaw)
		switch {
		case !ok:
			return invalidRequestObject("The request object's nbf is not a time.")
		case nbf.After(now.Add(requestObjectSkew)):
			return invalidRequestObject("The request object is not valid yet (nbf).")
		case now.Sub(nbf) > RequestObjectMaxLifetime:
			return invalidRequestObject("The request object's nbf is more than 60 minutes old.")
		case exp.Sub(nbf) > RequestObjectMaxLifetime:
			return invalidRequestObject("The request object may be valid for at most 60 minutes (exp - nbf).")
		}
	case c.FAPI2():
		return invalidRequestObject("The request object of a fapi2 client must have an nbf.")
	case exp.Sub(now) > RequestObjectMaxLifetime:
		return invalidRequestObject("The request object may be valid for at most 60 minutes (exp).")
	}
	return nil
}

// RequestObjectParams turns the claims of a verified request object into
// authorization parameters for clientID: JWT claims are dropped, strings
// kept, numbers and booleans written out, lists of strings joined by
// spaces, and objects (claims, OIDC Core §5.5) given as JSON. A request
// object may not name another request (RFC 9101 §4).
func RequestObjectParams(claims map[string]any, clientID string) (url.Values, error) {
	form := url.Values{}
	for k, v := range claims {
		if slices.Contains(requestObjectClaims, k) || k == "client_id" {
			continue
		}
		if k == "request" || k == "request_uri" {
			return nil, invalidRequestObject("A request object may not contain '%s'.", k)
		}
		if k == "" || strings.ContainsAny(k, "\x00") {
			return nil, invalidRequestObject("The request object has an empty or invalid parameter name.")
		}
		s, err := paramValue(v)
		if err != nil {
			return nil, invalidRequestObject("The request object's '%s' has a value of an unexpected type.", k)
		}
		form.Set(k, s)
	}
	form.Set("client_id", clientID)
	return form, nil
}

func paramValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				b, err := json.Marshal(x)
				return string(b), err
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, " "), nil
	case map[string]any:
		b, err := json.Marshal(x)
		return string(b), err
	case nil:
		return "", errors.New("null")
	}
	return "", fmt.Errorf("type %T", v)
}

// numericDate reads a JWT NumericDate (RFC 7519 §2).
func numericDate(v any) (time.Time, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1e11 {
		return time.Time{}, false
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}

// audienceHas reports whether aud (a string or a list) names want.
func audienceHas(aud any, want string) bool {
	switch a := aud.(type) {
	case string:
		return a == want
	case []any:
		for _, x := range a {
			if s, ok := x.(string); ok && s == want {
				return true
			}
		}
	}
	return false
}
