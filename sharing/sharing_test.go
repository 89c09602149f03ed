package sharing_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/audit/audittest"
	"github.com/dinhdanh/dinhdanh/sharing"
)

const (
	issuer = "https://id.example.vn"
	// testKID is as long as the kids of oidc.Keys, for honest sizes.
	testKID = "es256-0123456789abcdef"
	pid     = "001090123456"
	// sentinel stands for biometric bytes an importer wrongly put in a
	// document (as biometrics.PortraitSentinel would be).
	sentinel = "BIOMETRIC-SENTINEL-PORTRAIT-001090123456"
)

// registry is a population and document registry of one citizen.
type registry struct{}

func (registry) Person(_ context.Context, id string) (attributes.Person, error) {
	if id != pid {
		return attributes.Person{}, attributes.ErrNotFound
	}
	return attributes.Person{PersonalID: id, FullName: "Nguyễn Thị Minh Khai", BirthDate: time.Date(1990, 5, 1, 0, 0, 0, 0, time.UTC),
		Gender: attributes.Female, Nationality: "VN", Phone: "+84901234567", Email: "khai@example.vn",
		Residence: attributes.Address{Street: "Số 12 ngõ 34 phố Lý Thường Kiệt", Ward: "Phường Hàng Bài", District: "Quận Hoàn Kiếm", Province: "Thành phố Hà Nội", Country: "VN"}}, nil
}

func (registry) Dependents(context.Context, string) ([]attributes.Dependent, error) {
	return []attributes.Dependent{{PersonalID: "001218000001", FullName: "Con", Relation: "child"}}, nil
}

func (registry) Documents(_ context.Context, holder string, kinds ...attributes.DocumentKind) ([]attributes.Document, error) {
	exp := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	all := []attributes.Document{
		{Kind: attributes.DrivingLicence, Number: "010123456789", HolderID: holder, IssuedOn: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), ExpiresOn: &exp,
			Issuer: "Sở GTVT Hà Nội", Status: "valid", Fields: map[string]string{"class": "B2", "portrait": sentinel}},
		{Kind: attributes.HealthInsurance, Number: "DN4010123456789", HolderID: holder, Issuer: "BHXH Việt Nam", Status: "valid"},
		{Kind: attributes.VehicleRegistration, Number: "29A-123.45", HolderID: holder, Issuer: "Công an Hà Nội", Status: "valid",
			Fields: map[string]string{"make": "Honda", "model": "Vision"}},
		{Kind: attributes.SocialInsurance, Number: "0123456789", HolderID: holder, Issuer: "BHXH Việt Nam", Status: "valid"},
	}
	var out []attributes.Document
	for _, d := range all {
		for _, k := range kinds {
			if d.Kind == k {
				out = append(out, d)
			}
		}
	}
	return out, nil
}

// signer signs as oidc.Keys.SignType does: ES256, kid, typ.
type signer struct {
	key *ecdsa.PrivateKey
	kid string
}

func newSigner(t testing.TB, kid string) *signer {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return &signer{key: k, kid: kid}
}

func (s *signer) SignType(alg, typ string, claims any) (string, error) {
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.SignatureAlgorithm(alg), Key: s.key},
		(&jose.SignerOptions{}).WithType(jose.ContentType(typ)).WithHeader("kid", s.kid))
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	obj, err := sig.Sign(b)
	if err != nil {
		return "", err
	}
	return obj.CompactSerialize()
}

func (s *signer) jwks() jose.JSONWebKeySet {
	return jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &s.key.PublicKey, KeyID: s.kid, Algorithm: "ES256", Use: "sig"}}}
}

type fixture struct {
	svc    *sharing.Service
	signer *signer
	audit  *audittest.Spy
	now    time.Time
	holder sharing.Holder
}

func newFixture(t testing.TB, adjust ...func(*sharing.Config)) *fixture {
	f := &fixture{signer: newSigner(t, testKID), audit: &audittest.Spy{},
		now: time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC), holder: sharing.Holder{PersonalID: pid, Level: 2, Active: true}}
	cfg := sharing.Config{
		Signer: f.signer, Registry: registry{}, Documents: registry{}, Audit: f.audit, Issuer: issuer,
		Holders: sharing.HolderFunc(func(_ context.Context, id string) (sharing.Holder, error) {
			if id != "acc-1" {
				return sharing.Holder{}, errors.New("no such account")
			}
			return f.holder, nil
		}),
		Now: func() time.Time { return f.now },
	}
	for _, a := range adjust {
		a(&cfg)
	}
	var err error
	f.svc, err = sharing.New(cfg)
	require.NoError(t, err)
	return f
}

