package keyderive_test

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/internal/keyderive"
)

// TestKeyIsStable pins the derivation: the expected values were computed by
// accounts.DeriveKey before it moved here (and agree with
// `printf 'dinhdanh/totp' | openssl dgst -sha256 -mac HMAC -macopt hexkey:01…01`).
// A change here makes sealed TOTP secrets, signing keys and tokens unreadable.
func TestKeyIsStable(t *testing.T) {
	one, two := bytes.Repeat([]byte{0x01}, 32), bytes.Repeat([]byte{0x02}, 32)
	cases := []struct {
		name    string
		root    []byte
		purpose string
		want    string
	}{
		{"totp", one, "totp", "2c052b4a023ef7e99461cd4ef1db126b2f4c5e350298bba1fddf1e71980c7747"},
		{"signing keys", one, "signing-keys", "7c3cc06ac46680788961a9cce40eafee5f673b0aa2104820fa838819e601a390"},
		{"sms code", two, "sms-code", "f47f72e2532445e4018d2c5a233e9827a14ebecf68a4916eefb9b05fc49e6b6b"},
		{"fosite tokens", two, "fosite-tokens", "28aa257b7f16f918f70dfbaa0851eef9c3ec73db5eaf09e80ac33f3fb11ce8af"},
		{"empty", nil, "", "0d399a7ef3a2cd5f73c4ac7e2bedb71a3f70fbb47a60a1bd242c68dbbde5d4f7"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := keyderive.Key(tc.root, tc.purpose)
			require.Len(t, got, 32)
			require.Equal(t, tc.want, hex.EncodeToString(got))
		})
	}
	require.NotEqual(t, keyderive.Key(one, "totp"), keyderive.Key(two, "totp"), "root secrets must separate keys")
}
