package sharing

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Limits of Verify, so that a hostile text costs little to refuse: the
// largest QR code holds under 3 KB.
const (
	maxTokenLen    = 16 << 10
	maxDisclosures = 64
)

// VerifyOptions are a verifier's expectations. All are optional.
type VerifyOptions struct {
	// Issuer, when set, is the iss the credential must name.
	Issuer string
	// Challenge, when set, is the challenge code the verifier showed the
	// citizen (as typed: case, spaces and dashes do not matter); the
	// credential must carry it as nonce.
	Challenge string
	// Leeway tolerates clock skew between issuer and an offline verifier;
	// one minute when zero, none when negative.
	Leeway time.Duration
}

// Verified is a credential that passed Verify.
type Verified struct {
	Issuer string
	// ACR is the assurance level of the sign-in that issued it.
	ACR string
	// Claims are the disclosed attributes: the claim values of package
	// attributes as JSON decodes them (strings, maps, lists).
	Claims   map[string]any
	JTI      string
	Nonce    string
	KeyID    string
	IssuedAt time.Time
	Expires  time.Time
	// Undisclosed counts the attributes the credential holds but the
	// holder did not show.
	Undisclosed int
}

// Verify checks a credential offline against keys (the gateway's JWKS, as a
// verifier cached it) at now: the ES256 signature by the key its kid names,
// typ and vct, iat and exp, iss and the challenge when opts ask, and every
// disclosure (its digest must be in the credential, once; RFC 9901 §7.1).
// Errors wrap one of the Err* values of errors.go.
func Verify(token string, keys jose.JSONWebKeySet, now time.Time, opts VerifyOptions) (Verified, error) {
	token = strings.TrimSpace(token)
	if len(token) > maxTokenLen {
		return Verified{}, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, maxTokenLen)
	}
	parts := strings.Split(token, "~")
	if len(parts) < 2 {
		return Verified{}, fmt.Errorf("%w: no disclosures part (an SD-JWT ends with ~)", ErrMalformed)
	}
	if kb := parts[len(parts)-1]; kb != "" {
		return Verified{}, fmt.Errorf("%w: key-binding JWT (or text after the last ~)", ErrUnsupported)
	}
	disclosures := parts[1 : len(parts)-1]
	if len(disclosures) > maxDisclosures {
		return Verified{}, fmt.Errorf("%w: more than %d disclosures", ErrMalformed, maxDisclosures)
	}

	kid, body, err := verifyJWS(parts[0], keys, MediaType)
	if err != nil {
		return Verified{}, err
	}
	p, plain, err := decodePayload(body)
	if err != nil {
		return Verified{}, err
	}
	if p.VCT != CredentialType {
		return Verified{}, fmt.Errorf("%w: vct %q", ErrType, p.VCT)
	}
	if p.SDAlg != "" && p.SDAlg != DigestAlgorithm {
		return Verified{}, fmt.Errorf("%w: _sd_alg %q", ErrUnsupported, p.SDAlg)
	}
	v := Verified{
		Issuer: p.Issuer, ACR: p.ACR, JTI: p.JTI, Nonce: p.Nonce, KeyID: kid,
		IssuedAt: time.Unix(p.IssuedAt, 0).UTC(), Expires: time.Unix(p.Expires, 0).UTC(),
		Claims: map[string]any{},
	}
	if err := checkValidity(v, p.IssuedAt, p.Expires, now, opts); err != nil {
		return Verified{}, err
	}

	inCredential := make(map[string]bool, len(p.SD))
	for _, d := range p.SD {
		if inCredential[d] {
			return Verified{}, fmt.Errorf("%w: digest listed twice", ErrMalformed)
		}
		inCredential[d] = true
	}
	used := map[string]bool{}
	for i, d := range disclosures {
		if d == "" {
			return Verified{}, fmt.Errorf("%w: empty disclosure %d", ErrMalformed, i+1)
		}
		h := digest(d)
		if used[h] {
			return Verified{}, fmt.Errorf("%w: disclosure %d", ErrDuplicateDisclosure, i+1)
		}
		if !inCredential[h] {
			return Verified{}, fmt.Errorf("%w: disclosure %d", ErrDisclosure, i+1)
		}
		used[h] = true
		name, value, err := decodeDisclosure(d)
		if err != nil {
			return Verified{}, fmt.Errorf("%w: disclosure %d: %v", ErrMalformed, i+1, err)
		}
		// RFC 9901 §7.1 step 3.2.2.3: a disclosed name must not clash with a
		// plain claim, nor with another disclosure.
		if plain[name] {
			return Verified{}, fmt.Errorf("%w: disclosure %d overrides claim %q", ErrMalformed, i+1, name)
		}
		if _, dup := v.Claims[name]; dup {
			return Verified{}, fmt.Errorf("%w: attribute %q", ErrDuplicateDisclosure, name)
		}
		v.Claims[name] = value
	}
	v.Undisclosed = len(p.SD) - len(disclosures)
	return v, nil
}