var identity = []string{"name", "birthdate", "gender", "nationality", "personal_id_number", "address"}

func (f *fixture) issue(t testing.TB, level assurance.Level, claims []string, challenge string) sharing.Credential {
	t.Helper()
	c, err := f.svc.Issue(t.Context(), sharing.Request{AccountID: "acc-1", Level: level, Claims: claims, Challenge: challenge})
	require.NoError(t, err)
	return c
}

func TestRoundTrip(t *testing.T) {
	f := newFixture(t)
	c := f.issue(t, 1, identity, "")
	assert.Equal(t, []string{"address", "birthdate", "gender", "name", "nationality", "personal_id_number"}, c.Claims)
	assert.Equal(t, "urn:vn:eid:loa:1", c.ACR)
	assert.Equal(t, f.now.Add(10*time.Minute), c.Expires)
	assert.True(t, strings.HasSuffix(c.Token, "~"))

	v, err := sharing.Verify(c.Token, f.signer.jwks(), f.now.Add(time.Minute), sharing.VerifyOptions{Issuer: issuer})
	require.NoError(t, err)
	assert.Equal(t, issuer, v.Issuer)
	assert.Equal(t, "urn:vn:eid:loa:1", v.ACR)
	assert.Equal(t, c.JTI, v.JTI)
	assert.Equal(t, testKID, v.KeyID)
	assert.Equal(t, c.Expires, v.Expires)
	assert.Equal(t, 0, v.Undisclosed)
	assert.Equal(t, "Nguyễn Thị Minh Khai", v.Claims["name"])
	assert.Equal(t, "1990-05-01", v.Claims["birthdate"])
	assert.Equal(t, "female", v.Claims["gender"])
	assert.Equal(t, "VN", v.Claims["nationality"])
	assert.Equal(t, pid, v.Claims["personal_id_number"])
	addr, _ := v.Claims["address"].(map[string]any)
	assert.Contains(t, addr["formatted"], "Hoàn Kiếm")
	assert.Len(t, v.Claims, 6)

	// The header is what doc.go says.
	hdr, _ := base64.RawURLEncoding.DecodeString(strings.Split(c.Token, ".")[0])
	assert.JSONEq(t, `{"alg":"ES256","kid":"`+testKID+`","typ":"dc+sd-jwt"}`, string(hdr))

	// One audit event, with claim names and no value.
	evs := f.audit.Of(audit.CredentialIssued)
	require.Len(t, evs, 1)
	assert.Equal(t, c.Claims, evs[0].Claims)
	assert.Equal(t, "acc-1", evs[0].AccountID)
	assert.Equal(t, c.JTI, evs[0].Detail["jti"])
	assert.Equal(t, "false", evs[0].Detail["challenge_bound"])
	ev, _ := json.Marshal(evs[0])
	for _, val := range []string{"Nguyễn", pid, "1990-05-01", "Hoàn Kiếm"} {
		assert.NotContains(t, string(ev), val, "an attribute value in the audit log")
	}
}

// TestSize measures the QR payload: the identity card set, and everything
// a level 2 account can share.
func TestSize(t *testing.T) {
	f := newFixture(t)
	id := f.issue(t, 1, identity, "")
	minimal := f.issue(t, 1, []string{"name", "birthdate"}, "")
	all := f.issue(t, 2, sharing.Shareable(2), "4F7K92QX")
	t.Logf("QR payload: name+birthdate %d bytes; identity card set %d bytes; all level 2 attributes with challenge %d bytes (capacity M %d, L %d)",
		len(minimal.Token), len(id.Token), len(all.Token), sharing.QRCapacityM, sharing.QRCapacityL)
	assert.Less(t, len(id.Token), 1500, "the identity card set fits a QR code at level M with room to spare")
	assert.LessOrEqual(t, len(all.Token), sharing.QRCapacityL)
}

