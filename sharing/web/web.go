package web

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/alexedwards/scs/v2"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/gorilla/mux"
	qrcode "github.com/skip2/go-qrcode"

	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/webpage"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/sharing"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Paths of the pages.
const (
	PathShare  = "/account/share"
	PathVerify = "/verify"
)

// Handler serves the sharing pages. Sharing, JWKS, Templates, Sessions and
// CSRF are required. Mount it on the browser router (sessions, CSRF).
type Handler struct {
	Sharing *sharing.Service
	// JWKS returns the gateway's published key set (what /jwks.json serves).
	JWKS func() []byte
	// Issuer, when set, is the iss /verify expects.
	Issuer    string
	Templates *templates.Set
	Sessions  *scs.SessionManager
	CSRF      *httpx.CSRF
	Logger    *slog.Logger
	// LoginPath is the sign-in page; /login when empty.
	LoginPath string
	// Now is the clock of /verify; time.Now when nil.
	Now func() time.Time
}

// Routes mounts the pages.
func (h *Handler) Routes(r *mux.Router) {
	r.Handle(PathShare, httpx.NoStore(http.HandlerFunc(h.showShare))).Methods(http.MethodGet)
	r.Handle(PathShare, httpx.NoStore(http.HandlerFunc(h.issue))).Methods(http.MethodPost)
	r.Handle(PathVerify, httpx.NoStore(http.HandlerFunc(h.showVerify))).Methods(http.MethodGet)
	r.Handle(PathVerify, httpx.NoStore(http.HandlerFunc(h.verify))).Methods(http.MethodPost)
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func lang(r *http.Request) templates.Lang { return webpage.Lang(r, "") }

// login returns the signed-in citizen or sends the browser to sign in and
// come back.
func (h *Handler) login(w http.ResponseWriter, r *http.Request) (websession.Login, bool) {
	return webpage.RequireLogin(w, r, h.Sessions, h.LoginPath, PathShare)
}

func (h *Handler) csrfOK(r *http.Request) bool { return webpage.CSRFOK(r, h.CSRF) }

func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, l templates.Lang, status int, msg string, err error) {
	ctx := r.Context()
	if err != nil {
		h.logger().ErrorContext(ctx, "sharing page", "error", err, "request_id", httpx.RequestIDFrom(ctx))
	}
	_, signedIn := websession.GetLogin(ctx, h.Sessions)
	_ = h.Templates.Error(w, status, templates.ErrorPage{
		Base:    templates.Base{Lang: l, RequestID: httpx.RequestIDFrom(ctx), SignedIn: signedIn},
		Message: msg, LinkURL: "/account", LinkText: "error.back",
	})
}

func (h *Handler) base(r *http.Request, l templates.Lang, signedIn bool) templates.Base {
	return templates.Base{Lang: l, CSRFToken: h.CSRF.Token(r.Context()), RequestID: httpx.RequestIDFrom(r.Context()), SignedIn: signedIn}
}

func (h *Handler) showShare(w http.ResponseWriter, r *http.Request) {
	login, ok := h.login(w, r)
	if !ok {
		return
	}
	h.renderShare(w, r, lang(r), login, nil, "", "", http.StatusOK)
}

// renderShare shows the form; chosen are the ticked claims: none at first,
// the citizen picks what to share.
func (h *Handler) renderShare(w http.ResponseWriter, r *http.Request, l templates.Lang, login websession.Login, chosen []string, challenge, errKey string, status int) {
	offer, err := h.Sharing.Offer(r.Context(), login.AccountID, login.ACRLevel())
	if errors.Is(err, sharing.ErrNotActive) {
		h.errorPage(w, r, l, http.StatusForbidden, "share.error.not_active", nil)
		return
	}
	if err != nil {
		h.errorPage(w, r, l, http.StatusInternalServerError, "error.generic", err)
		return
	}
	page := templates.SharePage{
		Base:                h.base(r, l, true),
		Challenge:           challenge,
		TTLMinutes:          int(h.Sharing.TTL().Minutes()),
		DocumentsNeedLevel2: login.ACRLevel() < 2,
		ACR:                 "consent.acr." + sharing.ACR(login.ACRLevel()),
		Error:               errKey,
	}
	for _, a := range offer {
		page.Items = append(page.Items, templates.ConsentItem{
			Claim: a.Claim, Label: "consent.claim." + a.Claim, Value: templates.ClaimValue(l, a.Claim, a.Value),
			Checked: slices.Contains(chosen, a.Claim),
		})
	}
	if err := h.Templates.Share(w, status, page); err != nil {
		h.logger().ErrorContext(r.Context(), "render share", "error", err)
	}
}

