package web

import (
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/consent"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/templates"
)

// ownDataScopes are the scopes whose data the account page shows: every
// scope that releases attributes.
func ownDataScopes() []string {
	return slices.DeleteFunc(attributes.Scopes(), func(s string) bool {
		return len(attributes.ClaimsForScopes([]string{s})) == 0
	})
}

// accountLogin starts every account page: the signed-in citizen (or a
// redirect to sign in and back to /account) and the page language.
func (h *Handler) accountLogin(w http.ResponseWriter, r *http.Request) (websession.Login, templates.Lang, bool) {
	login, ok := h.login(w, r, "/account")
	return login, lang(r, ""), ok
}

func (h *Handler) account(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	login, l, ok := h.accountLogin(w, r)
	if !ok {
		return
	}
	page := templates.AccountPage{Base: h.base(r, l)}
	switch r.URL.Query().Get("done") {
	case "revoked":
		page.Notice = "account.revoked_notice"
	case "passkey_added":
		page.Notice = "account.passkeys.added"
	case "passkey_removed":
		page.Notice = "account.passkeys.removed"
	case "language":
		page.Notice = "account.lang.saved"
	}
	if h.Profile != nil {
		a, err := h.Profile.Get(ctx, login.AccountID)
		if err != nil {
			h.errorPage(w, r, l, http.StatusInternalServerError, "error.generic", "", fmt.Errorf("read account: %w", err))
			return
		}
		page.NoticeLang = a.Lang
		if page.NoticeLang == "" {
			page.NoticeLang = accounts.LangVI
		}
	}
	if h.Passkeys != nil && h.Passkeys.PasskeysEnabled() {
		section, err := h.passkeySection(r, login, l)
		if err != nil {
			h.errorPage(w, r, l, http.StatusInternalServerError, "error.generic", "", fmt.Errorf("list passkeys: %w", err))
			return
		}
		page.Passkeys = section
	}
	grants, err := h.Consent.Connections(ctx, login.AccountID)
	if err != nil {
		h.errorPage(w, r, l, http.StatusInternalServerError, "error.generic", "", fmt.Errorf("list connections: %w", err))
		return
	}
	now := h.Consent.Now()
	for _, g := range grants {
		c, err := h.Clients.Client(ctx, g.ClientID)
		if err != nil {
			// A client deleted since still shows, by its id.
			h.logger().WarnContext(ctx, "load client for account page", "client_id", g.ClientID, "error", err)
			c = consent.Client{ID: g.ClientID, Name: g.ClientID}
		}
		status := g.Status(now)
		svc := templates.AccountService{
			ClientID: g.ClientID, Name: localized(c.Name, c.NameEN, l), LogoURI: c.LogoURI, Kind: kindKey(c.Kind),
			Since: formatTime(g.GrantedAt, l), LastUsed: formatTime(g.LastUsedAt, l), Expires: formatTime(g.ExpiresAt, l),
			Revoked: formatTime(g.RevokedAt, l), Status: "account.status." + string(status),
			CanRevoke:  status != consent.StatusRevoked,
			RevokeURL:  "/account/services/" + url.PathEscape(g.ClientID) + "/revoke",
			ReceiptURL: "/account/services/" + url.PathEscape(g.ClientID) + "/receipt",
		}
		for _, claim := range attributes.DisplayOrder(g.Claims) {
			if !biometric(claim) {
				svc.Claims = append(svc.Claims, "consent.claim."+claim)
			}
		}
		page.Services = append(page.Services, svc)
	}
	items, err := h.Preview.Preview(ctx, login.AccountID, ownDataScopes(), nil)
	if err != nil {
		h.errorPage(w, r, l, http.StatusInternalServerError, "error.generic", "", fmt.Errorf("preview own data: %w", err))
		return
	}
	slices.SortStableFunc(items, func(a, b Item) int { return attributes.CompareClaims(a.Claim, b.Claim) })
	for _, it := range items {
		if biometric(it.Claim) {
			continue
		}
		page.Data = append(page.Data, templates.ConsentItem{Claim: it.Claim, Label: labelKey(it), Value: templates.ClaimValue(l, it.Claim, it.Value)})
	}
	if err := h.Templates.Account(w, http.StatusOK, page); err != nil {
		h.logger().ErrorContext(ctx, "render account", "error", err)
	}
}

// passkeySection lists the citizen's passkeys; adding or removing one
// needs a recent complete sign-in, otherwise the section links to one.
func (h *Handler) passkeySection(r *http.Request, login websession.Login, l templates.Lang) (*templates.AccountPasskeys, error) {
	keys, err := h.Passkeys.Passkeys(r.Context(), login.AccountID)
	if err != nil {
		return nil, err
	}
	by := accounts.SignedIn{AccountID: login.AccountID, AuthTime: login.AuthTime, Strength: login.Strength}
	s := &templates.AccountPasskeys{
		CanChange: h.Passkeys.Reauthenticated(by),
		ReauthURL: h.loginPath() + "?" + url.Values{"return_to": {"/account#passkeys"}, "ui_locales": {string(l)}}.Encode(),
	}
	for _, k := range keys {
		row := templates.AccountPasskey{ID: base64.RawURLEncoding.EncodeToString(k.ID), Name: k.Name, CreatedAt: formatTime(k.CreatedAt, l)}
		if k.LastUsedAt != nil {
			row.LastUsedAt = formatTime(*k.LastUsedAt, l)
		}
		s.Rows = append(s.Rows, row)
	}
	return s, nil
}

