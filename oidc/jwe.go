package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/ory/fosite"
)

// Key-management algorithms of encrypted responses (RFC 7518 §4).
const (
	RSAOAEP256   = "RSA-OAEP-256"
	ECDHESA256KW = "ECDH-ES+A256KW"
	ECDHES       = "ECDH-ES"
)

// Content-encryption algorithms of encrypted responses (RFC 7518 §5).
const (
	A256GCM      = "A256GCM"
	A128CBCHS256 = "A128CBC-HS256"
)

// EncryptionAlgs and EncryptionEncs are what a client may register for
// encrypted ID tokens, userinfo and authorization responses.
var (
	EncryptionAlgs = []string{RSAOAEP256, ECDHESA256KW, ECDHES}
	EncryptionEncs = []string{A256GCM, A128CBCHS256}
	// ResponseSigningAlgs are the algorithms of the provider's signed
	// userinfo, authorization (JARM) and introspection responses.
	ResponseSigningAlgs = []string{ES256, RS256}
)

// ErrNoEncryptionKey: the client asks for encrypted responses but neither its
// jwks nor its jwks_uri holds a usable key (use "enc" or none, of the
// algorithm's type).
var ErrNoEncryptionKey = errors.New("oidc: no usable encryption key for the client")

// ResponseSecurity is the client metadata that asks for signed and encrypted
// responses (OIDC Registration §2, JARM §3, RFC 9701 §6). An *_enc left
// empty while its *_alg is set means A128CBC-HS256, as OIDC Registration §2
// says; Normalize writes it down.
type ResponseSecurity struct {
	IDTokenEncryptedResponseAlg string `json:"id_token_encrypted_response_alg,omitempty"`
	IDTokenEncryptedResponseEnc string `json:"id_token_encrypted_response_enc,omitempty"`
	// UserinfoSignedResponseAlg makes userinfo a signed JWT (application/jwt).
	UserinfoSignedResponseAlg    string `json:"userinfo_signed_response_alg,omitempty"`
	UserinfoEncryptedResponseAlg string `json:"userinfo_encrypted_response_alg,omitempty"`
	UserinfoEncryptedResponseEnc string `json:"userinfo_encrypted_response_enc,omitempty"`
	// AuthorizationSignedResponseAlg is the JARM signing algorithm (ES256
	// when the client asks for a jwt response mode without registering one).
	AuthorizationSignedResponseAlg    string `json:"authorization_signed_response_alg,omitempty"`
	AuthorizationEncryptedResponseAlg string `json:"authorization_encrypted_response_alg,omitempty"`
	AuthorizationEncryptedResponseEnc string `json:"authorization_encrypted_response_enc,omitempty"`
	// IntrospectionSignedResponseAlg signs RFC 9701 introspection responses
	// for this (resource server) client; ES256 when empty.
	IntrospectionSignedResponseAlg string `json:"introspection_signed_response_alg,omitempty"`
	// IntrospectionEncryptedResponseAlg/Enc nest those responses in a JWE
	// to the client's key (RFC 9701 §6).
	IntrospectionEncryptedResponseAlg string `json:"introspection_encrypted_response_alg,omitempty"`
	IntrospectionEncryptedResponseEnc string `json:"introspection_encrypted_response_enc,omitempty"`
}

// normalizeResponseSecurity fills the default content encryption.
func (c *Client) normalizeResponseSecurity() {
	def := func(alg string, enc *string) {
		if alg != "" && *enc == "" {
			*enc = A128CBCHS256
		}
	}
	def(c.IDTokenEncryptedResponseAlg, &c.IDTokenEncryptedResponseEnc)
	def(c.UserinfoEncryptedResponseAlg, &c.UserinfoEncryptedResponseEnc)
	def(c.AuthorizationEncryptedResponseAlg, &c.AuthorizationEncryptedResponseEnc)
	def(c.IntrospectionEncryptedResponseAlg, &c.IntrospectionEncryptedResponseEnc)
}

