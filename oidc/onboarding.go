package oidc

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dinhdanh/dinhdanh/audit"
)

// Organisation is the organisation that owns a relying party. Code is its
// registration or tax code (mã số doanh nghiệp / mã số thuế, or a public
// body's budget code): stored apart (oidc_clients.org_code) so that the
// organisation's other records (its staff list) find its relying parties
// with Clients.ByOrganisation.
type Organisation struct {
	Name string `json:"name"`
	Code string `json:"code"`
}

// ApprovalState is where a relying party proposed from the console stands.
type ApprovalState string

// Approval states. The zero state is a client that needs no approval (the
// CLI's and the admin API's).
const (
	ApprovalNone     ApprovalState = ""
	ApprovalPending  ApprovalState = "pending"
	ApprovalApproved ApprovalState = "approved"
	ApprovalRejected ApprovalState = "rejected"
)

// Approval is the four-eyes record of a relying party proposed from the
// console: who proposed it, and who (another operator) approved or
// rejected it.
type Approval struct {
	State        ApprovalState `json:"state"`
	ProposedBy   string        `json:"proposed_by"` // staff member id
	ProposedName string        `json:"proposed_by_name,omitempty"`
	ProposedAt   time.Time     `json:"proposed_at"`
	DecidedBy    string        `json:"decided_by,omitempty"` // staff member id
	DecidedName  string        `json:"decided_by_name,omitempty"`
	DecidedAt    time.Time     `json:"decided_at,omitzero"`
	// Reason is the rejection's reason.
	Reason string `json:"reason,omitempty"`
}

// Pending reports a client waiting for a second operator: it cannot be
// used anywhere (Usable).
func (c *Client) Pending() bool { return c.Approval.State == ApprovalPending }

// Usable reports a client that may take part in any flow: not disabled,
// not waiting for approval, not rejected.
func (c *Client) Usable() bool {
	return !c.Disabled && c.Approval.State != ApprovalPending && c.Approval.State != ApprovalRejected
}

// Status is a client's status as the console lists it.
type Status string

// Statuses.
const (
	StatusPending  Status = "pending"
	StatusActive   Status = "active"
	StatusDisabled Status = "disabled"
	StatusRejected Status = "rejected"
)

// Status is where the client stands.
func (c *Client) Status() Status {
	switch {
	case c.Approval.State == ApprovalRejected:
		return StatusRejected
	case c.Disabled:
		return StatusDisabled
	case c.Approval.State == ApprovalPending:
		return StatusPending
	}
	return StatusActive
}

// Operator is the staff member (operator role) acting in the console:
// audited by member id, with the username beside it.
type Operator struct {
	MemberID string
	Username string
	Name     string
}

// Errors of onboarding.
var (
	// ErrSelfApproval: the operator who proposed a client may not approve
	// (or reject) it.
	ErrSelfApproval = errors.New("oidc: a relying party is approved by another operator than the one who proposed it")
	// ErrNotPending: the client is not waiting for approval.
	ErrNotPending = errors.New("oidc: the relying party is not waiting for approval")
)

// Longest texts the console accepts.
const (
	maxOrgName    = 200
	maxOrgCode    = 32
	maxLegalBasis = 2000
	maxReason     = 500
)

// OnboardingError lists the fields a proposal lacks or gets wrong, named as
// the console's form names them (errors.As). It is an ErrInvalidClient.
type OnboardingError struct {
	Fields []string
}

func (e *OnboardingError) Error() string {
	return "oidc: invalid client registration: missing or invalid " + strings.Join(e.Fields, ", ")
}

// Unwrap makes an OnboardingError an ErrInvalidClient.
func (e *OnboardingError) Unwrap() error { return ErrInvalidClient }

// checkOnboarding checks the fields a proposal from the console must have:
// organisation name and code, purpose, legal basis.
func checkOnboarding(c *Client) error {
	var bad []string
	name, code := strings.TrimSpace(c.Organisation.Name), strings.TrimSpace(c.Organisation.Code)
	if name == "" || utf8.RuneCountInString(name) > maxOrgName {
		bad = append(bad, "organisation_name")
	}
	if !validOrgCode(code) {
		bad = append(bad, "organisation_code")
	}
	if strings.TrimSpace(c.Purpose.VI) == "" {
		bad = append(bad, "purpose")
	}
	if lb := strings.TrimSpace(c.LegalBasis); lb == "" || utf8.RuneCountInString(lb) > maxLegalBasis {
		bad = append(bad, "legal_basis")
	}
	c.Organisation = Organisation{Name: name, Code: code}
	c.LegalBasis = strings.TrimSpace(c.LegalBasis)
	if len(bad) > 0 {
		return &OnboardingError{Fields: bad}
	}
	return nil
}

