// Package consentlink holds the adapters between the OpenID Connect provider
// (package oidc) and the consent service (packages consent, consent/web and
// consent/backchannel), one per direction, each built once by the top floor
// in this order, none changed after construction:
//
//  1. Provider: what consent, consent/web and consent/backchannel declare
//     of the provider (TokenRevoker on the oidc token store, Signer on the
//     gateway's signing keys, Clients, Subjects, ValuePreview), built from
//     the oidc stores and keys before the consent service;
//  2. Decider: what oidc declares of consent (ConsentDecider and
//     ConsentEvents), built from the consent service before the provider;
//  3. Challenges: consent/web's view of the authorization requests the
//     provider parked for the consent screen, built from the provider. The
//     screen records the answer and sends the browser back to the
//     authorization flow (oidc.ResumeURL); it never calls the provider's
//     HTTP handlers.
//
// It holds no state of its own and decides nothing: the rules stay in
// consent, the protocol in oidc.
package consentlink
