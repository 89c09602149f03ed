package web

import (
	"net/http"
	"net/url"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/templates"
)

// PathLanguage is where the account page's form sets the language of the
// citizen's notifications (accounts.Service.SetLanguage).
const PathLanguage = "/account/language"

// postLanguage sets the language notifications are written in, then goes
// back to the account page, which says it was saved. The form carries the
// session's CSRF token like every other; the change is audited.
func (h *Handler) postLanguage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	lang := h.lang(r)
	l, ok := websession.GetLogin(ctx, h.Sessions)
	if !ok {
		http.Redirect(w, r, PathLogin+"?return_to="+url.QueryEscape("/account"), http.StatusSeeOther)
		return
	}
	choice := r.PostFormValue("notice_lang")
	if choice != accounts.LangVI && choice != accounts.LangEN {
		h.render(w, r, h.Templates.Error(w, http.StatusBadRequest, templates.ErrorPage{
			Base: h.base(r, lang), Message: "account.lang.invalid", LinkURL: "/account", LinkText: "error.back",
		}))
		return
	}
	by := accounts.Actor{Kind: audit.Citizen, ID: l.AccountID, IP: httpx.ClientIP(r), UserAgent: r.UserAgent(), RequestID: httpx.RequestIDFrom(ctx)}
	if _, err := h.Accounts.SetLanguage(ctx, l.AccountID, choice, by); err != nil {
		h.serverError(w, r, lang, "set notification language", err)
		return
	}
	http.Redirect(w, r, "/account?"+url.Values{"done": {"language"}, "ui_locales": {string(lang)}}.Encode()+"#notice-lang", http.StatusSeeOther)
}
