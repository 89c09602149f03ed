package staff

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/dinhdanh/dinhdanh/audit"
)

// Errors of passkeys.
var (
	// ErrNoPasskeys: passkeys are not configured, or the member has none.
	ErrNoPasskeys = errors.New("staff: no passkey")
	// ErrPasskeyFailed: the authenticator's answer does not verify.
	ErrPasskeyFailed = errors.New("staff: passkey not accepted")
)

// PasskeyConfig enables passkeys (WebAuthn, W3C Level 3) as the second
// factor instead of a TOTP code: RPID is the console's host name (never an
// IP address), Origins the console's exact origins.
type PasskeyConfig struct {
	RPID        string
	DisplayName string
	Origins     []string
}

// Passkey is a member's WebAuthn credential, as stored.
type Passkey struct {
	// ID is the credential id the authenticator chose.
	ID         []byte
	MemberID   string
	Name       string
	Credential webauthn.Credential
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

// webauthnUser adapts a member to go-webauthn: the user handle is the
// member id's 16 random bytes (UUID v4), never the username.
type webauthnUser struct {
	m     Member
	creds []webauthn.Credential
}

func (u webauthnUser) WebAuthnID() []byte {
	id, _ := uuid.Parse(u.m.ID)
	return id[:]
}
func (u webauthnUser) WebAuthnName() string                       { return u.m.Username }
func (u webauthnUser) WebAuthnDisplayName() string                { return u.m.Name }
func (u webauthnUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func newWebAuthn(c *PasskeyConfig) (*webauthn.WebAuthn, error) {
	if c == nil {
		return nil, nil
	}
	name := c.DisplayName
	if name == "" {
		name = TOTPIssuer
	}
	w, err := webauthn.New(&webauthn.Config{RPID: c.RPID, RPDisplayName: name, RPOrigins: c.Origins,
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementPreferred, UserVerification: protocol.VerificationRequired,
		}})
	if err != nil {
		return nil, fmt.Errorf("staff: passkeys: %w", err)
	}
	return w, nil
}

// PasskeysEnabled reports whether passkeys are configured.
func (s *Service) PasskeysEnabled() bool { return s.webauthn != nil }

func (s *Service) passkeyUser(ctx context.Context, st MemberStore, memberID string) (webauthnUser, []Passkey, error) {
	r, err := st.MemberByID(ctx, memberID)
	if err != nil {
		return webauthnUser{}, nil, err
	}
	keys, err := st.Passkeys(ctx, memberID)
	if err != nil {
		return webauthnUser{}, nil, err
	}
	u := webauthnUser{m: r.Member}
	for _, k := range keys {
		u.creds = append(u.creds, k.Credential)
	}
	return u, keys, nil
}

// Passkeys lists the signed-in member's own passkeys.
func (s *Service) Passkeys(ctx context.Context, by Principal) ([]Passkey, error) {
	st, err := s.members()
	if err != nil {
		return nil, err
	}
	return st.Passkeys(ctx, by.MemberID)
}

// HasPasskeys reports whether the member can use a passkey now.
func (s *Service) HasPasskeys(ctx context.Context, memberID string) (bool, error) {
	if s.webauthn == nil {
		return false, nil
	}
	st, err := s.members()
	if err != nil {
		return false, err
	}
	keys, err := st.Passkeys(ctx, memberID)
	return len(keys) > 0, err
}

// BeginPasskeyRegistration starts adding a passkey for the signed-in member:
// options (JSON for navigator.credentials.create) and the ceremony's state
// (JSON, kept in the member's session until FinishPasskeyRegistration).
func (s *Service) BeginPasskeyRegistration(ctx context.Context, by Principal) (options, state []byte, err error) {
	st, err := s.members()
	if err != nil || s.webauthn == nil {
		return nil, nil, errors.Join(ErrNoPasskeys, err)
	}
	u, _, err := s.passkeyUser(ctx, st, by.MemberID)
	if err != nil {
		return nil, nil, fmt.Errorf("staff: begin passkey: %w", err)
	}
	var exclude []protocol.CredentialDescriptor
	for _, c := range u.creds {
		exclude = append(exclude, c.Descriptor())
	}
	creation, session, err := s.webauthn.BeginRegistration(u, webauthn.WithExclusions(exclude))
	if err != nil {
		return nil, nil, fmt.Errorf("staff: begin passkey: %w", err)
	}
	if options, err = json.Marshal(creation); err != nil {
		return nil, nil, err
	}
	state, err = json.Marshal(session)
	return options, state, err
}

// FinishPasskeyRegistration checks the authenticator's answer (JSON from
// the browser) against state and stores the passkey under name. Audited as
// the member's own action.
func (s *Service) FinishPasskeyRegistration(ctx context.Context, by Actor, state, response []byte, name string) (Passkey, error) {
	st, err := s.members()
	if err != nil || s.webauthn == nil {
		return Passkey{}, errors.Join(ErrNoPasskeys, err)
	}
	var session webauthn.SessionData
	if err := json.Unmarshal(state, &session); err != nil {
		return Passkey{}, fmt.Errorf("%w: ceremony state", ErrPasskeyFailed)
	}
	u, _, err := s.passkeyUser(ctx, st, by.Principal.MemberID)
	if err != nil {
		return Passkey{}, fmt.Errorf("staff: finish passkey: %w", err)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return Passkey{}, fmt.Errorf("%w: %w", ErrPasskeyFailed, err)
	}
	cred, err := s.webauthn.CreateCredential(u, session, parsed)
	if err != nil {
		return Passkey{}, fmt.Errorf("%w: %w", ErrPasskeyFailed, err)
	}
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 100 {
		name = "passkey " + s.now().UTC().Format("2006-01-02")
	}
	p := Passkey{ID: cred.ID, MemberID: u.m.ID, Name: name, Credential: *cred, CreatedAt: s.now().UTC()}
	e := audit.Event{Type: audit.FactorChanged, ActorKind: ActorKind, ActorID: u.m.ID, Outcome: audit.Success,
		IP: by.IP, UserAgent: by.UserAgent, RequestID: by.RequestID,
		Detail: map[string]string{"action": "staff_passkey_added", "factor": "passkey", "session": by.Principal.Session}}
	if err := st.AddPasskey(ctx, p, func() error { return s.audit.Record(ctx, e) }); err != nil {
		return Passkey{}, fmt.Errorf("staff: store passkey: %w", err)
	}
	return p, nil
}

// BeginPasskeyLogin starts the passkey step of a sign-in whose password
// SignIn accepted: options for navigator.credentials.get and the ceremony's
// state. ErrNoPasskeys when the member has none.
func (s *Service) BeginPasskeyLogin(ctx context.Context, memberID string) (options, state []byte, err error) {
	st, err := s.members()
	if err != nil || s.webauthn == nil {
		return nil, nil, errors.Join(ErrNoPasskeys, err)
	}
	u, _, err := s.passkeyUser(ctx, st, memberID)
	if err != nil {
		return nil, nil, fmt.Errorf("staff: begin passkey sign-in: %w", err)
	}
	if len(u.creds) == 0 {
		return nil, nil, ErrNoPasskeys
	}
	assertion, session, err := s.webauthn.BeginLogin(u)
	if err != nil {
		return nil, nil, fmt.Errorf("staff: begin passkey sign-in: %w", err)
	}
	if options, err = json.Marshal(assertion); err != nil {
		return nil, nil, err
	}
	state, err = json.Marshal(session)
	return options, state, err
}

// PasskeyRequest is the passkey step of a sign-in.
type PasskeyRequest struct {
	MemberID string
	// State is BeginPasskeyLogin's; Response the browser's answer (JSON).
	State, Response          []byte
	Session                  string
	IP, UserAgent, RequestID string
}

// VerifyPasskey checks the authenticator's answer and returns the signed-in
// Principal, like VerifyTOTP: failures count on the same throttle, and are
// audited as SecondFactorFailed with factor "passkey". A signature counter
// that went backwards (a cloned authenticator) is refused.
func (s *Service) VerifyPasskey(ctx context.Context, req PasskeyRequest) (Principal, error) {
	st, err := s.members()
	if err != nil || s.webauthn == nil {
		return Principal{}, errors.Join(ErrNoPasskeys, err)
	}
	now := s.now().UTC()
	ev := func(t audit.EventType, o audit.Outcome, reason string) audit.Event {
		e := signInEvent(t, req.MemberID, o, reason, req.IP, req.UserAgent, req.RequestID)
		e.Detail["factor"], e.Detail["session"] = "passkey", req.Session
		return e
	}
	ip := addressKey(req.IP)
	pair := limitedKey{"code " + req.MemberID + " " + ip, s.lockout.PairFailures}
	addr := limitedKey{"ip " + ip, s.lockout.AddressFailures}
	if lock, err := s.lockedOut(ctx, st, now, pair, addr); err != nil {
		return Principal{}, fmt.Errorf("staff: passkey: %w", err)
	} else if lock != nil {
		if err := s.audit.Record(ctx, ev(audit.SignInLockedOut, audit.Denied, "locked_out")); err != nil {
			return Principal{}, err
		}
		return Principal{}, lock
	}
	u, keys, err := s.passkeyUser(ctx, st, req.MemberID)
	if err != nil {
		return Principal{}, fmt.Errorf("staff: passkey: %w", err)
	}
	if u.m.Disabled {
		if err := s.audit.Record(ctx, ev(audit.SecondFactorFailed, audit.Denied, "member_disabled")); err != nil {
			return Principal{}, err
		}
		return Principal{}, ErrDisabled
	}
	var session webauthn.SessionData
	verr := json.Unmarshal(req.State, &session)
	var cred *webauthn.Credential
	if verr == nil {
		var parsed *protocol.ParsedCredentialAssertionData
		if parsed, verr = protocol.ParseCredentialRequestResponseBytes(req.Response); verr == nil {
			cred, verr = s.webauthn.ValidateLogin(u, session, parsed)
		}
	}
	if verr == nil && cred.Authenticator.CloneWarning {
		verr = errors.New("signature counter went backwards")
	}
	var stored *Passkey
	if verr == nil {
		for i := range keys {
			if bytes.Equal(keys[i].ID, cred.ID) {
				stored = &keys[i]
			}
		}
		if stored == nil {
			verr = errors.New("unknown credential")
		}
	}
	if verr == nil {
		// The counter check happens under the passkey's row lock: two
		// uses of one answer cannot both pass.
		if err := st.UsePasskey(ctx, stored.ID, cred.Authenticator.SignCount, now); errors.Is(err, ErrPasskeyFailed) {
			verr = err
		} else if err != nil {
			return Principal{}, fmt.Errorf("staff: passkey: %w", err)
		}
	}
	if verr != nil {
		lock, err := s.countFailure(ctx, st, now, pair, addr)
		if err != nil {
			return Principal{}, fmt.Errorf("staff: passkey: %w", err)
		}
		if err := s.audit.Record(ctx, ev(audit.SecondFactorFailed, audit.Failure, "bad_passkey")); err != nil {
			return Principal{}, err
		}
		if lock != nil {
			return Principal{}, lock
		}
		return Principal{}, fmt.Errorf("%w: %w", ErrPasskeyFailed, verr)
	}
	if err := s.clearFailures(ctx, st, now, pair.key); err != nil {
		return Principal{}, fmt.Errorf("staff: passkey: %w", err)
	}
	e := ev(audit.SecondFactorOK, audit.Success, "")
	e.Detail["roles"], e.Detail["unit"] = joinRoles(u.m.Roles), u.m.Unit.Code
	if err := s.audit.Record(ctx, e); err != nil {
		return Principal{}, err
	}
	return u.m.Principal(req.Session), nil
}
