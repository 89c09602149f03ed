package oidc

import (
	"context"
	"net/url"
	"slices"
	"time"

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
	// Scopes are the requested scopes the client may use.
	Scopes []string
	// Claims are every claim name the request would release: those the
	// scopes imply under the release policy plus those requested one by one
	// through the claims parameter.
	Claims []string
	// Prompt is set for prompt=consent: the relying party wants the citizen
	// asked again even if consent was given before.
	Prompt bool
	// PromptNone is set for prompt=none: the citizen cannot be asked
	// (OpenID Connect Core §3.1.2.1).
	PromptNone bool
}

// ConsentDecision is the outcome. When NeedsPrompt is set, the web layer
// parks the request as a consent challenge and sends the browser to the
// consent screen or, for prompt=none, answers consent_required.
type ConsentDecision struct {
	// Scopes and Claims are what may be released without asking; only
	// claims listed in Claims are released, whatever the scopes imply.
	Scopes      []string
	Claims      []string
	NeedsPrompt bool
	// Reason says why the citizen must be asked (for the screen).
	Reason string
}

// ConsentDecider decides what to grant without asking, or that the citizen
// must be asked. It returns ErrConsentRefused when consent was refused.
type ConsentDecider interface {
	Decide(ctx context.Context, r ConsentRequest) (ConsentDecision, error)
}

// ConsentEvents is what a ConsentDecider may also implement to follow the
// use of consents: the web layer calls it, best effort, after the store
// work of a request is done (never while holding a store connection).
type ConsentEvents interface {
	// ConsentUsed: clientID was issued or refreshed a token for accountID,
	// or read its userinfo.
	ConsentUsed(ctx context.Context, accountID, clientID string) error
	// SignedOut: the citizen ended the sign-in session sid at the gateway,
	// so relying parties are told (back-channel logout).
	SignedOut(ctx context.Context, accountID, sid string) error
}

// AutoConsent grants whatever was requested and allowed, as a first-party
// provider would, and never asks. It is for tests and first-party
// deployments only: a gateway serving third parties uses the consent
// service's decider (package gateway/consentlink).
type AutoConsent struct{}

// Decide implements ConsentDecider.
func (AutoConsent) Decide(_ context.Context, r ConsentRequest) (ConsentDecision, error) {
	return ConsentDecision{Scopes: slices.Clone(r.Scopes), Claims: slices.Clone(r.Claims)}, nil
}

// ChallengeLifespan is how long a parked authorization request waits for
// the citizen's answer on the consent screen.
const ChallengeLifespan = 10 * time.Minute

// Challenge is an authorization request parked while the citizen is asked
// for consent. It holds what is needed to resume the request (its validated
// parameters and the sign-in that satisfied it), never attribute values.
type Challenge struct {
	// ID is random and unguessable; it is the challenge parameter of the
	// consent screen.
	ID        string
	AccountID string
	// ActingFor is the dependent the guardian (AccountID) acts for; its
	// consent records get the answer. "" when not acting.
	ActingFor string
	ClientID  string
	// Form holds the authorization request's parameters, a pushed request
	// already resolved (request_uri removed).
	Form url.Values
	// SignIn and RequestedAt are those the request was accepted with.
	SignIn      SignIn
	RequestedAt time.Time
	// Scopes requested; Claims requested one by one (claims parameter);
	// Essential the claims marked essential there.
	Scopes    []string
	Claims    []string
	Essential []string
	ACR       string
	UILocales string
	Reason    string
	CreatedAt time.Time
	ExpiresAt time.Time
	// Answer is the citizen's, once given (AnswerChallenge).
	Answer *ChallengeAnswer
}

// ChallengeAnswer is the citizen's answer on the consent screen: approved or
// not, and if approved exactly the scopes and claims approved.
type ChallengeAnswer struct {
	Approved bool     `json:"approved"`
	Scopes   []string `json:"scopes,omitempty"`
	Claims   []string `json:"claims,omitempty"`
}

// ChallengeStore keeps consent challenges. A challenge is answered once:
// Begin marks it answered (so two submissions of one screen cannot both
// record a consent) and Take removes it.
type ChallengeStore interface {
	// CreateChallenge stores c. If parRequestURI is not empty the pushed
	// request is deleted in the same transaction (it is now the
	// challenge's); ErrNotFound if it was already used.
	CreateChallenge(ctx context.Context, c Challenge, parRequestURI string) error
	// GetChallenge returns an unanswered challenge that has not expired at
	// now; ErrNotFound otherwise.
	GetChallenge(ctx context.Context, id string, now time.Time) (Challenge, error)
	// BeginChallenge marks the challenge answered and returns it;
	// ErrNotFound if it is unknown, expired or already answered.
	BeginChallenge(ctx context.Context, id string, now time.Time) (Challenge, error)
	// AnswerChallenge keeps the answer on a begun challenge that has none;
	// ErrNotFound if it is unknown, expired, not begun or already answered.
	AnswerChallenge(ctx context.Context, id string, a ChallengeAnswer, now time.Time) error
	// TakeChallenge deletes the challenge and returns it; ErrNotFound if it
	// is unknown, expired or already taken.
	TakeChallenge(ctx context.Context, id string, now time.Time) (Challenge, error)
	// DeleteExpiredChallenges removes challenges that expired before t.
	DeleteExpiredChallenges(ctx context.Context, t time.Time) (int64, error)
}
