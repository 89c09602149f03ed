// Package oidc is the OpenID Connect provider: the fosite composition, the
// signing keys and their JWKS, the discovery document, the relying-party
// registry, subject identifiers and the assembly of ID-token and userinfo
// claims (levels and acr values come from package assurance).
//
// It is the protocol core: ValidateAuthorize checks a whole authorization
// request before any page; Authorize decides it (freshness, prompt,
// max_age, the account's level and status, step-up, consent, issuance);
// ResumeAuthorize finishes one parked for consent; Token, Userinfo,
// Introspect, Revoke and PushAuthorize serve the other endpoints. Each owns
// its transactions and audit events and returns typed results or fosite
// errors; oidc/web only decodes HTTP, calls them and encodes the answer.
//
// Access tokens are fosite's opaque HMAC tokens, or RFC 9068 JWTs for a
// client registered with access_token_format jwt (jwtat.go: what is stored,
// what a resource server validating locally cannot see).
//
// It declares the storage contracts it needs (Store, ClientStore, KeyStore,
// ChallengeStore), implemented on PostgreSQL by oidc/postgres, and the
// interfaces it consumes from the rest of the product (Accounts,
// ConsentDecider, audit.Recorder). It reads fosite's *http.Request but never
// serves HTTP, never renders HTML and never touches browser sessions. Claims
// are read only through attributes.Registry and attributes.DocumentSource,
// so no code path here can reach biometric data.
package oidc