// validateResponseSecurity checks the metadata of signed and encrypted
// responses: known algorithms, an enc only with an alg, and for each
// encryption a key to encrypt to. Keys behind a jwks_uri are fetched only
// when a response is encrypted; an inline jwks must hold one now.
func (c *Client) validateResponseSecurity() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	for _, s := range []struct{ name, alg string }{
		{"userinfo_signed_response_alg", c.UserinfoSignedResponseAlg},
		{"authorization_signed_response_alg", c.AuthorizationSignedResponseAlg},
		{"introspection_signed_response_alg", c.IntrospectionSignedResponseAlg},
	} {
		if s.alg != "" && !slices.Contains(ResponseSigningAlgs, s.alg) {
			bad("%s %q is not supported (ES256 or RS256)", s.name, s.alg)
		}
	}
	for _, e := range []struct{ prefix, alg, enc string }{
		{"id_token", c.IDTokenEncryptedResponseAlg, c.IDTokenEncryptedResponseEnc},
		{"userinfo", c.UserinfoEncryptedResponseAlg, c.UserinfoEncryptedResponseEnc},
		{"authorization", c.AuthorizationEncryptedResponseAlg, c.AuthorizationEncryptedResponseEnc},
		{"introspection", c.IntrospectionEncryptedResponseAlg, c.IntrospectionEncryptedResponseEnc},
	} {
		switch {
		case e.alg == "" && e.enc != "":
			bad("%s_encrypted_response_enc needs %s_encrypted_response_alg", e.prefix, e.prefix)
			continue
		case e.alg == "":
			continue
		case !slices.Contains(EncryptionAlgs, e.alg):
			bad("%s_encrypted_response_alg %q is not supported (RSA-OAEP-256, ECDH-ES+A256KW or ECDH-ES)", e.prefix, e.alg)
			continue
		}
		if !slices.Contains(EncryptionEncs, e.enc) {
			bad("%s_encrypted_response_enc %q is not supported (A256GCM or A128CBC-HS256)", e.prefix, e.enc)
		}
		switch {
		case len(c.JWKS) == 0 && c.JWKSURI == "":
			bad("%s_encrypted_response_alg needs jwks or jwks_uri with an encryption key", e.prefix)
		case len(c.JWKS) > 0:
			set, err := parseJWKS(c.JWKS)
			if err != nil {
				bad("jwks is not a JSON Web Key Set")
			} else if _, ok := pickEncryptionKey(set, e.alg); !ok {
				bad("%s_encrypted_response_alg %s: jwks has no %s key with use \"enc\"", e.prefix, e.alg, keyTypeFor(e.alg))
			}
		}
	}
	if c.Machine() && (c.IDTokenEncryptedResponseAlg != "" || c.UserinfoSignedResponseAlg != "" ||
		c.UserinfoEncryptedResponseAlg != "" || c.AuthorizationSignedResponseAlg != "" || c.AuthorizationEncryptedResponseAlg != "") {
		bad("a client-credentials client gets no ID token, userinfo or authorization response")
	}
	return errs
}

func keyTypeFor(alg string) string {
	if alg == RSAOAEP256 {
		return "RSA"
	}
	return "EC"
}

func parseJWKS(b []byte) (*jose.JSONWebKeySet, error) {
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, err
	}
	return &set, nil
}

// pickEncryptionKey returns the first public key of set usable with alg:
// use "enc" (or no use), alg absent or equal, of the algorithm's key type.
// Keys marked "enc" come before keys with no use.
func pickEncryptionKey(set *jose.JSONWebKeySet, alg string) (jose.JSONWebKey, bool) {
	for _, use := range []string{"enc", ""} {
		for _, k := range set.Keys {
			if k.Use != use || k.Algorithm != "" && k.Algorithm != alg {
				continue
			}
			pub := k.Public()
			switch pub.Key.(type) {
			case *rsa.PublicKey:
				if alg != RSAOAEP256 {
					continue
				}
			case *ecdsa.PublicKey:
				if alg != ECDHES && alg != ECDHESA256KW {
					continue
				}
			default:
				continue
			}
			return pub, true
		}
	}
	return jose.JSONWebKey{}, false
}

