package sharing

import (
	"bytes"
	"compress/flate"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
)

// Format is a credential's encoding.
type Format int

// Formats of Issue.
const (
	// FormatSDJWT is the SD-JWT of doc.go (RFC 9901), for wallets that speak
	// it; the holder may drop disclosures after issuance.
	FormatSDJWT Format = iota
	// FormatCompact is the compact QR form of doc.go: only the chosen
	// attributes, short keys, raw bytes in base45. What the sharing page
	// shows.
	FormatCompact
)

// Wire names of the compact form (doc.go).
const (
	// CompactPrefix starts every compact credential; the 1 is the version.
	CompactPrefix = "DD1:"
	// CompactType is the typ header of a compact credential's JWS: never
	// taken for an SD-JWT credential, an ID token or a receipt.
	CompactType = "share+jwt"
	// compactSigLen is an ES256 signature's length (RFC 7518 §3.4).
	compactSigLen = 64
	// Limits of the parser: a header or payload larger than a QR code holds
	// is refused before it is read.
	maxCompactHeader  = 256
	maxCompactPayload = 4096
	// compactJTIBytes is the compact jti's length: 96 random bits are
	// plenty for a name that lives ten minutes.
	compactJTIBytes = 12
)

// compactKeys are the short keys of the attributes in a compact
// credential's "c" object.
var compactKeys = map[string]string{
	attributes.ClaimName:                "n",
	attributes.ClaimBirthdate:           "b",
	attributes.ClaimGender:              "g",
	attributes.ClaimNationality:         "c",
	attributes.ClaimPersonalIDNumber:    "i",
	attributes.ClaimAddress:             "a",
	attributes.ClaimDrivingLicence:      "dl",
	attributes.ClaimVehicleRegistration: "vr",
	attributes.ClaimHealthInsurance:     "hi",
	attributes.ClaimSocialInsurance:     "si",
}

// docKeys are the short keys of a document's members.
var docKeys = map[string]string{
	"number": "n", "issued_on": "o", "expires_on": "e", "issuer": "by", "status": "s", "fields": "f",
}

var (
	claimOfKey = invert(compactKeys)
	docOfKey   = invert(docKeys)
)

func invert(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[v] = k
	}
	return out
}

// compactPayload is a compact credential's signed claims.
type compactPayload struct {
	Issuer   string                     `json:"iss"`
	IssuedAt int64                      `json:"iat"`
	Expires  int64                      `json:"exp"`
	JTI      string                     `json:"jti"`
	Level    int                        `json:"loa"`
	Nonce    string                     `json:"nonce,omitempty"`
	Claims   map[string]json.RawMessage `json:"c"`
}

// compactValue shortens a released value for the compact form: the address
// is its formatted line, documents use short keys.
func compactValue(claim string, v any) any {
	switch claim {
	case attributes.ClaimAddress:
		if m, ok := v.(map[string]any); ok {
			if s, ok := m["formatted"].(string); ok {
				return s
			}
		}
		return v
	case attributes.ClaimDrivingLicence, attributes.ClaimVehicleRegistration,
		attributes.ClaimHealthInsurance, attributes.ClaimSocialInsurance:
		list, ok := v.([]map[string]any)
		if !ok {
			return v
		}
		out := make([]map[string]any, 0, len(list))
		for _, d := range list {
			m := make(map[string]any, len(d))
			for k, x := range d {
				if sk, ok := docKeys[k]; ok {
					m[sk] = x
				}
			}
			out = append(out, m)
		}
		return out
	}
	return v
}

// signCompact signs the chosen values as a compact credential.
func (s *Service) signCompact(c Credential, level assurance.Level, vals map[string]any, names []string) (string, error) {
	p := compactPayload{
		Issuer: s.cfg.Issuer, IssuedAt: c.IssuedAt.Unix(), Expires: c.Expires.Unix(), JTI: c.JTI,
		Level: int(max(level, assurance.Level1)), Nonce: c.Nonce, Claims: map[string]json.RawMessage{},
	}
	for _, n := range names {
		b, err := compactJSON(compactValue(n, vals[n]))
		if err != nil {
			return "", fmt.Errorf("sharing: encode %s: %w", n, err)
		}
		p.Claims[compactKeys[n]] = b
	}
	jws, err := s.cfg.Signer.SignType(Algorithm, CompactType, p)
	if err != nil {
		return "", fmt.Errorf("sharing: sign: %w", err)
	}
	return packCompact(jws)
}

// packCompact turns a compact JWS into the compact credential's text: the
// JWS's parts as raw bytes (no base64), the 64-byte signature first, then
// header and payload, each after its length (uvarint), compressed with
// DEFLATE (RFC 1951); all base45-encoded after CompactPrefix.
func packCompact(jws string) (string, error) {
	parts := strings.Split(jws, ".")
	if len(parts) != 3 {
		return "", fmt.Errorf("sharing: signer returned no compact JWS")
	}
	var raw [3][]byte
	for i, p := range parts {
		b, err := base64.RawURLEncoding.DecodeString(p)
		if err != nil {
			return "", fmt.Errorf("sharing: signer returned no compact JWS: %w", err)
		}
		raw[i] = b
	}
	if len(raw[2]) != compactSigLen {
		return "", fmt.Errorf("sharing: signature of %d bytes, want %d", len(raw[2]), compactSigLen)
	}
	var buf bytes.Buffer
	buf.Write(raw[2])
	zw, err := flate.NewWriter(&buf, flate.BestCompression)
	if err != nil {
		return "", err
	}
	for _, b := range raw[:2] {
		_, _ = zw.Write(binary.AppendUvarint(nil, uint64(len(b))))
		_, _ = zw.Write(b)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("sharing: compress: %w", err)
	}
	return CompactPrefix + base45Encode(buf.Bytes()), nil
}