func (h *Handler) issue(w http.ResponseWriter, r *http.Request) {
	l := lang(r)
	login, ok := h.login(w, r)
	if !ok {
		return
	}
	if !h.csrfOK(r) {
		h.errorPage(w, r, l, http.StatusForbidden, "error.csrf", nil)
		return
	}
	claims := r.PostForm["claim"]
	challenge := strings.TrimSpace(r.PostFormValue("challenge"))
	ctx := r.Context()
	c, err := h.Sharing.Issue(ctx, sharing.Request{
		AccountID: login.AccountID, Level: login.ACRLevel(), Claims: claims, Challenge: challenge,
		Format: sharing.FormatCompact,
		Actor:  sharing.Actor{IP: httpx.ClientIP(r), UserAgent: r.UserAgent(), RequestID: httpx.RequestIDFrom(ctx)},
	})
	if err != nil {
		key := ""
		switch {
		case errors.Is(err, sharing.ErrNothingToShare):
			key = "share.error.nothing"
		case errors.Is(err, sharing.ErrNotShareable):
			key = "share.error.not_shareable"
		case errors.Is(err, sharing.ErrChallenge):
			key = "share.error.challenge"
		case errors.Is(err, sharing.ErrTooLarge):
			key = "share.error.too_large"
		case errors.Is(err, sharing.ErrNotActive):
			h.errorPage(w, r, l, http.StatusForbidden, "share.error.not_active", nil)
			return
		default:
			h.errorPage(w, r, l, http.StatusInternalServerError, "error.generic", err)
			return
		}
		h.renderShare(w, r, l, login, claims, challenge, key, http.StatusBadRequest)
		return
	}
	qr, size, err := QRDataURL(c.Token)
	if err != nil {
		h.errorPage(w, r, l, http.StatusInternalServerError, "error.generic", err)
		return
	}
	page := templates.ShareCredentialPage{
		Base: h.base(r, l, true), QR: qr, QRSize: size, Token: c.Token, Size: len(c.Token),
		Expires: formatTime(c.Expires, l), Challenge: c.Nonce, ACR: "consent.acr." + c.ACR,
	}
	for _, n := range attributes.DisplayOrder(c.Claims) {
		page.Claims = append(page.Claims, "consent.claim."+n)
	}
	if err := h.Templates.ShareCredential(w, http.StatusOK, page); err != nil {
		h.logger().ErrorContext(ctx, "render share credential", "error", err)
	}
}

// QRDataURL draws token as a QR code: error correction level M when it fits,
// L otherwise (a code on a screen is not soiled). It returns a data: URL of
// the PNG and its width in CSS pixels, at most about 520.
func QRDataURL(token string) (template.URL, int, error) {
	level := qrcode.Medium
	if len(token) > sharing.QRCapacityM {
		level = qrcode.Low
	}
	q, err := qrcode.New(token, level)
	if err != nil {
		return "", 0, fmt.Errorf("sharing/web: qr code: %w", err)
	}
	modules := q.VersionNumber*4 + 17 + 8 // symbol and quiet zone
	px := max(2, 520/modules)
	png, err := q.PNG(-px)
	if err != nil {
		return "", 0, fmt.Errorf("sharing/web: qr code: %w", err)
	}
	// A data: URL of a PNG we drew: safe for img src (the CSP allows data:).
	return template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png)), modules * px, nil
}

func (h *Handler) showVerify(w http.ResponseWriter, r *http.Request) {
	l := lang(r)
	h.renderVerify(w, r, l, templates.ShareVerifyPage{}, http.StatusOK)
}

