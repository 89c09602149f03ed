package oidc

import (
	"context"
	"slices"

	"github.com/dinhdanh/dinhdanh/accounts"
)

// Accounts is what the provider needs of the account registry.
type Accounts interface {
	Get(ctx context.Context, id string) (accounts.Account, error)
}

// ConsentRequest is what an authorization request asks a citizen to share.
type ConsentRequest struct {
	AccountID string
	Client    *Client
	// Scopes are the requested scopes the client may use; Claims the claims
	// requested individually through the claims parameter.
	Scopes []string
	Claims []string
	// Prompt is set for prompt=consent: the relying party wants the citizen
	// asked again even if consent was given before.
	Prompt bool
}

// ConsentDecision is the outcome. When NeedsPrompt is set, the web layer
// sends the browser to the consent screen (which records the decision and
// returns to /authorize) or, for prompt=none, answers consent_required.
type ConsentDecision struct {
	Scopes      []string
	Claims      []string
	NeedsPrompt bool
}

// ConsentDecider decides what to grant without asking, or that the citizen
// must be asked. It returns ErrConsentRefused when consent was refused.
type ConsentDecider interface {
	Decide(ctx context.Context, r ConsentRequest) (ConsentDecision, error)
}

// AutoConsent grants whatever was requested and allowed, as a first-party
// provider would. Until the consent screens land (a later issue) it also
// treats prompt=consent as granted: there is no screen to show. Replace it
// with the consent package's decider, which returns NeedsPrompt when no
// current grant covers the request.
type AutoConsent struct{}

// Decide implements ConsentDecider.
func (AutoConsent) Decide(_ context.Context, r ConsentRequest) (ConsentDecision, error) {
	return ConsentDecision{Scopes: slices.Clone(r.Scopes), Claims: slices.Clone(r.Claims)}, nil
}
