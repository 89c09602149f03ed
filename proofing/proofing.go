package proofing

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/biometrics"
	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/foreigners"
	"github.com/dinhdanh/dinhdanh/staff"
)

// Errors of the proofing domain. A refused enrolment wraps one of them and
// says which check failed.
var (
	ErrNotFound = errors.New("proofing: not found")
	ErrInvalid  = errors.New("proofing: invalid request")
	// ErrForbidden: the staff member lacks the role, or the read is
	// another officer's.
	ErrForbidden = errors.New("proofing: not allowed for this staff member")
	// ErrChallenge: the chip's challenge is unknown, used, expired or was
	// issued to someone else.
	ErrChallenge = errors.New("proofing: challenge unknown, used or expired")
	// ErrChecksFailed: a verification did not pass; the ChipRead (or the
	// error's text) names which.
	ErrChecksFailed = errors.New("proofing: verification failed")
	// ErrStale: the chip read is too old to enrol on; read the card again.
	ErrStale = errors.New("proofing: chip read too old")
	// ErrNoAccount: the citizen has no account yet (they register first,
	// on the web or in the app).
	ErrNoAccount = errors.New("proofing: no account for this citizen")
)

// Check names, as they appear in ChipRead.Checks and accounts.Evidence.
const (
	CheckPassiveAuth   = "passive_authentication"
	CheckActiveAuth    = "active_authentication"
	CheckCardData      = "card_data_consistent"
	CheckRegistry      = "registry_match"
	CheckDocumentValid = "document_valid"
	CheckPortrait      = "portrait_captured"
	CheckFingerprint   = "fingerprint_match"
	CheckConsent       = "consent"
	// A foreigner's passport at the counter (see SubmitRead): its MRZ, the
	// foreigners' registry, the chip's portrait the officer compared with
	// the person, and the fingerprint that becomes the account's reference
	// (there is no national one to match for a foreigner).
	CheckPassportData        = "passport_data_consistent"
	CheckForeignersRegistry  = "foreigners_registry_match"
	CheckChipPortrait        = "chip_portrait_compared"
	CheckFingerprintEnrolled = "fingerprint_enrolled"
)

// Documents a read is of (ChipRead.Document).
const (
	DocumentIDCard   = accounts.DocumentIDCard
	DocumentPassport = accounts.DocumentPassport
)

// ChipResult is what a ChipVerifier proved about chip data.
type ChipResult struct {
	// Signer names the document signer certificate (subject, serial), and
	// CSCA the country signing certificate it chains to.
	Signer string
	CSCA   string
	// ActiveAuth: the chip signed the verifier's challenge with the key of
	// its DG15, which the issuer signed: it is not a copy.
	ActiveAuth bool
}

// ChipVerifier verifies chip data the gateway did not read itself: passive
// authentication against the trusted CSCAs and CRLs, and the chip's answer
// to chip.Challenge. The top floor adapts package cardreader's Verify with
// the trust list the operator loaded. An error names the first failure;
// when passive authentication passed but the chip's own proof failed, it
// wraps cardreader.ErrClone and the result still names Signer and CSCA.
type ChipVerifier interface {
	VerifyChip(chip cardreader.ChipData, now time.Time) (ChipResult, error)
}

// Foreigners is the foreigners' registry a passport is compared with
// (package foreigners; countries are ICAO alpha-3 codes, as in the MRZ).
type Foreigners interface {
	ByPassport(ctx context.Context, issuingCountry, passportNo string) (foreigners.Resident, error)
}

// Registry is the population registry a card is compared with.
type Registry interface {
	Person(ctx context.Context, personalID string) (attributes.Person, error)
}

// Accounts is the accounts domain, as proofing uses it.
type Accounts interface {
	ByPersonalID(ctx context.Context, personalID string) (accounts.Account, error)
	Enrol(ctx context.Context, accountID string, ev accounts.Evidence, by accounts.Actor) (accounts.Account, accounts.Evidence, error)
	Evidence(ctx context.Context, accountID string) ([]accounts.Evidence, error)
}

// Biometrics keeps the portrait and fingerprint templates captured.
type Biometrics interface {
	Put(ctx context.Context, r biometrics.Record) error
}

// Matcher compares a fingerprint template captured at the counter with the
// one enrolled for the card (the ID card database's). Score and Threshold
// are on the matcher's own scale; the finger matches when Score >=
// Threshold.
type Matcher interface {
	Match(ctx context.Context, personalID string, position int, probe []byte) (Match, error)
}

// Match is a Matcher's answer.
type Match struct {
	Score, Threshold int
}

// OK reports whether the finger matched.
func (m Match) OK() bool { return m.Score >= m.Threshold }

// Notifier tells a citizen the result of an enrolment (SMS or e-mail).
type Notifier interface {
	NotifyEnrolment(ctx context.Context, a accounts.Account, level int, approved bool, reason string) error
}

