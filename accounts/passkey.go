package accounts

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

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/audit"
)

// FactorPasskey is a passkey (a WebAuthn credential) as the second factor,
// named as its amr value: RFC 8176 §2 "hwk", proof of possession of a
// hardware-secured key. See AMR for the whole list it adds.
const FactorPasskey Factor = "hwk"

// PasskeyReauthWindow is how recent a complete sign-in (password and second
// factor) must be to add or remove a passkey.
const PasskeyReauthWindow = 5 * time.Minute

// Errors of passkeys.
var (
	// ErrPasskeysOff: passkeys are not configured (an issuer on an IP
	// address), or the service has no PasskeyStore.
	ErrPasskeysOff = errors.New("accounts: passkeys are off")
	// ErrPasskeyFailed: the authenticator's answer does not verify, or its
	// signature counter did not grow.
	ErrPasskeyFailed = errors.New("accounts: passkey not accepted")
	// ErrReauthRequired: the change needs a complete sign-in within
	// PasskeyReauthWindow.
	ErrReauthRequired = errors.New("accounts: sign in again first")
)

// PasskeyConfig enables passkeys (WebAuthn Level 3) as a second factor: RPID
// is the issuer's host name (never an IP address, WebAuthn §5.1.3), Origins
// the exact origins of the sign-in pages.
type PasskeyConfig struct {
	RPID        string
	DisplayName string
	Origins     []string
}

// Passkey is a citizen's WebAuthn credential, as stored: its public key and
// signature counter, nothing secret.
type Passkey struct {
	// ID is the credential id the authenticator chose.
	ID         []byte
	AccountID  string
	Name       string
	AAGUID     []byte
	Transports []string
	// SignCount is the authenticator's signature counter last seen.
	SignCount  uint32
	Credential webauthn.Credential
	CreatedAt  time.Time
	LastUsedAt *time.Time
}

// PasskeyStore keeps citizens' passkeys. Implementations translate their
// driver's errors as Store does; every time they return is UTC.
type PasskeyStore interface {
	// AddPasskey inserts p and calls fn in the same transaction (an error
	// from fn rolls back). A credential id already stored is
	// ErrAlreadyExists.
	AddPasskey(ctx context.Context, p Passkey, fn func() error) error
	// Passkeys lists the account's passkeys, oldest first.
	Passkeys(ctx context.Context, accountID string) ([]Passkey, error)
	// UsePasskey locks the passkey's row and, when signCount is greater than
	// the stored one (or both are zero: the authenticator keeps no counter),
	// stores it with at as the last use; otherwise ErrPasskeyFailed.
	UsePasskey(ctx context.Context, id []byte, signCount uint32, at time.Time) error
	// RemovePasskey deletes the account's passkey id and calls fn in the
	// same transaction; ErrNotFound when the account has no such passkey.
	RemovePasskey(ctx context.Context, accountID string, id []byte, fn func() error) error
}

// SignedIn is a complete browser sign-in, as the web layer keeps it: what
// a change of factors is checked against.
type SignedIn struct {
	AccountID string
	AuthTime  time.Time
	Strength  assurance.Level
}

// AMR is the amr (RFC 8176 §2) of a sign-in with the password and f:
// "pwd" and the factor, and for a passkey also "user", since the
// authenticator verified the user (user verification is required).
func AMR(f Factor) []string {
	if f == FactorPasskey {
		return []string{"pwd", string(FactorPasskey), "user"}
	}
	return []string{"pwd", string(f)}
}

// passkeyUser adapts an account to go-webauthn: the user handle is the
// account id's 16 random bytes (UUID v4), never the personal id number.
type passkeyUser struct {
	rec   Record
	creds []webauthn.Credential
}

func (u passkeyUser) WebAuthnID() []byte {
	id, _ := uuid.Parse(u.rec.ID)
	return id[:]
}
func (u passkeyUser) WebAuthnName() string                       { return u.rec.PersonalID }
func (u passkeyUser) WebAuthnDisplayName() string                { return u.rec.PersonalID }
func (u passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func newPasskeys(c *PasskeyConfig, issuer string) (*webauthn.WebAuthn, error) {
	if c == nil {
		return nil, nil
	}
	name := c.DisplayName
	if name == "" {
		name = issuer
	}
	if name == "" {
		name = "Dinh danh dien tu"
	}
	w, err := webauthn.New(&webauthn.Config{RPID: c.RPID, RPDisplayName: name, RPOrigins: c.Origins,
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey: protocol.ResidentKeyRequirementPreferred, UserVerification: protocol.VerificationRequired,
		}})
	if err != nil {
		return nil, fmt.Errorf("accounts: passkeys: %w", err)
	}
	return w, nil
}

// PasskeysEnabled reports whether citizens can use passkeys.
func (s *Service) PasskeysEnabled() bool { return s.webauthn != nil && s.passkeys != nil }

