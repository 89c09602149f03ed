package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/consent"
	"github.com/dinhdanh/dinhdanh/templates"
)

// pending loads the challenge of the request and checks it belongs to the
// signed-in citizen; on failure it has answered.
func (h *Handler) pending(w http.ResponseWriter, r *http.Request, id, accountID string, l templates.Lang) (Pending, bool) {
	if id == "" {
		h.errorPage(w, r, l, http.StatusBadRequest, "consent.error.challenge", "invalid_request", nil)
		return Pending{}, false
	}
	p, err := h.Challenges.Get(r.Context(), id)
	switch {
	case errors.Is(err, ErrEnded) && p.AccountID == accountID:
		h.withdraw(w, r, id, l)
		return Pending{}, false
	case errors.Is(err, ErrEnded):
		h.errorPage(w, r, l, http.StatusForbidden, "consent.error.other_account", "access_denied", nil)
		return Pending{}, false
	case errors.Is(err, ErrUnknownChallenge):
		h.errorPage(w, r, l, http.StatusBadRequest, "consent.error.challenge", "invalid_request", nil)
		return Pending{}, false
	case err != nil:
		h.errorPage(w, r, l, http.StatusInternalServerError, "error.generic", "", fmt.Errorf("load challenge: %w", err))
		return Pending{}, false
	case p.AccountID != accountID:
		// Another citizen's request (a shared browser, or a forged link):
		// never show one citizen's data on another's screen.
		h.errorPage(w, r, l, http.StatusForbidden, "consent.error.other_account", "access_denied", nil)
		return Pending{}, false
	}
	return p, true
}

