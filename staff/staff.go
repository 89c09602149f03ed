package staff

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/audit"
)

// Errors of the staff domain.
var (
	ErrNotFound = errors.New("staff: not found")
	// ErrUnauthenticated: the credential is unknown, malformed or revoked.
	ErrUnauthenticated = errors.New("staff: not a valid credential")
	ErrInvalid         = errors.New("staff: invalid")
)

// TokenPrefix starts every officer credential, so that a leaked one is
// recognised (by a secret scanner, in a log) for what it is.
const TokenPrefix = "ddo_"

// Credential is an officer's API credential, as stored: never the token.
type Credential struct {
	ID        string
	OfficerID string
	// Unit is the officer's police unit (commune, district or province).
	Unit      string
	CreatedAt time.Time
	CreatedBy string
	RevokedAt *time.Time
}

// Active reports whether the credential may still be used.
func (c Credential) Active() bool { return c.RevokedAt == nil }

// Store keeps credentials by the keyed hash of their token.
type Store interface {
	// CreateCredential stores c with its token's hash; fn runs in the same
	// transaction before it commits (the audit record), and its error
	// undoes the write.
	CreateCredential(ctx context.Context, c Credential, hash []byte, fn func() error) error
	// CredentialByHash returns the credential whose token hashes to hash;
	// ErrNotFound when none.
	CredentialByHash(ctx context.Context, hash []byte) (Credential, error)
	// RevokeCredential marks the credential revoked at t (once), running fn
	// in the same transaction before it commits; ErrNotFound when unknown
	// or already revoked.
	RevokeCredential(ctx context.Context, id string, t time.Time, fn func(Credential) error) (Credential, error)
	// ListCredentials returns every credential, newest first.
	ListCredentials(ctx context.Context) ([]Credential, error)

	MemberStore
}

// Config builds a Service.
type Config struct {
	Store Store
	// Key (at least 32 bytes) keys the hash of tokens: a copy of the table
	// alone cannot be used to find or check a token.
	Key []byte
	// Audit records every issue and revocation; when it fails, so does the
	// change.
	Audit audit.Recorder
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// TOTPKey (32 bytes, AES-256) seals members' TOTP secrets at rest.
	// Without it the service handles API credentials only.
	TOTPKey []byte
	// Argon2Params hash members' passwords; accounts.DefaultArgon2Params
	// when any of them is zero.
	Argon2Params accounts.Argon2Params
	// Hashing, when set, bounds password hashing on request paths (the
	// citizens' limiter: one memory budget for argon2id).
	Hashing *accounts.HashLimiter
	// Lockout is the sign-in throttle; zero fields take
	// DefaultLockoutPolicy's values.
	Lockout LockoutPolicy
	// Passkeys, when set, lets members use a passkey (WebAuthn) as the
	// second factor instead of the TOTP code.
	Passkeys *PasskeyConfig
}

// Service issues, checks and revokes officer credentials, and manages
// staff members, units and their sign-in.
type Service struct {
	store       Store
	memberStore MemberStore
	key         []byte
	audit       audit.Recorder
	now         func() time.Time
	totp        *totpCipher
	params      accounts.Argon2Params
	hashing     *accounts.HashLimiter
	lockout     LockoutPolicy
	dummyHash   string
	webauthn    *webauthn.WebAuthn
}

// New checks cfg.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Audit == nil || len(cfg.Key) < 32 {
		return nil, errors.New("staff: a store, an audit recorder and a key of at least 32 bytes are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if p := cfg.Argon2Params; p.Memory == 0 || p.Time == 0 || p.Threads == 0 || p.SaltLen == 0 || p.KeyLen == 0 {
		cfg.Argon2Params = accounts.DefaultArgon2Params
	}
	s := &Service{store: cfg.Store, memberStore: cfg.Store, key: cfg.Key, audit: cfg.Audit, now: cfg.Now,
		params: cfg.Argon2Params, hashing: cfg.Hashing, lockout: cfg.Lockout.withDefaults()}
	w, err := newWebAuthn(cfg.Passkeys)
	if err != nil {
		return nil, err
	}
	s.webauthn = w
	if cfg.TOTPKey != nil {
		c, err := newTOTPCipher(cfg.TOTPKey)
		if err != nil {
			return nil, err
		}
		s.totp = c
		// An unknown username still costs one hash, so timing does not
		// tell which usernames exist.
		if s.dummyHash, err = accounts.HashPassword("not a password of anyone", cfg.Argon2Params); err != nil {
			return nil, err
		}
	}
	return s, nil
}

