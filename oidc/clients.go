package oidc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/audit"
)

// Clients is the relying-party registry service used by the admin API and
// the CLI (dinhdanh client create|list|show|update|disable).
type Clients struct {
	Store  ClientStore
	Hasher *SecretHasher
	Audit  audit.Recorder // may be nil in tools that have none
	Now    func() time.Time
}

func (s *Clients) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Clients) record(ctx context.Context, actor, clientID, reason string) error {
	if s.Audit == nil {
		return nil
	}
	return s.Audit.Record(ctx, audit.Event{
		Type: audit.ClientChanged, ActorKind: audit.Operator, ActorID: actor,
		ClientID: clientID, Outcome: audit.Success, Reason: reason,
	})
}

// Create registers c from the CLI or the admin API. An empty ID gets a
// random one. Confidential clients (client_secret_basic/post) get a
// secret, returned once and stored only as its keyed hash.
//
// A client registered here is usable at once, with no second operator's
// approval (Approval is cleared): the CLI and the admin API are the
// deployment's own tools, reached with the database's credentials or the
// admin token, whose holder can change any client directly, so a
// four-eyes rule there would be a formality; the operators' console, where
// staff members act under their own names, is where a relying party is
// proposed (Propose) and approved by another operator (Approve).
func (s *Clients) Create(ctx context.Context, actor string, c Client) (Client, string, error) {
	c.Approval = Approval{}
	c.Organisation.Name, c.Organisation.Code = strings.TrimSpace(c.Organisation.Name), strings.TrimSpace(c.Organisation.Code)
	var orgErr error
	if c.Organisation.Code != "" && !validOrgCode(c.Organisation.Code) {
		orgErr = &OnboardingError{Fields: []string{"organisation_code"}}
	}
	return s.create(ctx, c, orgErr, func(ctx context.Context, c Client) error {
		return s.record(ctx, actor, c.ID, "created")
	})
}

// create validates and stores c; pre is an error found before (joined to
// Validate's, so that every problem is told at once); record audits the
// creation in its transaction.
func (s *Clients) create(ctx context.Context, c Client, pre error, record func(ctx context.Context, c Client) error) (Client, string, error) {
	if c.ID == "" {
		var b [12]byte
		_, _ = rand.Read(b[:])
		c.ID = hex.EncodeToString(b[:])
	}
	c.Normalize()
	if err := c.Validate(); err != nil || pre != nil {
		return Client{}, "", errors.Join(pre, err)
	}
	policy, err := s.KindPolicy(ctx)
	if err != nil {
		return Client{}, "", err
	}
	if err := policy.Check(&c); err != nil {
		return Client{}, "", err
	}
	var secret string
	c.SecretHash = nil
	if c.TokenEndpointAuthMethod == AuthClientSecretBasic || c.TokenEndpointAuthMethod == AuthClientSecretPost {
		secret = NewSecret()
		c.SecretHash, _ = s.Hasher.Hash(ctx, []byte(secret))
	}
	c.CreatedAt = s.now()
	c.UpdatedAt = c.CreatedAt
	// The audit event is recorded before the client commits: a client the
	// audit log does not know of never exists, and one whose secret was
	// never shown (the call failed) is not left behind.
	err = s.inTx(ctx, func(ctx context.Context) error {
		if err := s.Store.CreateClient(ctx, c); err != nil {
			return fmt.Errorf("oidc: create client %q: %w", c.ID, err)
		}
		return record(ctx, c)
	})
	if err != nil {
		return Client{}, "", err
	}
	c.SecretHash = nil
	return c, secret, nil
}

// txStore is a ClientStore that can run calls in one transaction (the
// PostgreSQL store).
type txStore interface {
	BeginTX(ctx context.Context) (context.Context, error)
	Commit(ctx context.Context) error
	Rollback(ctx context.Context) error
}

// inTx runs fn in a transaction of the store when it has them, plainly
// otherwise.
func (s *Clients) inTx(ctx context.Context, fn func(ctx context.Context) error) error {
	ts, ok := s.Store.(txStore)
	if !ok {
		return fn(ctx)
	}
	tctx, err := ts.BeginTX(ctx)
	if err != nil {
		return fmt.Errorf("oidc: clients: %w", err)
	}
	if err := fn(tctx); err != nil {
		_ = ts.Rollback(tctx)
		return err
	}
	if err := ts.Commit(tctx); err != nil {
		return fmt.Errorf("oidc: clients: %w", err)
	}
	return nil
}