// clientJWKS is the client's key set: the registered one, or its jwks_uri
// through fosite's fetcher (cached; fetched again when refresh is set).
func (p *Provider) clientJWKS(ctx context.Context, c *Client, refresh bool) (*jose.JSONWebKeySet, error) {
	if len(c.JWKS) > 0 {
		return parseJWKS(c.JWKS)
	}
	if c.JWKSURI == "" {
		return nil, ErrNoEncryptionKey
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	set3, err := p.FositeConfig.GetJWKSFetcherStrategy(ctx).Resolve(ctx, c.JWKSURI, refresh)
	if err != nil {
		return nil, fmt.Errorf("oidc: fetch jwks_uri of %q: %w", c.ID, err)
	}
	// fosite speaks go-jose v3; the JSON form is the same.
	b, err := json.Marshal(set3)
	if err != nil {
		return nil, err
	}
	return parseJWKS(b)
}

// encryptionKey finds c's key for alg; a jwks_uri is fetched again once
// when the cached set has none (the client rotated its keys).
func (p *Provider) encryptionKey(ctx context.Context, c *Client, alg string) (jose.JSONWebKey, error) {
	for _, refresh := range []bool{false, true} {
		if refresh && c.JWKSURI == "" {
			break
		}
		set, err := p.clientJWKS(ctx, c, refresh)
		if err != nil {
			return jose.JSONWebKey{}, fmt.Errorf("%w: %w", ErrNoEncryptionKey, err)
		}
		if k, ok := pickEncryptionKey(set, alg); ok {
			return k, nil
		}
	}
	return jose.JSONWebKey{}, ErrNoEncryptionKey
}

// encryptTo encrypts payload to c's key as a compact JWE (RFC 7516) with
// alg and enc; cty "JWT" marks a nested, signed JWT (RFC 7519 §5.2).
func (p *Provider) encryptTo(ctx context.Context, c *Client, alg, enc string, payload []byte, cty string) (string, error) {
	key, err := p.encryptionKey(ctx, c, alg)
	if err != nil {
		return "", err
	}
	return sealJWE(key, alg, enc, payload, cty)
}

func sealJWE(key jose.JSONWebKey, alg, enc string, payload []byte, cty string) (string, error) {
	opts := &jose.EncrypterOptions{}
	if cty != "" {
		opts = opts.WithContentType(jose.ContentType(cty))
	}
	e, err := jose.NewEncrypter(jose.ContentEncryption(enc),
		jose.Recipient{Algorithm: jose.KeyAlgorithm(alg), Key: key.Key, KeyID: key.KeyID}, opts)
	if err != nil {
		return "", fmt.Errorf("oidc: encrypter: %w", err)
	}
	obj, err := e.Encrypt(payload)
	if err != nil {
		return "", fmt.Errorf("oidc: encrypt: %w", err)
	}
	return obj.CompactSerialize()
}

// SealTokenResponse encrypts the ID token of a token response when the
// client registered id_token_encrypted_response_alg (OIDC Core §10.2): the
// signed ID token becomes the payload of a JWE with cty JWT. Without a
// usable key nothing is delivered: the grant's new tokens are revoked and
// the answer is server_error.
func (p *Provider) SealTokenResponse(ctx context.Context, ar fosite.AccessRequester, resp fosite.AccessResponder) error {
	if ar == nil || resp == nil {
		return nil
	}
	c, ok := ClientOf(ar.GetClient())
	if !ok || c.IDTokenEncryptedResponseAlg == "" {
		return nil
	}
	idt, _ := resp.GetExtra("id_token").(string)
	if idt == "" {
		return nil
	}
	jwe, err := p.encryptTo(ctx, c, c.IDTokenEncryptedResponseAlg, c.IDTokenEncryptedResponseEnc, []byte(idt), "JWT")
	if err != nil {
		p.Logger.ErrorContext(ctx, "encrypt id token", "client_id", c.ID, "error", err)
		p.revokeGrant(ctx, ar.GetID())
		return fosite.ErrServerError.WithHint("The ID token could not be encrypted: no usable key with use \"enc\" in the client's jwks or jwks_uri.").WithWrap(err)
	}
	resp.SetExtra("id_token", jwe)
	return nil
}

// UserinfoReply is a userinfo response body and its media type.
type UserinfoReply struct {
	// ContentType is application/json, or application/jwt when signed or
	// encrypted (OIDC Core §5.3.2).
	ContentType string
	Body        []byte
}

type userinfoClientKey struct{}

// noteUserinfoClient tells UserinfoResponse which client the token was
// issued to (a no-op for other callers of Userinfo).
func noteUserinfoClient(ctx context.Context, c fosite.Client) {
	if slot, ok := ctx.Value(userinfoClientKey{}).(*fosite.Client); ok {
		*slot = c
	}
}

// UserinfoResponse is Userinfo encoded as the token's client registered
// (OIDC Core §5.3.2): plain JSON; a JWT signed with userinfo_signed_response_alg
// carrying iss and aud; that JWT encrypted to the client's key (nested, cty
// JWT); or, encrypted but not signed, the JSON encrypted. Errors are
// Userinfo's, plus ErrNoEncryptionKey.
func (p *Provider) UserinfoResponse(ctx context.Context, token string, meta Meta) (UserinfoReply, error) {
	var fc fosite.Client
	vals, err := p.Userinfo(context.WithValue(ctx, userinfoClientKey{}, &fc), token, meta)
	if err != nil {
		return UserinfoReply{}, err
	}
	c, _ := ClientOf(fc)
	if c == nil || c.UserinfoSignedResponseAlg == "" && c.UserinfoEncryptedResponseAlg == "" {
		b, err := json.Marshal(vals)
		return UserinfoReply{ContentType: "application/json", Body: b}, err
	}
	var body []byte
	cty := ""
	if c.UserinfoSignedResponseAlg != "" {
		vals["iss"] = p.Issuer
		vals["aud"] = c.ID
		vals["iat"] = p.now().Unix()
		jws, err := p.Keys.Sign(c.UserinfoSignedResponseAlg, vals)
		if err != nil {
			return UserinfoReply{}, fmt.Errorf("oidc: sign userinfo: %w", err)
		}
		body, cty = []byte(jws), "JWT"
	} else if body, err = json.Marshal(vals); err != nil {
		return UserinfoReply{}, err
	}
	if c.UserinfoEncryptedResponseAlg != "" {
		jwe, err := p.encryptTo(ctx, c, c.UserinfoEncryptedResponseAlg, c.UserinfoEncryptedResponseEnc, body, cty)
		if err != nil {
			return UserinfoReply{}, err
		}
		body = []byte(jwe)
	}
	return UserinfoReply{ContentType: "application/jwt", Body: body}, nil
}

// responseSecurityDiscovery lists the signed and encrypted responses in the
// discovery document (OIDC Discovery §3, JARM §6, RFC 9701 §7).
func responseSecurityDiscovery(doc map[string]any) {
	doc["id_token_encryption_alg_values_supported"] = EncryptionAlgs
	doc["id_token_encryption_enc_values_supported"] = EncryptionEncs
	doc["userinfo_signing_alg_values_supported"] = ResponseSigningAlgs
	doc["userinfo_encryption_alg_values_supported"] = EncryptionAlgs
	doc["userinfo_encryption_enc_values_supported"] = EncryptionEncs
	doc["authorization_signing_alg_values_supported"] = ResponseSigningAlgs
	doc["introspection_signing_alg_values_supported"] = ResponseSigningAlgs
	doc["introspection_encryption_alg_values_supported"] = EncryptionAlgs
	doc["introspection_encryption_enc_values_supported"] = EncryptionEncs
	doc["authorization_encryption_alg_values_supported"] = EncryptionAlgs
	doc["authorization_encryption_enc_values_supported"] = EncryptionEncs
}
