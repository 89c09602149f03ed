// Package consentlink connects the OpenID Connect provider (packages oidc
// and oidc/web) with the consent service (packages consent, consent/web and
// consent/backchannel), which cannot import oidc. One Link, built once in
// cmd, implements what each side declares of the other:
//
//   - for oidc: the ConsentDecider (and ConsentEvents) backed by
//     consent.Service;
//   - for consent: TokenRevoker (the oidc token store) and Signer (the
//     gateway's signing keys);
//   - for consent/web: Challenges (parked authorization requests of
//     oidc/web), ValuePreview (attribute values through the release policy),
//     Clients and Subjects;
//   - for consent/backchannel: Clients and Subjects.
//
// It holds no state of its own and decides nothing: the rules stay in
// consent, the protocol in oidc.
package consentlink
