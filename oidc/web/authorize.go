package web

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/ory/fosite"

	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/oidc"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Session keys owned by this package (STYLE §9: typed constants in one
// web-layer file).
const (
	// keyAuthn remembers, per authorization request, when we sent the
	// browser to sign in and how often: prompt=login is satisfied by a
	// sign-in after that time, and a sign-in page that keeps coming back too
	// weak ends the request instead of looping.
	keyAuthn = "oidc.authn"
	// keyLogoutNonce guards the logout confirmation form.
	keyLogoutNonce = "oidc.logout_nonce"
)

type authnMarker struct {
	Hash  string    `json:"h"`
	At    time.Time `json:"at"`
	Count int       `json:"n"`
}

// markerTTL is how long a sign-in started for a request counts for it.
const markerTTL = 30 * time.Minute

func requestHash(form url.Values) string {
	sum := sha256.Sum256([]byte(form.Encode()))
	return hex.EncodeToString(sum[:16])
}

func meta(r *http.Request) oidc.Meta {
	return oidc.Meta{IP: httpx.ClientIP(r), UserAgent: r.UserAgent(), RequestID: httpx.RequestIDFrom(r.Context()), Sender: sender(r)}
}

// authorize serves the authorization endpoint: it decodes the request and
// the browser's sign-in, asks the provider for a decision, and carries it
// out (answer the relying party, send the browser to sign in or to the
// consent screen, or explain an unmet level).
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	req, err := h.Provider.ValidateAuthorize(ctx, r)
	if err != nil {
		h.authorizeError(w, r, req, err)
		return
	}
	hash := requestHash(req.Outer)
	var marker authnMarker
	if s := h.Sessions.GetString(ctx, keyAuthn); s != "" {
		_ = json.Unmarshal([]byte(s), &marker)
		if marker.Hash != hash || h.now().Sub(marker.At) > markerTTL {
			marker = authnMarker{}
		}
	}
	at := oidc.SignInAttempt{Since: marker.At, Rounds: marker.Count}
	if l, ok := websession.GetLogin(ctx, h.Sessions); ok {
		at.SignIn = signIn(l)
		at.ActingFor = h.actingFor(r, hash, l.AccountID)
	}
	d, err := h.Provider.Authorize(ctx, req, at, meta(r))
	if err != nil {
		h.logger().ErrorContext(ctx, "authorize", "error", err, "request_id", httpx.RequestIDFrom(ctx))
		h.authorizeError(w, r, req, fosite.ErrServerError)
		return
	}
	if d.ForgetSignIn {
		websession.ClearLogin(ctx, h.Sessions)
	}
	if d.Step == oidc.StepSignIn {
		if marker.At.IsZero() {
			marker.At = h.now()
		}
		marker.Hash, marker.Count = hash, marker.Count+1
		b, _ := json.Marshal(marker)
		h.Sessions.Put(ctx, keyAuthn, string(b))
	} else {
		h.Sessions.Remove(ctx, keyAuthn)
	}
	if d.Step != oidc.StepSignIn && d.Step != oidc.StepChooseDependent {
		h.Sessions.Remove(ctx, keyActing)
	}
	h.carryOut(w, r, req, d)
}

// resume serves PathAuthorizeResume: the consent screen sends the browser
// here once the citizen answered, and the relying party gets its answer.
func (h *Handler) resume(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	var in *oidc.SignIn
	if l, ok := websession.GetLogin(ctx, h.Sessions); ok {
		in = signIn(l)
	}
	req, d, err := h.Provider.ResumeAuthorize(ctx, r.URL.Query().Get("challenge"), in, meta(r))
	switch {
	case errors.Is(err, oidc.ErrUnknownChallenge):
		h.errorPage(w, r, http.StatusBadRequest, "consent.error.challenge", "invalid_request")
		return
	case err != nil:
		h.logger().ErrorContext(ctx, "resume authorization", "error", err, "request_id", httpx.RequestIDFrom(ctx))
		h.authorizeError(w, r, req, fosite.ErrServerError)
		return
	}
	h.carryOut(w, r, req, d)
}

