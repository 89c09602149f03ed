package dpop_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/oidc/dpop"
	"github.com/dinhdanh/dinhdanh/testsupport/josetest"
)

const tokenURL = "https://id.example.vn/token"

var t0 = time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)

func ecKey(t testing.TB) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	return k
}

func verifier() *dpop.Verifier {
	now := func() time.Time { return t0 }
	return &dpop.Verifier{Nonces: dpop.NewNonces([]byte("0123456789abcdef0123456789abcdef"), now), Now: now}
}

func TestCheck(t *testing.T) {
	v := verifier()
	key := ecKey(t)
	p := dpop.Prover{Key: key, Alg: jose.ES256}
	nonce := v.Nonces.Current()
	good := dpop.ProofOptions{Method: "POST", URL: tokenURL, Nonce: nonce, IssuedAt: t0, JTI: "j1"}
	pub, priv := josetest.JWKMaps(t, key)
	baseClaims := map[string]any{"jti": "x", "htm": "POST", "htu": tokenURL, "iat": t0.Unix(), "nonce": nonce}

	mk := func(o dpop.ProofOptions) string {
		s, err := p.Proof(o)
		require.NoError(t, err)
		return s
	}
	with := func(f func(*dpop.ProofOptions)) string { o := good; f(&o); return mk(o) }
	hmacProof := func() string {
		return josetest.SignRaw(t, []byte("0123456789abcdef0123456789abcdef"), jose.HS256, map[string]any{"typ": "dpop+jwt", "jwk": pub}, baseClaims)
	}
	noneProof := func() string {
		h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"dpop+jwt"}`))
		c, _ := json.Marshal(baseClaims)
		return h + "." + base64.RawURLEncoding.EncodeToString(c) + "."
	}
	rs256 := func() string {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		require.NoError(t, err)
		return (func() string {
			s, err := (dpop.Prover{Key: k, Alg: jose.RS256}).Proof(good)
			require.NoError(t, err)
			return s
		})()
	}

	for _, tc := range []struct {
		name    string
		req     dpop.Request
		wantErr error
	}{
		{"good", dpop.Request{Proof: mk(good), Method: "POST", URL: tokenURL, RequireNonce: true}, nil},
		{"good, url normalised", dpop.Request{Proof: with(func(o *dpop.ProofOptions) { o.URL = "HTTPS://ID.example.vn:443/token?x=1#f" }), Method: "POST", URL: tokenURL, RequireNonce: true}, nil},
		{"missing", dpop.Request{Method: "POST", URL: tokenURL}, dpop.ErrInvalidProof},
		{"garbage", dpop.Request{Proof: "a.b.c", Method: "POST", URL: tokenURL}, dpop.ErrInvalidProof},
		{"other method", dpop.Request{Proof: mk(good), Method: "GET", URL: tokenURL}, dpop.ErrInvalidProof},
		{"other url", dpop.Request{Proof: mk(good), Method: "POST", URL: "https://id.example.vn/userinfo"}, dpop.ErrInvalidProof},
		{"stale iat", dpop.Request{Proof: with(func(o *dpop.ProofOptions) { o.IssuedAt = t0.Add(-2 * time.Minute) }), Method: "POST", URL: tokenURL}, dpop.ErrInvalidProof},
		{"future iat", dpop.Request{Proof: with(func(o *dpop.ProofOptions) { o.IssuedAt = t0.Add(2 * time.Minute) }), Method: "POST", URL: tokenURL}, dpop.ErrInvalidProof},
		{"no nonce", dpop.Request{Proof: with(func(o *dpop.ProofOptions) { o.Nonce = "" }), Method: "POST", URL: tokenURL, RequireNonce: true}, dpop.ErrUseNonce},
		{"bad nonce", dpop.Request{Proof: with(func(o *dpop.ProofOptions) { o.Nonce = "AAAA" }), Method: "POST", URL: tokenURL, RequireNonce: true}, dpop.ErrUseNonce},
		{"ath ok", dpop.Request{Proof: with(func(o *dpop.ProofOptions) { o.AccessToken = "tok" }), Method: "POST", URL: tokenURL, AccessToken: "tok"}, nil},
		{"ath wrong", dpop.Request{Proof: with(func(o *dpop.ProofOptions) { o.AccessToken = "other" }), Method: "POST", URL: tokenURL, AccessToken: "tok"}, dpop.ErrInvalidProof},
		{"ath missing", dpop.Request{Proof: mk(good), Method: "POST", URL: tokenURL, AccessToken: "tok"}, dpop.ErrInvalidProof},
		{"private jwk", dpop.Request{Proof: josetest.SignRaw(t, key, jose.ES256, map[string]any{"typ": "dpop+jwt", "jwk": priv}, baseClaims), Method: "POST", URL: tokenURL}, dpop.ErrInvalidProof},
		{"no jwk", dpop.Request{Proof: josetest.SignRaw(t, key, jose.ES256, map[string]any{"typ": "dpop+jwt"}, baseClaims), Method: "POST", URL: tokenURL}, dpop.ErrInvalidProof},
		{"wrong typ", dpop.Request{Proof: josetest.SignRaw(t, key, jose.ES256, map[string]any{"typ": "JWT", "jwk": pub}, baseClaims), Method: "POST", URL: tokenURL}, dpop.ErrInvalidProof},
		{"jwk of another key", dpop.Request{Proof: josetest.SignRaw(t, ecKey(t), jose.ES256, map[string]any{"typ": "dpop+jwt", "jwk": pub}, baseClaims), Method: "POST", URL: tokenURL}, dpop.ErrInvalidProof},
		{"no jti", dpop.Request{Proof: josetest.SignRaw(t, key, jose.ES256, map[string]any{"typ": "dpop+jwt", "jwk": pub}, map[string]any{"htm": "POST", "htu": tokenURL, "iat": t0.Unix()}), Method: "POST", URL: tokenURL}, dpop.ErrInvalidProof},
		{"iat string", dpop.Request{Proof: josetest.SignRaw(t, key, jose.ES256, map[string]any{"typ": "dpop+jwt", "jwk": pub}, map[string]any{"jti": "x", "htm": "POST", "htu": tokenURL, "iat": "now"}), Method: "POST", URL: tokenURL}, dpop.ErrInvalidProof},
		{"alg HS256", dpop.Request{Proof: hmacProof(), Method: "POST", URL: tokenURL}, dpop.ErrInvalidProof},
		{"alg none", dpop.Request{Proof: noneProof(), Method: "POST", URL: tokenURL}, dpop.ErrInvalidProof},
		{"alg RS256", dpop.Request{Proof: rs256(), Method: "POST", URL: tokenURL}, dpop.ErrInvalidProof},
		{"too long", dpop.Request{Proof: strings.Repeat("a", dpop.MaxProofLen+1), Method: "POST", URL: tokenURL}, dpop.ErrInvalidProof},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := v.Check(tc.req)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				var de *dpop.Error
				require.ErrorAs(t, err, &de)
				assert.NotEmpty(t, de.Description)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, p.JKT(), c.JKT)
			assert.NotEmpty(t, c.JTI)
			assert.Equal(t, t0, c.IssuedAt)
			assert.Equal(t, t0.Add(time.Minute), c.Expires)
		})
	}
}

func TestCheckAlgs(t *testing.T) {
	v := verifier()
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	_, ek, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	for _, p := range []dpop.Prover{{Key: ecKey(t), Alg: jose.ES256}, {Key: rk, Alg: jose.PS256}, {Key: ek, Alg: jose.EdDSA}} {
		t.Run(string(p.Alg), func(t *testing.T) {
			s, err := p.Proof(dpop.ProofOptions{Method: "GET", URL: "https://id.example.vn/userinfo", AccessToken: "at", IssuedAt: t0})
			require.NoError(t, err)
			c, err := v.Check(dpop.Request{Proof: s, Method: "GET", URL: "https://id.example.vn/userinfo", AccessToken: "at"})
			require.NoError(t, err)
			assert.Equal(t, p.JKT(), c.JKT)
		})
	}
}

// TestThumbprint checks the RFC 7638 §3.1 example.
func TestThumbprint(t *testing.T) {
	var k jose.JSONWebKey
	require.NoError(t, json.Unmarshal([]byte(`{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}`), &k))
	tp, err := k.Thumbprint(crypto.SHA256)
	require.NoError(t, err)
	assert.Equal(t, "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs", base64.RawURLEncoding.EncodeToString(tp))
}

func TestNonces(t *testing.T) {
	now := t0
	key := []byte("0123456789abcdef0123456789abcdef")
	n := dpop.NewNonces(key, func() time.Time { return now })
	other := dpop.NewNonces(key, func() time.Time { return now }) // another replica
	first := n.Current()
	assert.Equal(t, first, other.Current())
	assert.True(t, other.Valid(first))
	now = now.Add(dpop.NoncePeriod)
	assert.NotEqual(t, first, n.Current(), "rotated")
	assert.True(t, n.Valid(first), "previous window still accepted")
	now = now.Add(dpop.NoncePeriod)
	assert.False(t, n.Valid(first), "two windows old")
	assert.False(t, dpop.NewNonces([]byte("another key, another deployment!"), func() time.Time { return now }).Valid(n.Current()))
	assert.False(t, n.Valid(""))
	assert.False(t, n.Valid("!!!"))
	// A forged window with a MAC of another window fails.
	b, _ := base64.RawURLEncoding.DecodeString(n.Current())
	b[7]++
	assert.False(t, n.Valid(base64.RawURLEncoding.EncodeToString(b)))
	_ = hmac.New(sha256.New, key)
}

func TestSameURL(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"https://a.vn/token", "https://a.vn/token", true},
		{"https://A.VN/token", "https://a.vn/token?x#y", true},
		{"https://a.vn:443/token", "https://a.vn/token", true},
		{"http://a.vn:80", "http://a.vn/", true},
		{"https://a.vn/%74oken", "https://a.vn/token", true},
		{"https://a.vn:8443/token", "https://a.vn/token", false},
		{"http://a.vn/token", "https://a.vn/token", false},
		{"https://a.vn/Token", "https://a.vn/token", false},
		{"/token", "/token", false},
		{"https://u@a.vn/token", "https://a.vn/token", false},
		{"", "", false},
	} {
		assert.Equal(t, tc.same, dpop.SameURL(tc.a, tc.b), "%q vs %q", tc.a, tc.b)
	}
}

func BenchmarkCheck(b *testing.B) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(b, err)
	_, ek, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(b, err)
	for _, p := range []dpop.Prover{{Key: ecKey(b), Alg: jose.ES256}, {Key: rk, Alg: jose.PS256}, {Key: ek, Alg: jose.EdDSA}} {
		b.Run(string(p.Alg), func(b *testing.B) {
			now := time.Now()
			v := &dpop.Verifier{Nonces: dpop.NewNonces(make([]byte, 32), func() time.Time { return now }), Now: func() time.Time { return now }}
			s, err := p.Proof(dpop.ProofOptions{Method: "GET", URL: "https://id.example.vn/userinfo", AccessToken: "at", Nonce: v.Nonces.Current(), IssuedAt: now})
			require.NoError(b, err)
			req := dpop.Request{Proof: s, Method: "GET", URL: "https://id.example.vn/userinfo", AccessToken: "at", RequireNonce: true}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := v.Check(req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
