package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/webpage"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/templates"
)

// PathChoose is the guardian's choice page: whom they sign in for at a
// relying party that accepts dependents (scope act_for_dependent).
const PathChoose = "/authorize/choose"

// keyActing remembers the guardian's choice for one authorization request
// (the request's hash and the signed-in account), so that /authorize
// continues with it.
const keyActing = "oidc.acting"

type actingMarker struct {
	Hash    string    `json:"h"`
	Account string    `json:"a"`
	For     string    `json:"f"`
	At      time.Time `json:"at"`
}

// actingFor is the choice this browser made for the request, or "".
func (h *Handler) actingFor(r *http.Request, hash, accountID string) string {
	var m actingMarker
	if s := h.Sessions.GetString(r.Context(), keyActing); s != "" && json.Unmarshal([]byte(s), &m) == nil &&
		m.Hash == hash && m.Account == accountID && h.now().Sub(m.At) <= markerTTL {
		return m.For
	}
	return ""
}

// chooseURL sends the browser to the choice page for req.
func chooseURL(req *oidc.AuthorizeRequest, lang templates.Lang) string {
	q := url.Values{"return_to": {oidc.PathAuthorize + "?" + req.Outer.Encode()}, "ui_locales": {string(lang)}}
	return PathChoose + "?" + q.Encode()
}

// returnRequest checks that return_to is an authorization request on this
// server and returns its parameters.
func returnRequest(returnTo string) (url.Values, bool) {
	rest, ok := strings.CutPrefix(returnTo, oidc.PathAuthorize+"?")
	if !ok {
		return nil, false
	}
	q, err := url.ParseQuery(rest)
	if err != nil || q.Get("client_id") == "" {
		return nil, false
	}
	return q, true
}

// choose serves the choice page (GET) and records the choice (POST, CSRF
// checked by the session's middleware and here): "self" or a dependent the
// guardian may act for now; the provider checks the authority again when
// the browser is back at /authorize.
func (h *Handler) choose(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, http.StatusBadRequest, "oidc.error.request", "invalid_request")
		return
	}
	returnTo := r.Form.Get("return_to")
	q, ok := returnRequest(returnTo)
	if !ok {
		h.errorPage(w, r, http.StatusBadRequest, "oidc.error.request", "invalid_request")
		return
	}
	login, signedIn := websession.GetLogin(ctx, h.Sessions)
	if !signedIn {
		// The request sends the browser to sign in first.
		http.Redirect(w, r, returnTo, http.StatusSeeOther)
		return
	}
	client, err := h.Provider.Client(ctx, q.Get("client_id"))
	if err != nil || !client.AcceptDependents {
		h.errorPage(w, r, http.StatusBadRequest, "oidc.error.invalid_client", "invalid_client")
		return
	}
	deps, err := h.Provider.DependentChoices(ctx, login.AccountID)
	if err != nil {
		h.logger().ErrorContext(ctx, "list dependents", "error", err, "request_id", httpx.RequestIDFrom(ctx))
		h.errorPage(w, r, http.StatusServiceUnavailable, "error.generic", "temporarily_unavailable")
		return
	}
	lang := h.lang(r)
	if r.Method == http.MethodPost {
		choice := r.PostForm.Get("acting_for")
		valid := choice == oidc.ActSelf || slices.ContainsFunc(deps, func(d oidc.Dependent) bool { return d.ID == choice })
		if h.CSRF != nil && !webpage.CSRFOK(r, h.CSRF) {
			h.errorPage(w, r, http.StatusForbidden, "error.csrf", "csrf")
			return
		}
		if valid {
			b, _ := json.Marshal(actingMarker{Hash: requestHash(q), Account: login.AccountID, For: choice, At: h.now()})
			h.Sessions.Put(ctx, keyActing, string(b))
			http.Redirect(w, r, returnTo, http.StatusSeeOther)
			return
		}
	}
	page := templates.OIDCChoosePage{
		Base:       templates.Base{Lang: lang, RequestID: httpx.RequestIDFrom(ctx), SignedIn: true},
		ClientName: client.DisplayName(string(lang)), ReturnTo: returnTo, UILocales: r.Form.Get("ui_locales"),
	}
	if h.CSRF != nil {
		page.CSRFToken = h.CSRF.Token(ctx)
	}
	for _, d := range deps {
		page.Dependents = append(page.Dependents, templates.OIDCChoice{Value: d.ID, Name: d.Name, Relation: d.Relation})
	}
	status := http.StatusOK
	if r.Method == http.MethodPost {
		page.Error, status = "oidc.choose.invalid", http.StatusBadRequest
	}
	if h.Templates == nil {
		http.Error(w, "choose", status)
		return
	}
	if err := h.Templates.OIDCChoose(w, status, page); err != nil {
		h.logger().ErrorContext(ctx, "render choice", "error", err)
	}
}
