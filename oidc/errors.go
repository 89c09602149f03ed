package oidc

import "errors"

// Sentinel errors of the relying-party registry and key stores.
var (
	ErrNotFound      = errors.New("oidc: not found")
	ErrAlreadyExists = errors.New("oidc: already exists")
	ErrInvalidClient = errors.New("oidc: invalid client registration")
	ErrNoSigningKey  = errors.New("oidc: no signing key")
	// ErrConsentRefused is returned by a ConsentDecider when the citizen
	// refused; the authorization request ends with access_denied.
	ErrConsentRefused = errors.New("oidc: consent refused")
)
