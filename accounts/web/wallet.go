package web

import (
	"errors"
	"net/http"
	"net/url"

	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Paths of the citizen's document wallet.
const (
	PathDocuments       = "/account/documents"
	PathDocumentsRemove = "/account/documents/remove"
)

func (h *Handler) walletRoutes(r *mux.Router) {
	r.Handle(PathDocuments, httpx.NoStore(http.HandlerFunc(h.showWallet))).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathDocuments, httpx.NoStore(http.HandlerFunc(h.postWallet))).Methods(http.MethodPost)
	r.Handle(PathDocumentsRemove, httpx.NoStore(http.HandlerFunc(h.postWalletRemove))).Methods(http.MethodPost)
}

// walletPage lists the account's integrated documents; Level set below
// level 2.
func (h *Handler) walletPage(r *http.Request, lang templates.Lang, l websession.Login) (templates.WalletPage, error) {
	p := templates.WalletPage{Base: h.base(r, lang)}
	for _, k := range attributes.DocumentKinds() {
		p.Kinds = append(p.Kinds, string(k))
	}
	docs, err := h.Wallet.Integrated(r.Context(), l.AccountID)
	if errors.Is(err, attributes.ErrWalletLevel) {
		p.Level = true
		return p, nil
	}
	if err != nil {
		return p, err
	}
	for _, d := range docs {
		p.Documents = append(p.Documents, templates.WalletDocument{Kind: string(d.Kind), Number: d.Number, Status: string(d.Status)})
	}
	return p, nil
}

func (h *Handler) showWallet(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(r)
	l, ok := h.signedInAt(w, r, PathDocuments, false)
	if !ok {
		return
	}
	p, err := h.walletPage(r, lang, l)
	if err != nil {
		h.serverError(w, r, lang, "wallet page", err)
		return
	}
	if d := r.URL.Query().Get("done"); d == "integrated" || d == "removed" {
		p.Done = d
	}
	status := http.StatusOK
	if p.Level {
		status = http.StatusForbidden
	}
	h.render(w, r, h.Templates.Wallet(w, status, p))
}

// walletStatus is the HTTP status of each refusal of the wallet.
var walletStatus = map[attributes.WalletReason]int{
	attributes.ReasonMalformedNumber:   http.StatusBadRequest,
	attributes.ReasonUnknownDocument:   http.StatusNotFound,
	attributes.ReasonDocumentWithdrawn: http.StatusConflict,
	attributes.ReasonDocumentSuspended: http.StatusConflict,
	attributes.ReasonDocumentExpired:   http.StatusConflict,
	attributes.ReasonDocumentRetired:   http.StatusConflict,
	attributes.ReasonAlreadyIntegrated: http.StatusConflict,
	attributes.ReasonNotIntegrated:     http.StatusNotFound,
	attributes.ReasonWalletLevel:       http.StatusForbidden,
	attributes.ReasonWalletThrottled:   http.StatusTooManyRequests,
}

// walletChange runs change (an integration or a removal) for the signed-in
// account and answers: back to the page with a notice, or the page again
// with the refusal's message and the form's values.
func (h *Handler) walletChange(w http.ResponseWriter, r *http.Request, path, done string,
	change func(accountID string, kind attributes.DocumentKind, number string, a attributes.WalletActor) error) {
	lang := h.lang(r)
	l, ok := h.signedInAt(w, r, path, true)
	if !ok {
		return
	}
	kind, number := attributes.DocumentKind(r.PostFormValue("kind")), r.PostFormValue("number")
	c := clientOf(r)
	err := change(l.AccountID, kind, number, attributes.WalletActor{IP: c.IP, UserAgent: c.UserAgent, RequestID: c.RequestID})
	var we *attributes.WalletError
	if err != nil && !errors.As(err, &we) {
		h.serverError(w, r, lang, "wallet change", err)
		return
	}
	if err == nil {
		http.Redirect(w, r, PathDocuments+"?"+url.Values{"done": {done}, "ui_locales": {string(lang)}}.Encode(), http.StatusSeeOther)
		return
	}
	p, perr := h.walletPage(r, lang, l)
	if perr != nil {
		h.serverError(w, r, lang, "wallet page", perr)
		return
	}
	p.Error = "wallet." + string(we.Reason)
	if done == "integrated" {
		p.Kind, p.Number = string(kind), number
	}
	if we.Reason == attributes.ReasonWalletThrottled {
		le := &accounts.LockoutError{RetryAfter: we.RetryAfter}
		w.Header().Set("Retry-After", retryAfter(le))
		p.RetryMinutes = le.RetryMinutes()
	}
	h.render(w, r, h.Templates.Wallet(w, walletStatus[we.Reason], p))
}

func (h *Handler) postWallet(w http.ResponseWriter, r *http.Request) {
	h.walletChange(w, r, PathDocuments, "integrated", func(id string, kind attributes.DocumentKind, number string, a attributes.WalletActor) error {
		_, err := h.Wallet.Integrate(r.Context(), id, kind, number, a)
		return err
	})
}

func (h *Handler) postWalletRemove(w http.ResponseWriter, r *http.Request) {
	h.walletChange(w, r, PathDocuments, "removed", func(id string, kind attributes.DocumentKind, number string, a attributes.WalletActor) error {
		return h.Wallet.Remove(r.Context(), id, kind, number, a)
	})
}