func signIn(l websession.Login) *oidc.SignIn {
	return &oidc.SignIn{AccountID: l.AccountID, Strength: l.Strength, AMR: l.AMR, AuthTime: l.AuthTime, SID: l.SID}
}

// carryOut does what the decision says.
func (h *Handler) carryOut(w http.ResponseWriter, r *http.Request, req *oidc.AuthorizeRequest, d oidc.Decision) {
	switch d.Step {
	case oidc.StepRespond:
		if oidc.IsJARM(req.Fosite.GetResponseMode()) {
			h.writeJARM(w, r, req.Fosite, d.Response.GetParameters())
			return
		}
		allowFormPost(w, req.Fosite)
		h.Provider.OAuth2.WriteAuthorizeResponse(r.Context(), w, req.Fosite, d.Response)
	case oidc.StepSignIn:
		h.redirectToLogin(w, r, req, d)
	case oidc.StepConsent:
		q := url.Values{"challenge": {d.ChallengeID}}
		if req.UILocales != "" {
			q.Set("ui_locales", req.UILocales)
		}
		http.Redirect(w, r, h.consentPath()+"?"+q.Encode(), http.StatusFound)
	case oidc.StepUnmet:
		h.unmet(w, r, req)
	case oidc.StepChooseDependent:
		http.Redirect(w, r, chooseURL(req, h.lang(r)), http.StatusFound)
	default:
		h.authorizeError(w, r, req, d.Err)
	}
}

func (h *Handler) consentPath() string {
	if h.ConsentPath != "" {
		return h.ConsentPath
	}
	return "/consent"
}

// redirectToLogin sends the browser to sign in and back to the request as
// it sent it: a pushed request comes back as client_id and request_uri
// only, so that its parameters never show in a browser URL (RFC 9126 §1).
func (h *Handler) redirectToLogin(w http.ResponseWriter, r *http.Request, req *oidc.AuthorizeRequest, d oidc.Decision) {
	loginPath := h.LoginPath
	if loginPath == "" {
		loginPath = "/login"
	}
	q := url.Values{}
	q.Set("return_to", oidc.PathAuthorize+"?"+req.Outer.Encode())
	q.Set("ui_locales", string(h.lang(r)))
	if d.Level >= 2 {
		q.Set("acr_values", d.Level.ACR())
	}
	if d.Force {
		q.Set("prompt", "login")
	}
	http.Redirect(w, r, loginPath+"?"+q.Encode(), http.StatusFound)
}

// authorizeError answers an authorization request: to the relying party when
// the redirect_uri was validated, otherwise as an HTML page (RFC 6749
// §4.1.2.1: never redirect to an unverified URI).
func (h *Handler) authorizeError(w http.ResponseWriter, r *http.Request, req *oidc.AuthorizeRequest, err error) {
	ctx := r.Context()
	rfc := fosite.ErrorToRFC6749Error(err)
	h.logger().InfoContext(ctx, "authorize error", "error", rfc.ErrorField, "hint", rfc.HintField,
		"debug", rfc.DebugField, "request_id", httpx.RequestIDFrom(ctx))
	var ar fosite.AuthorizeRequester
	if req != nil {
		ar = req.Fosite
	}
	if ar != nil && ar.IsRedirectURIValid() {
		h.writeAuthorizeError(w, r, ar, err)
		return
	}
	msg := "oidc.error.request"
	if rfc.ErrorField == fosite.ErrInvalidClient.ErrorField || rfc.ErrorField == fosite.ErrInvalidRequest.ErrorField && (ar == nil || ar.GetClient() == nil) {
		msg = "oidc.error.invalid_client"
	}
	status := rfc.CodeField
	switch {
	case status == http.StatusUnauthorized || status < 400:
		// A browser showing an unknown client is a bad request, not an
		// authentication challenge: 401 would need a WWW-Authenticate the
		// citizen cannot answer (RFC 9110 §15.5.2).
		status = http.StatusBadRequest
	case status == http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", retryAfter)
	}
	h.errorPage(w, r, status, msg, rfc.ErrorField)
}

