// Package web serves the citizen's consent pages: the consent screen after
// sign-in (GET and POST /consent) and the account page (/account) with the
// connected services, revocation, consent receipts and the citizen's own
// data as services would receive it. It drives consent.Service and renders
// with package templates; what it needs from the OIDC provider and the
// attribute sources it declares here as small interfaces (Challenges,
// ValuePreview, Clients, Subjects).
//
// It never shows or offers biometric data: items that look biometric are
// dropped whatever a ValuePreview returns.
package web
