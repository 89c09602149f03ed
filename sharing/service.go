package sharing

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
)

// Signer signs claims as a compact JWS with the gateway's current key for
// alg, setting kid and the typ header, so that the published JWKS verifies
// it. The OIDC key service (oidc.Keys) implements it.
type Signer interface {
	SignType(alg, typ string, claims any) (string, error)
}

// Holder is what sharing needs to know of an account.
type Holder struct {
	PersonalID string
	// Level is the account's level now (1 or 2).
	Level assurance.Level
	// Active is false for pending and locked accounts.
	Active bool
}

// Holders looks accounts up.
type Holders interface {
	Holder(ctx context.Context, accountID string) (Holder, error)
}

// HolderFunc adapts a function to Holders.
type HolderFunc func(ctx context.Context, accountID string) (Holder, error)

// Holder implements Holders.
func (f HolderFunc) Holder(ctx context.Context, accountID string) (Holder, error) {
	return f(ctx, accountID)
}

// DefaultTTL is how long a credential is valid by default: long enough to be
// shown and scanned, short enough that a photographed QR code is soon
// worthless.
const DefaultTTL = 10 * time.Minute

// Config is what a Service is built from. Signer, Holders, Registry,
// Documents, Audit and Issuer are required.
type Config struct {
	Signer    Signer
	Holders   Holders
	Registry  attributes.Registry
	Documents attributes.DocumentSource
	// Audit records every issuance; when it fails, nothing is issued.
	Audit audit.Recorder
	// Issuer is the iss of credentials: the gateway's issuer URL.
	Issuer string
	// TTL is the validity of a credential; DefaultTTL when zero.
	TTL time.Duration
	// MaxSize caps a credential's length in bytes; QRCapacityL when zero.
	MaxSize int
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// Rand is the source of salts and jti; crypto/rand when nil.
	Rand io.Reader
}

// Service issues credentials.
type Service struct{ cfg Config }

