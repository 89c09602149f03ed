// Package demorp is a small demonstration relying party ("a public-service
// portal") built only on independent client libraries, go-oidc and
// x/oauth2: it signs a citizen in through the gateway with PKCE, verifies the
// ID token, reads userinfo, and tries a refresh. `dinhdanh dev` serves it
// next to the gateway; the browser test drives it.
package demorp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Config describes the relying party's registration at the gateway.
type Config struct {
	Name         string
	Issuer       string
	ClientID     string
	ClientSecret string
	RedirectURL  string
	Scopes       []string
	// ActForDependents shows the link that lets a guardian sign in for a
	// dependent (scope act_for_dependent; the client must be registered
	// with accept_dependents).
	ActForDependents bool
	// HTTPClient reaches the gateway (tests pass the httptest client).
	HTTPClient *http.Client
}

// RP is the demo relying party.
type RP struct {
	cfg Config

	mu       sync.Mutex
	provider *oidc.Provider
	sessions map[string]*session
}

type session struct {
	State, Nonce, Verifier string
	Token                  *oauth2.Token
	Claims                 map[string]any
	UserInfo               map[string]any
	// Acting is the guardian's subject when the ID token's act claim (RFC
	// 8693 §4.1) says the sign-in acts for a dependent.
	Acting  string
	Message string
	Error   string
	Created time.Time
}

// New returns the relying party; it discovers the gateway lazily, on the
// first sign-in, so it can start before the gateway listens.
func New(cfg Config) *RP {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	return &RP{cfg: cfg, sessions: map[string]*session{}}
}

func (rp *RP) ctx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, rp.cfg.HTTPClient)
}

func (rp *RP) setup(ctx context.Context) (*oidc.Provider, *oauth2.Config, error) {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if rp.provider == nil {
		p, err := oidc.NewProvider(rp.ctx(ctx), rp.cfg.Issuer)
		if err != nil {
			return nil, nil, err
		}
		rp.provider = p
	}
	// The client is registered for client_secret_basic. Left to auto-detect,
	// x/oauth2 retries a refused request with client_secret_post and reports
	// that retry's invalid_client instead of the real error (invalid_grant
	// after the citizen withdrew consent).
	endpoint := rp.provider.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInHeader
	return rp.provider, &oauth2.Config{
		ClientID: rp.cfg.ClientID, ClientSecret: rp.cfg.ClientSecret,
		RedirectURL: rp.cfg.RedirectURL, Endpoint: endpoint, Scopes: rp.cfg.Scopes,
	}, nil
}

const cookieName = "demo_rp"

func (rp *RP) session(w http.ResponseWriter, r *http.Request) *session {
	rp.mu.Lock()
	defer rp.mu.Unlock()
	if c, err := r.Cookie(cookieName); err == nil {
		if s, ok := rp.sessions[c.Value]; ok {
			return s
		}
	}
	id := random()
	s := &session{Created: time.Now()}
	rp.sessions[id] = s
	// SameSite=None: an answer by form post (response_mode=form_post) is a
	// cross-site POST from the gateway, which carries no Lax cookie. Secure,
	// which None needs, is honoured on http://localhost and 127.0.0.1 too.
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: id, Path: "/", HttpOnly: true, Secure: true, SameSite: http.SameSiteNoneMode})
	return s
}

// Handler serves the relying party's pages.
func (rp *RP) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", rp.home)
	mux.HandleFunc("GET /login", rp.login)
	mux.HandleFunc("GET /callback", rp.callback)
	// response_mode=form_post (OAuth 2.0 Form Post Response Mode §2).
	mux.HandleFunc("POST /callback", rp.callback)
	mux.HandleFunc("POST /refresh", rp.refresh)
	return mux
}

func (rp *RP) home(w http.ResponseWriter, r *http.Request) {
	s := rp.session(w, r)
	rp.render(w, s)
}

