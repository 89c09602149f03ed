package orgs

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/staff"
)

// Errors of organisations.
var (
	ErrNotFound      = errors.New("orgs: no such organisation")
	ErrAlreadyExists = errors.New("orgs: an organisation with this code exists already")
	// ErrInvalid wraps what is wrong with a code or a name.
	ErrInvalid = errors.New("orgs: invalid organisation")
	// ErrForbidden: the acting member is not an operator.
	ErrForbidden = errors.New("orgs: operators only")
)

// Organisation is a body whose staff should hold level 2 accounts.
type Organisation struct {
	// Code is its registration code: an enterprise or tax code (10 digits,
	// or 10-3 for a branch) or a budget-unit code (7 digits). It is what a
	// relying party's owner is named by.
	Code string
	Name string
	// CreatedBy is the member id of the operator who created it; empty for
	// a relying party's owner known only through its relying parties.
	CreatedBy string
	CreatedAt time.Time
	// RelyingParties are the client ids of the relying parties it owns
	// (filled by List and Get from Owners).
	RelyingParties []string
}

// codeRE is the code of an organisation an operator creates; anyCodeRE
// any code a relying party's owner may have (the relying parties' rule:
// digits with at most one hyphen, up to 32 characters).
var (
	codeRE    = regexp.MustCompile(`^(?:[0-9]{7}|[0-9]{10}(?:-[0-9]{3})?)$`)
	anyCodeRE = regexp.MustCompile(`^[0-9]+(?:-[0-9]+)?$`)
)

// MaxNameLength is the longest name, in characters.
const MaxNameLength = 200

// Validate checks the code and name of an organisation to be created.
func Validate(code, name string) error {
	if !codeRE.MatchString(code) {
		return fmt.Errorf("%w: code %q is not a 7-digit budget-unit code or a 10-digit (or 10-3) enterprise code", ErrInvalid, code)
	}
	if n := utf8.RuneCountInString(name); name == "" || n > MaxNameLength || !utf8.ValidString(name) || strings.ContainsAny(name, "\x00\r\n") {
		return fmt.Errorf("%w: the name must be 1 to %d characters on one line", ErrInvalid, MaxNameLength)
	}
	return nil
}

// Store keeps the organisations operators create.
type Store interface {
	// Create stores o; fn runs in the same transaction before it commits
	// (the audit record), and its error undoes the write. ErrAlreadyExists
	// when the code is taken.
	Create(ctx context.Context, o Organisation, fn func() error) error
	// Get returns the organisation with code; ErrNotFound when none.
	Get(ctx context.Context, code string) (Organisation, error)
	// List returns every organisation, by code.
	List(ctx context.Context) ([]Organisation, error)
}

// Owner is a relying party's owner as its relying party names it.
type Owner struct {
	Code, Name string
	ClientID   string
}

// Owners lists the owners of the relying parties (optional).
type Owners interface {
	Owners(ctx context.Context) ([]Owner, error)
}

// Standing is what the staff check may learn of one account: whether it
// was activated and its level. Nothing else about the holder is read.
type Standing struct {
	AccountID string
	Level     assurance.Level
	Activated bool
}

// Accounts looks up the standing of accounts by personal id number.
type Accounts interface {
	// Standings returns the standing of each of personalIDs that has an
	// account, keyed by personal id.
	Standings(ctx context.Context, personalIDs []string) (map[string]Standing, error)
}

// Origin is where a console request came from, for the audit trail.
type Origin struct {
	IP, UserAgent, RequestID string
}

// Config configures a Service. Store, Accounts and Audit are required.
type Config struct {
	Store    Store
	Accounts Accounts
	Owners   Owners
	Audit    audit.Recorder
	Now      func() time.Time
	// Parallel is how many per-citizen audit events are recorded at once
	// (the audit log groups them into batches); 32 when zero.
	Parallel int
}

