package guardianship

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/consent"
	"github.com/dinhdanh/dinhdanh/personalid"
)

// Accounts is what the service needs of the accounts capability: the
// guardian's account, and whether a person holds one.
type Accounts interface {
	Get(ctx context.Context, id string) (accounts.Account, error)
	ByPersonalID(ctx context.Context, personalID string) (accounts.Account, error)
}

// Consents is what the service needs of the consent capability to show and
// revoke what a dependent has shared (consents keyed by the dependent's
// id).
type Consents interface {
	Connections(ctx context.Context, accountID string) ([]consent.Grant, error)
	Revoke(ctx context.Context, accountID, clientID string, by consent.Actor) error
}

// History reads a history (the dependent's, for its guardian).
type History interface {
	History(ctx context.Context, accountID string, f audit.Filter) (audit.Page, error)
}

// Config builds a Service.
type Config struct {
	Store    Store
	Registry attributes.Registry
	Accounts Accounts
	// Audit records every registration, refusal and end; when it fails,
	// the action fails.
	Audit audit.Recorder
	// Consents and History serve the guardian's view of a dependent;
	// without them Shares, RevokeShare and DependentHistory fail.
	Consents Consents
	History  History
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Service applies the guardianship rules.
type Service struct {
	store    Store
	registry attributes.Registry
	accounts Accounts
	audit    audit.Recorder
	consents Consents
	history  History
	now      func() time.Time
}

// New checks cfg and builds a Service.
func New(cfg Config) (*Service, error) {
	var missing []string
	if cfg.Store == nil {
		missing = append(missing, "Store")
	}
	if cfg.Registry == nil {
		missing = append(missing, "Registry")
	}
	if cfg.Accounts == nil {
		missing = append(missing, "Accounts")
	}
	if cfg.Audit == nil {
		missing = append(missing, "Audit")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("guardianship: new service: missing %s", strings.Join(missing, ", "))
	}
	s := &Service{store: cfg.Store, registry: cfg.Registry, accounts: cfg.Accounts, audit: cfg.Audit,
		consents: cfg.Consents, history: cfg.History, now: cfg.Now}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Now is the service's clock in UTC.
func (s *Service) Now() time.Time { return s.now().UTC() }

// Actor is who asks: the guardian in a browser (Kind empty means the
// guardian, a citizen), or the system (demo data).
type Actor struct {
	Kind      audit.ActorKind
	ID        string
	IP        string
	UserAgent string
	RequestID string
}

func (a Actor) or(guardianAccountID string) Actor {
	if a.Kind == "" {
		a.Kind, a.ID = audit.Citizen, guardianAccountID
	}
	return a
}

// Officer is the staff member who enters or ends a guardianship record.
type Officer struct {
	ID        string // staff member id
	Unit      string // unit code and name
	Session   string
	IP        string
	UserAgent string
	RequestID string
}

// birthday returns the UTC midnight of the age-th birthday (29 February
// births: 1 March in common years, as time.Date normalises).
func birthday(birth time.Time, age int) time.Time {
	b := birth.UTC()
	return time.Date(b.Year()+age, b.Month(), b.Day(), 0, 0, 0, 0, time.UTC)
}

// AuthorityEndFor is when a registration on the registry's relation ends:
// the 14th birthday.
func AuthorityEndFor(birth time.Time) time.Time { return birthday(birth, AuthorityAge) }

// Register registers the person with personal id number dependentPID as a
// dependent of the guardian's account. The rules, each refusal audited in
// the guardian's history:
//   - the guardian's account is active and level 2 (ErrGuardianLevel);
//   - the registry knows the person (ErrUnknownPerson);
//   - the registry names the guardian as the person's parent or guardian
//     and the person is under 14 (ErrTooOld); or a guardianship record in
//     force names the guardian (ErrNoRelation when neither). A record's
//     ward may be of any age (an adult without legal capacity, Civil Code
//     2015 art. 46-47); the authority then ends with the record;
//   - the person holds no account (ErrHasAccount) and is not registered
//     under anyone now (ErrAlreadyRegistered; then also audited in the
//     dependent's history).
//
// The registration is audited in both histories before it commits. A
// person registered before whose authority ended keeps their id.
func (s *Service) Register(ctx context.Context, guardianAccountID, dependentPID string, by Actor) (Dependent, error) {
	by = by.or(guardianAccountID)
	now := s.Now()
	pid := strings.TrimSpace(dependentPID)
	if _, err := personalid.Parse(pid); err != nil {
		return Dependent{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	g, err := s.accounts.Get(ctx, guardianAccountID)
	if err != nil {
		return Dependent{}, fmt.Errorf("guardianship: register: guardian: %w", err)
	}
	refuse := func(reason string, verdict error, dependentID string) error {
		e := s.event(by, audit.DependentRegistered, g.ID, audit.Denied, reason, map[string]string{})
		if dependentID != "" {
			e.Detail["dependent"] = dependentID
		}
		if err := s.record(ctx, e); err != nil {
			return err
		}
		if dependentID != "" {
			e.AccountID, e.Detail = dependentID, map[string]string{"guardian": g.ID}
			if err := s.record(ctx, e); err != nil {
				return err
			}
		}
		return verdict
	}
	if g.Status != accounts.Active || g.Level < assurance.Level2 {
		return Dependent{}, refuse("guardian_not_level_2", ErrGuardianLevel, "")
	}
	if pid == g.PersonalID {
		return Dependent{}, refuse("no_relation", ErrNoRelation, "")
	}
	person, err := s.registry.Person(ctx, pid)
	switch {
	case errors.Is(err, attributes.ErrNotFound):
		return Dependent{}, refuse("unknown_person", ErrUnknownPerson, "")
	case err != nil:
		return Dependent{}, fmt.Errorf("guardianship: register: %w", err)
	}
	d := Dependent{PersonalID: pid, FullName: person.FullName, BirthDate: person.BirthDate.UTC(),
		GuardianAccountID: g.ID, RegisteredAt: now}
	if person.GuardianID != "" && person.GuardianID == g.PersonalID {
		d.Relation, d.Basis = RelationChild, BasisRegistry
		if person.GuardianRelation == RelationWard {
			d.Relation = RelationWard
		}
		end := AuthorityEndFor(d.BirthDate)
		if !now.Before(end) {
			return Dependent{}, refuse("aged_14_or_more", ErrTooOld, "")
		}
		d.AuthorityEnds = &end
	} else {
		recs, err := s.store.RecordsFor(ctx, pid)
		if err != nil {
			return Dependent{}, fmt.Errorf("guardianship: register: %w", err)
		}
		for _, r := range recs {
			if r.GuardianID == g.PersonalID && r.LiveAt(now) {
				d.Relation, d.Basis, d.RecordID, d.AuthorityEnds = RelationWard, BasisRecord, r.ID, r.Ends
				break
			}
		}
		if d.Basis == "" {
			return Dependent{}, refuse("no_relation", ErrNoRelation, "")
		}
	}
	switch _, err := s.accounts.ByPersonalID(ctx, pid); {
	case err == nil:
		return Dependent{}, refuse("has_account", ErrHasAccount, "")
	case !errors.Is(err, accounts.ErrNotFound):
		return Dependent{}, fmt.Errorf("guardianship: register: %w", err)
	}
	var taken Dependent
	out, err := s.store.Register(ctx, pid, func(cur Dependent, found bool) (Dependent, error) {
		d.ID = uuid.NewString()
		if found {
			if cur.ActiveAt(now) {
				taken = cur
				return Dependent{}, ErrAlreadyRegistered
			}
			if cur.EndedAt == nil {
				// Ended by the clock, not yet by the sweep: record the
				// end first, in both histories.
				ended := s.ending(&cur)
				if err := s.recordEnd(ctx, ended); err != nil {
					return Dependent{}, err
				}
			}
			d.ID = cur.ID
		}
		detail := map[string]string{"dependent": d.ID, "relation": d.Relation, "basis": d.Basis}
		if d.RecordID != "" {
			detail["record"] = d.RecordID
		}
		if err := s.record(ctx, s.event(by, audit.DependentRegistered, g.ID, audit.Success, "", detail)); err != nil {
			return Dependent{}, err
		}
		detail = map[string]string{"guardian": g.ID, "relation": d.Relation, "basis": d.Basis}
		if d.RecordID != "" {
			detail["record"] = d.RecordID
		}
		if err := s.record(ctx, s.event(by, audit.DependentRegistered, d.ID, audit.Success, "", detail)); err != nil {
			return Dependent{}, err
		}
		return d, nil
	})
	switch {
	case errors.Is(err, ErrAlreadyRegistered):
		reason := "registered_under_another"
		if taken.GuardianAccountID == g.ID {
			reason = "already_registered"
		}
		return Dependent{}, refuse(reason, ErrAlreadyRegistered, taken.ID)
	case errors.Is(err, ErrAlreadyExists):
		// A concurrent first registration of the same person won.
		return Dependent{}, refuse("registered_under_another", ErrAlreadyRegistered, "")
	case err != nil:
		return Dependent{}, fmt.Errorf("guardianship: register: %w", err)
	}
	return out, nil
}

// ending sets the recorded end of d, whose authority ended by the clock,
// and returns it.
func (s *Service) ending(d *Dependent) Dependent {
	at := s.Now()
	if d.AuthorityEnds != nil {
		at = *d.AuthorityEnds
	}
	d.EndedAt = &at
	d.EndReason = EndRecordEnded
	if d.Basis == BasisRegistry {
		d.EndReason = EndAge14
	}
	return *d
}

// recordEnd writes the end in both histories.
func (s *Service) recordEnd(ctx context.Context, d Dependent) error {
	sys := Actor{Kind: audit.System, ID: "guardianship"}
	detail := map[string]string{"dependent": d.ID, "relation": d.Relation, "basis": d.Basis, "ended_at": d.EndedAt.Format(time.RFC3339)}
	if err := s.record(ctx, s.event(sys, audit.DependentEnded, d.GuardianAccountID, audit.Success, d.EndReason, detail)); err != nil {
		return err
	}
	detail = map[string]string{"guardian": d.GuardianAccountID, "relation": d.Relation, "basis": d.Basis, "ended_at": d.EndedAt.Format(time.RFC3339)}
	return s.record(ctx, s.event(sys, audit.DependentEnded, d.ID, audit.Success, d.EndReason, detail))
}

// guardianActive reports whether the account may act for dependents now:
// active and level 2.
func (s *Service) guardianActive(ctx context.Context, guardianAccountID string) (bool, error) {
	g, err := s.accounts.Get(ctx, guardianAccountID)
	if errors.Is(err, accounts.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("guardianship: guardian: %w", err)
	}
	return g.Status == accounts.Active && g.Level >= assurance.Level2, nil
}

// Authority returns the dependent if the guardian may act for it now: it is
// registered under the guardian, its authority has not ended by the clock
// (14th birthday, record's end) nor been recorded as ended, and the
// guardian's account is active and level 2. ErrNoAuthority otherwise,
// also for an unknown id.
func (s *Service) Authority(ctx context.Context, guardianAccountID, dependentID string) (Dependent, error) {
	d, err := s.store.Get(ctx, dependentID)
	switch {
	case errors.Is(err, ErrNotFound):
		return Dependent{}, ErrNoAuthority
	case err != nil:
		return Dependent{}, fmt.Errorf("guardianship: authority: %w", err)
	}
	if d.GuardianAccountID != guardianAccountID || !d.ActiveAt(s.Now()) {
		return Dependent{}, ErrNoAuthority
	}
	ok, err := s.guardianActive(ctx, guardianAccountID)
	if err != nil {
		return Dependent{}, err
	}
	if !ok {
		return Dependent{}, fmt.Errorf("%w: %w", ErrNoAuthority, ErrGuardianLevel)
	}
	return d, nil
}

// ActingFor lists the dependents the guardian may act for now (see
// Authority), oldest registration first; none when the guardian's account
// is not active at level 2.
func (s *Service) ActingFor(ctx context.Context, guardianAccountID string) ([]Dependent, error) {
	ok, err := s.guardianActive(ctx, guardianAccountID)
	if err != nil || !ok {
		return nil, err
	}
	all, err := s.store.ForGuardian(ctx, guardianAccountID)
	if err != nil {
		return nil, fmt.Errorf("guardianship: acting for: %w", err)
	}
	now := s.Now()
	var out []Dependent
	for _, d := range all {
		if d.ActiveAt(now) {
			out = append(out, d)
		}
	}
	return out, nil
}

// Dependents lists every dependent ever registered under the guardian,
// ended ones too (the account page shows when authority ended).
func (s *Service) Dependents(ctx context.Context, guardianAccountID string) ([]Dependent, error) {
	out, err := s.store.ForGuardian(ctx, guardianAccountID)
	if err != nil {
		return nil, fmt.Errorf("guardianship: dependents: %w", err)
	}
	return out, nil
}

// Shares lists the dependent's consents at relying parties (given by its
// guardian acting for it), for a guardian with authority.
func (s *Service) Shares(ctx context.Context, guardianAccountID, dependentID string) ([]consent.Grant, error) {
	if s.consents == nil {
		return nil, errors.New("guardianship: shares: no consent service")
	}
	d, err := s.Authority(ctx, guardianAccountID, dependentID)
	if err != nil {
		return nil, err
	}
	return s.consents.Connections(ctx, d.ID)
}

// RevokeShare revokes the dependent's consent at clientID on its behalf:
// the consent service records the revocation in the dependent's history
// with the guardian as actor, then this records it in the guardian's.
func (s *Service) RevokeShare(ctx context.Context, guardianAccountID, dependentID, clientID string, by Actor) error {
	if s.consents == nil {
		return errors.New("guardianship: revoke share: no consent service")
	}
	by = by.or(guardianAccountID)
	d, err := s.Authority(ctx, guardianAccountID, dependentID)
	if err != nil {
		return err
	}
	if err := s.consents.Revoke(ctx, d.ID, clientID,
		consent.Actor{Kind: by.Kind, ID: by.ID, IP: by.IP, UserAgent: by.UserAgent, RequestID: by.RequestID}); err != nil {
		return err
	}
	e := s.event(by, audit.DependentShareRevoked, guardianAccountID, audit.Success, "", map[string]string{"dependent": d.ID})
	e.ClientID = clientID
	return s.record(ctx, e)
}

// DependentHistory is a page of the dependent's history, for a guardian
// with authority.
func (s *Service) DependentHistory(ctx context.Context, guardianAccountID, dependentID string, f audit.Filter) (audit.Page, error) {
	if s.history == nil {
		return audit.Page{}, errors.New("guardianship: history: no history store")
	}
	d, err := s.Authority(ctx, guardianAccountID, dependentID)
	if err != nil {
		return audit.Page{}, err
	}
	return s.history.History(ctx, d.ID, f)
}

// Sweep records the end of every registration whose authority ended by the
// clock (14th birthday, record's end) and was not recorded yet: EndedAt is
// the moment it ended, EndReason why, and both histories get a
// DependentEnded event. Authority never waits for it: it is computed from
// the clock at every check. It returns how many ends it recorded; every
// replica may run it.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	n := 0
	for {
		due, err := s.store.Due(ctx, s.Now(), 100)
		if err != nil {
			return n, fmt.Errorf("guardianship: sweep: %w", err)
		}
		done := 0
		for _, d := range due {
			_, err := s.store.Update(ctx, d.ID, func(cur *Dependent) error {
				if cur.EndedAt != nil || cur.ActiveAt(s.Now()) {
					return errSkip
				}
				return s.recordEnd(ctx, s.ending(cur))
			})
			switch {
			case errors.Is(err, errSkip):
			case err != nil:
				return n, fmt.Errorf("guardianship: sweep: %w", err)
			default:
				n++
				done++
			}
		}
		if len(due) < 100 || done == 0 {
			return n, nil
		}
	}
}

var errSkip = errors.New("guardianship: nothing to do")

// AccountIDFor is AccountIDs.AccountIDFor on the service's store and clock.
func (s *Service) AccountIDFor(ctx context.Context, personalID string) (string, error) {
	return AccountIDs{Store: s.store, Now: s.now}.AccountIDFor(ctx, personalID)
}

// AccountIDs offers a dependent's id as the id of the account it opens at
// 14 (it implements accounts.AccountIDs), so that the pairwise subjects
// relying parties know continue. It needs only the store, so that it can be
// built before the accounts service the Service depends on.
type AccountIDs struct {
	Store Store
	Now   func() time.Time // time.Now when nil
}

// AccountIDFor returns the dependent id of the person with personalID, or
// "" when the person was never registered as a dependent or is under a
// guardian's authority still (a ward on a record in force).
func (a AccountIDs) AccountIDFor(ctx context.Context, personalID string) (string, error) {
	d, err := a.Store.ByPersonalID(ctx, personalID)
	switch {
	case errors.Is(err, ErrNotFound):
		return "", nil
	case err != nil:
		return "", fmt.Errorf("guardianship: account id: %w", err)
	}
	now := time.Now
	if a.Now != nil {
		now = a.Now
	}
	if d.ActiveAt(now().UTC()) {
		return "", nil
	}
	return d.ID, nil
}

func (s *Service) event(by Actor, t audit.EventType, accountID string, o audit.Outcome, reason string, detail map[string]string) audit.Event {
	return audit.Event{Type: t, ActorKind: by.Kind, ActorID: by.ID, AccountID: accountID, Outcome: o, Reason: reason,
		IP: by.IP, UserAgent: by.UserAgent, RequestID: by.RequestID, Detail: detail}
}

func (s *Service) record(ctx context.Context, e audit.Event) error {
	if e.Time.IsZero() {
		e.Time = s.Now()
	}
	if err := s.audit.Record(ctx, e); err != nil {
		return fmt.Errorf("guardianship: audit %s: %w", e.Type, err)
	}
	return nil
}

// ByPersonalID returns the registration of the person with personalID
// (ended or not); ErrNotFound when never registered.
func (s *Service) ByPersonalID(ctx context.Context, personalID string) (Dependent, error) {
	return s.store.ByPersonalID(ctx, personalID)
}
