package attributes

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/audit"
)

// WalletState says whether a document is in its holder's wallet: only an
// integrated document is ever released (Release reads DocumentSource,
// which returns integrated documents only).
type WalletState string

// Wallet states. A document a registry feed creates starts as WalletNone
// until its holder integrates it; the population import writes
// WalletIntegrated; a removed document stays in the registry, unshared,
// until the holder integrates it again.
const (
	WalletNone       WalletState = "none"
	WalletIntegrated WalletState = "integrated"
	WalletRemoved    WalletState = "removed"
)

// Audit reasons of the wallet.
const (
	ReasonDocumentIntegrated = "document_integrated"
	ReasonDocumentRemoved    = "document_removed"
	// ReasonWalletLockedOut: too many numbers that matched none of the
	// citizen's documents.
	ReasonWalletLockedOut = "wallet_locked_out"
)

// WalletReason is why the wallet refused a request.
type WalletReason string

// Wallet refusals. ReasonUnknownDocument covers both a number no registry
// holds and one held by someone else: the citizen is never told that
// another person holds a number.
const (
	ReasonMalformedNumber   WalletReason = "malformed_number"
	ReasonUnknownDocument   WalletReason = "unknown_document"
	ReasonDocumentWithdrawn WalletReason = "withdrawn"
	ReasonDocumentSuspended WalletReason = "suspended"
	ReasonDocumentExpired   WalletReason = "expired"
	ReasonDocumentRetired   WalletReason = "retired"
	ReasonAlreadyIntegrated WalletReason = "already_integrated"
	ReasonNotIntegrated     WalletReason = "not_integrated"
	ReasonWalletLevel       WalletReason = "level"
	ReasonWalletThrottled   WalletReason = "throttled"
)

// WalletError is a refusal of the wallet; nothing was written. errors.Is
// matches it against the Err… values of the same reason.
type WalletError struct {
	Reason WalletReason
	// RetryAfter is set for ReasonWalletThrottled.
	RetryAfter time.Duration
}

func (e *WalletError) Error() string {
	if e.Reason == ReasonWalletThrottled {
		return fmt.Sprintf("attributes: wallet: too many unknown numbers, retry after %s", e.RetryAfter.Round(time.Second))
	}
	return "attributes: wallet: refused: " + string(e.Reason)
}

// Is matches any *WalletError of the same reason.
func (e *WalletError) Is(target error) bool {
	var t *WalletError
	return errors.As(target, &t) && t.Reason == e.Reason
}

// The wallet's refusals, for errors.Is.
var (
	ErrMalformedNumber   = &WalletError{Reason: ReasonMalformedNumber}
	ErrUnknownDocument   = &WalletError{Reason: ReasonUnknownDocument}
	ErrDocumentWithdrawn = &WalletError{Reason: ReasonDocumentWithdrawn}
	ErrDocumentSuspended = &WalletError{Reason: ReasonDocumentSuspended}
	ErrDocumentExpired   = &WalletError{Reason: ReasonDocumentExpired}
	ErrDocumentRetired   = &WalletError{Reason: ReasonDocumentRetired}
	ErrAlreadyIntegrated = &WalletError{Reason: ReasonAlreadyIntegrated}
	ErrNotIntegrated     = &WalletError{Reason: ReasonNotIntegrated}
	ErrWalletLevel       = &WalletError{Reason: ReasonWalletLevel}
	ErrWalletThrottled   = &WalletError{Reason: ReasonWalletThrottled}
)

// MaxNumberInput bounds what a citizen may type as a document number.
const MaxNumberInput = 64

// ParseDocumentNumber reads a document number a citizen typed for kind, as
// its registry writes it: spaces removed, letters upper-cased, then the
// kind's format:
//
//   - driving licence: 12 digits;
//   - vehicle registration: 2 or 3 letters, a hyphen (added when left
//     out), 6 or 7 digits ("HN-0123456");
//   - health insurance: 2 letters and 13 digits (the card's code,
//     "DN4010123456789") or the 10-digit social insurance number;
//   - social insurance: 10 digits.
//
// It returns ErrMalformedNumber for anything else, before any lookup.
func ParseDocumentNumber(kind DocumentKind, s string) (string, error) {
	if len(s) > MaxNumberInput || !KnownDocumentKind(kind) {
		return "", ErrMalformedNumber
	}
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	ok := false
	switch kind {
	case DrivingLicence:
		ok = digits(s, 12)
	case VehicleRegistration:
		letters, rest, hyphen := strings.Cut(s, "-")
		if !hyphen {
			i := strings.IndexFunc(s, func(r rune) bool { return r >= '0' && r <= '9' })
			if i < 0 {
				break
			}
			letters, rest = s[:i], s[i:]
		}
		ok = (len(letters) == 2 || len(letters) == 3) && upperLetters(letters) && (digits(rest, 6) || digits(rest, 7))
		s = letters + "-" + rest
	case HealthInsurance:
		ok = digits(s, 10) || len(s) == 15 && upperLetters(s[:2]) && digits(s[2:], 13)
	case SocialInsurance:
		ok = digits(s, 10)
	}
	if !ok {
		return "", ErrMalformedNumber
	}
	return s, nil
}