func TestSelectiveDisclosure(t *testing.T) {
	f := newFixture(t)
	c := f.issue(t, 2, []string{"name", "birthdate", "personal_id_number"}, "")
	keys := f.signer.jwks()
	now := f.now.Add(time.Minute)

	v, err := sharing.Verify(c.Token, keys, now, sharing.VerifyOptions{})
	require.NoError(t, err)
	for _, absent := range []string{"address", "gender", "nationality", "driving_licence", "phone_number", "email", "dependents"} {
		assert.NotContains(t, v.Claims, absent, "not chosen, not in the credential")
	}

	// The holder drops the personal id number before showing it: the rest
	// still verifies, and the verifier learns only that one was withheld.
	shown, err := sharing.Select(c.Token, []string{"name", "birthdate"})
	require.NoError(t, err)
	assert.Less(t, len(shown), len(c.Token))
	v, err = sharing.Verify(shown, keys, now, sharing.VerifyOptions{})
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"name": "Nguyễn Thị Minh Khai", "birthdate": "1990-05-01"}, v.Claims)
	assert.Equal(t, 1, v.Undisclosed)
	assert.NotContains(t, shown, base64.RawURLEncoding.EncodeToString([]byte(pid))[:8])

	// Dropping every disclosure leaves a valid credential that says nothing.
	bare, err := sharing.Select(c.Token, nil)
	require.NoError(t, err)
	v, err = sharing.Verify(bare, keys, now, sharing.VerifyOptions{})
	require.NoError(t, err)
	assert.Empty(t, v.Claims)
	assert.Equal(t, 3, v.Undisclosed)
}

func TestChallengeBinding(t *testing.T) {
	f := newFixture(t)
	c := f.issue(t, 1, []string{"name"}, "4f7k-92qx")
	assert.Equal(t, "4F7K92QX", c.Nonce)
	keys, now := f.signer.jwks(), f.now.Add(time.Minute)
	_, err := sharing.Verify(c.Token, keys, now, sharing.VerifyOptions{Challenge: "4F7K 92QX"})
	require.NoError(t, err, "case, spaces and dashes do not matter")
	_, err = sharing.Verify(c.Token, keys, now, sharing.VerifyOptions{})
	require.NoError(t, err, "a verifier that asked nothing accepts it")

	// Replayed to a verifier who showed another code.
	_, err = sharing.Verify(c.Token, keys, now, sharing.VerifyOptions{Challenge: "ZZZZ1111"})
	require.ErrorIs(t, err, sharing.ErrNonce)
	assert.Contains(t, err.Error(), "another challenge")

	// A credential made without a code, shown to a verifier who asked one.
	plain := f.issue(t, 1, []string{"name"}, "")
	_, err = sharing.Verify(plain.Token, keys, now, sharing.VerifyOptions{Challenge: "4F7K92QX"})
	require.ErrorIs(t, err, sharing.ErrNonce)
	assert.Contains(t, err.Error(), "no challenge code")

	assert.Equal(t, "true", f.audit.Of(audit.CredentialIssued)[0].Detail["challenge_bound"])
}

// reencode returns a disclosure with the same salt and name and another
// value.
func reencode(t *testing.T, d string, value any) string {
	raw, err := base64.RawURLEncoding.DecodeString(d)
	require.NoError(t, err)
	var arr []any
	require.NoError(t, json.Unmarshal(raw, &arr))
	arr[2] = value
	b, _ := json.Marshal(arr)
	return base64.RawURLEncoding.EncodeToString(b)
}

