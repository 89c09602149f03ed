package dpop

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"math"
	"net/url"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// Algs are the proof signing algorithms accepted, in the order discovery
// lists them (dpop_signing_alg_values_supported). Asymmetric only (RFC 9449
// §4.2: "none" and MACs are refused); RS256 is left out, as FAPI 2.0 does.
var Algs = []jose.SignatureAlgorithm{jose.ES256, jose.PS256, jose.EdDSA}

// AlgNames are Algs as strings.
func AlgNames() []string {
	out := make([]string, len(Algs))
	for i, a := range Algs {
		out[i] = string(a)
	}
	return out
}

// Type is the typ header of a proof (RFC 9449 §4.2).
const Type = "dpop+jwt"

// MaxProofLen bounds the header value read: a proof is a few hundred bytes,
// an RSA key makes it about 1.5 kB.
const MaxProofLen = 8 << 10

// maxJTILen bounds the jti stored for replay detection.
const maxJTILen = 256

// Error is a refusal with its RFC 9449 error code (invalid_dpop_proof or
// use_dpop_nonce) and a description safe to show the client.
type Error struct {
	Code        string
	Description string
}

func (e *Error) Error() string { return "dpop: " + e.Code + ": " + e.Description }

// Is matches the sentinel of the same code.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && t.Description == ""
}

// Sentinels, for errors.Is.
var (
	// ErrInvalidProof: the proof is missing, malformed, badly signed, or
	// does not match the request (RFC 9449 §5, §7.1: invalid_dpop_proof).
	ErrInvalidProof = &Error{Code: "invalid_dpop_proof"}
	// ErrUseNonce: the proof carries no nonce, or one this server no longer
	// accepts (RFC 9449 §8, §9: use_dpop_nonce); answer with a fresh
	// DPoP-Nonce.
	ErrUseNonce = &Error{Code: "use_dpop_nonce"}
)

func invalid(desc string) error { return &Error{Code: ErrInvalidProof.Code, Description: desc} }

// Request is what a proof must match.
type Request struct {
	// Proof is the DPoP header value ("" when absent).
	Proof string
	// Method is the HTTP method (htm).
	Method string
	// URL is the endpoint's URL as the server publishes it (htu); query and
	// fragment are ignored on both sides.
	URL string
	// AccessToken, at a protected resource, is the token the proof must
	// name in ath (RFC 9449 §4.3 check 12); "" at the token endpoint.
	AccessToken string
	// RequireNonce refuses a proof without a valid server nonce.
	RequireNonce bool
}

// Claim is a verified proof.
type Claim struct {
	// JKT is the RFC 7638 SHA-256 thumbprint of the proof's key,
	// base64url: the value of cnf.jkt.
	JKT string
	// JTI is the proof's unique id; the caller refuses its reuse until
	// Expires.
	JTI string
	// IssuedAt is the proof's iat.
	IssuedAt time.Time
	// Expires is when the proof stops being accepted on its iat alone, so
	// its jti need not be remembered longer.
	Expires time.Time
}

// Verifier checks proofs.
type Verifier struct {
	// Nonces issues and checks server nonces; required when a Request
	// asks for one.
	Nonces *Nonces
	// Window is how far iat may be from now, either way (default 60s).
	Window time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

func (v *Verifier) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Verifier) window() time.Duration {
	if v.Window > 0 {
		return v.Window
	}
	return time.Minute
}

// proofClaims are the claims of RFC 9449 §4.2.
type proofClaims struct {
	JTI   string      `json:"jti"`
	HTM   string      `json:"htm"`
	HTU   string      `json:"htu"`
	IAT   json.Number `json:"iat"`
	ATH   string      `json:"ath"`
	Nonce *string     `json:"nonce"`
}