func (rp *RP) login(w http.ResponseWriter, r *http.Request) {
	_, oc, err := rp.setup(r.Context())
	if err != nil {
		http.Error(w, "gateway unreachable: "+err.Error(), http.StatusBadGateway)
		return
	}
	s := rp.session(w, r)
	s.State, s.Nonce, s.Verifier = random(), random(), oauth2.GenerateVerifier()
	opts := []oauth2.AuthCodeOption{oidc.Nonce(s.Nonce), oauth2.S256ChallengeOption(s.Verifier)}
	if acr := r.URL.Query().Get("acr"); acr != "" {
		opts = append(opts, oauth2.SetAuthURLParam("acr_values", acr))
	}
	// The login link may ask for a few request parameters, as a relying
	// party's own pages would: the language, a silent check (prompt=none),
	// the answer by form post.
	for _, k := range []string{"ui_locales", "prompt", "response_mode"} {
		if v := r.URL.Query().Get(k); v != "" {
			opts = append(opts, oauth2.SetAuthURLParam(k, v))
		}
	}
	scopes := slices.Clone(oc.Scopes)
	if r.URL.Query().Get("dependent") != "" && rp.cfg.ActForDependents {
		// A guardian may choose to sign in for a child or ward.
		scopes = append(scopes, "act_for_dependent")
	}
	if r.URL.Query().Get("passport") != "" {
		// A foreigner's passport and residence permit (scopes passport and
		// residence_permit; the client must be registered for them).
		scopes = append(scopes, "passport", "residence_permit")
	}
	if len(scopes) > len(oc.Scopes) {
		opts = append(opts, oauth2.SetAuthURLParam("scope", strings.Join(scopes, " ")))
	}
	http.Redirect(w, r, oc.AuthCodeURL(s.State, opts...), http.StatusFound)
}

func (rp *RP) callback(w http.ResponseWriter, r *http.Request) {
	p, oc, err := rp.setup(r.Context())
	if err != nil {
		http.Error(w, "gateway unreachable", http.StatusBadGateway)
		return
	}
	s := rp.session(w, r)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad callback", http.StatusBadRequest)
		return
	}
	q := r.Form // the query, or the form_post body
	s.Message, s.Error = "", ""
	switch {
	case s.State == "" || q.Get("state") != s.State:
		s.Error = "state mismatch"
	case q.Get("error") != "":
		s.Error = q.Get("error") + ": " + q.Get("error_description")
	default:
		tok, err := oc.Exchange(rp.ctx(r.Context()), q.Get("code"), oauth2.VerifierOption(s.Verifier))
		if err != nil {
			s.Error = "token exchange failed: " + err.Error()
			break
		}
		if err := rp.adopt(r.Context(), p, oc, s, tok, true); err != nil {
			s.Error = err.Error()
			break
		}
		s.Message = "signed in"
	}
	s.State = ""
	rp.render(w, s)
}

// adopt verifies tok's ID token (with the nonce on first sign-in) and reads
// userinfo.
func (rp *RP) adopt(ctx context.Context, p *oidc.Provider, oc *oauth2.Config, s *session, tok *oauth2.Token, checkNonce bool) error {
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return errors.New("no id_token in the token response")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: oc.ClientID}).Verify(rp.ctx(ctx), raw)
	if err != nil {
		return errors.New("id_token invalid: " + err.Error())
	}
	if checkNonce && idt.Nonce != s.Nonce {
		return errors.New("nonce mismatch")
	}
	claims := map[string]any{}
	_ = idt.Claims(&claims)
	// RFC 8693 §4.1: act names who acts for the subject; here a guardian
	// for a dependent, by the guardian's own subject at this client.
	acting := ""
	if act, ok := claims["act"]; ok {
		m, _ := act.(map[string]any)
		sub, _ := m["sub"].(string)
		if sub == "" || sub == idt.Subject {
			return errors.New("id_token act claim invalid")
		}
		acting = sub
	}
	s.Token, s.Claims, s.Acting = tok, claims, acting
	ui, err := p.UserInfo(rp.ctx(ctx), oauth2.StaticTokenSource(tok))
	if err != nil {
		return errors.New("userinfo failed: " + err.Error())
	}
	info := map[string]any{}
	_ = ui.Claims(&info)
	// OIDC Core §5.3.2: userinfo's sub must be the ID token's.
	if ui.Subject != idt.Subject {
		return errors.New("userinfo sub differs from the id_token's")
	}
	if uact, _ := info["act"].(map[string]any); acting != "" && (uact == nil || uact["sub"] != acting) {
		return errors.New("userinfo act differs from the id_token's")
	}
	s.UserInfo = info
	return nil
}

