package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/personalid"
)

// Errors of activation.
var (
	// ErrActivationMismatch: no account matches this personal id number and
	// phone number (unknown number, another phone on record, or none). One
	// error for all three, so the form tells nothing to someone who does not
	// hold both.
	ErrActivationMismatch = errors.New("accounts: no account matches this personal id number and phone number")
	// ErrNotIdentified: a level 0 account (registered, not yet identified)
	// cannot be activated before its portrait and chip are checked.
	ErrNotIdentified = errors.New("accounts: account not yet identified (level 0)")
	// ErrWeakPasscode: the passcode is not 6 digits, or too easy to guess.
	ErrWeakPasscode = errors.New("accounts: passcode must be 6 digits, not repeated or in sequence")
	// ErrSecurityQuestions: not two different known questions with answers.
	ErrSecurityQuestions = fmt.Errorf("%w: choose two different security questions and answer both", ErrInvalid)
	// ErrActivationExpired: the activation was not finished in time, or the
	// SMS step was skipped; start again.
	ErrActivationExpired = errors.New("accounts: activation expired")
)

// SecurityQuestions are the ids of the questions a holder may choose at
// activation (their wording is in package templates).
var SecurityQuestions = []string{
	"first_school", "mother_hometown", "childhood_friend", "first_teacher", "favourite_food", "childhood_street",
}

// ActivationRequest is the first step of activation (MISSION
// "Activation"): personal id number and phone number.
type ActivationRequest struct {
	PersonalID string
	Phone      string
	Client
}

// ActivationStarted says where the code went and what the last step asks.
type ActivationStarted struct {
	AccountID   string
	MaskedPhone string
	// NeedPassword: the account has no password yet, so the last step sets
	// one.
	NeedPassword bool
}

// StartActivation checks the account and sends a code to the phone on
// record.
//
// The phone must be the one on record: one phone holds one account, and a
// move to another phone is proved by the old phone, or in the app (chip and
// portrait), or at a police counter (an officer's SetPhone); never by this
// form alone, which anyone who knows a personal id number could fill in. So
// an unknown number, another phone and no phone on record all get
// ErrActivationMismatch, counted against the client address. Only to a
// caller who gave the right pair does it tell the account's state:
// ErrNotIdentified (level 0), ErrAlreadyActive, ErrLocked.
//
// Codes are limited as for registration (SMSPerHour per account,
// SMSPerAddressHour per client address). Audit: AccountActivated with
// outcome failure or denied for each refusal, SignInLockedOut when a
// mismatch locks the address out, OTPSent.
func (s *Service) StartActivation(ctx context.Context, req ActivationRequest) (ActivationStarted, error) {
	now := s.clock()
	pid := strings.TrimSpace(req.PersonalID)
	ipK := ThrottleKey{Scope: ScopeIP, Key: ipKey(req.IP)}
	keys := []ThrottleKey{ipK}
	if _, err := personalid.Parse(pid); err == nil {
		keys = append(keys, ThrottleKey{Scope: ScopeSecondFactor, Key: pid})
	}
	if lock, _, err := s.lockedOut(ctx, now, keys...); err != nil {
		return ActivationStarted{}, fmt.Errorf("accounts: start activation: %w", err)
	} else if lock != nil {
		return ActivationStarted{}, s.refuse(ctx, req.Client, "", audit.AccountActivated, string(lock.Scope)+"_locked_out", lock)
	}
	phone, err := NormalizePhone(req.Phone)
	if err != nil {
		return ActivationStarted{}, err
	}
	rec, err := s.store.ByPersonalID(ctx, pid)
	switch {
	case errors.Is(err, ErrNotFound):
		return ActivationStarted{}, s.activationMismatch(ctx, req.Client, now, ipK, "", "unknown_account")
	case err != nil:
		return ActivationStarted{}, fmt.Errorf("accounts: start activation: %w", err)
	case rec.Phone == "" || rec.Phone != phone:
		return ActivationStarted{}, s.activationMismatch(ctx, req.Client, now, ipK, rec.ID, "phone_mismatch")
	}
	if err := activatable(rec); err != nil {
		return ActivationStarted{}, s.refuse(ctx, req.Client, rec.ID, audit.AccountActivated, activationReason(err), err)
	}
	err = s.sendCode(ctx, req.Client, now, rec.ID, rec.Phone, "activation", func(code string) error {
		c := SMSCode{ID: uuid.NewString(), AccountID: rec.ID, CreatedAt: now, ExpiresAt: now.Add(s.smsTTL)}
		c.Hash = codeHash(s.codeKey, c.ID, code)
		return s.store.CreateSMSCode(ctx, c)
	})
	if err != nil {
		return ActivationStarted{}, err
	}
	return ActivationStarted{AccountID: rec.ID, MaskedPhone: MaskPhone(rec.Phone), NeedPassword: rec.PasswordHash == ""}, nil
}

