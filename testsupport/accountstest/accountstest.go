package accountstest

import (
	"context"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	attributespg "github.com/dinhdanh/dinhdanh/attributes/postgres"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/audit/audittest"
	foreignerspg "github.com/dinhdanh/dinhdanh/foreigners/postgres"
	"github.com/dinhdanh/dinhdanh/internal/keyderive"
	"github.com/dinhdanh/dinhdanh/internal/testclock"
	"github.com/dinhdanh/dinhdanh/personalid"
)

// Recorder is the spy audit.Recorder with the accounts tests' view of it.
// Set Fail to make Record fail.
type Recorder struct {
	audittest.Spy
	Fail error
}

// Record implements audit.Recorder.
func (r *Recorder) Record(ctx context.Context, e audit.Event) error {
	if r.Fail != nil {
		return r.Fail
	}
	return r.Spy.Record(ctx, e)
}

// Types returns the recorded event types, with their reasons after a colon
// when set ("signin.failed:bad_password").
func (r *Recorder) Types() []string {
	var out []string
	for _, e := range r.Events() {
		s := string(e.Type)
		if e.Reason != "" {
			s += ":" + e.Reason
		}
		out = append(out, s)
	}
	return out
}

// Clock is a settable clock.
type Clock = testclock.Clock

// Start is where test clocks start: a Monday morning in Hà Nội, 5 seconds
// into a TOTP step.
var Start = time.Date(2026, 11, 23, 2, 0, 5, 0, time.UTC)

// NewClock returns a clock at Start.
func NewClock() *Clock { return testclock.New(Start) }

// Sender captures messages instead of sending them.
type Sender struct {
	mu   sync.Mutex
	msgs []accounts.DevMessage
	Fail error
}

// Send implements accounts.Sender.
func (s *Sender) Send(_ context.Context, phone, message string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.Fail != nil {
		return s.Fail
	}
	s.msgs = append(s.msgs, accounts.DevMessage{Phone: phone, Body: message})
	return nil
}

// SendEmail implements accounts.EmailSender: an e-mail is kept like a
// message to its address, its subject and text one body.
func (s *Sender) SendEmail(ctx context.Context, to, subject, text string) error {
	return s.Send(ctx, to, subject+"\n\n"+text)
}

// Last returns the body of the last message sent to phone, or "".
func (s *Sender) Last(phone string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.msgs) - 1; i >= 0; i-- {
		if s.msgs[i].Phone == phone {
			return s.msgs[i].Body
		}
	}
	return ""
}

// Count returns how many messages went out.
func (s *Sender) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.msgs)
}

var sixDigits = regexp.MustCompile(`\b[0-9]{6}\b`)

// LastCode returns the code in the last message sent to phone.
func (s *Sender) LastCode(t testing.TB, phone string) string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := len(s.msgs) - 1; i >= 0; i-- {
		if s.msgs[i].Phone == phone {
			code := sixDigits.FindString(s.msgs[i].Body)
			require.NotEmpty(t, code, "no code in %q", s.msgs[i].Body)
			return code
		}
	}
	t.Fatalf("no message to %s", phone)
	return ""
}

// CodeIn finds the 6-digit code in a message body.
func CodeIn(body string) string { return sixDigits.FindString(body) }

// Params are cheap argon2id parameters for tests.
var Params = accounts.Argon2Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

// PasskeyRPID and PasskeyOrigin are the WebAuthn relying party id and
// origin of an Env's passkeys.
const (
	PasskeyRPID   = "gateway.example"
	PasskeyOrigin = "https://gateway.example"
)

// Env is an accounts Service on a test database with its test doubles.
type Env struct {
	Service  *accounts.Service
	Store    *accountspg.Store
	Registry *attributespg.Store
	// Foreigners is the foreigners' registry registration from passport
	// data is checked against.
	Foreigners *foreignerspg.Store
	Audit      *Recorder
	Clock      *Clock
	Sender     *Sender
	TOTPKey    []byte
	// Cascade records what locks ended beyond the account's row.
	Cascade *Cascade
	// Notices records what the citizen was told (accounts.Notifier).
	Notices *Notices
}

// Notices captures accounts' notices instead of queueing them.
type Notices struct {
	mu  sync.Mutex
	got []accounts.Notice
}

// Notify implements accounts.Notifier.
func (n *Notices) Notify(_ context.Context, in accounts.Notice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.got = append(n.got, in)
	return nil
}

// Kinds returns the kinds told to accountID, in order.
func (n *Notices) Kinds(accountID string) []accounts.NoticeKind {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []accounts.NoticeKind
	for _, in := range n.got {
		if in.Account.ID == accountID {
			out = append(out, in.Kind)
		}
	}
	return out
}

// All returns every notice, in order.
func (n *Notices) All() []accounts.Notice {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.got)
}

// Cascade stands for the token store and the back-channel logout a lock
// reaches (accounts.TokenRevoker, accounts.LogoutNotifier): it records the
// account ids it was asked to end, in order.
type Cascade struct {
	mu      sync.Mutex
	revoked []string
	logouts []string
}

// RevokeAccount implements accounts.TokenRevoker.
func (c *Cascade) RevokeAccount(_ context.Context, accountID string) (int64, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.revoked = append(c.revoked, accountID)
	return 1, nil
}

// AccountLocked implements accounts.LogoutNotifier.
func (c *Cascade) AccountLocked(_ context.Context, accountID string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.logouts = append(c.logouts, accountID)
	return nil
}

// Ended returns the accounts whose tokens were revoked and those whose
// relying parties were told, in order.
func (c *Cascade) Ended() (revoked, logouts []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.revoked), slices.Clone(c.logouts)
}

