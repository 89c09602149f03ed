// Package oidc is the OpenID Connect provider: the fosite composition, the
// signing keys and their JWKS, the discovery document, the relying-party
// registry, subject identifiers, assurance (acr/amr) rules and the assembly
// of ID-token and userinfo claims.
//
// It declares the storage contracts it needs (Store, ClientStore, KeyStore),
// implemented on PostgreSQL by oidc/postgres, and the interfaces it consumes
// from the rest of the product (Accounts, ConsentDecider, audit.Recorder).
// It never speaks HTTP itself (oidc/web does), never renders HTML and never
// touches browser sessions. Claims are read only through attributes.Registry
// and attributes.DocumentSource, so no code path here can reach biometric
// data.
package oidc
