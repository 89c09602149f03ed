package main

import (
	"flag"

	"github.com/dinhdanh/dinhdanh/oidc"
)

// responseFlags set the client metadata of signed and encrypted responses
// (oidc.ResponseSecurity).
type responseFlags struct {
	idTokenEncAlg, idTokenEnc             string
	userinfoAlg, userinfoEncAlg, userinfo string
	jarmAlg, jarmEncAlg, jarmEnc          string
	introspectionAlg, introspectionEncAlg string
	introspectionEnc                      string
}

func (f *responseFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.idTokenEncAlg, "id-token-enc-alg", "", "id_token_encrypted_response_alg: RSA-OAEP-256, ECDH-ES+A256KW or ECDH-ES (needs an enc key in jwks or jwks_uri)")
	fs.StringVar(&f.idTokenEnc, "id-token-enc", "", "id_token_encrypted_response_enc: A256GCM or A128CBC-HS256 (default)")
	fs.StringVar(&f.userinfoAlg, "userinfo-alg", "", "userinfo_signed_response_alg: ES256 or RS256 (userinfo as a signed JWT)")
	fs.StringVar(&f.userinfoEncAlg, "userinfo-enc-alg", "", "userinfo_encrypted_response_alg: RSA-OAEP-256, ECDH-ES+A256KW or ECDH-ES")
	fs.StringVar(&f.userinfo, "userinfo-enc", "", "userinfo_encrypted_response_enc: A256GCM or A128CBC-HS256 (default)")
	fs.StringVar(&f.jarmAlg, "authorization-alg", "", "authorization_signed_response_alg (JARM): ES256 (default) or RS256")
	fs.StringVar(&f.jarmEncAlg, "authorization-enc-alg", "", "authorization_encrypted_response_alg (JARM): RSA-OAEP-256, ECDH-ES+A256KW or ECDH-ES")
	fs.StringVar(&f.jarmEnc, "authorization-enc", "", "authorization_encrypted_response_enc (JARM): A256GCM or A128CBC-HS256 (default)")
	fs.StringVar(&f.introspectionEncAlg, "introspection-enc-alg", "", "introspection_encrypted_response_alg (RFC 9701): RSA-OAEP-256, ECDH-ES+A256KW or ECDH-ES")
	fs.StringVar(&f.introspectionEnc, "introspection-enc", "", "introspection_encrypted_response_enc: A256GCM or A128CBC-HS256 (default)")
	fs.StringVar(&f.introspectionAlg, "introspection-alg", "", "introspection_signed_response_alg (RFC 9701, for resource servers): ES256 (default) or RS256")
}

// apply copies the flag named name, if it is one of these, into c.
func (f *responseFlags) apply(name string, c *oidc.Client) {
	switch name {
	case "id-token-enc-alg":
		c.IDTokenEncryptedResponseAlg = f.idTokenEncAlg
	case "id-token-enc":
		c.IDTokenEncryptedResponseEnc = f.idTokenEnc
	case "userinfo-alg":
		c.UserinfoSignedResponseAlg = f.userinfoAlg
	case "userinfo-enc-alg":
		c.UserinfoEncryptedResponseAlg = f.userinfoEncAlg
	case "userinfo-enc":
		c.UserinfoEncryptedResponseEnc = f.userinfo
	case "authorization-alg":
		c.AuthorizationSignedResponseAlg = f.jarmAlg
	case "authorization-enc-alg":
		c.AuthorizationEncryptedResponseAlg = f.jarmEncAlg
	case "authorization-enc":
		c.AuthorizationEncryptedResponseEnc = f.jarmEnc
	case "introspection-alg":
		c.IntrospectionSignedResponseAlg = f.introspectionAlg
	case "introspection-enc-alg":
		c.IntrospectionEncryptedResponseAlg = f.introspectionEncAlg
	case "introspection-enc":
		c.IntrospectionEncryptedResponseEnc = f.introspectionEnc
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
