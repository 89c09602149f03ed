package oidc

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ory/fosite"

	"github.com/dinhdanh/dinhdanh/audit"

	"github.com/dinhdanh/dinhdanh/internal/keyderive"
	"github.com/dinhdanh/dinhdanh/oidc/dpop"
)

// Sender is how a request presented its token and proved possession of a
// key (RFC 9449), as the web layer read it.
type Sender struct {
	// Scheme is the Authorization scheme at a protected resource: "DPoP",
	// "Bearer", or "" (none, or another).
	Scheme string
	// Proof is the DPoP header ("" when absent); Proofs how many DPoP
	// headers the request had (RFC 9449 §4.3 check 1: at most one).
	Proof  string
	Proofs int
	// Method is the HTTP method, for htm.
	Method string
}

// ErrDPoPBound: a DPoP-bound access token was presented as a bearer token
// (RFC 9449 §7.2); the web layer answers with a DPoP challenge.
var ErrDPoPBound = errors.New("oidc: the access token is DPoP-bound")

// errBoundMisuse marks a refusal of a bound grant or token presented
// without a proof by its key: at the token endpoint a refresh with another
// key's proof or none, at a resource the token under the Bearer scheme or
// with another key's proof. An honest client never does this; a thief of
// the refresh or access token does, so it goes into the citizen's history.
var errBoundMisuse = errors.New("oidc: a DPoP-bound grant presented without its key")

// boundMisuse is a DPoP refusal (code invalid_dpop_proof, for errors.As)
// marked errBoundMisuse (for errors.Is).
func boundMisuse(desc string) error {
	return fmt.Errorf("%w: %w", errBoundMisuse, &dpop.Error{Code: dpop.ErrInvalidProof.Code, Description: desc})
}

// recordBoundMisuse writes errBoundMisuse refusals into the citizen's
// history (others pass): where says which endpoint, presented what came
// instead of a proof by the grant's key.
func (p *Provider) recordBoundMisuse(ctx context.Context, err error, ar fosite.Requester, where string, meta Meta) {
	if !errors.Is(err, errBoundMisuse) && !errors.Is(err, ErrDPoPBound) || ar == nil {
		return
	}
	sess, _ := ar.GetSession().(*Session)
	if sess == nil || sess.AccountID == "" {
		return
	}
	e := audit.Event{Type: audit.TokenKeyMismatch, ActorKind: audit.Client, AccountID: sess.AccountID,
		Outcome: audit.Denied, Reason: where, Detail: map[string]string{"presented": presented(meta.Sender)}}
	if c := ar.GetClient(); c != nil {
		e.ActorID, e.ClientID = c.GetID(), c.GetID()
	}
	if aerr := p.Record(ctx, meta.stamp(e)); aerr != nil {
		p.Logger.ErrorContext(ctx, "audit dpop key mismatch", "error", aerr, "request_id", meta.RequestID)
	}
}

// presented names what a request offered in place of a proof by the
// grant's key.
func presented(s Sender) string {
	switch {
	case s.Proofs == 0 && s.Scheme == "Bearer":
		return "bearer"
	case s.Proofs == 0:
		return "no_proof"
	}
	return "another_key"
}

// dpopSkew is kept on top of a proof's iat window before its jti is
// forgotten, for clocks of replicas that differ a little.
const dpopSkew = time.Minute

func newDPoPVerifier(tokenSecret []byte, now func() time.Time) *dpop.Verifier {
	return &dpop.Verifier{
		// Derived from the token secret, so every replica issues and
		// accepts the same nonces.
		Nonces: dpop.NewNonces(keyderive.Key(tokenSecret, "oidc/dpop-nonce"), now),
		Now:    now,
	}
}

// DPoPNonce is the server nonce to send in a DPoP-Nonce header now
// (RFC 9449 §8, §9); it rotates every dpop.NoncePeriod.
func (p *Provider) DPoPNonce() string { return p.dpop.Nonces.Current() }

// DPoPAlgs are the proof algorithms accepted.
func DPoPAlgs() []string { return dpop.AlgNames() }