// Get returns a client (disabled ones included).
func (s *Clients) Get(ctx context.Context, id string) (Client, error) {
	c, err := s.Store.LoadClient(ctx, id)
	c.SecretHash = nil
	return c, err
}

// List returns every client.
func (s *Clients) List(ctx context.Context) ([]Client, error) {
	cs, err := s.Store.ListClients(ctx)
	for i := range cs {
		cs[i].SecretHash = nil
	}
	return cs, err
}

// Update applies fn to the client and validates the result. The id, secret
// and creation time cannot change here; a changed purpose text bumps its
// version (consent given to an older text is then stale). A scope added
// must be one the kind policy allows the client's kind; a scope it had
// before and the policy no longer allows stays registered (so that the
// client can still be disabled or edited) but is refused at authorization.
func (s *Clients) Update(ctx context.Context, actor, id string, fn func(*Client) error) (Client, error) {
	// Read before the row is locked: never hold a connection while
	// waiting for a second one.
	policy, err := s.KindPolicy(ctx)
	if err != nil {
		return Client{}, err
	}
	c, err := s.Store.UpdateClient(ctx, id, func(c *Client) error {
		before := *c
		if err := fn(c); err != nil {
			return err
		}
		// The approval is the console's: no update (the admin API's JSON
		// merge included) approves a client or forges who did.
		c.ID, c.SecretHash, c.CreatedAt, c.Approval = before.ID, before.SecretHash, before.CreatedAt, before.Approval
		c.Organisation.Name, c.Organisation.Code = strings.TrimSpace(c.Organisation.Name), strings.TrimSpace(c.Organisation.Code)
		if c.Organisation.Code != "" && !validOrgCode(c.Organisation.Code) {
			return &OnboardingError{Fields: []string{"organisation_code"}}
		}
		if before.Profile == ProfileDefault && c.Profile == ProfileDefault {
			// Registered before profiles existed: an update does not move
			// a bank to fapi2 behind its back (its secret would stop
			// working); the operator sets profile fapi2 to move it.
			c.Profile = ProfileBaseline
		}
		if c.Purpose != before.Purpose && c.PurposeVersion <= before.PurposeVersion {
			c.PurposeVersion = before.PurposeVersion + 1
		}
		c.Normalize()
		if err := c.Validate(); err != nil {
			return err
		}
		if before.Kind != c.Kind {
			if err := policy.Check(c); err != nil {
				return err
			}
		} else {
			added := *c
			added.Scopes = slices.DeleteFunc(slices.Clone(c.Scopes), func(s string) bool { return slices.Contains(before.Scopes, s) })
			if err := policy.Check(&added); err != nil {
				return err
			}
		}
		c.UpdatedAt = s.now()
		// Audited before the change commits: an audit failure leaves the
		// client as it was.
		return s.record(ctx, actor, id, "updated")
	})
	if err != nil {
		return Client{}, err
	}
	c.SecretHash = nil
	return c, nil
}

// Disable stops a client: its tokens stop working and it can get no more.
func (s *Clients) Disable(ctx context.Context, actor, id string) (Client, error) {
	return s.Update(ctx, actor, id, func(c *Client) error { c.Disabled = true; return nil })
}

// RotateSecret replaces a confidential client's secret and returns the new
// one, once.
func (s *Clients) RotateSecret(ctx context.Context, actor, id string) (string, error) {
	return s.rotateSecret(ctx, id, func(ctx context.Context) error { return s.record(ctx, actor, id, "secret_rotated") })
}

func (s *Clients) rotateSecret(ctx context.Context, id string, record func(ctx context.Context) error) (string, error) {
	secret := NewSecret()
	_, err := s.Store.UpdateClient(ctx, id, func(c *Client) error {
		if c.TokenEndpointAuthMethod != AuthClientSecretBasic && c.TokenEndpointAuthMethod != AuthClientSecretPost {
			return fmt.Errorf("%w: client %q does not use a secret", ErrInvalidClient, id)
		}
		c.SecretHash, _ = s.Hasher.Hash(ctx, []byte(secret))
		c.UpdatedAt = s.now()
		// Audited before the new secret commits: if the audit fails the old
		// secret keeps working, rather than being replaced by one nobody
		// was shown.
		return record(ctx)
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}
