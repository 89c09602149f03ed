package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/templates"
)

// PathLock is the citizen's own lock page (Decree 59 art. 19: locked at the
// holder's request; a lost phone is the common case).
const PathLock = "/lock"

// LockFunc locks an account and ends everything it holds (tokens at every
// relying party, back-channel logout, browser sign-ins).
type LockFunc func(ctx context.Context, accountID, reason string, by accounts.Actor) error

var lockReasons = map[string]string{"lost_phone": "holder request: lost phone", "misuse": "holder request: suspected misuse"}

func (h *Handler) showLock(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	h.render(w, r, h.Templates.Lock(w, http.StatusOK, templates.LockPage{Base: h.base(r, lang), Reason: "lost_phone"}))
}

// postLock checks the password alone (the second factor may be what was
// lost), under the same lockouts as signing in, then locks.
func (h *Handler) postLock(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := h.lang(r)
	pid := strings.ReplaceAll(strings.TrimSpace(r.PostFormValue("personal_id")), " ", "")
	reason := r.PostFormValue("reason")
	if _, ok := lockReasons[reason]; !ok {
		reason = "lost_phone"
	}
	page := templates.LockPage{Base: h.base(r, lang), PersonalID: pid, Reason: reason}
	actor := accounts.Actor{Kind: audit.Citizen, IP: httpx.ClientIP(r), UserAgent: r.UserAgent(), RequestID: httpx.RequestIDFrom(ctx)}
	si, err := h.Accounts.SignIn(ctx, accounts.SignInRequest{
		PersonalID: pid, Password: r.PostFormValue("password"), Devices: devices(r),
		IP: actor.IP, UserAgent: actor.UserAgent, RequestID: actor.RequestID,
	})
	if err != nil {
		ref, ok := passwordRefusal(w, err,
			refusal{status: http.StatusOK, msg: "lock.already"},
			refusal{status: http.StatusOK, msg: "lock.not_active"})
		if !ok {
			h.serverError(w, r, lang, "lock: check password", err)
			return
		}
		page.Error, page.RetryMinutes = ref.msg, ref.retryMinutes
		h.render(w, r, h.Templates.Lock(w, ref.status, page))
		return
	}
	actor.ID = si.Account.ID
	if err := h.LockAccount(ctx, si.Account.ID, lockReasons[reason], actor); err != nil {
		h.serverError(w, r, lang, "lock account", err)
		return
	}
	if l, ok := websession.GetLogin(ctx, h.Sessions); ok && l.AccountID == si.Account.ID {
		_ = h.Sessions.Destroy(ctx)
	}
	page.Done, page.PersonalID = true, ""
	h.render(w, r, h.Templates.Lock(w, http.StatusOK, page))
}