// tokenProof checks the DPoP proof of a token request (RFC 9449 §5), if it
// has one, before the grant is read: a refusal here (a bad or stale proof,
// a missing or old nonce, a replayed jti) leaves the code or refresh token
// untouched, so the client can retry with the nonce it was given. A proof
// must carry a server nonce. Refusals: invalid_dpop_proof, use_dpop_nonce.
func (p *Provider) tokenProof(ctx context.Context, s Sender) (*dpop.Claim, error) {
	if s.Proofs == 0 {
		return nil, nil
	}
	if s.Proofs > 1 {
		return nil, dpopFosite(&dpop.Error{Code: dpop.ErrInvalidProof.Code, Description: "send one DPoP header"})
	}
	c, err := p.dpop.Check(dpop.Request{Proof: s.Proof, Method: "POST", URL: p.Issuer + PathToken, RequireNonce: true})
	if err != nil {
		return nil, dpopFosite(err)
	}
	if err := p.useProof(ctx, c); err != nil {
		return nil, dpopFosite(unavailable(err))
	}
	return &c, nil
}

// bindDPoP binds a grant to the key of its proof: the session, stored with
// the access and refresh tokens, carries the key's thumbprint (cnf.jkt),
// and a bound grant's refresh needs a proof by the same key (RFC 9449 §5
// asks it for public clients; here for every client, as FAPI 2.0 does).
// It returns the thumbprint, or "" for a bearer grant.
//
// Refusals, all invalid_dpop_proof: no proof where one is needed (a fapi2
// client, a bound refresh token), and a proof by another key than the
// grant's (it proves possession of the wrong key; RFC 9449 names no code
// for it, invalid_grant would suggest the refresh token itself is bad).
func (p *Provider) bindDPoP(ar fosite.AccessRequester, client *Client, proof *dpop.Claim) (string, error) {
	sess, _ := ar.GetSession().(*Session)
	boundJKT := ""
	if sess != nil {
		boundJKT = sess.JKT
	}
	if proof == nil {
		switch {
		case boundJKT != "":
			return "", dpopFosite(boundMisuse("the grant is bound to a DPoP key; send a DPoP proof made with it"))
		case client != nil && client.FAPI2():
			return "", dpopFosite(&dpop.Error{Code: dpop.ErrInvalidProof.Code, Description: "this client's tokens are sender-constrained; send a DPoP proof"})
		}
		return "", nil
	}
	if boundJKT != "" && proof.JKT != boundJKT {
		return "", dpopFosite(boundMisuse("the grant is bound to another DPoP key"))
	}
	if sess != nil {
		sess.JKT = proof.JKT
	}
	return proof.JKT, nil
}

// resourceDPoP checks how an access token was presented at a protected
// resource (RFC 9449 §7): a DPoP-bound token needs the DPoP scheme and a
// proof by its key over this request and token (ath), with a server nonce;
// an unbound token the Bearer scheme. Errors: ErrDPoPBound, ErrInvalidToken
// (an unbound token under the DPoP scheme), dpop.ErrInvalidProof,
// dpop.ErrUseNonce, ErrUnavailable.
func (p *Provider) resourceDPoP(ctx context.Context, ar fosite.Requester, token, url string, s Sender) error {
	sess, _ := ar.GetSession().(*Session)
	if sess == nil || sess.JKT == "" {
		if s.Scheme == "DPoP" {
			return fmt.Errorf("%w: the access token is not DPoP-bound; use the Bearer scheme", ErrInvalidToken)
		}
		return nil
	}
	if s.Scheme != "DPoP" {
		return ErrDPoPBound
	}
	if s.Proofs > 1 {
		return &dpop.Error{Code: dpop.ErrInvalidProof.Code, Description: "send one DPoP header"}
	}
	c, err := p.dpop.Check(dpop.Request{Proof: s.Proof, Method: s.Method, URL: url, AccessToken: token, RequireNonce: true})
	if err != nil {
		return err
	}
	if c.JKT != sess.JKT {
		return boundMisuse("the DPoP proof is not made with the key the access token is bound to")
	}
	return p.useProof(ctx, c)
}

// useProof refuses a proof whose jti was seen (on any replica) within its
// window (RFC 9449 §11.1).
func (p *Provider) useProof(ctx context.Context, c dpop.Claim) error {
	ok, err := p.Store.UseDPoPProof(ctx, c.JKT, c.JTI, c.Expires.Add(dpopSkew))
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	if !ok {
		return &dpop.Error{Code: dpop.ErrInvalidProof.Code, Description: "the DPoP proof was already used (jti)"}
	}
	return nil
}

// dpopFosite turns a DPoP refusal into the token endpoint's error (RFC 9449
// §5: 400 with invalid_dpop_proof or use_dpop_nonce); others pass.
func dpopFosite(err error) error {
	var de *dpop.Error
	if errors.As(err, &de) {
		return (&fosite.RFC6749Error{ErrorField: de.Code, DescriptionField: de.Description, CodeField: 400}).WithWrap(err)
	}
	return err
}