// Service creates organisations and checks their staff lists.
type Service struct{ c Config }

// New returns a Service.
func New(c Config) (*Service, error) {
	if c.Store == nil || c.Accounts == nil || c.Audit == nil {
		return nil, errors.New("orgs: Store, Accounts and Audit are required")
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Parallel <= 0 {
		c.Parallel = 32
	}
	return &Service{c: c}, nil
}

func operator(by staff.Principal) error {
	if by.MemberID == "" || !by.Has(staff.RoleOperator) {
		return ErrForbidden
	}
	return nil
}

func (s *Service) event(t audit.EventType, by staff.Principal, from Origin, accountID string, d map[string]string) audit.Event {
	if d == nil {
		d = map[string]string{}
	}
	d["username"] = by.Username
	if by.Session != "" {
		d["session"] = by.Session
	}
	return audit.Event{Time: s.c.Now().UTC(), Type: t, ActorKind: audit.Operator, ActorID: by.MemberID, AccountID: accountID,
		Outcome: audit.Success, IP: from.IP, UserAgent: from.UserAgent, RequestID: from.RequestID, Detail: d}
}

// Create creates an organisation (operators only), audited in its
// transaction. A code a relying party's owner already uses may be created
// too: the operator then names it, and it keeps its relying parties.
func (s *Service) Create(ctx context.Context, by staff.Principal, from Origin, code, name string) (Organisation, error) {
	if err := operator(by); err != nil {
		return Organisation{}, err
	}
	code, name = strings.TrimSpace(code), strings.TrimSpace(name)
	if err := Validate(code, name); err != nil {
		return Organisation{}, err
	}
	o := Organisation{Code: code, Name: name, CreatedBy: by.MemberID, CreatedAt: s.c.Now().UTC()}
	e := s.event(audit.OrganisationCreated, by, from, "", map[string]string{"organisation": code, "organisation_name": name})
	if err := s.c.Store.Create(ctx, o, func() error { return s.c.Audit.Record(ctx, e) }); err != nil {
		return Organisation{}, fmt.Errorf("orgs: create: %w", err)
	}
	return o, nil
}

// List returns the organisations operators created and the relying
// parties' owners, by code; an owner's relying parties are listed with it.
func (s *Service) List(ctx context.Context) ([]Organisation, error) {
	list, err := s.c.Store.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("orgs: list: %w", err)
	}
	if s.c.Owners == nil {
		return list, nil
	}
	owners, err := s.c.Owners.Owners(ctx)
	if err != nil {
		return nil, fmt.Errorf("orgs: relying parties' owners: %w", err)
	}
	byCode := make(map[string]int, len(list))
	for i, o := range list {
		byCode[o.Code] = i
	}
	for _, ow := range owners {
		if ow.Code == "" {
			continue
		}
		i, ok := byCode[ow.Code]
		if !ok {
			list = append(list, Organisation{Code: ow.Code, Name: ow.Name})
			i = len(list) - 1
			byCode[ow.Code] = i
		}
		if ow.ClientID != "" && !slices.Contains(list[i].RelyingParties, ow.ClientID) {
			list[i].RelyingParties = append(list[i].RelyingParties, ow.ClientID)
		}
	}
	slices.SortFunc(list, func(a, b Organisation) int { return strings.Compare(a.Code, b.Code) })
	return list, nil
}

// Get returns one organisation, created by an operator or owning a
// relying party.
func (s *Service) Get(ctx context.Context, code string) (Organisation, error) {
	if len(code) > 32 || !anyCodeRE.MatchString(code) {
		return Organisation{}, ErrNotFound
	}
	list, err := s.List(ctx)
	if err != nil {
		return Organisation{}, err
	}
	for _, o := range list {
		if o.Code == code {
			return o, nil
		}
	}
	return Organisation{}, ErrNotFound
}

// Group is what the staff check says of one personal id number.
type Group string