// withdraw answers a request that can no longer be approved (ErrEnded):
// nothing is recorded, and the browser goes back to the relying party,
// which gets access_denied.
func (h *Handler) withdraw(w http.ResponseWriter, r *http.Request, id string, l templates.Lang) {
	ctx := r.Context()
	err := h.Challenges.Begin(ctx, id)
	next := ""
	if err == nil {
		next, err = h.Challenges.Complete(ctx, id, Outcome{})
	}
	switch {
	case errors.Is(err, ErrUnknownChallenge):
		h.errorPage(w, r, l, http.StatusBadRequest, "consent.error.challenge", "invalid_request", nil)
		return
	case err != nil:
		h.errorPage(w, r, l, http.StatusInternalServerError, "error.generic", "", fmt.Errorf("withdraw challenge: %w", err))
		return
	}
	h.Sessions.Remove(ctx, sessionChallenge)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// offered lists the items of a pending request with the citizen's values, in
// the order claims are listed to a person (attributes.CompareClaims), every
// releasable claim included, essential ones marked, biometrics never.
func (h *Handler) offered(ctx context.Context, p Pending) ([]Item, error) {
	want := claimsOf(p.Scopes, p.Claims)
	var preview []Item
	var err error
	if p.ActingFor == "" {
		preview, err = h.Preview.Preview(ctx, p.AccountID, p.Scopes, p.Claims)
	} else if h.Dependents != nil {
		preview, err = h.Dependents.PreviewDependent(ctx, p.AccountID, p.ActingFor, p.Scopes, p.Claims)
	}
	if err != nil {
		return nil, fmt.Errorf("preview values: %w", err)
	}
	var out []Item
	seen := map[string]bool{}
	for _, it := range preview {
		if !slices.Contains(want, it.Claim) || seen[it.Claim] {
			continue
		}
		seen[it.Claim] = true
		it.Essential = it.Essential || slices.Contains(p.Essential, it.Claim)
		out = append(out, it)
	}
	for _, c := range want {
		if !seen[c] {
			out = append(out, Item{Claim: c, Essential: slices.Contains(p.Essential, c)})
		}
	}
	slices.SortStableFunc(out, func(a, b Item) int { return attributes.CompareClaims(a.Claim, b.Claim) })
	return out, nil
}

func (h *Handler) showConsent(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.URL.Query().Get("challenge")
	if id == "" {
		id = h.Sessions.GetString(ctx, sessionChallenge)
	}
	login, ok := h.login(w, r, "/consent?"+url.Values{"challenge": {id}}.Encode())
	if !ok {
		return
	}
	l := lang(r, "")
	p, ok := h.pending(w, r, id, login.AccountID, l)
	if !ok {
		return
	}
	l = lang(r, p.UILocales)
	h.Sessions.Put(ctx, sessionChallenge, id)
	items, err := h.offered(ctx, p)
	if err != nil {
		h.errorPage(w, r, l, http.StatusInternalServerError, "error.generic", "", err)
		return
	}
	h.renderConsent(w, r, l, id, p, items, "", http.StatusOK)
}

func (h *Handler) renderConsent(w http.ResponseWriter, r *http.Request, l templates.Lang, id string, p Pending, items []Item, errKey string, status int) {
	page := templates.ConsentPage{
		Base:           h.base(r, l),
		Challenge:      id,
		ClientName:     localized(p.Client.Name, p.Client.NameEN, l),
		ClientLogo:     p.Client.LogoURI,
		ClientKind:     kindKey(p.Client.Kind),
		Purpose:        localized(p.Client.Purpose, p.Client.PurposeEN, l),
		PurposeVersion: p.Client.PurposeVersion,
		Error:          errKey,
		ActingForName:  p.ActingForName,
	}
	if k := "consent.acr." + p.ACR; templates.HasMessage(k) {
		page.ACR = k
	}
	if k := "consent.reason." + string(p.Reason); p.Reason != "" && templates.HasMessage(k) {
		page.Reason = k
	}
	for _, s := range p.Scopes {
		if k := "consent.scope." + s; templates.HasMessage(k) {
			page.Permissions = append(page.Permissions, k)
		}
		// A document scope reached this page only because the kind policy
		// allows it the client's kind (oidc.KindPolicy, checked at
		// /authorize and /par): say so.
		if doc, ok := strings.CutPrefix(s, "documents."); ok {
			if k := "consent.claim." + doc; templates.HasMessage(k) {
				page.PolicyDocuments = append(page.PolicyDocuments, k)
			}
		}
	}
	for _, it := range items {
		page.Items = append(page.Items, templates.ConsentItem{
			Claim: it.Claim, Label: labelKey(it), Value: templates.ClaimValue(l, it.Claim, it.Value), Essential: it.Essential, Checked: true,
		})
	}
	if err := h.Templates.Consent(w, status, page); err != nil {
		h.logger().ErrorContext(r.Context(), "render consent", "error", err)
	}
}

func kindKey(kind string) string {
	if k := "consent.kind." + kind; templates.HasMessage(k) {
		return k
	}
	return "consent.kind.other"
}

func (h *Handler) answerConsent(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		h.errorPage(w, r, lang(r, ""), http.StatusBadRequest, "error.generic", "invalid_request", nil)
		return
	}
	id := r.PostFormValue("challenge")
	login, ok := h.login(w, r, "/consent?"+url.Values{"challenge": {id}}.Encode())
	if !ok {
		return
	}
	l := lang(r, "")
	if !h.csrfOK(r) {
		h.errorPage(w, r, l, http.StatusForbidden, "error.csrf", "csrf", nil)
		return
	}
	p, ok := h.pending(w, r, id, login.AccountID, l)
	if !ok {
		return
	}
	items, err := h.offered(ctx, p)
	if err != nil {
		h.errorPage(w, r, l, http.StatusInternalServerError, "error.generic", "", err)
		return
	}
	action := r.PostFormValue("action")
	if action != "refuse" && action != "approve" {
		h.renderConsent(w, r, lang(r, p.UILocales), id, p, items, "consent.error.action", http.StatusBadRequest)
		return
	}
	// One answer per screen: a second submission (double click, replay)
	// records nothing.
	switch err := h.Challenges.Begin(ctx, id); {
	case errors.Is(err, ErrUnknownChallenge):
		h.errorPage(w, r, l, http.StatusBadRequest, "consent.error.challenge", "invalid_request", nil)
		return
	case err != nil:
		h.errorPage(w, r, l, http.StatusInternalServerError, "error.generic", "", fmt.Errorf("begin challenge: %w", err))
		return
	}
	var o Outcome
	if action == "refuse" {
		var claims []string
		for _, it := range items {
			claims = append(claims, it.Claim)
		}
		err = h.Consent.Refuse(ctx, consent.Refusal{
			AccountID: p.holder(), ClientID: p.Client.ID, Scopes: p.Scopes, Claims: claims,
			PurposeVersion: p.Client.PurposeVersion, ACR: p.ACR, By: actor(r, login.AccountID),
		})
	} else {
		o = approve(p, items, r.PostForm["claim"])
		var declined []string
		for _, it := range items {
			if !slices.Contains(o.Claims, it.Claim) {
				declined = append(declined, it.Claim)
			}
		}
		_, err = h.Consent.Grant(ctx, consent.Approval{
			AccountID: p.holder(), ClientID: p.Client.ID, Scopes: o.Scopes, Claims: o.Claims, Declined: declined,
			PurposeVersion: p.Client.PurposeVersion, ACR: p.ACR, By: actor(r, login.AccountID),
		})
	}
	if err != nil {
		h.errorPage(w, r, l, http.StatusInternalServerError, "error.generic", "", fmt.Errorf("record consent answer: %w", err))
		return
	}
	next, err := h.Challenges.Complete(ctx, id, o)
	switch {
	case errors.Is(err, ErrUnknownChallenge):
		h.errorPage(w, r, l, http.StatusBadRequest, "consent.error.challenge", "invalid_request", nil)
		return
	case err != nil:
		h.errorPage(w, r, l, http.StatusInternalServerError, "error.generic", "", fmt.Errorf("complete challenge: %w", err))
		return
	}
	h.Sessions.Remove(ctx, sessionChallenge)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// approve computes what is granted from the ticked boxes, enforcing on the
// server what the form shows: essential claims are granted whatever was
// posted, voluntary ones only if ticked, nothing that was not offered; a
// scope whose offered claims were all unticked is not granted.
func approve(p Pending, items []Item, ticked []string) Outcome {
	o := Outcome{Approved: true, Claims: []string{}}
	var offered []string
	for _, it := range items {
		offered = append(offered, it.Claim)
		if it.Essential || slices.Contains(ticked, it.Claim) {
			o.Claims = append(o.Claims, it.Claim)
		}
	}
	slices.Sort(o.Claims)
	o.Claims = slices.Compact(o.Claims)
	for _, s := range p.Scopes {
		if biometric(s) {
			continue
		}
		claims := slices.DeleteFunc(attributes.ClaimsForScopes([]string{s}), func(c string) bool { return !slices.Contains(offered, c) })
		if len(claims) == 0 || slices.ContainsFunc(claims, func(c string) bool { return slices.Contains(o.Claims, c) }) {
			o.Scopes = append(o.Scopes, s)
		}
	}
	return o
}

// holder is whose consent records get the answer: the dependent's when the
// guardian signs in for one (By still names the guardian), else the
// signed-in citizen's.
func (p Pending) holder() string {
	if p.ActingFor != "" {
		return p.ActingFor
	}
	return p.AccountID
}
