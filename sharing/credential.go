package sharing

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
)

// Wire names of the format (doc.go).
const (
	// MediaType is the typ header of the issuer-signed JWT.
	MediaType = "dc+sd-jwt"
	// CredentialType is the vct claim.
	CredentialType = "urn:vn:eid:share:1"
	// Algorithm is the only signature algorithm issued and accepted.
	Algorithm = "ES256"
	// DigestAlgorithm is the _sd_alg value (the default, left out).
	DigestAlgorithm = "sha-256"
	// QRCapacityM and QRCapacityL are the byte capacities of the largest QR
	// code (version 40) at error correction levels M and L. A code shown on
	// a screen is not soiled or torn, so L will do for the largest
	// credentials; QRCapacityL is the default MaxSize.
	QRCapacityM = 2331
	QRCapacityL = 2953
	// saltBytes is the salt length: 128 bits (RFC 9901 §9.3).
	saltBytes = 16
)

// shareable lists the attributes a citizen may put into a credential, in
// display order: the identity card's data and, at level 2, the documents
// integrated into the account. Contact details (phone, e-mail) are not
// identity information the gateway vouches for, and dependents are other
// people's data; neither is offered. No entry can carry biometric data:
// they are claims of package attributes, which has none.
var shareable = []string{
	attributes.ClaimName,
	attributes.ClaimBirthdate,
	attributes.ClaimGender,
	attributes.ClaimNationality,
	attributes.ClaimPersonalIDNumber,
	attributes.ClaimAddress,
	attributes.ClaimDrivingLicence,
	attributes.ClaimVehicleRegistration,
	attributes.ClaimHealthInsurance,
	attributes.ClaimSocialInsurance,
}

// Shareable returns the attributes a sign-in of the given level may share,
// in display order.
func Shareable(level assurance.Level) []string {
	var out []string
	for _, c := range shareable {
		if p, ok := attributes.Policy(c); ok && p.MinLevel <= level {
			out = append(out, c)
		}
	}
	return out
}

// ACR is the acr value of an assurance level (MISSION "Fixed names").
func ACR(level assurance.Level) string { return max(level, assurance.Level1).ACR() }

// compact shortens a released value for a QR code without changing its
// meaning: the address keeps formatted and country (members of the OIDC
// Core §5.1.1 address claim), dropping street_address, locality and region,
// which formatted already spells out.
func compact(claim string, v any) any {
	if claim != attributes.ClaimAddress {
		return v
	}
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := map[string]any{}
	for _, k := range []string{"formatted", "country"} {
		if x, ok := m[k]; ok {
			out[k] = x
		}
	}
	return out
}

// payload is the issuer-signed JWT's claims, in wire order.
type payload struct {
	Issuer   string   `json:"iss"`
	IssuedAt int64    `json:"iat"`
	Expires  int64    `json:"exp"`
	JTI      string   `json:"jti"`
	VCT      string   `json:"vct"`
	ACR      string   `json:"acr"`
	Nonce    string   `json:"nonce,omitempty"`
	SD       []string `json:"_sd"`
	SDAlg    string   `json:"_sd_alg,omitempty"`
}

// compactJSON marshals v without HTML escaping (Vietnamese text and
// addresses stay as UTF-8, never \u003c) and without a trailing newline.
func compactJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// disclose encodes one object-property disclosure (RFC 9901 §4.2.1).
func disclose(salt []byte, name string, value any) (string, error) {
	b, err := compactJSON([]any{base64.RawURLEncoding.EncodeToString(salt), name, value})
	if err != nil {
		return "", fmt.Errorf("sharing: encode disclosure %s: %w", name, err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// digest is the base64url SHA-256 of a disclosure's ASCII text (RFC 9901
// §4.2.3): of the text as sent, never of a re-encoding.
func digest(disclosure string) string {
	sum := sha256.Sum256([]byte(disclosure))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// NormalizeChallenge turns a verifier's challenge code as typed ("4f7k-92qx",
// "4F7K 92QX") into the nonce signed into a credential ("4F7K92QX"). An empty
// code stays empty; anything but 4 to 32 letters and digits is ErrChallenge.
func NormalizeChallenge(code string) (string, error) {
	var b strings.Builder
	for _, r := range strings.ToUpper(code) {
		switch {
		case r == ' ' || r == '-' || r == '\t':
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			return "", ErrChallenge
		}
	}
	s := b.String()
	if s == "" {
		return "", nil
	}
	if len(s) < 4 || len(s) > 32 {
		return "", ErrChallenge
	}
	return s, nil
}

// Digest is the _sd digest of a disclosure (RFC 9901 §4.2.3), for holders
// and tests that build or inspect credentials.
func Digest(disclosure string) string { return digest(disclosure) }

// challengeAlphabet leaves out characters read aloud or typed wrongly (0/O,
// 1/I/L).
const challengeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// NewChallenge returns a fresh 8-character challenge code, written
// "XXXX-XXXX", for a verifier to give a citizen (nonce, doc.go).
func NewChallenge(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	var b [8]byte
	out := make([]byte, 0, 9)
	for len(out) < 9 {
		if _, err := io.ReadFull(r, b[:]); err != nil {
			return "", fmt.Errorf("sharing: challenge: %w", err)
		}
		for _, x := range b {
			// Rejection sampling keeps the letters uniform.
			if int(x) >= 256/len(challengeAlphabet)*len(challengeAlphabet) {
				continue
			}
			if len(out) == 4 {
				out = append(out, '-')
			}
			out = append(out, challengeAlphabet[int(x)%len(challengeAlphabet)])
			if len(out) == 9 {
				break
			}
		}
	}
	return string(out), nil
}