// The three groups.
const (
	// NoAccount: no account, or one never activated.
	NoAccount Group = "no_account"
	// Level1: an activated account at level 1 only.
	Level1 Group = "level1"
	// Level2: an activated account at level 2.
	Level2 Group = "level2"
)

// Groups lists the groups in the order pages show them.
var Groups = []Group{NoAccount, Level1, Level2}

// GroupOf places a standing in its group. A locked account stays in the
// group of its level: the check says nothing about locks.
func GroupOf(st Standing, ok bool) Group {
	switch {
	case !ok || !st.Activated || st.Level < assurance.Level1:
		return NoAccount
	case st.Level >= assurance.Level2:
		return Level2
	}
	return Level1
}

// StaffCheck is the answer to one upload: the numbers of each group, in
// the list's order.
type StaffCheck struct {
	Organisation Organisation
	Total        int
	Groups       map[Group][]string
	CheckedAt    time.Time
}

// Count returns how many numbers are in g.
func (c StaffCheck) Count(g Group) int { return len(c.Groups[g]) }

// CheckStaff sorts an organisation's staff list (personal ids, as
// ParseStaffList returns them) into the three groups. It records one event
// in the history of every citizen whose account it looked up and one for
// the operator's upload, and answers only once all of them are recorded:
// when the audit trail cannot take them the operator learns nothing.
func (s *Service) CheckStaff(ctx context.Context, by staff.Principal, from Origin, code string, ids []string) (StaffCheck, error) {
	if err := operator(by); err != nil {
		return StaffCheck{}, err
	}
	if len(ids) == 0 {
		return StaffCheck{}, ErrEmptyList
	}
	if len(ids) > MaxStaff {
		return StaffCheck{}, fmt.Errorf("%w: %d numbers", ErrTooMany, len(ids))
	}
	o, err := s.Get(ctx, code)
	if err != nil {
		return StaffCheck{}, err
	}
	standings, err := s.c.Accounts.Standings(ctx, ids)
	if err != nil {
		return StaffCheck{}, fmt.Errorf("orgs: staff check: %w", err)
	}
	check := StaffCheck{Organisation: o, Total: len(ids), Groups: make(map[Group][]string, len(Groups)), CheckedAt: s.c.Now().UTC()}
	for _, id := range ids {
		st, ok := standings[id]
		g := GroupOf(st, ok)
		check.Groups[g] = append(check.Groups[g], id)
	}
	detail := func() map[string]string {
		return map[string]string{"organisation": o.Code, "organisation_name": o.Name}
	}
	// One event per account looked up, in its holder's history.
	if err := s.recordEach(ctx, standings, func(st Standing) audit.Event {
		return s.event(audit.StaffLevelChecked, by, from, st.AccountID, detail())
	}); err != nil {
		return StaffCheck{}, err
	}
	d := detail()
	d["numbers"] = strconv.Itoa(check.Total)
	for _, g := range Groups {
		d[string(g)] = strconv.Itoa(check.Count(g))
	}
	if err := s.c.Audit.Record(ctx, s.event(audit.StaffListChecked, by, from, "", d)); err != nil {
		return StaffCheck{}, fmt.Errorf("orgs: staff check: audit: %w", err)
	}
	return check, nil
}

// recordEach records one event per standing, Parallel at a time, and
// returns the first error.
func (s *Service) recordEach(ctx context.Context, standings map[string]Standing, ev func(Standing) audit.Event) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan Standing)
	var (
		wg    sync.WaitGroup
		once  sync.Once
		first error
	)
	for range min(s.c.Parallel, max(len(standings), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for st := range work {
				if err := s.c.Audit.Record(ctx, ev(st)); err != nil {
					once.Do(func() { first = fmt.Errorf("orgs: staff check: audit: %w", err); cancel() })
				}
			}
		}()
	}
feed:
	for _, st := range standings {
		select {
		case work <- st:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		return ctx.Err()
	}
	return first
}