// activatable says whether rec may be activated now.
func activatable(rec Record) error {
	switch {
	case rec.Status == Locked:
		return ErrLocked
	case rec.Status == Active:
		return ErrAlreadyActive
	case rec.Level < assurance.Level1:
		return ErrNotIdentified
	}
	return nil
}

func activationReason(err error) string {
	switch {
	case errors.Is(err, ErrLocked):
		return "account_locked"
	case errors.Is(err, ErrAlreadyActive):
		return "already_active"
	case errors.Is(err, ErrNotIdentified):
		return "not_identified"
	}
	return "refused"
}

func (s *Service) activationMismatch(ctx context.Context, c Client, now time.Time, ipK ThrottleKey, accountID, reason string) error {
	return s.failed(ctx, now, "start activation", c.event(audit.AccountActivated, accountID, audit.Failure, reason), ErrActivationMismatch, ipK)
}

// ActivationCode is the SMS step of activation.
type ActivationCode struct {
	AccountID string
	Code      string
	Client
}

// VerifyActivationCode checks the code StartActivation sent, under the same
// rules as a sign-in's SMS code: single use, 5 minutes, burnt after
// SMSMaxAttempts wrong guesses; wrong codes count against the personal id
// number's second-factor throttle and the client address, so repeated
// wrong codes lock activation (and sign-in's second step) out
// (*LockoutError). Audit: SecondFactorOK, SecondFactorFailed,
// SignInLockedOut, each with purpose "activation".
//
// It returns a ticket for CompleteActivation, valid for activationTTL.
func (s *Service) VerifyActivationCode(ctx context.Context, req ActivationCode) (string, error) {
	err := s.verifyActivationCode(ctx, req)
	if err != nil {
		return "", err
	}
	return s.activationTicket(req.AccountID, s.clock()), nil
}

// activationTTL bounds the time from the SMS code to the last step.
const activationTTL = 15 * time.Minute