// Reauthenticated reports whether by may change its factors now: a
// password and second factor sign-in within PasskeyReauthWindow.
func (s *Service) Reauthenticated(by SignedIn) bool {
	d := s.clock().Sub(by.AuthTime)
	return by.Strength >= assurance.Level2 && d >= -time.Minute && d <= PasskeyReauthWindow
}

// Passkeys lists the account's passkeys, oldest first (none when passkeys
// are off).
func (s *Service) Passkeys(ctx context.Context, accountID string) ([]Passkey, error) {
	if !s.PasskeysEnabled() {
		return nil, nil
	}
	keys, err := s.passkeys.Passkeys(ctx, accountID)
	if err != nil {
		return nil, fmt.Errorf("accounts: passkeys: %w", err)
	}
	return keys, nil
}

func (s *Service) passkeyUser(ctx context.Context, accountID string) (passkeyUser, []Passkey, error) {
	rec, err := s.store.Get(ctx, accountID)
	if err != nil {
		return passkeyUser{}, nil, err
	}
	keys, err := s.passkeys.Passkeys(ctx, accountID)
	if err != nil {
		return passkeyUser{}, nil, err
	}
	u := passkeyUser{rec: rec}
	for _, k := range keys {
		u.creds = append(u.creds, k.Credential)
	}
	return u, keys, nil
}

// changeAllowed checks what every change of passkeys needs.
func (s *Service) changeAllowed(by SignedIn) error {
	switch {
	case !s.PasskeysEnabled():
		return ErrPasskeysOff
	case !s.Reauthenticated(by):
		return ErrReauthRequired
	}
	return nil
}

// BeginPasskeyRegistration starts adding a passkey to the signed-in
// account: options (JSON for navigator.credentials.create) and the
// ceremony's state (JSON, kept in the browser session until
// FinishPasskeyRegistration). User verification is required.
func (s *Service) BeginPasskeyRegistration(ctx context.Context, by SignedIn) (options, state []byte, err error) {
	if err := s.changeAllowed(by); err != nil {
		return nil, nil, err
	}
	u, _, err := s.passkeyUser(ctx, by.AccountID)
	if err != nil {
		return nil, nil, fmt.Errorf("accounts: begin passkey: %w", err)
	}
	if u.rec.Status != Active {
		return nil, nil, ErrLocked
	}
	var exclude []protocol.CredentialDescriptor
	for _, c := range u.creds {
		exclude = append(exclude, c.Descriptor())
	}
	creation, session, err := s.webauthn.BeginRegistration(u, webauthn.WithExclusions(exclude))
	if err != nil {
		return nil, nil, fmt.Errorf("accounts: begin passkey: %w", err)
	}
	if options, err = json.Marshal(creation); err != nil {
		return nil, nil, err
	}
	state, err = json.Marshal(session)
	return options, state, err
}

// FinishPasskeyRegistration checks the authenticator's answer (JSON from
// the browser) against state and stores the passkey under name. Audited as
// FactorChanged (factor hwk, change passkey_added).
func (s *Service) FinishPasskeyRegistration(ctx context.Context, by SignedIn, actor Actor, state, response []byte, name string) (Passkey, error) {
	if err := s.changeAllowed(by); err != nil {
		return Passkey{}, err
	}
	var session webauthn.SessionData
	if err := json.Unmarshal(state, &session); err != nil {
		return Passkey{}, fmt.Errorf("%w: ceremony state", ErrPasskeyFailed)
	}
	u, _, err := s.passkeyUser(ctx, by.AccountID)
	if err != nil {
		return Passkey{}, fmt.Errorf("accounts: finish passkey: %w", err)
	}
	if u.rec.Status != Active {
		return Passkey{}, ErrLocked
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return Passkey{}, fmt.Errorf("%w: %w", ErrPasskeyFailed, err)
	}
	cred, err := s.webauthn.CreateCredential(u, session, parsed)
	if err != nil {
		return Passkey{}, fmt.Errorf("%w: %w", ErrPasskeyFailed, err)
	}
	now := s.clock()
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 100 {
		name = "passkey " + now.Format("2006-01-02")
	}
	p := Passkey{ID: cred.ID, AccountID: u.rec.ID, Name: name, AAGUID: cred.Authenticator.AAGUID,
		SignCount: cred.Authenticator.SignCount, Credential: *cred, CreatedAt: now}
	for _, t := range cred.Transport {
		p.Transports = append(p.Transports, string(t))
	}
	e := actor.event(audit.FactorChanged, u.rec.ID, audit.Success)
	e.Detail = map[string]string{"factor": string(FactorPasskey), "change": "passkey_added"}
	if err := s.passkeys.AddPasskey(ctx, p, func() error { return s.record(ctx, e) }); err != nil {
		return Passkey{}, fmt.Errorf("accounts: store passkey: %w", err)
	}
	return p, nil
}