// verifyJWS checks the issuer-signed JWT, typed wantType, and returns its
// kid and payload.
func verifyJWS(jwt string, keys jose.JSONWebKeySet, wantType string) (string, []byte, error) {
	if strings.Count(jwt, ".") != 2 {
		return "", nil, fmt.Errorf("%w: the first part is not a compact JWS", ErrMalformed)
	}
	if strings.HasSuffix(jwt, ".") {
		return "", nil, fmt.Errorf("%w: no signature", ErrSignature)
	}
	obj, err := jose.ParseSigned(jwt, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		if strings.Contains(err.Error(), "algorithm") {
			return "", nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
		}
		return "", nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(obj.Signatures) != 1 {
		return "", nil, fmt.Errorf("%w: want exactly one signature", ErrSignature)
	}
	sig := obj.Signatures[0]
	typ, _ := sig.Protected.ExtraHeaders[jose.HeaderType].(string)
	if t := strings.TrimPrefix(strings.ToLower(typ), "application/"); t != wantType {
		return "", nil, fmt.Errorf("%w: typ %q", ErrType, typ)
	}
	kid := sig.Protected.KeyID
	if kid == "" {
		return "", nil, fmt.Errorf("%w: no kid", ErrUnknownKey)
	}
	found := keys.Key(kid)
	if len(found) == 0 {
		return "", nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, kid)
	}
	var pub *ecdsa.PublicKey
	for _, k := range found {
		if k.Algorithm != "" && k.Algorithm != Algorithm || k.Use != "" && k.Use != "sig" {
			continue
		}
		switch key := k.Key.(type) {
		case *ecdsa.PublicKey:
			pub = key
		case *ecdsa.PrivateKey:
			pub = &key.PublicKey
		}
	}
	if pub == nil {
		return "", nil, fmt.Errorf("%w: kid %q is not an %s signing key", ErrUnknownKey, kid, Algorithm)
	}
	body, err := obj.Verify(pub)
	if err != nil {
		return "", nil, fmt.Errorf("%w: %v", ErrSignature, err)
	}
	return kid, body, nil
}

// decodePayload reads the payload and the names of its plain claims.
func decodePayload(body []byte) (payload, map[string]bool, error) {
	var p payload
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return p, nil, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	if err := json.Unmarshal(body, &p); err != nil {
		return p, nil, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	if _, ok := raw["_sd"]; !ok {
		return p, nil, fmt.Errorf("%w: no _sd", ErrType)
	}
	plain := make(map[string]bool, len(raw))
	for k := range raw {
		plain[k] = true
	}
	return p, plain, nil
}

// decodeDisclosure reads [salt, name, value] (RFC 9901 §4.2.1). Array-element
// disclosures ([salt, value]) are never issued and are refused.
func decodeDisclosure(d string) (string, any, error) {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(d)
	if err != nil {
		return "", nil, errors.New("not base64url")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var arr []any
	if err := dec.Decode(&arr); err != nil {
		return "", nil, errors.New("not a JSON array")
	}
	if dec.More() {
		return "", nil, errors.New("trailing data")
	}
	if len(arr) != 3 {
		return "", nil, fmt.Errorf("%d elements, want 3", len(arr))
	}
	if salt, ok := arr[0].(string); !ok || salt == "" {
		return "", nil, errors.New("no salt")
	}
	name, ok := arr[1].(string)
	if !ok || name == "" || name == "_sd" || name == "..." || name == "_sd_alg" {
		return "", nil, errors.New("invalid claim name")
	}
	return name, arr[2], nil
}

// checkValidity checks what both forms share: iat and exp, the issuer and
// the challenge code.
func checkValidity(v Verified, iat, exp int64, now time.Time, opts VerifyOptions) error {
	leeway := opts.Leeway
	switch {
	case leeway == 0:
		leeway = time.Minute
	case leeway < 0:
		leeway = 0
	}
	if exp == 0 || iat == 0 {
		return fmt.Errorf("%w: no exp or iat", ErrMalformed)
	}
	if !now.Before(v.Expires.Add(leeway)) {
		return fmt.Errorf("%w at %s", ErrExpired, v.Expires.Format(time.RFC3339))
	}
	if v.IssuedAt.After(now.Add(leeway)) {
		return fmt.Errorf("%w: iat %s", ErrNotYetValid, v.IssuedAt.Format(time.RFC3339))
	}
	if opts.Issuer != "" && v.Issuer != opts.Issuer {
		return fmt.Errorf("%w: %q, want %q", ErrIssuer, v.Issuer, opts.Issuer)
	}
	if opts.Challenge != "" {
		want, err := NormalizeChallenge(opts.Challenge)
		if err != nil {
			return fmt.Errorf("%w: the verifier's code is not valid", ErrNonce)
		}
		if v.Nonce == "" {
			return fmt.Errorf("%w: the credential carries no challenge code", ErrNonce)
		}
		if v.Nonce != want {
			return fmt.Errorf("%w: made for another challenge", ErrNonce)
		}
	}
	return nil
}