// locationRecorder captures the redirect fosite would send.
type locationRecorder struct {
	h      http.Header
	status int
}

func (l *locationRecorder) Header() http.Header         { return l.h }
func (l *locationRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (l *locationRecorder) WriteHeader(s int)           { l.status = s }

// unmet tells the citizen how to reach level 2, with a link that returns the
// unmet_authentication_requirements error to the relying party.
func (h *Handler) unmet(w http.ResponseWriter, r *http.Request, req *oidc.AuthorizeRequest) {
	ctx := r.Context()
	rec := &locationRecorder{h: http.Header{}}
	// The link is a plain redirect whatever response_mode says: a link
	// cannot post a form.
	var ar fosite.AuthorizeRequester = req.Fosite
	if far, ok := req.Fosite.(*fosite.AuthorizeRequest); ok {
		query := *far
		query.ResponseMode = fosite.ResponseModeQuery
		if oidc.IsJARM(far.ResponseMode) {
			query.ResponseMode = oidc.ResponseModeQueryJWT
		}
		ar = &query
	}
	h.writeAuthorizeError(rec, r, ar, oidc.ErrUnmetAuthenticationRequirements)
	lang := h.lang(r)
	page := templates.OIDCUnmetPage{
		Base:       templates.Base{Lang: lang, RequestID: httpx.RequestIDFrom(ctx), SignedIn: true},
		ClientName: req.Client.DisplayName(string(lang)),
		ReturnURL:  rec.h.Get("Location"),
	}
	if h.Templates == nil {
		http.Redirect(w, r, page.ReturnURL, http.StatusSeeOther)
		return
	}
	if err := h.Templates.OIDCUnmet(w, http.StatusForbidden, page); err != nil {
		h.logger().ErrorContext(ctx, "render unmet page", "error", err)
	}
}

// allowFormPost gives a form_post answer (OAuth 2.0 Form Post Response Mode)
// the Content-Security-Policy its page needs: the gateway's default one
// blocks the script that submits it, leaving the citizen on a blank page.
func allowFormPost(w http.ResponseWriter, ar fosite.AuthorizeRequester) {
	if ar != nil && ar.GetResponseMode() == fosite.ResponseModeFormPost {
		w.Header().Set("Content-Security-Policy", oidc.FormPostCSP)
	}
}

// writeAuthorizeError sends an error to the relying party at its validated
// redirect URI (RFC 6749 §4.1.2.1), as fosite would, plus the issuer (RFC
// 9207 §2), which fosite's error writer does not add: by redirect, or by
// form post (under the page's own CSP) when that was asked.
func (h *Handler) writeAuthorizeError(w http.ResponseWriter, r *http.Request, ar fosite.AuthorizeRequester, err error) {
	ctx := r.Context()
	params := h.Provider.AuthorizeErrorParams(ar, err)
	if oidc.IsJARM(ar.GetResponseMode()) {
		h.writeJARM(w, r, ar, params)
		return
	}
	u := *ar.GetRedirectURI()
	u.Fragment = ""
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	switch ar.GetResponseMode() {
	case fosite.ResponseModeFormPost:
		allowFormPost(w, ar)
		w.Header().Set("Content-Type", "text/html;charset=UTF-8")
		fosite.WriteAuthorizeFormPostResponse(u.String(), params, fosite.GetPostFormHTMLTemplate(ctx, h.Provider.Fosite), w)
		return
	case fosite.ResponseModeFragment:
		w.Header().Set("Location", u.String()+"#"+params.Encode())
	default:
		for k, vs := range u.Query() {
			for _, v := range vs {
				params.Add(k, v)
			}
		}
		u.RawQuery = params.Encode()
		w.Header().Set("Location", u.String())
	}
	w.WriteHeader(http.StatusSeeOther)
}