// validOrgCode: a registration or tax code is digits with at most one
// hyphen (a branch's tax code, 0101234567-001), 1 to 32 characters.
func validOrgCode(code string) bool {
	if code == "" || len(code) > maxOrgCode || code[0] == '-' || code[len(code)-1] == '-' || strings.Count(code, "-") > 1 {
		return false
	}
	for _, r := range code {
		if (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}

// recordBy audits a console operator's action on a client.
func (s *Clients) recordBy(ctx context.Context, op Operator, clientID, reason string, detail map[string]string) error {
	if s.Audit == nil {
		return nil
	}
	if detail == nil {
		detail = map[string]string{}
	}
	detail["member_username"] = op.Username
	return s.Audit.Record(ctx, audit.Event{
		Type: audit.ClientChanged, ActorKind: audit.Operator, ActorID: op.MemberID,
		ClientID: clientID, Outcome: audit.Success, Reason: reason, Detail: detail,
	})
}

// Propose registers c from the operators' console, pending: it cannot be
// used anywhere until another operator approves it (Approve). Organisation,
// purpose and legal basis are required; the rest is validated as Create
// does. A confidential client's secret is returned once.
func (s *Clients) Propose(ctx context.Context, op Operator, c Client) (Client, string, error) {
	if op.MemberID == "" {
		return Client{}, "", errors.New("oidc: propose: no operator")
	}
	onboarding := checkOnboarding(&c)
	c.Approval = Approval{State: ApprovalPending, ProposedBy: op.MemberID, ProposedName: op.Name, ProposedAt: s.now()}
	c.Disabled = false
	return s.create(ctx, c, onboarding, func(ctx context.Context, c Client) error {
		return s.recordBy(ctx, op, c.ID, "proposed", map[string]string{
			"kind": string(c.Kind), "organisation_code": c.Organisation.Code, "approval": string(ApprovalPending)})
	})
}

// Approve makes a pending client usable. The operator must be another one
// than the proposer (ErrSelfApproval).
func (s *Clients) Approve(ctx context.Context, op Operator, id string) (Client, error) {
	return s.decide(ctx, op, id, ApprovalApproved, "")
}

// Reject refuses a pending client for good: it stays listed, rejected and
// disabled.
func (s *Clients) Reject(ctx context.Context, op Operator, id, reason string) (Client, error) {
	reason = strings.TrimSpace(reason)
	if utf8.RuneCountInString(reason) > maxReason {
		return Client{}, &OnboardingError{Fields: []string{"reason"}}
	}
	return s.decide(ctx, op, id, ApprovalRejected, reason)
}

func (s *Clients) decide(ctx context.Context, op Operator, id string, state ApprovalState, reason string) (Client, error) {
	if op.MemberID == "" {
		return Client{}, errors.New("oidc: decide: no operator")
	}
	c, err := s.Store.UpdateClient(ctx, id, func(c *Client) error {
		if c.Approval.State != ApprovalPending {
			return ErrNotPending
		}
		if c.Approval.ProposedBy == op.MemberID {
			return ErrSelfApproval
		}
		now := s.now()
		c.Approval.State, c.Approval.DecidedBy, c.Approval.DecidedName, c.Approval.DecidedAt = state, op.MemberID, op.Name, now
		c.Approval.Reason = reason
		if state == ApprovalRejected {
			c.Disabled = true
		}
		c.UpdatedAt = now
		// Audited in the transaction: a decision the audit log does not
		// hold is not taken.
		detail := map[string]string{"proposed_by": c.Approval.ProposedBy}
		if reason != "" {
			detail["reason"] = reason
		}
		return s.recordBy(ctx, op, id, string(state), detail)
	})
	if err != nil {
		return Client{}, err
	}
	c.SecretHash = nil
	return c, nil
}

// DisableBy is Disable from the console, audited with the operator's
// member id.
func (s *Clients) DisableBy(ctx context.Context, op Operator, id string) (Client, error) {
	c, err := s.Store.UpdateClient(ctx, id, func(c *Client) error {
		if c.Disabled {
			return nil
		}
		c.Disabled = true
		c.UpdatedAt = s.now()
		return s.recordBy(ctx, op, id, "disabled", nil)
	})
	if err != nil {
		return Client{}, err
	}
	c.SecretHash = nil
	return c, nil
}

// RotateSecretBy is RotateSecret from the console, audited with the
// operator's member id.
func (s *Clients) RotateSecretBy(ctx context.Context, op Operator, id string) (string, error) {
	return s.rotateSecret(ctx, id, func(ctx context.Context) error {
		return s.recordBy(ctx, op, id, "secret_rotated", nil)
	})
}

// ByOrganisation returns the relying parties an organisation owns, by its
// registration or tax code (an index, not a scan).
func (s *Clients) ByOrganisation(ctx context.Context, code string) ([]Client, error) {
	os, ok := s.Store.(OrganisationStore)
	if !ok {
		return nil, errors.New("oidc: this store keeps no organisations")
	}
	cs, err := os.ClientsByOrganisation(ctx, strings.TrimSpace(code))
	for i := range cs {
		cs[i].SecretHash = nil
	}
	return cs, err
}

// OrganisationStore finds clients by their owner's code.
type OrganisationStore interface {
	ClientsByOrganisation(ctx context.Context, code string) ([]Client, error)
}