func (rp *RP) refresh(w http.ResponseWriter, r *http.Request) {
	p, oc, err := rp.setup(r.Context())
	if err != nil {
		http.Error(w, "gateway unreachable", http.StatusBadGateway)
		return
	}
	s := rp.session(w, r)
	s.Message, s.Error = "", ""
	if s.Token == nil || s.Token.RefreshToken == "" {
		s.Error = "no refresh token"
		rp.render(w, s)
		return
	}
	old := *s.Token
	old.Expiry = time.Now().Add(-time.Minute) // force the refresh
	tok, err := oc.TokenSource(rp.ctx(r.Context()), &old).Token()
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			s.Error = "refresh failed: " + re.ErrorCode
		} else {
			s.Error = "refresh failed: " + err.Error()
		}
		rp.render(w, s)
		return
	}
	if err := rp.adopt(r.Context(), p, oc, s, tok, false); err != nil {
		s.Error = "refresh failed: " + err.Error()
	} else {
		s.Message = "refreshed"
	}
	rp.render(w, s)
}

var page = template.Must(template.New("rp").Parse(`<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>{{.Name}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem}
.btn{display:inline-block;background:#b3141b;color:#fff;padding:.6rem 1.2rem;border-radius:.3rem;text-decoration:none;border:0;font-size:1rem}
pre{background:#f4f4f4;padding:.75rem;overflow:auto}.err{color:#b3141b}.ok{color:#1f7a3a}</style></head>
<body><h1>{{.Name}}</h1>
<p>Cổng dịch vụ công (bên tin cậy minh hoạ) · Demo relying party</p>
<p><a id="login" class="btn" href="login">Đăng nhập bằng VNeID</a>
 <a id="login-l2" class="btn" href="login?acr=urn:vn:eid:loa:2">Đăng nhập mức 2</a>
 {{if .ActForDependents}}<a id="login-dependent" class="btn" href="login?dependent=1">Đăng nhập thay cho con / người được giám hộ</a>{{end}}
 <a id="login-passport" class="btn" href="login?passport=1">Người nước ngoài: đăng nhập, chia sẻ hộ chiếu</a></p>
{{with .S.Message}}<p id="message" class="ok">{{.}}</p>{{end}}
{{with .S.Error}}<p id="error" class="err">{{.}}</p>{{end}}
{{with .S.Acting}}<p id="acting" class="ok">Đang đăng nhập thay cho người phụ thuộc; người giám hộ (act.sub): <code>{{.}}</code></p>{{end}}
{{if .S.Claims}}<h2>ID token</h2><pre id="claims">{{.Claims}}</pre>
<h2>Userinfo</h2><pre id="userinfo">{{.UserInfo}}</pre>
<form method="post" action="refresh"><button id="refresh" class="btn" type="submit">Làm mới token (refresh)</button></form>{{end}}
</body></html>`))

func (rp *RP) render(w http.ResponseWriter, s *session) {
	claims, _ := json.MarshalIndent(s.Claims, "", "  ")
	info, _ := json.MarshalIndent(s.UserInfo, "", "  ")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_ = page.Execute(w, map[string]any{"Name": rp.cfg.Name, "S": s, "ActForDependents": rp.cfg.ActForDependents, "Claims": string(claims), "UserInfo": string(info)})
}

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
