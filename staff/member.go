package staff

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/audit"
)

// Errors of staff members and units.
var (
	ErrAlreadyExists = errors.New("staff: already exists")
	// ErrForbidden: the acting member may not do this (a role they lack, an
	// operator managing themselves).
	ErrForbidden = errors.New("staff: not allowed")
	// ErrBootstrapDone: bootstrap runs only while no member exists.
	ErrBootstrapDone = errors.New("staff: members exist already; bootstrap is only for the first operator")
	// ErrBadCredentials: wrong username or password (never says which).
	ErrBadCredentials = errors.New("staff: wrong username or password")
	// ErrDisabled: the member is disabled (said only after the password).
	ErrDisabled = errors.New("staff: member disabled")
	// ErrInvalidCode: a wrong TOTP code; ErrCodeReplayed: a code already used.
	ErrInvalidCode  = errors.New("staff: wrong code")
	ErrCodeReplayed = errors.New("staff: code already used")
)

// ActorKind is the audit actor kind of staff members signing in; their
// other actions are audited as the role they act in (audit.Officer,
// audit.Operator), always with their member id.
const ActorKind audit.ActorKind = "staff"

// Member is a staff member, without secrets.
type Member struct {
	ID       string
	Username string
	Name     string
	Unit     Unit
	Roles    []Role
	Disabled bool
	// Bootstrap marks the first operator, created by `dinhdanh staff
	// bootstrap`: the only member who may grant roles they do not hold.
	Bootstrap bool
	// MustChangePassword: someone else chose the password (an operator
	// creating the member or resetting their credentials); the member
	// chooses their own before doing anything else.
	MustChangePassword bool
	// SessionsValidFrom: console sign-ins from before it have ended
	// (credentials reset, password changed); zero when none did.
	SessionsValidFrom time.Time
	CreatedAt         time.Time
	// CreatedBy is the member id of the operator who created the member
	// ("" for the bootstrap operator).
	CreatedBy string
	UpdatedAt time.Time
}

// Has reports whether m holds role r.
func (m Member) Has(r Role) bool { return slices.Contains(m.Roles, r) }

// Principal is m acting in session.
func (m Member) Principal(session string) Principal {
	return Principal{MemberID: m.ID, Username: m.Username, Name: m.Name, Unit: m.Unit, Roles: slices.Clone(m.Roles), Session: session}
}

// Record is a member as stored, with the password hash and the sealed TOTP
// secret.
type Record struct {
	Member
	PasswordHash string
	// TOTPSecret is sealed (AES-256-GCM, the member id as additional data).
	TOTPSecret []byte
	// TOTPLastStep is the last time step whose code was accepted (RFC 6238
	// §5.2: a code is accepted once).
	TOTPLastStep int64
}

// Enrolment is what a new member needs to sign in the first time, shown
// once to whoever created the member and never stored in the clear.
type Enrolment struct {
	Password   string // the initial password
	TOTPURI    string // otpauth://totp/… for an authenticator app (QR code)
	TOTPSecret string // base32, to type in by hand
}

