// Package consent owns what each citizen allowed each relying party to read:
// the append-only record of grants and revocations (citizen × client ×
// scopes and claim names × purpose version × expiry), the decision whether a
// request is covered or needs the consent screen, revocation with its
// effects (tokens stop working, back-channel logout), and signed consent
// receipts.
//
// Every change is appended, never overwritten, so the consent in force at any
// past moment can be shown (Store.AsOf). Every grant, refusal, revocation and
// receipt download is an audit event.
//
// It speaks no HTTP and knows no SQL: the store lives in consent/postgres,
// the screens in consent/web, the back-channel logout sender in
// consent/backchannel. What it needs from the OIDC provider (killing tokens,
// signing JWTs) it declares as small interfaces here.
package consent
