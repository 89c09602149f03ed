// Package dpop checks DPoP proofs (RFC 9449, OAuth 2.0 Demonstrating Proof
// of Possession): the proof JWT a client sends in the DPoP header of a token
// or resource request, and the server nonces (DPoP-Nonce) it must carry.
//
// It is stateless and speaks no HTTP: the caller passes the header value,
// the method and the URL it expects; replay of a proof's jti is refused by
// the caller against a store shared by every replica (package oidc declares
// it). Nonces are an HMAC over a five-minute window under a key every replica
// derives from the same secret, so any replica accepts another's nonce and
// rotation needs no coordination.
package dpop
