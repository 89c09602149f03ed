package web

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/templates"
)

// PathPassword is the change of password from the account page.
const PathPassword = "/account/password"

// passwordSignedIn returns the session's sign-in, or sends the browser to sign in
// and come back.
func (h *Handler) passwordSignedIn(w http.ResponseWriter, r *http.Request) (websession.Login, bool) {
	l, ok := websession.GetLogin(r.Context(), h.Sessions)
	if !ok {
		http.Redirect(w, r, PathLogin+"?return_to="+url.QueryEscape(PathPassword), http.StatusSeeOther)
	}
	return l, ok
}

// passwordPage is the form, or the way to sign in again when the sign-in
// is not a complete one within accounts.ReauthWindow.
func (h *Handler) passwordPage(r *http.Request, lang templates.Lang, l websession.Login) templates.PasswordPage {
	return templates.PasswordPage{
		Base: h.base(r, lang), Reauth: !h.Accounts.Reauthenticated(signedInOf(l)),
		ReauthURL: reauthAt(PathPassword, lang),
	}
}

func (h *Handler) showPassword(w http.ResponseWriter, r *http.Request) {
	if l, ok := h.passwordSignedIn(w, r); ok {
		h.render(w, r, h.Templates.Password(w, http.StatusOK, h.passwordPage(r, h.lang(r), l)))
	}
}

// postPassword changes the password after the current one was typed again
// (accounts.Service.ChangePassword). Every other browser sign-in and every
// token at relying parties end; this browser's sign-in goes on under a new
// session token, its sign-in time moved past the change.
func (h *Handler) postPassword(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := h.lang(r)
	l, ok := h.passwordSignedIn(w, r)
	if !ok {
		return
	}
	page := h.passwordPage(r, lang, l)
	page.Reauth = false
	fail := func(status int, key string, minutes int) {
		page.Error, page.RetryMinutes = key, minutes
		h.render(w, r, h.Templates.Password(w, status, page))
	}
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("password2") {
		fail(http.StatusBadRequest, "register.password_mismatch", 0)
		return
	}
	a, err := h.Accounts.ChangePassword(ctx, accounts.PasswordChange{
		AccountID: l.AccountID, SignedIn: signedInOf(l), Current: r.PostFormValue("current"), New: pw, Client: clientOf(r),
	})
	if err != nil && a.ID == "" {
		if le, ok := accounts.AsLockout(err); ok {
			ref := lockedOut(w, le)
			fail(ref.status, "register.locked_out", le.RetryMinutes())
			return
		}
		switch {
		case errors.Is(err, accounts.ErrReauthRequired):
			page.Reauth = true
			fail(http.StatusForbidden, "password.reauth", 0)
		case errors.Is(err, accounts.ErrBusy):
			ref := busy(w)
			fail(ref.status, ref.msg, 0)
		case errors.Is(err, accounts.ErrBadCredentials):
			fail(http.StatusUnauthorized, "password.wrong", 0)
		case errors.Is(err, accounts.ErrSamePassword):
			fail(http.StatusBadRequest, "password.same", 0)
		case errors.Is(err, accounts.ErrWeakPassword):
			fail(http.StatusBadRequest, "register.weak_password", 0)
		case errors.Is(err, accounts.ErrLocked):
			fail(http.StatusForbidden, "signin.account_locked", 0)
		default:
			h.serverError(w, r, lang, "change password", err)
		}
		return
	}
	if err != nil {
		// The password changed; ending tokens elsewhere failed and is logged.
		h.logger().ErrorContext(ctx, "change password: cascade", "account_id", a.ID, "error", err)
	}
	if err := h.Sessions.RenewToken(ctx); err != nil {
		h.serverError(w, r, lang, "renew session token", err)
		return
	}
	if a.SignInsEndedAt != nil {
		// Sign-ins up to the change ended (accounts.Account.SignInEnded);
		// this one was just proved again with the password.
		l.AuthTime = a.SignInsEndedAt.Add(time.Millisecond)
	}
	websession.PutLogin(ctx, h.Sessions, l)
	page.Done = true
	h.render(w, r, h.Templates.Password(w, http.StatusOK, page))
}
