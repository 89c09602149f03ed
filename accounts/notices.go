package accounts

import (
	"context"
	"fmt"
	"strings"

	"github.com/dinhdanh/dinhdanh/audit"
)

// NoticeKind says what a Notice tells the citizen. The values are the kinds
// of the notification outbox (notify.Kind), which holds the templates.
type NoticeKind string

// Notices the accounts capability (and consent, through the top floor)
// gives. One-time codes are never notices: they go straight to the Sender.
const (
	// NoticeRegistration: a self-registration ended; params approved
	// ("true"/"false").
	NoticeRegistration NoticeKind = "registration_result"
	// NoticeActivation: the account was activated; params approved.
	NoticeActivation NoticeKind = "activation_result"
	// NoticeRecovery: the password was reset through recovery; params
	// sessions (a number; 0 when not known).
	NoticeRecovery NoticeKind = "recovery"
	// NoticePasswordChanged: the holder changed the password, signed in.
	NoticePasswordChanged NoticeKind = "password_changed"
	// NoticeEmailChanged: the holder changed the e-mail address.
	NoticeEmailChanged NoticeKind = "email_changed"
	// NoticeDeviceChanged: the account moved to another device; params
	// device (its name, optional).
	NoticeDeviceChanged NoticeKind = "device_changed"
	// NoticeLocked: the account was locked; params reason (the lock's
	// reason code).
	NoticeLocked NoticeKind = "locked"
	// NoticeUnlocked: the account was unlocked.
	NoticeUnlocked NoticeKind = "unlocked"
	// NoticeServiceConnected: a relying party received the citizen's first
	// consent; params service (its name), claims (how many, a number).
	NoticeServiceConnected NoticeKind = "service_connected"
)

// Notice is something to tell the citizen about their account, after the
// change it reports has committed.
type Notice struct {
	// Account is the account as the change left it: its phone, e-mail and
	// language say where and how the notice goes.
	Account Account
	Kind    NoticeKind
	Params  map[string]string
	// RequestID ties the notice to the request that caused it, for logs.
	RequestID string
}

// Notifier queues notices for delivery (the top floor implements it with
// the notification outbox, package notify). A nil Notifier in Config drops
// notices.
type Notifier interface {
	Notify(ctx context.Context, n Notice) error
}

// NotifierFunc adapts a function to Notifier.
type NotifierFunc func(ctx context.Context, n Notice) error

// Notify implements Notifier.
func (f NotifierFunc) Notify(ctx context.Context, n Notice) error { return f(ctx, n) }

// Languages of an account: what its notifications are written in.
const (
	LangVI = "vi"
	LangEN = "en"
)

// NormalizeLang reads a language tag ("en", "en-GB", "vi-VN") as one of
// the account languages; Vietnamese unless it is English.
func NormalizeLang(tag string) string {
	t := strings.ToLower(strings.TrimSpace(tag))
	if t == LangEN || strings.HasPrefix(t, LangEN+"-") {
		return LangEN
	}
	return LangVI
}

// notice queues n for the account after its change committed. It runs on a
// context the caller cannot cancel: the change stands whatever happens to
// the request, so must its notice. A notice that cannot be queued does not
// undo the change; it is logged (the audit log has the change itself).
//
// Why after the commit and not in the change's own transaction: the
// account's Store and the audit log are outside the outbox's store, and
// accounts/postgres must not write another domain's table. The window is
// one INSERT on a live pool right after the commit.
func (s *Service) notice(ctx context.Context, a Account, kind NoticeKind, params map[string]string, requestID string) {
	if s.notices == nil {
		return
	}
	if err := s.notices.Notify(context.WithoutCancel(ctx), Notice{Account: a, Kind: kind, Params: clip(params), RequestID: requestID}); err != nil {
		s.logger.ErrorContext(ctx, "notification not queued", "account_id", a.ID, "kind", string(kind), "error", err, "request_id", requestID)
	}
}

// maxNoticeParam bounds a notice's parameter (a device's or a service's
// name), as the outbox does.
const maxNoticeParam = 200

// clip returns params with every value cut to maxNoticeParam bytes, on a
// character boundary, so that a long device name does not make the outbox
// refuse the notice.
func clip(params map[string]string) map[string]string {
	if params == nil {
		return nil
	}
	out := make(map[string]string, len(params))
	for k, v := range params {
		if len(v) > maxNoticeParam {
			v = strings.ToValidUTF8(v[:maxNoticeParam], "")
		}
		out[k] = v
	}
	return out
}

// NotifyAccount queues a notice for the account with id (consent tells of
// a new service through it, and the device binding of a device change).
func (s *Service) NotifyAccount(ctx context.Context, id string, kind NoticeKind, params map[string]string, requestID string) error {
	r, err := s.store.Get(ctx, id)
	if err != nil {
		return fmt.Errorf("accounts: notify: %w", err)
	}
	if s.notices == nil {
		return nil
	}
	return s.notices.Notify(context.WithoutCancel(ctx), Notice{Account: r.Account, Kind: kind, Params: clip(params), RequestID: requestID})
}

// SetLanguage sets the language of the account's notifications ("vi" or
// "en"; anything else is ErrInvalid). Audit: LanguageChanged with detail
// lang, only when it changed.
func (s *Service) SetLanguage(ctx context.Context, id, lang string, by Actor) (Account, error) {
	if lang != LangVI && lang != LangEN {
		return Account{}, fmt.Errorf("%w: language %q", ErrInvalid, lang)
	}
	cur, err := s.store.Get(ctx, id)
	if err != nil {
		return Account{}, fmt.Errorf("accounts: set language: %w", err)
	}
	if cur.Lang == lang {
		return cur.Account, nil
	}
	a, err := s.update(ctx, id, func(r *Record) (audit.Event, error) {
		r.Lang = lang
		e := by.event(audit.LanguageChanged, r.ID, audit.Success)
		e.Detail = map[string]string{"lang": lang}
		return e, nil
	})
	if err != nil {
		return Account{}, fmt.Errorf("accounts: set language: %w", err)
	}
	return a, nil
}