// unpackCompact is packCompact's inverse: it returns the compact JWS whose
// signature a verifier checks (the header and payload bytes as sent, so a
// changed byte fails the signature).
func unpackCompact(token string) (string, error) {
	body, ok := strings.CutPrefix(token, CompactPrefix)
	if !ok {
		return "", fmt.Errorf("%w: not a compact credential", ErrMalformed)
	}
	raw, err := base45Decode(body)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if len(raw) <= compactSigLen {
		return "", fmt.Errorf("%w: shorter than a signature", ErrMalformed)
	}
	var segs [3][]byte
	segs[2] = raw[:compactSigLen]
	// What inflates past the largest header and payload is refused: a
	// small text cannot make the verifier hold much.
	limit := int64(maxCompactHeader + maxCompactPayload + 2*binary.MaxVarintLen64)
	zr := flate.NewReader(bytes.NewReader(raw[compactSigLen:]))
	plain, err := io.ReadAll(io.LimitReader(zr, limit+1))
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if int64(len(plain)) > limit {
		return "", fmt.Errorf("%w: inflates past %d bytes", ErrMalformed, limit)
	}
	for i, most := range []int{maxCompactHeader, maxCompactPayload} {
		n, k := binary.Uvarint(plain)
		if k <= 0 || n > uint64(most) || n > uint64(len(plain)-k) {
			return "", fmt.Errorf("%w: bad length of part %d", ErrMalformed, i+1)
		}
		segs[i], plain = plain[k:k+int(n)], plain[k+int(n):]
	}
	if len(plain) != 0 {
		return "", fmt.Errorf("%w: trailing data", ErrMalformed)
	}
	enc := base64.RawURLEncoding
	return enc.EncodeToString(segs[0]) + "." + enc.EncodeToString(segs[1]) + "." + enc.EncodeToString(segs[2]), nil
}

// VerifyCompact checks a compact credential offline, as Verify checks an
// SD-JWT: signature by the key its kid names, typ, iat and exp, iss and the
// challenge when opts ask. Every attribute it holds is disclosed
// (Undisclosed is 0); values are given back under their claim names, in the
// shapes Verify gives (the address as {"formatted": …}, documents with
// their full member names).
func VerifyCompact(token string, keys jose.JSONWebKeySet, now time.Time, opts VerifyOptions) (Verified, error) {
	token = strings.TrimSpace(token)
	if len(token) > maxTokenLen {
		return Verified{}, fmt.Errorf("%w: longer than %d bytes", ErrMalformed, maxTokenLen)
	}
	jws, err := unpackCompact(token)
	if err != nil {
		return Verified{}, err
	}
	kid, body, err := verifyJWS(jws, keys, CompactType)
	if err != nil {
		return Verified{}, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var p compactPayload
	if err := dec.Decode(&p); err != nil {
		return Verified{}, fmt.Errorf("%w: payload: %v", ErrMalformed, err)
	}
	if p.Level != 1 && p.Level != 2 {
		return Verified{}, fmt.Errorf("%w: level %d", ErrMalformed, p.Level)
	}
	v := Verified{
		Issuer: p.Issuer, ACR: ACR(assurance.Level(p.Level)), JTI: p.JTI, Nonce: p.Nonce, KeyID: kid,
		IssuedAt: time.Unix(p.IssuedAt, 0).UTC(), Expires: time.Unix(p.Expires, 0).UTC(),
		Claims: map[string]any{},
	}
	if err := checkValidity(v, p.IssuedAt, p.Expires, now, opts); err != nil {
		return Verified{}, err
	}
	for k, raw := range p.Claims {
		name, ok := claimOfKey[k]
		if !ok {
			return Verified{}, fmt.Errorf("%w: unknown attribute %q", ErrMalformed, k)
		}
		val, err := expandValue(name, raw)
		if err != nil {
			return Verified{}, fmt.Errorf("%w: attribute %q: %v", ErrMalformed, k, err)
		}
		v.Claims[name] = val
	}
	return v, nil
}

// expandValue decodes a compact value into the shape Verify gives.
func expandValue(claim string, raw json.RawMessage) (any, error) {
	switch claim {
	case attributes.ClaimAddress:
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return map[string]any{"formatted": s}, nil
	case attributes.ClaimDrivingLicence, attributes.ClaimVehicleRegistration,
		attributes.ClaimHealthInsurance, attributes.ClaimSocialInsurance:
		var list []map[string]any
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, err
		}
		out := make([]any, 0, len(list))
		for _, d := range list {
			m := make(map[string]any, len(d))
			for k, x := range d {
				full, ok := docOfKey[k]
				if !ok {
					return nil, fmt.Errorf("unknown document member %q", k)
				}
				m[full] = x
			}
			out = append(out, m)
		}
		return out, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	return s, nil
}

// VerifyAny verifies either form: a compact credential (CompactPrefix) or
// an SD-JWT.
func VerifyAny(token string, keys jose.JSONWebKeySet, now time.Time, opts VerifyOptions) (Verified, error) {
	if strings.HasPrefix(strings.TrimSpace(token), CompactPrefix) {
		return VerifyCompact(token, keys, now, opts)
	}
	return Verify(token, keys, now, opts)
}