// Challenge is a random value for a chip to sign, bound to who asked.
type Challenge struct {
	Value []byte // 8 bytes
	// IssuedTo is the staff member id, or "app:" and the personal ID
	// number for the app.
	IssuedTo  string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// ChipRead is a verified (or refused) chip read: the identity the card
// carries and every check run, never a biometric.
type ChipRead struct {
	ID string
	// Document is DocumentIDCard or DocumentPassport.
	Document string
	// PersonalID is the ID card's number, or for a passport the
	// identification number the foreigners' registry assigned its holder
	// (their account's login); "" when the registry has no such passport.
	PersonalID     string
	DocumentNumber string
	IssuingState   string
	DocumentExpiry time.Time
	AccessControl  string
	Signer         string
	CSCA           string
	// Person is the card's identity (DG1 and DG13), for the officer's
	// screen; Mismatches names the fields that differ from the registry.
	Person     attributes.Person
	Mismatches []string
	Checks     []accounts.Check
	// ReadBy and Unit name the officer (empty for the app); CreatedAt
	// when the gateway verified it.
	ReadBy    string
	Unit      string
	CreatedAt time.Time
	// UsedAt is set once an enrolment used the read.
	UsedAt *time.Time
	// Portrait is a passport's chip portrait (DG2's face image, signed by
	// its SOD) and its media type, for the officer's visual comparison;
	// dropped once an enrolment used the read, or when the read is older
	// than ReadTTL (PurgePortraits). Never set for an ID card.
	Portrait       []byte
	PortraitFormat string
}

// OK reports whether every check passed.
func (r ChipRead) OK() bool {
	for _, c := range r.Checks {
		if !c.OK {
			return false
		}
	}
	return len(r.Checks) > 0
}

// Failed names the checks that failed.
func (r ChipRead) Failed() []string {
	var out []string
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c.Name)
		}
	}
	return out
}

// Store keeps challenges, reads and app submissions.
type Store interface {
	CreateChallenge(ctx context.Context, c Challenge) error
	// UseChallenge consumes the live challenge with value issued to
	// issuedTo, at now; ErrChallenge when there is none.
	UseChallenge(ctx context.Context, value []byte, issuedTo string, now time.Time) error
	// SaveRead stores a read; fn runs in the same transaction (the audit
	// record).
	SaveRead(ctx context.Context, r ChipRead, fn func() error) error
	// Read returns a read by id; ErrNotFound when none.
	Read(ctx context.Context, id string) (ChipRead, error)
	// UseRead marks the read used at t, once: ErrStale when it was used
	// already. ReleaseRead undoes it after a failed enrolment.
	UseRead(ctx context.Context, id string, t time.Time) error
	ReleaseRead(ctx context.Context, id string) error
	// DropPortraits removes the chip portrait (a passport's DG2 image) of
	// the read id and of every read made before before; it says how many.
	DropPortraits(ctx context.Context, id string, before time.Time) (int64, error)
	// Reads returns an officer's reads since t, newest first.
	Reads(ctx context.Context, readBy string, since time.Time) ([]ChipRead, error)

	CreateSubmission(ctx context.Context, s Submission, fn func() error) error
	Submission(ctx context.Context, id string) (Submission, error)
	// UpdateSubmission locks a submission, calls fn and writes back what
	// it changed (state, decision, checks, portrait, evidence), in one
	// transaction; fn's error undoes it. ErrNotFound when there is none.
	UpdateSubmission(ctx context.Context, id string, fn func(*Submission) error) (Submission, error)
	// PendingSubmissions returns the submissions waiting for an officer,
	// oldest first.
	PendingSubmissions(ctx context.Context, limit int) ([]Submission, error)
}

// Config builds a Service. Every field but Notifier and Now is required.
type Config struct {
	Store    Store
	Chips    ChipVerifier
	Registry Registry
	// Foreigners is the foreigners' registry; nil refuses every passport
	// (its registry check fails).
	Foreigners Foreigners
	Accounts   Accounts
	Biometrics Biometrics
	Matcher    Matcher
	Audit      audit.Recorder
	Notifier   Notifier
	Now        func() time.Time
	// ChallengeTTL bounds how long a challenge may wait for its chip (5
	// minutes when 0); ReadTTL how long a verified read may wait for the
	// enrolment (30 minutes when 0).
	ChallengeTTL, ReadTTL time.Duration
}

// Service runs identity proofing.
type Service struct {
	cfg Config
}

// New checks cfg.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Chips == nil || cfg.Registry == nil || cfg.Accounts == nil ||
		cfg.Biometrics == nil || cfg.Matcher == nil || cfg.Audit == nil {
		return nil, errors.New("proofing: store, chip verifier, registry, accounts, biometrics, matcher and audit are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.ChallengeTTL <= 0 {
		cfg.ChallengeTTL = 5 * time.Minute
	}
	if cfg.ReadTTL <= 0 {
		cfg.ReadTTL = 30 * time.Minute
	}
	return &Service{cfg: cfg}, nil
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC().Truncate(time.Microsecond) }

// IssueChallenge gives an officer a fresh challenge for the next card.
func (s *Service) IssueChallenge(ctx context.Context, by staff.Principal) (Challenge, error) {
	if !by.Has(staff.RoleOfficer) {
		return Challenge{}, ErrForbidden
	}
	return s.issue(ctx, by.MemberID)
}

func (s *Service) issue(ctx context.Context, to string) (Challenge, error) {
	v := make([]byte, 8)
	if _, err := rand.Read(v); err != nil {
		return Challenge{}, fmt.Errorf("proofing: random: %w", err)
	}
	now := s.now()
	c := Challenge{Value: v, IssuedTo: to, CreatedAt: now, ExpiresAt: now.Add(s.cfg.ChallengeTTL)}
	if err := s.cfg.Store.CreateChallenge(ctx, c); err != nil {
		return Challenge{}, fmt.Errorf("proofing: challenge: %w", err)
	}
	return c, nil
}

func officerActor(p staff.Principal) accounts.Actor {
	return accounts.Actor{Kind: audit.Officer, ID: p.MemberID}
}