func TestVerifyRefuses(t *testing.T) {
	f := newFixture(t)
	c := f.issue(t, 1, []string{"name", "birthdate"}, "4F7K92QX")
	other := f.issue(t, 1, []string{"gender"}, "")
	keys, now := f.signer.jwks(), f.now.Add(time.Minute)
	parts := strings.Split(c.Token, "~")
	jwt, d1, d2 := parts[0], parts[1], parts[2]
	seg := strings.Split(jwt, ".")

	wrongKey := newSigner(t, testKID) // same kid, another key
	otherKid := newSigner(t, "es256-other")
	noneHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"dc+sd-jwt","kid":"` + testKID + `"}`))
	hsHeader := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"dc+sd-jwt","kid":"` + testKID + `"}`))
	idToken, err := f.signer.SignType("ES256", "JWT", map[string]any{"iss": issuer, "exp": now.Add(time.Hour).Unix(), "_sd": []string{}, "vct": sharing.CredentialType})
	require.NoError(t, err)
	noVCT, err := f.signer.SignType("ES256", sharing.MediaType, map[string]any{"iss": issuer, "exp": now.Add(time.Hour).Unix(), "_sd": []string{}})
	require.NoError(t, err)
	// A payload with an _sd digest of a disclosure whose name is also a
	// plain claim.
	clash := func() string {
		d := base64.RawURLEncoding.EncodeToString([]byte(`["c2FsdHNhbHRzYWx0","iss","https://evil.example"]`))
		tok, err := f.signer.SignType("ES256", sharing.MediaType, map[string]any{
			"iss": issuer, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "vct": sharing.CredentialType,
			"_sd": []string{digestOf(d)}})
		require.NoError(t, err)
		return tok + "~" + d + "~"
	}()

	cases := []struct {
		name  string
		token string
		keys  jose.JSONWebKeySet
		now   time.Time
		opts  sharing.VerifyOptions
		want  error
		msg   string
	}{
		{"tampered disclosure value", jwt + "~" + reencode(t, d1, "Trần Văn Giả") + "~" + d2 + "~", keys, now, sharing.VerifyOptions{}, sharing.ErrDisclosure, "not part of the credential"},
		{"disclosure of another credential", jwt + "~" + d1 + "~" + strings.Split(other.Token, "~")[1] + "~", keys, now, sharing.VerifyOptions{}, sharing.ErrDisclosure, ""},
		{"duplicate disclosure", jwt + "~" + d1 + "~" + d1 + "~", keys, now, sharing.VerifyOptions{}, sharing.ErrDuplicateDisclosure, ""},
		{"tampered payload", seg[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"`+issuer+`","exp":9999999999,"vct":"`+sharing.CredentialType+`","_sd":[]}`)) + "." + seg[2] + "~", keys, now, sharing.VerifyOptions{}, sharing.ErrSignature, ""},
		{"signature removed", seg[0] + "." + seg[1] + ".~" + d1 + "~", keys, now, sharing.VerifyOptions{}, sharing.ErrSignature, "no signature"},
		{"alg none", noneHeader + "." + seg[1] + ".~", keys, now, sharing.VerifyOptions{}, sharing.ErrSignature, ""},
		{"alg HS256", hsHeader + "." + seg[1] + "." + seg[2] + "~", keys, now, sharing.VerifyOptions{}, sharing.ErrUnsupported, ""},
		{"wrong key", c.Token, wrongKey.jwks(), now, sharing.VerifyOptions{}, sharing.ErrSignature, ""},
		{"unknown kid", c.Token, otherKid.jwks(), now, sharing.VerifyOptions{}, sharing.ErrUnknownKey, ""},
		{"empty key set", c.Token, jose.JSONWebKeySet{}, now, sharing.VerifyOptions{}, sharing.ErrUnknownKey, ""},
		{"expired", c.Token, keys, f.now.Add(12 * time.Minute), sharing.VerifyOptions{}, sharing.ErrExpired, "expired"},
		{"issued in the future", c.Token, keys, f.now.Add(-5 * time.Minute), sharing.VerifyOptions{}, sharing.ErrNotYetValid, ""},
		{"wrong issuer", c.Token, keys, now, sharing.VerifyOptions{Issuer: "https://other.example"}, sharing.ErrIssuer, ""},
		{"wrong challenge", c.Token, keys, now, sharing.VerifyOptions{Challenge: "AAAA1111"}, sharing.ErrNonce, ""},
		{"key-binding JWT appended", c.Token + "eyJhbGciOiJFUzI1NiJ9.e30.c2ln", keys, now, sharing.VerifyOptions{}, sharing.ErrUnsupported, "key-binding"},
		{"trailing tilde missing", strings.TrimSuffix(c.Token, "~"), keys, now, sharing.VerifyOptions{}, sharing.ErrUnsupported, ""},
		{"just a JWT", jwt, keys, now, sharing.VerifyOptions{}, sharing.ErrMalformed, ""},
		{"empty", "", keys, now, sharing.VerifyOptions{}, sharing.ErrMalformed, ""},
		{"garbage", "hello~world~", keys, now, sharing.VerifyOptions{}, sharing.ErrMalformed, ""},
		{"an ID token", idToken + "~", keys, now, sharing.VerifyOptions{}, sharing.ErrType, "typ"},
		{"no vct", noVCT + "~", keys, now, sharing.VerifyOptions{}, sharing.ErrType, "vct"},
		{"disclosure overrides a plain claim", clash, keys, now, sharing.VerifyOptions{}, sharing.ErrMalformed, "overrides"},
		{"empty disclosure", jwt + "~~" + d1 + "~", keys, now, sharing.VerifyOptions{}, sharing.ErrMalformed, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sharing.Verify(tc.token, tc.keys, tc.now, tc.opts)
			require.ErrorIs(t, err, tc.want)
			if tc.msg != "" {
				assert.Contains(t, err.Error(), tc.msg)
			}
		})
	}

	// Leeway: a minute of clock skew is tolerated by default, not more.
	_, err = sharing.Verify(c.Token, keys, f.now.Add(10*time.Minute+30*time.Second), sharing.VerifyOptions{})
	require.NoError(t, err)
	_, err = sharing.Verify(c.Token, keys, f.now.Add(10*time.Minute+30*time.Second), sharing.VerifyOptions{Leeway: -1})
	require.ErrorIs(t, err, sharing.ErrExpired)
}

func digestOf(d string) string {
	return sharing.Digest(d)
}

func TestIssueRefuses(t *testing.T) {
	f := newFixture(t)
	issue := func(level assurance.Level, claims []string, challenge string) error {
		_, err := f.svc.Issue(t.Context(), sharing.Request{AccountID: "acc-1", Level: level, Claims: claims, Challenge: challenge})
		return err
	}
	require.ErrorIs(t, issue(1, []string{"name", "driving_licence"}, ""), sharing.ErrNotShareable, "documents need level 2")
	require.ErrorIs(t, issue(2, []string{"phone_number"}, ""), sharing.ErrNotShareable)
	require.ErrorIs(t, issue(2, []string{"dependents"}, ""), sharing.ErrNotShareable)
	require.ErrorIs(t, issue(2, []string{"portrait"}, ""), sharing.ErrNotShareable)
	require.ErrorIs(t, issue(2, nil, ""), sharing.ErrNothingToShare)
	require.ErrorIs(t, issue(1, []string{"name"}, "ab"), sharing.ErrChallenge)
	require.ErrorIs(t, issue(1, []string{"name"}, "<script>"), sharing.ErrChallenge)

	// A level 2 sign-in of an account now at level 1 shares level 1 only.
	f.holder.Level = 1
	require.ErrorIs(t, issue(2, []string{"health_insurance"}, ""), sharing.ErrNotShareable)
	f.holder.Level = 2
	f.holder.Active = false
	require.ErrorIs(t, issue(2, []string{"name"}, ""), sharing.ErrNotActive)
	f.holder.Active = true

	// The audit log is down: nothing is issued.
	f.audit.SetFail(errors.New("audit down"))
	require.Error(t, issue(1, []string{"name"}, ""))
	f.audit.SetFail(nil)
	assert.Empty(t, f.audit.Of(audit.CredentialIssued))

	small := newFixture(t, func(c *sharing.Config) { c.MaxSize = 300 })
	_, err := small.svc.Issue(t.Context(), sharing.Request{AccountID: "acc-1", Level: 1, Claims: identity})
	require.ErrorIs(t, err, sharing.ErrTooLarge)
	assert.Empty(t, small.audit.Events(), "a refused credential is not audited as issued")
}

func TestOfferAndDocuments(t *testing.T) {
	f := newFixture(t)
	claimsOf := func(as []sharing.Attribute) []string {
		var out []string
		for _, a := range as {
			out = append(out, a.Claim)
		}
		return out
	}
	l1, err := f.svc.Offer(t.Context(), "acc-1", 1)
	require.NoError(t, err)
	assert.Equal(t, identity, claimsOf(l1))
	l2, err := f.svc.Offer(t.Context(), "acc-1", 2)
	require.NoError(t, err)
	assert.Equal(t, append(append([]string{}, identity...), "driving_licence", "vehicle_registration", "health_insurance", "social_insurance"), claimsOf(l2))

	// Documents at level 2; the biometric-looking field never leaves.
	c := f.issue(t, 2, []string{"driving_licence"}, "")
	assert.Equal(t, "urn:vn:eid:loa:2", c.ACR)
	v, err := sharing.Verify(c.Token, f.signer.jwks(), f.now, sharing.VerifyOptions{})
	require.NoError(t, err)
	list, _ := v.Claims["driving_licence"].([]any)
	require.Len(t, list, 1)
	doc, _ := list[0].(map[string]any)
	assert.Equal(t, "010123456789", doc["number"])
	assert.Equal(t, map[string]any{"class": "B2"}, doc["fields"])
	for _, d := range strings.Split(c.Token, "~") {
		raw, _ := base64.RawURLEncoding.DecodeString(d)
		assert.NotContains(t, string(raw), "BIOMETRIC-SENTINEL")
		assert.NotContains(t, string(raw), "portrait")
	}
}

func TestNormalizeChallenge(t *testing.T) {
	for in, want := range map[string]string{"": "", "4f7k-92qx": "4F7K92QX", " ab12 ": "AB12", "abcd efgh ijkl": "ABCDEFGHIJKL"} {
		got, err := sharing.NormalizeChallenge(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got)
	}
	for _, bad := range []string{"abc", "ab-c", "é123", strings.Repeat("A", 33), "12 34 ;"} {
		_, err := sharing.NormalizeChallenge(bad)
		require.ErrorIs(t, err, sharing.ErrChallenge, bad)
	}
}