func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func upperLetters(s string) bool {
	for _, c := range []byte(s) {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return s != ""
}

// WalletChange is what the wallet's rules decided about one document: the
// state to store and the audit event to record with it, in the same
// transaction.
type WalletChange struct {
	State WalletState
	Event audit.Event
}

// WalletStore changes documents' wallet state.
type WalletStore interface {
	// UpdateWallet locks the document (kind, number) and hands it, with its
	// wallet state, to decide; it stores the change decide returns and
	// records its event in one transaction, or writes nothing when decide
	// returns an error (returned as is). ErrNotFound when no registry
	// holds the number (decide is not called).
	UpdateWallet(ctx context.Context, kind DocumentKind, number string,
		decide func(d Document, state WalletState) (WalletChange, error)) (Document, error)
}

// Holder is the account a wallet belongs to, as the accounts capability
// knows it.
type Holder struct {
	PersonalID string
	// Level is the account's level; only a level 2 account has a wallet.
	Level assurance.Level
}

// Holders finds the account behind a signed-in account id.
type Holders interface {
	Holder(ctx context.Context, accountID string) (Holder, error)
}

// WalletLimiter bounds the numbers a citizen may try that match none of
// their documents, per account (never per document or address, so that a
// stranger cannot lock a citizen out: only the signed-in account's own
// tries count). Each method returns how long the account must wait, 0 when
// it may go on.
type WalletLimiter interface {
	Locked(ctx context.Context, accountID string) (time.Duration, error)
	// Failed counts one number that matched none of the account's
	// documents: non-zero when it locked the account's tries.
	Failed(ctx context.Context, accountID string) (time.Duration, error)
}

// WalletActor is where a citizen's request came from (for the audit row).
type WalletActor struct {
	IP, UserAgent, RequestID string
}

// Wallet is the citizen's document wallet: integrating a registry's
// document by its number and removing one from what is shared.
type Wallet struct {
	Store     WalletStore
	Documents DocumentSource
	Holders   Holders
	Limiter   WalletLimiter
	// Audit records the lock the Limiter sets (the changes themselves are
	// audited by Store, inside their transaction).
	Audit audit.Recorder
	Now   func() time.Time
}

func (w *Wallet) now() time.Time {
	if w.Now == nil {
		return time.Now().UTC()
	}
	return w.Now().UTC()
}

// holder returns the account's holder, ErrWalletLevel below level 2.
func (w *Wallet) holder(ctx context.Context, accountID string) (Holder, error) {
	h, err := w.Holders.Holder(ctx, accountID)
	if err != nil {
		return Holder{}, fmt.Errorf("attributes: wallet: %w", err)
	}
	if h.Level < assurance.Level2 || h.PersonalID == "" {
		return Holder{}, ErrWalletLevel
	}
	return h, nil
}

// Integrated lists the account's integrated documents, each with its status
// on today's date; ErrWalletLevel below level 2.
func (w *Wallet) Integrated(ctx context.Context, accountID string) ([]Document, error) {
	h, err := w.holder(ctx, accountID)
	if err != nil {
		return nil, err
	}
	docs, err := w.Documents.Documents(ctx, h.PersonalID)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("attributes: wallet: %w", err)
	}
	return docs, nil
}

func (w *Wallet) event(accountID string, typ audit.EventType, reason string, kind DocumentKind, a WalletActor) audit.Event {
	return audit.Event{Time: w.now(), Type: typ, ActorKind: audit.Citizen, ActorID: accountID, AccountID: accountID,
		Outcome: audit.Success, Reason: reason, IP: a.IP, UserAgent: a.UserAgent, RequestID: a.RequestID,
		// The kind, never the number: audit rows name attributes, not
		// their values.
		Detail: map[string]string{"kind": string(kind)}}
}