// RemovePasskey deletes one of the signed-in account's passkeys. Audited
// as FactorChanged (factor hwk, change passkey_removed).
func (s *Service) RemovePasskey(ctx context.Context, by SignedIn, actor Actor, id []byte) error {
	if err := s.changeAllowed(by); err != nil {
		return err
	}
	e := actor.event(audit.FactorChanged, by.AccountID, audit.Success)
	e.Detail = map[string]string{"factor": string(FactorPasskey), "change": "passkey_removed"}
	if err := s.passkeys.RemovePasskey(ctx, by.AccountID, id, func() error { return s.record(ctx, e) }); err != nil {
		return fmt.Errorf("accounts: remove passkey: %w", err)
	}
	return nil
}

// BeginPasskeySignIn starts the passkey step of a sign-in whose password
// SignIn accepted: options for navigator.credentials.get and the
// ceremony's state. ErrFactorUnavailable when the account has no passkey.
func (s *Service) BeginPasskeySignIn(ctx context.Context, accountID string) (options, state []byte, err error) {
	if !s.PasskeysEnabled() {
		return nil, nil, ErrFactorUnavailable
	}
	u, _, err := s.passkeyUser(ctx, accountID)
	if err != nil {
		return nil, nil, fmt.Errorf("accounts: begin passkey sign-in: %w", err)
	}
	if len(u.creds) == 0 {
		return nil, nil, ErrFactorUnavailable
	}
	assertion, session, err := s.webauthn.BeginLogin(u)
	if err != nil {
		return nil, nil, fmt.Errorf("accounts: begin passkey sign-in: %w", err)
	}
	if options, err = json.Marshal(assertion); err != nil {
		return nil, nil, err
	}
	state, err = json.Marshal(session)
	return options, state, err
}

// factors lists the second factors rec can use: a passkey first (it cannot
// be phished), then TOTP and SMS.
func (s *Service) factors(ctx context.Context, rec Record) ([]Factor, error) {
	out := rec.Factors()
	if !s.PasskeysEnabled() {
		return out, nil
	}
	keys, err := s.passkeys.Passkeys(ctx, rec.ID)
	if err != nil {
		return nil, err
	}
	if len(keys) > 0 {
		out = append([]Factor{FactorPasskey}, out...)
	}
	return out, nil
}

// checkPasskey verifies the assertion of req against its ceremony state
// and moves the signature counter; verr is the verdict, err an operational
// error.
func (s *Service) checkPasskey(ctx context.Context, rec Record, req SecondFactorRequest, now time.Time) (verr error, reason string, err error) {
	if !s.PasskeysEnabled() {
		return ErrFactorUnavailable, "factor_unavailable", nil
	}
	keys, err := s.passkeys.Passkeys(ctx, rec.ID)
	if err != nil {
		return nil, "", err
	}
	if len(keys) == 0 {
		return ErrFactorUnavailable, "factor_unavailable", nil
	}
	u := passkeyUser{rec: rec}
	for _, k := range keys {
		u.creds = append(u.creds, k.Credential)
	}
	var session webauthn.SessionData
	var cred *webauthn.Credential
	perr := json.Unmarshal(req.PasskeyState, &session)
	var parsed *protocol.ParsedCredentialAssertionData
	if perr == nil {
		if parsed, perr = protocol.ParseCredentialRequestResponseBytes(req.PasskeyResponse); perr == nil {
			cred, perr = s.webauthn.ValidateLogin(u, session, parsed)
		}
	}
	if perr == nil && cred.Authenticator.CloneWarning {
		perr = errors.New("signature counter went backwards")
	}
	// The ceremony's own UV flag (the credential record's is latched):
	// "user" in the amr rests on it.
	if perr == nil && !parsed.Response.AuthenticatorData.Flags.HasUserVerified() {
		perr = errors.New("user not verified")
	}
	var stored *Passkey
	if perr == nil {
		for i := range keys {
			if bytes.Equal(keys[i].ID, cred.ID) {
				stored = &keys[i]
			}
		}
		if stored == nil {
			perr = errors.New("unknown credential")
		}
	}
	if perr == nil {
		// The counter moves under the passkey's row lock: two uses of one
		// answer cannot both pass.
		err := s.passkeys.UsePasskey(ctx, stored.ID, cred.Authenticator.SignCount, now)
		switch {
		case errors.Is(err, ErrPasskeyFailed), errors.Is(err, ErrNotFound): // removed meanwhile
			perr = err
		case err != nil:
			return nil, "", err
		}
	}
	if perr != nil {
		s.logger.InfoContext(ctx, "passkey refused", "account_id", rec.ID, "error", perr, "request_id", req.RequestID)
		return ErrPasskeyFailed, "bad_passkey", nil
	}
	return nil, "", nil
}