func (h *Handler) revoke(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	login, l, ok := h.accountLogin(w, r)
	if !ok {
		return
	}
	if !h.csrfOK(r) {
		h.errorPage(w, r, l, http.StatusForbidden, "error.csrf", "csrf", nil)
		return
	}
	clientID := mux.Vars(r)["client"]
	err := h.Consent.Revoke(ctx, login.AccountID, clientID, actor(r, login.AccountID))
	if h.failed(w, r, l, err, "revoke "+clientID) {
		return
	}
	http.Redirect(w, r, "/account?"+url.Values{"done": {"revoked"}, "ui_locales": {string(l)}}.Encode()+"#service-"+url.PathEscape(clientID), http.StatusSeeOther)
}

func (h *Handler) receipt(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	login, l, ok := h.accountLogin(w, r)
	if !ok {
		return
	}
	clientID := mux.Vars(r)["client"]
	// Unknown connections are refused before a pairwise subject is derived
	// for them.
	if _, err := h.Consent.Current(ctx, login.AccountID, clientID); h.failed(w, r, l, err, "receipt for "+clientID) {
		return
	}
	c, err := h.Clients.Client(ctx, clientID)
	if err != nil {
		h.logger().WarnContext(ctx, "load client for receipt", "client_id", clientID, "error", err)
		c = consent.Client{ID: clientID, Name: clientID}
	}
	sub, err := h.Subjects.Subject(ctx, login.AccountID, clientID)
	if err != nil {
		h.errorPage(w, r, l, http.StatusInternalServerError, "error.generic", "", fmt.Errorf("receipt subject: %w", err))
		return
	}
	jws, rec, err := h.Consent.Receipt(ctx, consent.ReceiptRequest{AccountID: login.AccountID, Client: c, Subject: sub, By: actor(r, login.AccountID)})
	if h.failed(w, r, l, err, "receipt for "+clientID) {
		return
	}
	name := fmt.Sprintf("consent-receipt-%s.jwt", rec.ID)
	if wantsJWT(r) {
		w.Header().Set("Content-Type", "application/jwt")
		w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
		_, _ = w.Write([]byte(jws))
		return
	}
	page := templates.ReceiptPage{
		Base:       h.base(r, l),
		ClientName: localized(rec.ClientName, rec.NameEN, l), ClientID: rec.ClientID,
		Subject: rec.Subject, Issuer: rec.Issuer, ReceiptID: rec.ID,
		Purpose:        localized(rec.Purpose.Text, rec.Purpose.TextEN, l),
		PurposeVersion: rec.Purpose.Version,
		GrantedAt:      formatRFC3339(rec.GrantedAt, l), ExpiresAt: formatRFC3339(rec.ExpiresAt, l),
		RevokedAt: formatRFC3339(rec.RevokedAt, l), IssuedAt: formatTime(time.Unix(rec.IssuedAt, 0), l),
		Status: "account.status." + string(rec.Status),
		JWT:    jws,
		// A data: URL of the JWS we just signed (base64url text, no markup):
		// the page carries the very receipt it shows.
		JWTData:  template.URL("data:application/jwt;base64," + base64.StdEncoding.EncodeToString([]byte(jws))),
		FileName: name,
		RawURL:   "/account/services/" + url.PathEscape(clientID) + "/receipt?format=jwt",
	}
	for _, c := range attributes.DisplayOrder(rec.Claims) {
		if !biometric(c) {
			page.Claims = append(page.Claims, "consent.claim."+c)
		}
	}
	for _, s := range rec.Scopes {
		if k := "consent.scope." + s; templates.HasMessage(k) {
			page.Permissions = append(page.Permissions, k)
		}
	}
	if err := h.Templates.Receipt(w, http.StatusOK, page); err != nil {
		h.logger().ErrorContext(ctx, "render receipt", "error", err)
	}
}

// wantsJWT reports a request for the signed receipt itself (?format=jwt, or
// an Accept naming application/jwt) rather than the page.
func wantsJWT(r *http.Request) bool {
	return r.URL.Query().Get("format") == "jwt" || strings.Contains(r.Header.Get("Accept"), "application/jwt")
}

// formatRFC3339 formats a receipt's RFC 3339 time in the page language;
// empty stays empty.
func formatRFC3339(s string, l templates.Lang) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return formatTime(t, l)
}

// failed answers a failed operation on one of the citizen's connections: a
// connection never granted is 404, anything else 500 (logged as what). It
// reports whether err was not nil.
func (h *Handler) failed(w http.ResponseWriter, r *http.Request, l templates.Lang, err error, what string) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, consent.ErrNotFound):
		h.errorPage(w, r, l, http.StatusNotFound, "account.error.not_found", "", nil)
	default:
		h.errorPage(w, r, l, http.StatusInternalServerError, "error.generic", "", fmt.Errorf("%s: %w", what, err))
	}
	return true
}