var officerIDPattern = regexp.MustCompile(`^[A-Za-z0-9._@:-]{1,128}$`)

// ValidOfficerID reports whether id can name an officer: letters, digits
// and . _ - @ :, at most 128.
func ValidOfficerID(id string) bool { return officerIDPattern.MatchString(id) }

// Issue creates a credential for officerID at unit and returns its token,
// shown once; by names the operator who issued it (audited).
func (s *Service) Issue(ctx context.Context, officerID, unit, by string) (string, Credential, error) {
	unit = strings.TrimSpace(unit)
	switch {
	case !ValidOfficerID(officerID):
		return "", Credential{}, fmt.Errorf("%w: officer id must be letters, digits and . _ - @ :, at most 128", ErrInvalid)
	case unit == "" || len(unit) > 200:
		return "", Credential{}, fmt.Errorf("%w: the officer's police unit is required (at most 200 characters)", ErrInvalid)
	case by == "":
		return "", Credential{}, fmt.Errorf("%w: who issues the credential is required", ErrInvalid)
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", Credential{}, fmt.Errorf("staff: random: %w", err)
	}
	token := TokenPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	c := Credential{ID: uuid.NewString(), OfficerID: officerID, Unit: unit, CreatedAt: s.now().UTC(), CreatedBy: by}
	e := audit.Event{Type: audit.OperatorAction, ActorKind: audit.Operator, ActorID: by, Outcome: audit.Success,
		Detail: map[string]string{"action": "officer_credential_issued", "credential_id": c.ID, "officer_id": officerID, "unit": unit}}
	if err := s.store.CreateCredential(ctx, c, s.hash(token), func() error { return s.audit.Record(ctx, e) }); err != nil {
		return "", Credential{}, fmt.Errorf("staff: issue credential: %w", err)
	}
	return token, c, nil
}

// Authenticate returns the active credential a token stands for;
// ErrUnauthenticated otherwise. A store failure is another error.
func (s *Service) Authenticate(ctx context.Context, token string) (Credential, error) {
	if !strings.HasPrefix(token, TokenPrefix) || len(token) > 200 {
		return Credential{}, ErrUnauthenticated
	}
	c, err := s.store.CredentialByHash(ctx, s.hash(token))
	switch {
	case errors.Is(err, ErrNotFound):
		return Credential{}, ErrUnauthenticated
	case err != nil:
		return Credential{}, fmt.Errorf("staff: authenticate: %w", err)
	case !c.Active():
		return Credential{}, ErrUnauthenticated
	}
	return c, nil
}

// Revoke ends a credential at once; by names the operator (audited).
func (s *Service) Revoke(ctx context.Context, id, by string) (Credential, error) {
	if by == "" {
		return Credential{}, fmt.Errorf("%w: who revokes the credential is required", ErrInvalid)
	}
	c, err := s.store.RevokeCredential(ctx, id, s.now().UTC(), func(c Credential) error {
		return s.audit.Record(ctx, audit.Event{Type: audit.OperatorAction, ActorKind: audit.Operator, ActorID: by, Outcome: audit.Success,
			Detail: map[string]string{"action": "officer_credential_revoked", "credential_id": id, "officer_id": c.OfficerID}})
	})
	if err != nil {
		return Credential{}, fmt.Errorf("staff: revoke credential %s: %w", id, err)
	}
	return c, nil
}

// List returns every credential, newest first.
func (s *Service) List(ctx context.Context) ([]Credential, error) {
	return s.store.ListCredentials(ctx)
}

func (s *Service) hash(token string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(token))
	return m.Sum(nil)
}