// New checks cfg and returns a Service.
func New(cfg Config) (*Service, error) {
	if cfg.Signer == nil || cfg.Holders == nil || cfg.Registry == nil || cfg.Documents == nil || cfg.Audit == nil || cfg.Issuer == "" {
		return nil, errors.New("sharing: signer, holders, registry, documents, audit and issuer are required")
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.MaxSize <= 0 {
		cfg.MaxSize = QRCapacityL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	return &Service{cfg: cfg}, nil
}

// TTL is the validity of the credentials the service issues.
func (s *Service) TTL() time.Duration { return s.cfg.TTL }

// Attribute is one shareable attribute and the holder's value, as it would
// be disclosed (the claim value of package attributes).
type Attribute struct {
	Claim string
	Value any
}

// Offer returns what the holder may share at level (the sign-in's level,
// capped by the account's), with their values, in display order.
// Attributes with no value in the registries are left out.
func (s *Service) Offer(ctx context.Context, accountID string, level assurance.Level) ([]Attribute, error) {
	h, level, err := s.holder(ctx, accountID, level)
	if err != nil {
		return nil, err
	}
	names := Shareable(level)
	vals, _, err := attributes.Release(ctx, s.cfg.Registry, s.cfg.Documents, h.PersonalID, level, names)
	if err != nil {
		return nil, fmt.Errorf("sharing: offer: %w", err)
	}
	var out []Attribute
	for _, n := range names {
		if v, ok := vals[n]; ok && !empty(v) {
			out = append(out, Attribute{Claim: n, Value: compact(n, v)})
		}
	}
	return out, nil
}

func (s *Service) holder(ctx context.Context, accountID string, level assurance.Level) (Holder, assurance.Level, error) {
	h, err := s.cfg.Holders.Holder(ctx, accountID)
	if err != nil {
		return Holder{}, 0, fmt.Errorf("sharing: load account: %w", err)
	}
	if !h.Active {
		return Holder{}, 0, ErrNotActive
	}
	return h, min(level, h.Level), nil
}

// empty reports a value not worth disclosing: a document kind the holder
// has none of.
func empty(v any) bool {
	switch x := v.(type) {
	case []map[string]any:
		return len(x) == 0
	case string:
		return x == ""
	}
	return false
}

// Actor is who asked for a credential, for the audit log.
type Actor struct {
	IP, UserAgent, RequestID string
}

// Request asks for a credential.
type Request struct {
	AccountID string
	// Level is the assurance level of the sign-in (websession.Login's
	// ACRLevel); the account's current level caps it.
	Level assurance.Level
	// Claims are the attributes the citizen ticked.
	Claims []string
	// Challenge is the verifier's challenge code as typed, or empty.
	Challenge string
	// Format is the credential's encoding: FormatSDJWT (the zero value) or
	// FormatCompact.
	Format Format
	Actor  Actor
}

// Credential is an issued credential.
type Credential struct {
	// Token is the credential's text, what the QR code holds: an SD-JWT or
	// a compact credential (Request.Format).
	Token string
	// Claims are the names of the disclosed attributes, sorted.
	Claims   []string
	JTI      string
	ACR      string
	Nonce    string
	IssuedAt time.Time
	Expires  time.Time
}

// Issue makes a credential disclosing the requested attributes and records
// it in the audit log. It refuses (ErrNotShareable) any attribute that is
// not shareable at the sign-in's level rather than silently leaving it out.
func (s *Service) Issue(ctx context.Context, r Request) (Credential, error) {
	names := slices.Clone(r.Claims)
	slices.Sort(names)
	names = slices.Compact(names)
	if len(names) == 0 {
		return Credential{}, ErrNothingToShare
	}
	nonce, err := NormalizeChallenge(r.Challenge)
	if err != nil {
		return Credential{}, err
	}
	h, level, err := s.holder(ctx, r.AccountID, r.Level)
	if err != nil {
		return Credential{}, err
	}
	for _, n := range names {
		p, ok := attributes.Policy(n)
		if !ok || !slices.Contains(shareable, n) || p.MinLevel > level {
			return Credential{}, fmt.Errorf("%w: %q at level %d", ErrNotShareable, n, level)
		}
	}
	vals, _, err := attributes.Release(ctx, s.cfg.Registry, s.cfg.Documents, h.PersonalID, level, names)
	if err != nil {
		return Credential{}, fmt.Errorf("sharing: issue: %w", err)
	}

	if r.Format == FormatCompact {
		return s.issueCompact(ctx, r, level, nonce, vals, names)
	}
	var disclosures, digests, released []string
	for _, n := range names {
		v, ok := vals[n]
		if !ok || empty(v) {
			continue
		}
		salt := make([]byte, saltBytes)
		if _, err := io.ReadFull(s.cfg.Rand, salt); err != nil {
			return Credential{}, fmt.Errorf("sharing: salt: %w", err)
		}
		d, err := disclose(salt, n, compact(n, v))
		if err != nil {
			return Credential{}, err
		}
		disclosures = append(disclosures, d)
		digests = append(digests, digest(d))
		released = append(released, n)
	}
	if len(disclosures) == 0 {
		return Credential{}, ErrNothingToShare
	}
	// RFC 9901 §4.2.4.1: the digests' order must not reveal the claims'.
	sort.Strings(digests)

	jti := make([]byte, 16)
	if _, err := io.ReadFull(s.cfg.Rand, jti); err != nil {
		return Credential{}, fmt.Errorf("sharing: jti: %w", err)
	}
	now := s.cfg.Now().UTC().Truncate(time.Second)
	c := Credential{
		Claims: released, JTI: base64.RawURLEncoding.EncodeToString(jti), ACR: ACR(level), Nonce: nonce,
		IssuedAt: now, Expires: now.Add(s.cfg.TTL),
	}
	jwt, err := s.cfg.Signer.SignType(Algorithm, MediaType, payload{
		Issuer: s.cfg.Issuer, IssuedAt: now.Unix(), Expires: c.Expires.Unix(), JTI: c.JTI,
		VCT: CredentialType, ACR: c.ACR, Nonce: nonce, SD: digests,
	})
	if err != nil {
		return Credential{}, fmt.Errorf("sharing: sign: %w", err)
	}
	// Each disclosure is followed by "~"; the trailing one says there is no
	// key-binding JWT (RFC 9901 §4).
	c.Token = jwt + "~" + strings.Join(disclosures, "~") + "~"
	if len(c.Token) > s.cfg.MaxSize {
		return Credential{}, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(c.Token), s.cfg.MaxSize)
	}
	return s.audited(ctx, r, c, "sd-jwt")
}

// issueCompact is Issue's compact form: the chosen attributes with a value,
// signed as they are (every one shown; nothing to drop later).
func (s *Service) issueCompact(ctx context.Context, r Request, level assurance.Level, nonce string, vals map[string]any, names []string) (Credential, error) {
	var released []string
	for _, n := range names {
		if v, ok := vals[n]; ok && !empty(v) {
			released = append(released, n)
		}
	}
	if len(released) == 0 {
		return Credential{}, ErrNothingToShare
	}
	jti := make([]byte, compactJTIBytes)
	if _, err := io.ReadFull(s.cfg.Rand, jti); err != nil {
		return Credential{}, fmt.Errorf("sharing: jti: %w", err)
	}
	now := s.cfg.Now().UTC().Truncate(time.Second)
	c := Credential{
		Claims: released, JTI: base64.RawURLEncoding.EncodeToString(jti), ACR: ACR(level), Nonce: nonce,
		IssuedAt: now, Expires: now.Add(s.cfg.TTL),
	}
	token, err := s.signCompact(c, level, vals, released)
	if err != nil {
		return Credential{}, err
	}
	c.Token = token
	if len(c.Token) > s.cfg.MaxSize {
		return Credential{}, fmt.Errorf("%w: %d bytes, at most %d", ErrTooLarge, len(c.Token), s.cfg.MaxSize)
	}
	return s.audited(ctx, r, c, "compact")
}

// audited records the issuance and returns c. Audited before it is shown:
// nothing acknowledged goes unaudited.
func (s *Service) audited(ctx context.Context, r Request, c Credential, format string) (Credential, error) {
	err := s.cfg.Audit.Record(ctx, audit.Event{
		Type: audit.CredentialIssued, ActorKind: audit.Citizen, ActorID: r.AccountID, AccountID: r.AccountID,
		Claims: c.Claims, ACR: c.ACR, Outcome: audit.Success,
		IP: r.Actor.IP, UserAgent: r.Actor.UserAgent, RequestID: r.Actor.RequestID,
		Detail: map[string]string{
			"jti": c.JTI, "expires_at": c.Expires.Format(time.RFC3339), "format": format,
			"challenge_bound": strconv.FormatBool(c.Nonce != ""), "size": strconv.Itoa(len(c.Token)),
		},
	})
	if err != nil {
		return Credential{}, fmt.Errorf("sharing: audit: %w", err)
	}
	return c, nil
}