// Check verifies a proof for req (RFC 9449 §4.3) and returns its claim. It
// does not check jti replay: that needs a store shared by every replica.
func (v *Verifier) Check(req Request) (Claim, error) {
	if req.Proof == "" {
		return Claim{}, invalid("no DPoP proof")
	}
	if len(req.Proof) > MaxProofLen {
		return Claim{}, invalid("the DPoP proof is too long")
	}
	jws, err := jose.ParseSignedCompact(req.Proof, Algs)
	if err != nil {
		// Covers alg none, MACs, an unlisted alg and an embedded jwk with a
		// private part (RFC 7515 §4.1.3; go-jose refuses it).
		return Claim{}, invalid("the DPoP proof is not a JWS signed with " + strings.Join(AlgNames(), ", ") + " and a public jwk")
	}
	if len(jws.Signatures) != 1 {
		return Claim{}, invalid("the DPoP proof must have one signature")
	}
	h := jws.Signatures[0].Protected
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); !strings.EqualFold(typ, Type) {
		return Claim{}, invalid("the DPoP proof's typ must be dpop+jwt")
	}
	jwk := h.JSONWebKey
	if jwk == nil {
		return Claim{}, invalid("the DPoP proof has no jwk header")
	}
	if err := checkKey(jwk, jose.SignatureAlgorithm(h.Algorithm)); err != nil {
		return Claim{}, err
	}
	payload, err := jws.Verify(jwk)
	if err != nil {
		return Claim{}, invalid("the DPoP proof's signature does not verify with its jwk")
	}
	var c proofClaims
	d := json.NewDecoder(strings.NewReader(string(payload)))
	d.UseNumber()
	if err := d.Decode(&c); err != nil {
		return Claim{}, invalid("the DPoP proof's claims are not a JSON object")
	}
	if c.JTI == "" || len(c.JTI) > maxJTILen {
		return Claim{}, invalid("the DPoP proof needs a jti of at most 256 characters")
	}
	if c.HTM != req.Method {
		return Claim{}, invalid("the DPoP proof's htm does not match the request method")
	}
	if !SameURL(c.HTU, req.URL) {
		return Claim{}, invalid("the DPoP proof's htu does not match the endpoint URL")
	}
	iatf, err := c.IAT.Float64()
	if err != nil || math.IsNaN(iatf) || math.IsInf(iatf, 0) || iatf < 0 || iatf > 1<<40 {
		return Claim{}, invalid("the DPoP proof needs a numeric iat")
	}
	iat := time.Unix(int64(iatf), 0).UTC()
	now, win := v.now(), v.window()
	if iat.Before(now.Add(-win)) || iat.After(now.Add(win)) {
		return Claim{}, invalid("the DPoP proof's iat is outside the accepted window")
	}
	if req.AccessToken != "" {
		if c.ATH == "" || subtle.ConstantTimeCompare([]byte(c.ATH), []byte(TokenHash(req.AccessToken))) != 1 {
			return Claim{}, invalid("the DPoP proof's ath does not match the access token")
		}
	}
	if req.RequireNonce {
		if c.Nonce == nil || *c.Nonce == "" {
			return Claim{}, &Error{Code: ErrUseNonce.Code, Description: "a DPoP nonce is required; use the DPoP-Nonce header's value"}
		}
		if v.Nonces == nil || !v.Nonces.Valid(*c.Nonce) {
			return Claim{}, &Error{Code: ErrUseNonce.Code, Description: "the DPoP nonce is stale or unknown; use the DPoP-Nonce header's value"}
		}
	}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil {
		return Claim{}, invalid("the DPoP proof's jwk has no thumbprint")
	}
	return Claim{
		JKT:      base64.RawURLEncoding.EncodeToString(tp),
		JTI:      c.JTI,
		IssuedAt: iat,
		Expires:  iat.Add(win),
	}, nil
}

// checkKey refuses a key that is private, symmetric, too weak, or of
// another type than alg needs.
func checkKey(jwk *jose.JSONWebKey, alg jose.SignatureAlgorithm) error {
	if !jwk.Valid() || !jwk.IsPublic() {
		return invalid("the DPoP proof's jwk must be a public key")
	}
	switch k := jwk.Key.(type) {
	case *ecdsa.PublicKey:
		if alg == jose.ES256 && k.Curve.Params().BitSize == 256 {
			return nil
		}
	case *rsa.PublicKey:
		if alg == jose.PS256 && k.N.BitLen() >= 2048 {
			return nil
		}
	case ed25519.PublicKey:
		if alg == jose.EdDSA {
			return nil
		}
	}
	return invalid("the DPoP proof's jwk does not fit its alg (ES256 needs P-256, PS256 RSA of 2048 bits or more, EdDSA Ed25519)")
}

// TokenHash is the ath of an access token: base64url(SHA-256(token))
// (RFC 9449 §4.2).
func TokenHash(token string) string {
	s := sha256.Sum256([]byte(token))
	return base64.RawURLEncoding.EncodeToString(s[:])
}

// SameURL compares two htu values as RFC 9449 §4.3 check 9 asks: query and
// fragment ignored, scheme and host case-insensitive, a default port the
// same as none, an empty path the same as "/" (RFC 3986 §6.2.2, §6.2.3).
// Unparsable or relative URLs never match.
func SameURL(a, b string) bool {
	na, ok := normalize(a)
	if !ok {
		return false
	}
	nb, ok := normalize(b)
	return ok && na == nb
}

func normalize(s string) (string, bool) {
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.User != nil {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" || u.Host == "" {
		return "", false
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if scheme == "https" && port == "443" || scheme == "http" && port == "80" {
		port = ""
	}
	if port != "" {
		host += ":" + port
	}
	p := u.EscapedPath()
	if p == "" {
		p = "/"
	}
	// Percent-encoding normalisation: decode what need not be encoded.
	if dp, err := url.PathUnescape(p); err == nil {
		p = (&url.URL{Path: dp}).EscapedPath()
	}
	return scheme + "://" + host + p, true
}