func (h *Handler) renderVerify(w http.ResponseWriter, r *http.Request, l templates.Lang, page templates.ShareVerifyPage, status int) {
	// The verifier's page may use the camera to read a QR code (its own
	// script, static/js/verify-scan.js); every other page keeps camera=().
	w.Header().Set("Permissions-Policy", "camera=(self), microphone=(), geolocation=()")
	_, signedIn := websession.GetLogin(r.Context(), h.Sessions)
	page.Base = h.base(r, l, signedIn)
	if code, err := sharing.NewChallenge(nil); err == nil {
		page.SuggestedChallenge = code
	}
	if err := h.Templates.ShareVerify(w, status, page); err != nil {
		h.logger().ErrorContext(r.Context(), "render verify", "error", err)
	}
}

func (h *Handler) verify(w http.ResponseWriter, r *http.Request) {
	l := lang(r)
	if !h.csrfOK(r) {
		h.errorPage(w, r, l, http.StatusForbidden, "error.csrf", nil)
		return
	}
	page := templates.ShareVerifyPage{
		Token: strings.TrimSpace(r.PostFormValue("token")), Challenge: strings.TrimSpace(r.PostFormValue("challenge")),
		Checked: true,
	}
	var keys jose.JSONWebKeySet
	if err := json.Unmarshal(h.JWKS(), &keys); err != nil {
		h.errorPage(w, r, l, http.StatusInternalServerError, "error.generic", fmt.Errorf("read own JWKS: %w", err))
		return
	}
	if _, err := sharing.NormalizeChallenge(page.Challenge); err != nil {
		page.Error = "share.verify.error.challenge"
		h.renderVerify(w, r, l, page, http.StatusBadRequest)
		return
	}
	v, err := sharing.VerifyAny(page.Token, keys, h.now(), sharing.VerifyOptions{Issuer: h.Issuer, Challenge: page.Challenge})
	if err != nil {
		// The reason is for the verifier's screen; the text is never logged.
		page.Error = verifyErrorKey(err)
		h.renderVerify(w, r, l, page, http.StatusUnprocessableEntity)
		return
	}
	page.Valid = true
	page.Issuer, page.JTI = v.Issuer, v.JTI
	page.Issued, page.Expires = formatTime(v.IssuedAt, l), formatTime(v.Expires, l)
	page.ACR = "consent.acr." + v.ACR
	if !templates.HasMessage(page.ACR) {
		page.ACR = v.ACR
	}
	page.Undisclosed = v.Undisclosed
	page.ChallengeBound = page.Challenge != "" && v.Nonce != ""
	for _, n := range attributes.DisplayOrder(slices.Collect(maps.Keys(v.Claims))) {
		page.Items = append(page.Items, templates.VerifyItem{Claim: n, Label: claimLabel(l, n), Value: templates.ClaimValue(l, n, v.Claims[n])})
	}
	h.renderVerify(w, r, l, page, http.StatusOK)
}

func verifyErrorKey(err error) string {
	for _, m := range []struct {
		err error
		key string
	}{
		{sharing.ErrExpired, "expired"}, {sharing.ErrNotYetValid, "not_yet"}, {sharing.ErrSignature, "signature"},
		{sharing.ErrUnknownKey, "unknown_key"}, {sharing.ErrDisclosure, "disclosure"},
		{sharing.ErrDuplicateDisclosure, "duplicate"}, {sharing.ErrNonce, "nonce"}, {sharing.ErrIssuer, "issuer"},
		{sharing.ErrType, "type"}, {sharing.ErrUnsupported, "unsupported"},
	} {
		if errors.Is(err, m.err) {
			return "share.verify.error." + m.key
		}
	}
	return "share.verify.error.malformed"
}

func claimLabel(l templates.Lang, claim string) string {
	if k := "consent.claim." + claim; templates.HasMessage(k) {
		return templates.T(l, k)
	}
	return claim
}

func formatTime(t time.Time, l templates.Lang) string {
	if l == templates.EN {
		return t.In(webpage.Vietnam).Format("2 Jan 2006, 15:04:05 (UTC+7)")
	}
	return t.In(webpage.Vietnam).Format("15:04:05 02/01/2006 (UTC+7)")
}