// New builds an Env on pool (a pgtest database's App pool). sender
// overrides the capturing Sender when not nil.
func New(t testing.TB, pool *pgxpool.Pool, sender accounts.Sender) *Env {
	t.Helper()
	return NewWithLockout(t, pool, sender, accounts.LockoutPolicy{})
}

// NewWithLockout is New with a lockout policy (zero fields take the
// defaults).
func NewWithLockout(t testing.TB, pool *pgxpool.Pool, sender accounts.Sender, lockout accounts.LockoutPolicy) *Env {
	t.Helper()
	env := &Env{
		Store: accountspg.NewStore(pool), Registry: attributespg.NewStore(pool), Foreigners: foreignerspg.NewStore(pool),
		Audit: &Recorder{}, Clock: NewClock(), Sender: &Sender{}, TOTPKey: make([]byte, 32),
		Cascade: &Cascade{}, Notices: &Notices{},
	}
	for i := range env.TOTPKey {
		env.TOTPKey[i] = byte(i)
	}
	if sender == nil {
		sender = env.Sender
	}
	email, ok := sender.(accounts.EmailSender)
	if !ok {
		email = env.Sender
	}
	svc, err := accounts.New(accounts.Config{
		Store: env.Store, Registry: env.Registry, Foreigners: env.Foreigners, Audit: env.Audit, Sender: sender,
		Now: env.Clock.Now, Argon2Params: Params, TOTPKey: env.TOTPKey,
		CodeKey: keyderive.Key(env.TOTPKey, "test-sms"), DeviceKey: keyderive.Key(env.TOTPKey, "test-device"),
		Tokens: env.Cascade, Logout: env.Cascade, Lockout: lockout,
		Passkeys: &accounts.PasskeyConfig{RPID: PasskeyRPID, Origins: []string{PasskeyOrigin}},
		Notices:  env.Notices, Email: email,
	})
	require.NoError(t, err)
	env.Service = svc
	return env
}

// Person is a valid population record with personal id number pid (its
// year and gender are decoded from the number; born 17 May).
func Person(t testing.TB, pid, name string) attributes.Person {
	t.Helper()
	p, err := personalid.Parse(pid)
	require.NoError(t, err)
	return attributes.Person{
		PersonalID: pid, FullName: name, BirthDate: time.Date(p.BirthYear, 5, 17, 0, 0, 0, 0, time.UTC),
		Gender: p.Gender, Nationality: "VN",
		Residence: attributes.Address{Street: "1 Tràng Tiền", Ward: "Tràng Tiền", District: "Hoàn Kiếm", Province: "Hà Nội", Country: "VN"},
	}
}

// Citizen registers a population record and an active account with a
// password and phone, and returns the account.
func (e *Env) Citizen(t testing.TB, pid, password, phone string, level assurance.Level) accounts.Account {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, e.Registry.Write(ctx, []attributes.Person{Person(t, pid, "Nguyễn Văn An")}, nil))
	a, err := e.Service.Create(ctx, accounts.NewAccount{
		PersonalID: pid, Level: level, Status: accounts.Active, Phone: phone, Password: password, Evidence: Evidence(level),
	}, accounts.Actor{Kind: audit.Officer, ID: "officer-1"})
	require.NoError(t, err)
	return a
}

// EnrolTOTP enrols and confirms an authenticator for the account and
// returns its secret. The clock moves on one step so the confirming code is
// not the one a test uses next.
func (e *Env) EnrolTOTP(t testing.TB, accountID string) string {
	t.Helper()
	ctx := context.Background()
	enr, err := e.Service.EnrollTOTP(ctx, accountID, accounts.Actor{Kind: audit.Citizen, ID: accountID})
	require.NoError(t, err)
	code, err := accounts.TOTPCode(enr.Secret, e.Clock.Now())
	require.NoError(t, err)
	require.NoError(t, e.Service.ConfirmTOTP(ctx, accountID, code, accounts.Actor{Kind: audit.Citizen, ID: accountID}))
	e.Clock.Advance(30 * time.Second)
	return enr.Secret
}

// WrongCode returns a 6-digit code different from every code given (so a
// test's "wrong" code cannot be the right one by chance).
func WrongCode(right ...string) string {
	for _, c := range []string{"000000", "111111", "222222"} {
		if !slices.Contains(right, c) {
			return c
		}
	}
	return "333333"
}

// TOTPWindow returns the codes of secret accepted at now (one step either
// side).
func TOTPWindow(t testing.TB, secret string, now time.Time) []string {
	t.Helper()
	var out []string
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		c, err := accounts.TOTPCode(secret, now.Add(d))
		require.NoError(t, err)
		out = append(out, c)
	}
	return out
}

// Evidence is counter enrolment evidence for level, as an officer's checks
// would produce it: for accounts a test creates at a level (nil at level 0).
func Evidence(level assurance.Level) *accounts.Evidence {
	if level == assurance.None {
		return nil
	}
	return &accounts.Evidence{Level: level, Method: accounts.EvidenceCounter, DocumentNumber: "012345678", IssuingState: "VNM",
		OfficerID: "officer-1", Unit: "01.001", Checks: []accounts.Check{
			{Name: "passive_authentication", OK: true}, {Name: "active_authentication", OK: true},
			{Name: "registry_match", OK: true}, {Name: "portrait_captured", OK: true},
		}}
}

// WithEvidence attaches counter evidence for r's level to a record a test
// writes straight to the store (a level above 0 needs one).
func WithEvidence(r accounts.Record) accounts.Record {
	if ev := Evidence(r.Level); ev != nil {
		ev.ID, ev.AccountID, ev.CreatedAt = uuid.NewString(), r.ID, r.CreatedAt
		r.EvidenceID, r.Enrolment = ev.ID, ev
	}
	return r
}