// activationTicket is "unix seconds.MAC", the MAC an HMAC-SHA-256 under the
// code key of the purpose, the account id and the time.
func (s *Service) activationTicket(accountID string, at time.Time) string {
	ts := strconv.FormatInt(at.Unix(), 10)
	m := hmac.New(sha256.New, s.codeKey)
	m.Write([]byte("activation:" + accountID + ":" + ts))
	return ts + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (s *Service) checkActivationTicket(accountID, ticket string, now time.Time) bool {
	ts, _, ok := strings.Cut(ticket, ".")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil {
		return false
	}
	at := time.Unix(sec, 0)
	if now.Before(at.Add(-time.Minute)) || now.Sub(at) > activationTTL {
		return false
	}
	return hmac.Equal([]byte(ticket), []byte(s.activationTicket(accountID, at)))
}

func (s *Service) verifyActivationCode(ctx context.Context, req ActivationCode) error {
	now := s.clock()
	rec, err := s.store.Get(ctx, req.AccountID)
	if err != nil {
		return fmt.Errorf("accounts: verify activation code: %w", err)
	}
	if err := activatable(rec); err != nil {
		return err
	}
	detail := map[string]string{"factor": string(FactorSMS), "purpose": "activation"}
	ev := func(t audit.EventType, o audit.Outcome, reason string) audit.Event {
		e := req.event(t, rec.ID, o, reason)
		e.Detail = detail
		return e
	}
	sfKey := ThrottleKey{Scope: ScopeSecondFactor, Key: rec.PersonalID}
	ipK := ThrottleKey{Scope: ScopeIP, Key: ipKey(req.IP)}
	lock, seen, err := s.lockedOut(ctx, now, sfKey, ipK)
	if err != nil {
		return fmt.Errorf("accounts: verify activation code: %w", err)
	}
	if lock != nil {
		if err := s.record(ctx, ev(audit.SignInLockedOut, audit.Denied, string(lock.Scope)+"_locked_out")); err != nil {
			return err
		}
		return lock
	}
	verr, reason, err := s.checkSMS(ctx, rec, strings.TrimSpace(req.Code), now)
	if err != nil {
		return fmt.Errorf("accounts: verify activation code: %w", err)
	}
	if verr != nil {
		return s.failed(ctx, now, "verify activation code", ev(audit.SecondFactorFailed, audit.Failure, reason), verr, sfKey, ipK)
	}
	if err := s.clearFailures(ctx, now, sfKey, seen); err != nil {
		return fmt.Errorf("accounts: verify activation code: %w", err)
	}
	return s.record(ctx, ev(audit.SecondFactorOK, audit.Success, ""))
}

// Answer is a chosen security question and its answer.
type Answer struct {
	Question string
	Answer   string
}

// Activation is the last step of activation, after the SMS code.
type Activation struct {
	AccountID string
	// Password is set when the account has none yet; ignored otherwise.
	Password string
	Passcode string
	Answers  [2]Answer
	// Ticket is what VerifyActivationCode returned.
	Ticket string
	// Lang is the page's language, kept as the account's (LangVI or
	// LangEN); empty keeps the account's.
	Lang string
	Client
}

// CheckPasscode enforces the passcode rules: exactly 6 ASCII digits, not one
// digit repeated (111111), not a run up or down (123456, 987654).
func CheckPasscode(p string) error {
	if len(p) != 6 || strings.Trim(p, "0123456789") != "" {
		return ErrWeakPasscode
	}
	same, up, down := true, true, true
	for i := 1; i < len(p); i++ {
		d := int(p[i]) - int(p[i-1])
		same = same && d == 0
		up = up && (d == 1 || d == -9)
		down = down && (d == -1 || d == 9)
	}
	if same || up || down {
		return ErrWeakPasscode
	}
	return nil
}

// CompleteActivation finishes the activation whose SMS code was verified:
// sets the password (when none yet), the 6-digit passcode for in-app
// features and two security questions (their answers normalised with
// NormalizeAnswer, then hashed with argon2id like passwords), and makes the account active,
// all in one update. The holder can then sign in.
//
// Audit: AccountActivated by the citizen, naming what was set (never the
// values). The citizen is told (NoticeActivation), in in.Lang.
func (s *Service) CompleteActivation(ctx context.Context, in Activation) (Account, error) {
	now := s.clock()
	if !s.checkActivationTicket(in.AccountID, in.Ticket, now) {
		return Account{}, ErrActivationExpired
	}
	if err := CheckPasscode(in.Passcode); err != nil {
		return Account{}, err
	}
	q0, q1 := in.Answers[0].Question, in.Answers[1].Question
	a0, a1 := NormalizeAnswer(in.Answers[0].Answer), NormalizeAnswer(in.Answers[1].Answer)
	if q0 == q1 || !slices.Contains(SecurityQuestions, q0) || !slices.Contains(SecurityQuestions, q1) || a0 == "" || a1 == "" ||
		len(a0) > 256 || len(a1) > 256 {
		return Account{}, ErrSecurityQuestions
	}
	rec, err := s.store.Get(ctx, in.AccountID)
	if err != nil {
		return Account{}, fmt.Errorf("accounts: complete activation: %w", err)
	}
	var pwHash string
	if rec.PasswordHash == "" {
		if pwHash, err = s.hashPassword(ctx, in.Password); err != nil {
			return Account{}, err
		}
	}
	hashes := make([]string, 3)
	for i, v := range []string{in.Passcode, a0, a1} {
		if hashes[i], err = s.hashSecret(ctx, v); err != nil {
			return Account{}, err
		}
	}
	a, err := s.update(ctx, in.AccountID, func(r *Record) (audit.Event, error) {
		if err := activatable(*r); err != nil {
			return audit.Event{}, err
		}
		set := "passcode,security_questions"
		if r.PasswordHash == "" {
			if pwHash == "" {
				// A password was removed between the two reads: start again.
				return audit.Event{}, ErrActivationExpired
			}
			r.PasswordHash = pwHash
			set = "password," + set
		}
		r.PasscodeHash = hashes[0]
		r.SecurityAnswers = []SecurityAnswer{
			{Question: q0, Hash: hashes[1], Version: answerVersion}, {Question: q1, Hash: hashes[2], Version: answerVersion},
		}
		r.Status, r.ActivatedAt = Active, &now
		if in.Lang != "" {
			r.Lang = NormalizeLang(in.Lang)
		}
		e := in.event(audit.AccountActivated, r.ID, audit.Success, "")
		e.Detail = map[string]string{"channel": "web", "set": set, "level": fmt.Sprint(int(r.Level))}
		return e, nil
	})
	if err != nil {
		return Account{}, fmt.Errorf("accounts: complete activation: %w", err)
	}
	s.notice(ctx, a, NoticeActivation, map[string]string{"approved": "true"}, in.RequestID)
	return a, nil
}

// VerifyPasscode checks the in-app passcode of an account (constant time,
// argon2id). It does no throttling: callers count failures.
func (s *Service) VerifyPasscode(ctx context.Context, accountID, passcode string) (bool, error) {
	rec, err := s.store.Get(ctx, accountID)
	if err != nil {
		return false, fmt.Errorf("accounts: verify passcode: %w", err)
	}
	if rec.PasscodeHash == "" {
		return false, ErrFactorUnavailable
	}
	ok, _, err := s.verifySecret(ctx, passcode, rec.PasscodeHash)
	return ok, err
}

// VerifySecurityAnswer checks the answer to one of the account's security
// questions, folded as at activation. It does no throttling: callers
// (account recovery) count failures.
func (s *Service) VerifySecurityAnswer(ctx context.Context, accountID, question, answer string) (bool, error) {
	rec, err := s.store.Get(ctx, accountID)
	if err != nil {
		return false, fmt.Errorf("accounts: verify security answer: %w", err)
	}
	for _, sa := range rec.SecurityAnswers {
		if sa.Question == question {
			ok, _, err := s.verifySecret(ctx, answerForm(sa.Version, answer), sa.Hash)
			return ok, err
		}
	}
	return false, ErrFactorUnavailable
}
