package sharing_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/sharing"
)

func (f *fixture) issueCompact(t testing.TB, claims []string, challenge string) sharing.Credential {
	t.Helper()
	c, err := f.svc.Issue(t.Context(), sharing.Request{AccountID: "acc-1", Level: 2, Claims: claims, Challenge: challenge, Format: sharing.FormatCompact})
	require.NoError(t, err)
	return c
}

func TestCompactRoundTrip(t *testing.T) {
	f := newFixture(t)
	all := append(append([]string{}, identity...), "driving_licence", "vehicle_registration")
	c := f.issueCompact(t, all, "4f7k-92qx")
	require.True(t, strings.HasPrefix(c.Token, sharing.CompactPrefix))
	for _, r := range c.Token {
		require.Contains(t, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:", string(r), "only QR alphanumeric characters")
	}
	sd := f.issue(t, 2, all, "4f7k-92qx")

	keys, now := f.signer.jwks(), f.now.Add(time.Minute)
	v, err := sharing.VerifyAny(c.Token, keys, now, sharing.VerifyOptions{Issuer: issuer, Challenge: "4F7K 92QX"})
	require.NoError(t, err)
	want, err := sharing.VerifyAny(sd.Token, keys, now, sharing.VerifyOptions{Issuer: issuer})
	require.NoError(t, err)
	assert.Equal(t, "urn:vn:eid:loa:2", v.ACR)
	assert.Equal(t, c.JTI, v.JTI)
	assert.Equal(t, "4F7K92QX", v.Nonce)
	assert.Equal(t, testKID, v.KeyID)
	assert.Equal(t, c.Expires, v.Expires)
	assert.Equal(t, 0, v.Undisclosed)
	// Same attributes and values as the SD-JWT form gives, the address as
	// its formatted line.
	require.Len(t, v.Claims, len(want.Claims))
	for n, val := range want.Claims {
		if n == "address" {
			assert.Equal(t, map[string]any{"formatted": val.(map[string]any)["formatted"]}, v.Claims[n])
			continue
		}
		assert.Equal(t, val, v.Claims[n], n)
	}
	assert.NotContains(t, c.Token, sentinel)

	evs := f.audit.Of(audit.CredentialIssued)
	require.Len(t, evs, 2)
	assert.Equal(t, "compact", evs[0].Detail["format"])
	assert.Equal(t, c.JTI, evs[0].Detail["jti"])
}

// TestCompactSize: the compact form of a typical pick is several times
// smaller than the SD-JWT (the QR versions are measured in sharing/web).
func TestCompactSize(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name   string
		claims []string
		max    int
	}{
		{"name and birthdate", []string{"name", "birthdate"}, 400},
		{"identity card set", identity, 600},
		{"all of level 2", sharing.Shareable(2), 850},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sd := f.issue(t, 2, tc.claims, "")
			c := f.issueCompact(t, tc.claims, "")
			t.Logf("%s: SD-JWT %d bytes, compact %d characters", tc.name, len(sd.Token), len(c.Token))
			assert.LessOrEqual(t, len(c.Token), tc.max)
			assert.Less(t, len(c.Token)*2, len(sd.Token)+len(c.Token), "compact is smaller")
		})
	}
}

func TestCompactRefuses(t *testing.T) {
	f := newFixture(t)
	c := f.issueCompact(t, identity, "AB12CD")
	keys, now := f.signer.jwks(), f.now.Add(time.Minute)
	body := strings.TrimPrefix(c.Token, sharing.CompactPrefix)
	// flip changes one character of the base45 text at i to another valid
	// one, so the bytes change but still decode.
	flip := func(i int) string {
		b := []byte(body)
		if b[i] == '0' {
			b[i] = '1'
		} else {
			b[i] = '0'
		}
		return sharing.CompactPrefix + string(b)
	}
	other := newSigner(t, testKID)
	cases := []struct {
		name  string
		token string
		opts  sharing.VerifyOptions
		now   time.Time
		want  error
	}{
		{"payload byte changed", flip(len(body) / 2), sharing.VerifyOptions{}, now, nil},
		{"signature byte changed", flip(5), sharing.VerifyOptions{}, now, sharing.ErrSignature},
		{"truncated", c.Token[:len(c.Token)-3], sharing.VerifyOptions{}, now, nil},
		{"not base45", c.Token + "a", sharing.VerifyOptions{}, now, sharing.ErrMalformed},
		{"expired", c.Token, sharing.VerifyOptions{}, c.Expires.Add(2 * time.Minute), sharing.ErrExpired},
		{"other challenge", c.Token, sharing.VerifyOptions{Challenge: "ZZZZ9999"}, now, sharing.ErrNonce},
		{"other issuer", c.Token, sharing.VerifyOptions{Issuer: "https://other.example"}, now, sharing.ErrIssuer},
		{"prefix only", sharing.CompactPrefix, sharing.VerifyOptions{}, now, sharing.ErrMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sharing.VerifyAny(tc.token, keys, tc.now, tc.opts)
			require.Error(t, err)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
			}
		})
	}
	_, err := sharing.VerifyAny(c.Token, other.jwks(), now, sharing.VerifyOptions{})
	require.ErrorIs(t, err, sharing.ErrSignature, "signed by another key with the same kid")
	// An SD-JWT is not taken for a compact credential nor the reverse.
	sd := f.issue(t, 2, identity, "")
	_, err = sharing.VerifyCompact(sd.Token, keys, now, sharing.VerifyOptions{})
	require.ErrorIs(t, err, sharing.ErrMalformed)
}