// Integrate adds the document of kind numbered number to the account's
// wallet, so that services the citizen allows may read it. The rules, in
// order (each refusal a *WalletError, nothing written):
//   - the account is level 2 (ErrWalletLevel);
//   - the number has the kind's format (ErrMalformedNumber), checked before
//     any lookup;
//   - the account is not throttled (ErrWalletThrottled);
//   - the registry holds the number under the citizen's ID number
//     (ErrUnknownDocument otherwise, whether no one or someone else holds
//     it; each such try counts against the account's throttle);
//   - it is valid today (ErrDocumentWithdrawn, ErrDocumentSuspended,
//     ErrDocumentExpired, ErrDocumentRetired);
//   - it is not integrated already (ErrAlreadyIntegrated).
//
// The change and its audit row commit together.
func (w *Wallet) Integrate(ctx context.Context, accountID string, kind DocumentKind, number string, a WalletActor) (Document, error) {
	h, err := w.holder(ctx, accountID)
	if err != nil {
		return Document{}, err
	}
	number, err = ParseDocumentNumber(kind, number)
	if err != nil {
		return Document{}, err
	}
	wait, err := w.Limiter.Locked(ctx, accountID)
	if err != nil {
		return Document{}, fmt.Errorf("attributes: wallet: %w", err)
	}
	if wait > 0 {
		return Document{}, &WalletError{Reason: ReasonWalletThrottled, RetryAfter: wait}
	}
	now := w.now()
	d, err := w.Store.UpdateWallet(ctx, kind, number, func(d Document, state WalletState) (WalletChange, error) {
		if d.HolderID != h.PersonalID {
			return WalletChange{}, ErrUnknownDocument
		}
		switch EffectiveStatus(d, now) {
		case StatusValid:
		case StatusWithdrawn:
			return WalletChange{}, ErrDocumentWithdrawn
		case StatusSuspended:
			return WalletChange{}, ErrDocumentSuspended
		case StatusExpired:
			return WalletChange{}, ErrDocumentExpired
		default:
			return WalletChange{}, ErrDocumentRetired
		}
		if state == WalletIntegrated {
			return WalletChange{}, ErrAlreadyIntegrated
		}
		return WalletChange{State: WalletIntegrated,
			Event: w.event(accountID, audit.DocumentIntegrated, ReasonDocumentIntegrated, kind, a)}, nil
	})
	if errors.Is(err, ErrNotFound) {
		err = ErrUnknownDocument
	}
	if errors.Is(err, ErrUnknownDocument) {
		return Document{}, w.failed(ctx, accountID, a)
	}
	if err != nil {
		var we *WalletError
		if errors.As(err, &we) {
			return Document{}, err
		}
		return Document{}, fmt.Errorf("attributes: wallet: integrate: %w", err)
	}
	d.Status = EffectiveStatus(d, now)
	return d, nil
}

// failed counts an unknown number against the account and returns the
// refusal: ErrUnknownDocument, or ErrWalletThrottled (audited) when this
// try set the lock.
func (w *Wallet) failed(ctx context.Context, accountID string, a WalletActor) error {
	wait, err := w.Limiter.Failed(ctx, accountID)
	if err != nil {
		return fmt.Errorf("attributes: wallet: %w", err)
	}
	if wait == 0 {
		return ErrUnknownDocument
	}
	e := audit.Event{Time: w.now(), Type: audit.SignInLockedOut, ActorKind: audit.Citizen, ActorID: accountID, AccountID: accountID,
		Outcome: audit.Denied, Reason: ReasonWalletLockedOut, IP: a.IP, UserAgent: a.UserAgent, RequestID: a.RequestID}
	if err := w.Audit.Record(ctx, e); err != nil {
		return fmt.Errorf("attributes: wallet: %w", err)
	}
	return &WalletError{Reason: ReasonWalletThrottled, RetryAfter: wait}
}

// Remove takes an integrated document out of the account's wallet: no
// service reads it any more (tokens issued afterwards and userinfo leave it
// out); the registry keeps it. ErrWalletLevel below level 2,
// ErrNotIntegrated for a document that is not in the wallet (or not the
// citizen's). The change and its audit row commit together.
func (w *Wallet) Remove(ctx context.Context, accountID string, kind DocumentKind, number string, a WalletActor) error {
	h, err := w.holder(ctx, accountID)
	if err != nil {
		return err
	}
	if !KnownDocumentKind(kind) || number == "" || len(number) > MaxNumberInput {
		return ErrNotIntegrated
	}
	_, err = w.Store.UpdateWallet(ctx, kind, number, func(d Document, state WalletState) (WalletChange, error) {
		if d.HolderID != h.PersonalID || state != WalletIntegrated {
			return WalletChange{}, ErrNotIntegrated
		}
		return WalletChange{State: WalletRemoved,
			Event: w.event(accountID, audit.DocumentRemoved, ReasonDocumentRemoved, kind, a)}, nil
	})
	switch {
	case errors.Is(err, ErrNotFound) || errors.Is(err, ErrNotIntegrated):
		return ErrNotIntegrated
	case err != nil:
		return fmt.Errorf("attributes: wallet: remove: %w", err)
	}
	return nil
}
