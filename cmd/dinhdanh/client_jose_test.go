package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/oidc"
)

// The flags of signed and encrypted responses round-trip, enc defaults to
// A128CBC-HS256, and an encryption without a key to encrypt to is refused
// with the reason.
func TestClientResponseSecurityFlags(t *testing.T) {
	toolEnv(t)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	set, err := json.Marshal(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: key.Public(), KeyID: "enc-1", Use: "enc"}}})
	require.NoError(t, err)
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	require.NoError(t, os.WriteFile(jwks, set, 0o600))

	out := dd(t, "client", "create", "-id", "rp-jwe", "-name-vi", "Dịch vụ", "-redirect-uri", "https://rp.example/cb",
		"-jwks-file", jwks, "-id-token-enc-alg", "ECDH-ES+A256KW", "-userinfo-alg", "ES256",
		"-userinfo-enc-alg", "ECDH-ES", "-userinfo-enc", "A256GCM", "-authorization-alg", "RS256", "-introspection-alg", "RS256",
		"-introspection-enc-alg", "ECDH-ES+A256KW", "-introspection-enc", "A256GCM")
	require.Regexp(t, `id_token_encryption:\s+ECDH-ES\+A256KW A128CBC-HS256`, out)
	require.Regexp(t, `userinfo_encryption:\s+ECDH-ES A256GCM`, out)
	var c oidc.Client
	require.NoError(t, json.Unmarshal([]byte(dd(t, "client", "show", "rp-jwe", "-json")), &c))
	require.Equal(t, oidc.ResponseSecurity{
		IDTokenEncryptedResponseAlg: "ECDH-ES+A256KW", IDTokenEncryptedResponseEnc: "A128CBC-HS256",
		UserinfoSignedResponseAlg: "ES256", UserinfoEncryptedResponseAlg: "ECDH-ES", UserinfoEncryptedResponseEnc: "A256GCM",
		AuthorizationSignedResponseAlg: "RS256", IntrospectionSignedResponseAlg: "RS256",
		IntrospectionEncryptedResponseAlg: "ECDH-ES+A256KW", IntrospectionEncryptedResponseEnc: "A256GCM",
	}, c.ResponseSecurity)

	_, _, err = ddErr(t, "client", "update", "rp-jwe", "-authorization-enc-alg", "RSA-OAEP-256")
	require.ErrorContains(t, err, `authorization_encrypted_response_alg RSA-OAEP-256: jwks has no RSA key with use "enc"`)
}
