// Package backchannel sends OpenID Connect Back-Channel Logout 1.0
// notifications: when a citizen revokes a consent, signs out or has the
// account locked, each relying party that registered a
// backchannel_logout_uri gets a signed logout token by a direct POST.
//
// Notifications are queued durably first (Queue, kept in PostgreSQL by
// consent/postgres) and sent by a worker (Run) that retries failures with
// exponential backoff and records every attempt. It implements
// consent.LogoutNotifier; the logout token is signed by the injected
// consent.Signer (the gateway's OIDC signing key). It holds no consent
// rules.
package backchannel