var (
	usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,63}$`)
	unitCodePattern = regexp.MustCompile(`^[0-9]{1,3}(\.[0-9]{1,6}){0,2}$`)
)

// ValidUsername reports whether u can name a staff member: 3 to 64 lower
// case letters, digits and . _ -, starting with a letter or digit.
func ValidUsername(u string) bool { return usernamePattern.MatchString(u) }

// Parent is the code of the unit above u ("" for a province).
func (u Unit) Parent() string {
	i := strings.LastIndexByte(u.Code, '.')
	if i < 0 {
		return ""
	}
	return u.Code[:i]
}

// Validate checks the code's shape, the name and that the level matches the
// code's depth (province "79", district "79.760", commune "79.760.26734").
func (u Unit) Validate() error {
	if !unitCodePattern.MatchString(u.Code) {
		return fmt.Errorf("%w: unit code must be dotted digits, e.g. 79 or 79.760 or 79.760.26734", ErrInvalid)
	}
	if n := strings.TrimSpace(u.Name); n == "" || len(n) > 200 {
		return fmt.Errorf("%w: unit name is required (at most 200 characters)", ErrInvalid)
	}
	want := []UnitLevel{Province, District, Commune}[strings.Count(u.Code, ".")]
	if u.Level != want {
		return fmt.Errorf("%w: unit %s is a %s, not a %q", ErrInvalid, u.Code, want, u.Level)
	}
	return nil
}

// LevelOf is the level a unit code's depth gives.
func LevelOf(code string) UnitLevel {
	return []UnitLevel{Province, District, Commune}[min(strings.Count(code, "."), 2)]
}

// MemberStore keeps members, units and sign-in throttles.
type MemberStore interface {
	// PutUnit creates the unit or renames it; its parent must exist
	// (ErrNotFound otherwise). fn runs in the same transaction before it
	// commits (the audit record).
	PutUnit(ctx context.Context, u Unit, fn func() error) error
	// Unit returns the unit with code; ErrNotFound when none.
	Unit(ctx context.Context, code string) (Unit, error)
	// Units lists every unit by code.
	Units(ctx context.Context) ([]Unit, error)
	// CreateMember stores r (ErrAlreadyExists for a taken username,
	// ErrNotFound for an unknown unit); with first set, only while no
	// member exists (ErrBootstrapDone otherwise). fn runs in the same
	// transaction before it commits.
	CreateMember(ctx context.Context, r Record, first bool, fn func() error) error
	// MemberByID and MemberByUsername return ErrNotFound when none.
	MemberByID(ctx context.Context, id string) (Record, error)
	MemberByUsername(ctx context.Context, username string) (Record, error)
	// UpdateMember runs fn on the member's row, locked, and stores what fn
	// leaves (roles, unit, name, disabled, password, TOTP); fn's error
	// undoes it.
	UpdateMember(ctx context.Context, id string, fn func(*Record) error) (Record, error)
	// Members lists every member by username.
	Members(ctx context.Context) ([]Member, error)
	// Throttles returns the throttles with these keys that exist.
	Throttles(ctx context.Context, keys ...string) ([]Throttle, error)
	// UpdateThrottle runs fn on the throttle (a zero one when new), locked.
	UpdateThrottle(ctx context.Context, key string, fn func(*Throttle) error) error
	// PurgeThrottles deletes throttles untouched since before and no longer
	// locked.
	PurgeThrottles(ctx context.Context, before time.Time) (int64, error)
	// AddPasskey stores p (ErrAlreadyExists for a credential id already
	// stored), running fn in the same transaction.
	AddPasskey(ctx context.Context, p Passkey, fn func() error) error
	// Passkeys lists a member's passkeys, oldest first.
	Passkeys(ctx context.Context, memberID string) ([]Passkey, error)
	// UsePasskey records a sign-in with the passkey: its new signature
	// counter and the time, refusing (ErrPasskeyFailed) a counter that
	// did not grow, checked under the row's lock.
	UsePasskey(ctx context.Context, id []byte, signCount uint32, at time.Time) error
}

// Actor is who acts, for the audit record.
type Actor struct {
	Principal Principal
	IP        string
	UserAgent string
	RequestID string
}

func (a Actor) event(kind audit.ActorKind, action string, outcome audit.Outcome, detail map[string]string) audit.Event {
	d := map[string]string{"action": action, "session": a.Principal.Session, "unit": a.Principal.Unit.Code}
	for k, v := range detail {
		d[k] = v
	}
	return audit.Event{Type: audit.OperatorAction, ActorKind: kind, ActorID: a.Principal.MemberID, Outcome: outcome,
		IP: a.IP, UserAgent: a.UserAgent, RequestID: a.RequestID, Detail: d}
}

// NewMember is a member to create.
type NewMember struct {
	Username string
	Name     string
	UnitCode string
	Roles    []Role
	// Password, when set, is the initial password, and the member is not
	// asked to change it (the bootstrap operator's own choice, demo data);
	// otherwise one is made and the member must choose their own at the
	// first sign-in.
	Password string
	// TOTPSecret (base32), when set, is the TOTP secret instead of a fresh
	// one: for demo data whose secrets are documented, never the console.
	TOTPSecret string
}

func (s *Service) members() (MemberStore, error) {
	if s.memberStore == nil || s.totp == nil {
		return nil, errors.New("staff: members need a member store and a TOTP key")
	}
	return s.memberStore, nil
}

func normalizeRoles(roles []Role) ([]Role, error) {
	out := []Role{}
	for _, r := range Roles { // stable order, no duplicates
		if slices.Contains(roles, r) {
			out = append(out, r)
		}
	}
	for _, r := range roles {
		if !r.Valid() {
			return nil, fmt.Errorf("%w: unknown role %q", ErrInvalid, r)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: a member needs at least one role", ErrInvalid)
	}
	return out, nil
}

// newRecord checks n and makes the record with fresh secrets.
func (s *Service) newRecord(ctx context.Context, st MemberStore, n NewMember, by string) (Record, Enrolment, error) {
	n.Username = strings.ToLower(strings.TrimSpace(n.Username))
	n.Name = strings.TrimSpace(n.Name)
	if !ValidUsername(n.Username) {
		return Record{}, Enrolment{}, fmt.Errorf("%w: username must be 3 to 64 lower case letters, digits and . _ -", ErrInvalid)
	}
	if n.Name == "" || len(n.Name) > 200 {
		return Record{}, Enrolment{}, fmt.Errorf("%w: name is required (at most 200 characters)", ErrInvalid)
	}
	roles, err := normalizeRoles(n.Roles)
	if err != nil {
		return Record{}, Enrolment{}, err
	}
	unit, err := st.Unit(ctx, strings.TrimSpace(n.UnitCode))
	if errors.Is(err, ErrNotFound) {
		return Record{}, Enrolment{}, fmt.Errorf("%w: unknown unit %q", ErrInvalid, n.UnitCode)
	}
	if err != nil {
		return Record{}, Enrolment{}, fmt.Errorf("staff: load unit: %w", err)
	}
	pw := n.Password
	mustChange := pw == ""
	if pw == "" {
		if pw, err = generatePassword(); err != nil {
			return Record{}, Enrolment{}, err
		}
	}
	if err := accounts.CheckPasswordRules(pw); err != nil {
		return Record{}, Enrolment{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	hash, err := accounts.HashPassword(pw, s.params)
	if err != nil {
		return Record{}, Enrolment{}, err
	}
	now := s.now().UTC()
	r := Record{Member: Member{ID: uuid.NewString(), Username: n.Username, Name: n.Name, Unit: unit, Roles: roles,
		CreatedAt: now, UpdatedAt: now, CreatedBy: by, MustChangePassword: mustChange}, PasswordHash: hash}
	secret, uri, err := s.newTOTP(r.Username, n.TOTPSecret)
	if err != nil {
		return Record{}, Enrolment{}, err
	}
	if r.TOTPSecret, err = s.totp.seal(r.ID, secret); err != nil {
		return Record{}, Enrolment{}, err
	}
	return r, Enrolment{Password: pw, TOTPURI: uri, TOTPSecret: secret}, nil
}

// generatePassword makes a 16-character password of unambiguous letters and
// digits (about 90 bits).
func generatePassword() (string, error) {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 16)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return "", fmt.Errorf("staff: random: %w", err)
		}
		b[i] = alphabet[n.Int64()]
	}
	return string(b), nil
}

// Bootstrap creates the first operator, with the operator role, in unit
// (created when it has a name and does not exist yet), only while no member
// exists (ErrBootstrapDone otherwise). by names who ran it (audited).
func (s *Service) Bootstrap(ctx context.Context, n NewMember, unit Unit, by string) (Member, Enrolment, error) {
	st, err := s.members()
	if err != nil {
		return Member{}, Enrolment{}, err
	}
	if by == "" {
		return Member{}, Enrolment{}, fmt.Errorf("%w: who runs the bootstrap is required", ErrInvalid)
	}
	if unit.Name != "" {
		if err := s.putUnit(ctx, st, unit, audit.Event{Type: audit.OperatorAction, ActorKind: audit.Operator, ActorID: by, Outcome: audit.Success,
			Detail: map[string]string{"action": "staff_unit_saved", "unit": unit.Code, "via": "bootstrap"}}); err != nil {
			return Member{}, Enrolment{}, err
		}
		n.UnitCode = unit.Code
	}
	n.Roles = []Role{RoleOperator}
	r, enr, err := s.newRecord(ctx, st, n, "")
	if err != nil {
		return Member{}, Enrolment{}, err
	}
	r.Bootstrap = true
	e := audit.Event{Type: audit.OperatorAction, ActorKind: audit.Operator, ActorID: by, Outcome: audit.Success,
		Detail: map[string]string{"action": "staff_bootstrap", "member_id": r.ID, "username": r.Username, "unit": r.Unit.Code, "roles": "operator"}}
	if err := st.CreateMember(ctx, r, true, func() error { return s.audit.Record(ctx, e) }); err != nil {
		return Member{}, Enrolment{}, fmt.Errorf("staff: bootstrap: %w", err)
	}
	return r.Member, enr, nil
}

// mayGrant reports whether by may add or remove each role in changed.
func mayGrant(by Member, changed []Role) bool {
	if by.Bootstrap {
		return true
	}
	for _, r := range changed {
		if !by.Has(r) {
			return false
		}
	}
	return true
}

// actingOperator loads the acting member fresh from the store: it must be
// an enabled operator (ErrForbidden otherwise).
func (s *Service) actingOperator(ctx context.Context, st MemberStore, by Actor) (Member, error) {
	r, err := st.MemberByID(ctx, by.Principal.MemberID)
	if errors.Is(err, ErrNotFound) {
		return Member{}, ErrForbidden
	}
	if err != nil {
		return Member{}, fmt.Errorf("staff: load acting member: %w", err)
	}
	if r.Disabled || !r.Has(RoleOperator) {
		return Member{}, ErrForbidden
	}
	return r.Member, nil
}

// CreateMember creates a member (operators only). An operator may grant
// only roles they hold, except the bootstrap operator. The enrolment (the
// initial password and the TOTP secret) is returned once.
func (s *Service) CreateMember(ctx context.Context, by Actor, n NewMember) (Member, Enrolment, error) {
	st, err := s.members()
	if err != nil {
		return Member{}, Enrolment{}, err
	}
	op, err := s.actingOperator(ctx, st, by)
	if err != nil {
		return Member{}, Enrolment{}, err
	}
	r, enr, err := s.newRecord(ctx, st, n, op.ID)
	if err != nil {
		return Member{}, Enrolment{}, err
	}
	if !mayGrant(op, r.Roles) {
		return Member{}, Enrolment{}, fmt.Errorf("%w: you may grant only roles you hold", ErrForbidden)
	}
	e := by.event(audit.Operator, "staff_member_created", audit.Success, map[string]string{
		"member_id": r.ID, "username": r.Username, "member_unit": r.Unit.Code, "roles": joinRoles(r.Roles)})
	if err := st.CreateMember(ctx, r, false, func() error { return s.audit.Record(ctx, e) }); err != nil {
		return Member{}, Enrolment{}, fmt.Errorf("staff: create member: %w", err)
	}
	return r.Member, enr, nil
}

func joinRoles(rs []Role) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ",")
}

// MemberChange is what an operator changes on a member; nil fields stay.
type MemberChange struct {
	Roles    []Role
	UnitCode *string
	Disabled *bool
	// ResetCredentials gives the member a new password and TOTP secret
	// (returned once), e.g. after a lost phone.
	ResetCredentials bool
}

// UpdateMember changes a member (operators only). An operator may add or
// remove only roles they hold (except the bootstrap operator) and never
// changes their own roles, unit or state. The member's next request sees
// the change: sessions load the member afresh.
func (s *Service) UpdateMember(ctx context.Context, by Actor, id string, c MemberChange) (Member, *Enrolment, error) {
	st, err := s.members()
	if err != nil {
		return Member{}, nil, err
	}
	op, err := s.actingOperator(ctx, st, by)
	if err != nil {
		return Member{}, nil, err
	}
	if id == op.ID {
		return Member{}, nil, fmt.Errorf("%w: another operator changes your own membership", ErrForbidden)
	}
	var roles []Role
	if c.Roles != nil {
		if roles, err = normalizeRoles(c.Roles); err != nil {
			return Member{}, nil, err
		}
	}
	var unit *Unit
	if c.UnitCode != nil {
		u, err := st.Unit(ctx, strings.TrimSpace(*c.UnitCode))
		if errors.Is(err, ErrNotFound) {
			return Member{}, nil, fmt.Errorf("%w: unknown unit %q", ErrInvalid, *c.UnitCode)
		}
		if err != nil {
			return Member{}, nil, fmt.Errorf("staff: load unit: %w", err)
		}
		unit = &u
	}
	var enr *Enrolment
	var newHash string
	if c.ResetCredentials {
		pw, err := generatePassword()
		if err != nil {
			return Member{}, nil, err
		}
		if newHash, err = accounts.HashPassword(pw, s.params); err != nil {
			return Member{}, nil, err
		}
		enr = &Enrolment{Password: pw}
	}
	out, err := st.UpdateMember(ctx, id, func(r *Record) error {
		detail := map[string]string{"member_id": r.ID, "username": r.Username}
		var actions []string
		if roles != nil && !slices.Equal(roles, r.Roles) {
			var changed []Role
			for _, x := range Roles {
				if slices.Contains(roles, x) != r.Has(x) {
					changed = append(changed, x)
				}
			}
			if !mayGrant(op, changed) {
				return fmt.Errorf("%w: you may grant or take away only roles you hold", ErrForbidden)
			}
			detail["roles_before"], detail["roles"] = joinRoles(r.Roles), joinRoles(roles)
			r.Roles = roles
			actions = append(actions, "roles")
		}
		if unit != nil && unit.Code != r.Unit.Code {
			detail["unit_before"], detail["member_unit"] = r.Unit.Code, unit.Code
			r.Unit = *unit
			actions = append(actions, "unit")
		}
		if c.Disabled != nil && *c.Disabled != r.Disabled {
			r.Disabled = *c.Disabled
			detail["disabled"] = fmt.Sprint(r.Disabled)
			actions = append(actions, "disabled")
		}
		if enr != nil {
			secret, uri, err := s.newTOTP(r.Username, "")
			if err != nil {
				return err
			}
			if r.TOTPSecret, err = s.totp.seal(r.ID, secret); err != nil {
				return err
			}
			enr.TOTPURI, enr.TOTPSecret = uri, secret
			r.PasswordHash, r.TOTPLastStep, r.MustChangePassword = newHash, 0, true
			r.SessionsValidFrom = s.now().UTC()
			actions = append(actions, "credentials_reset")
		}
		if len(actions) == 0 {
			return nil
		}
		r.UpdatedAt = s.now().UTC()
		detail["changed"] = strings.Join(actions, ",")
		return s.audit.Record(ctx, by.event(audit.Operator, "staff_member_changed", audit.Success, detail))
	})
	if err != nil {
		return Member{}, nil, fmt.Errorf("staff: update member %s: %w", id, err)
	}
	return out.Member, enr, nil
}

// Members lists every member (operators only).
func (s *Service) Members(ctx context.Context, by Actor) ([]Member, error) {
	st, err := s.members()
	if err != nil {
		return nil, err
	}
	if _, err := s.actingOperator(ctx, st, by); err != nil {
		return nil, err
	}
	return st.Members(ctx)
}

// AllMembers lists every member, for the operator's command line.
func (s *Service) AllMembers(ctx context.Context) ([]Member, error) {
	st, err := s.members()
	if err != nil {
		return nil, err
	}
	return st.Members(ctx)
}

// Member returns one member (operators only).
func (s *Service) Member(ctx context.Context, by Actor, id string) (Member, error) {
	st, err := s.members()
	if err != nil {
		return Member{}, err
	}
	if _, err := s.actingOperator(ctx, st, by); err != nil {
		return Member{}, err
	}
	r, err := st.MemberByID(ctx, id)
	if err != nil {
		return Member{}, fmt.Errorf("staff: member %s: %w", id, err)
	}
	return r.Member, nil
}

// Units lists every unit.
func (s *Service) Units(ctx context.Context) ([]Unit, error) {
	st, err := s.members()
	if err != nil {
		return nil, err
	}
	return st.Units(ctx)
}

// PutUnit creates or renames a unit (operators only); its parent must
// exist.
func (s *Service) PutUnit(ctx context.Context, by Actor, u Unit) error {
	st, err := s.members()
	if err != nil {
		return err
	}
	if _, err := s.actingOperator(ctx, st, by); err != nil {
		return err
	}
	return s.putUnit(ctx, st, u, by.event(audit.Operator, "staff_unit_saved", audit.Success, map[string]string{"saved_unit": u.Code}))
}

// PutUnitDirect creates or renames a unit for the command line and demo
// data; by names who ran it (audited).
func (s *Service) PutUnitDirect(ctx context.Context, u Unit, by string) error {
	st, err := s.members()
	if err != nil {
		return err
	}
	return s.putUnit(ctx, st, u, audit.Event{Type: audit.OperatorAction, ActorKind: audit.Operator, ActorID: by, Outcome: audit.Success,
		Detail: map[string]string{"action": "staff_unit_saved", "saved_unit": u.Code}})
}

func (s *Service) putUnit(ctx context.Context, st MemberStore, u Unit, e audit.Event) error {
	u.Name = strings.TrimSpace(u.Name)
	if err := u.Validate(); err != nil {
		return err
	}
	if p := u.Parent(); p != "" {
		if _, err := st.Unit(ctx, p); errors.Is(err, ErrNotFound) {
			return fmt.Errorf("%w: parent unit %s does not exist", ErrInvalid, p)
		} else if err != nil {
			return fmt.Errorf("staff: load unit: %w", err)
		}
	}
	if err := st.PutUnit(ctx, u, func() error { return s.audit.Record(ctx, e) }); err != nil {
		return fmt.Errorf("staff: save unit %s: %w", u.Code, err)
	}
	return nil
}

// FindMember returns the member with this id or username, for the
// operator's command line (ErrNotFound when none).
func (s *Service) FindMember(ctx context.Context, ref string) (Member, error) {
	st, err := s.members()
	if err != nil {
		return Member{}, err
	}
	r, err := st.MemberByUsername(ctx, strings.ToLower(strings.TrimSpace(ref)))
	if errors.Is(err, ErrNotFound) {
		if _, perr := uuid.Parse(ref); perr == nil {
			r, err = st.MemberByID(ctx, ref)
		}
	}
	if err != nil {
		return Member{}, err
	}
	return r.Member, nil
}
