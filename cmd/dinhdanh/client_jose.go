package main

import (
	"flag"

	"github.com/dinhdanh/dinhdanh/oidc"
)

// responseFlag is one flag setting a piece of client metadata for signed
// and encrypted responses (oidc.ResponseSecurity).
type responseFlag struct {
	name, usage string
	field       func(c *oidc.Client) *string
}

var responseFlagTable = []responseFlag{
	{"id-token-enc-alg", "id_token_encrypted_response_alg: RSA-OAEP-256, ECDH-ES+A256KW or ECDH-ES (needs an enc key in jwks or jwks_uri)",
		func(c *oidc.Client) *string { return &c.IDTokenEncryptedResponseAlg }},
	{"id-token-enc", "id_token_encrypted_response_enc: A256GCM or A128CBC-HS256 (default)",
		func(c *oidc.Client) *string { return &c.IDTokenEncryptedResponseEnc }},
	{"userinfo-alg", "userinfo_signed_response_alg: ES256 or RS256 (userinfo as a signed JWT)",
		func(c *oidc.Client) *string { return &c.UserinfoSignedResponseAlg }},
	{"userinfo-enc-alg", "userinfo_encrypted_response_alg: RSA-OAEP-256, ECDH-ES+A256KW or ECDH-ES",
		func(c *oidc.Client) *string { return &c.UserinfoEncryptedResponseAlg }},
	{"userinfo-enc", "userinfo_encrypted_response_enc: A256GCM or A128CBC-HS256 (default)",
		func(c *oidc.Client) *string { return &c.UserinfoEncryptedResponseEnc }},
	{"authorization-alg", "authorization_signed_response_alg (JARM): ES256 (default) or RS256",
		func(c *oidc.Client) *string { return &c.AuthorizationSignedResponseAlg }},
	{"authorization-enc-alg", "authorization_encrypted_response_alg (JARM): RSA-OAEP-256, ECDH-ES+A256KW or ECDH-ES",
		func(c *oidc.Client) *string { return &c.AuthorizationEncryptedResponseAlg }},
	{"authorization-enc", "authorization_encrypted_response_enc (JARM): A256GCM or A128CBC-HS256 (default)",
		func(c *oidc.Client) *string { return &c.AuthorizationEncryptedResponseEnc }},
	{"introspection-alg", "introspection_signed_response_alg (RFC 9701, for resource servers): ES256 (default) or RS256",
		func(c *oidc.Client) *string { return &c.IntrospectionSignedResponseAlg }},
	{"introspection-enc-alg", "introspection_encrypted_response_alg (RFC 9701): RSA-OAEP-256, ECDH-ES+A256KW or ECDH-ES",
		func(c *oidc.Client) *string { return &c.IntrospectionEncryptedResponseAlg }},
	{"introspection-enc", "introspection_encrypted_response_enc: A256GCM or A128CBC-HS256 (default)",
		func(c *oidc.Client) *string { return &c.IntrospectionEncryptedResponseEnc }},
}

// responseFlags hold the values of responseFlagTable's flags, by name.
type responseFlags struct{ values map[string]*string }

func (f *responseFlags) register(fs *flag.FlagSet) {
	f.values = make(map[string]*string, len(responseFlagTable))
	for _, rf := range responseFlagTable {
		f.values[rf.name] = fs.String(rf.name, "", rf.usage)
	}
}

// apply copies the flag named name, if it is one of these, into c.
func (f *responseFlags) apply(name string, c *oidc.Client) {
	for _, rf := range responseFlagTable {
		if rf.name == name {
			*rf.field(c) = *f.values[name]
			return
		}
	}
}

// printResponseSecurity writes the registered response algorithms.
func printResponseSecurity(row func(k, v string), c oidc.Client) {
	pair := func(alg, enc string) string {
		if alg == "" {
			return ""
		}
		return alg + " " + enc
	}
	row("id_token_encryption", pair(c.IDTokenEncryptedResponseAlg, c.IDTokenEncryptedResponseEnc))
	row("userinfo_signed_response_alg", c.UserinfoSignedResponseAlg)
	row("userinfo_encryption", pair(c.UserinfoEncryptedResponseAlg, c.UserinfoEncryptedResponseEnc))
	row("authorization_signed_response_alg", c.AuthorizationSignedResponseAlg)
	row("authorization_encryption", pair(c.AuthorizationEncryptedResponseAlg, c.AuthorizationEncryptedResponseEnc))
	row("introspection_signed_response_alg", c.IntrospectionSignedResponseAlg)
	row("introspection_encryption", pair(c.IntrospectionEncryptedResponseAlg, c.IntrospectionEncryptedResponseEnc))
}
