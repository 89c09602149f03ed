package httpx

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"

	"github.com/alexedwards/scs/v2"
)

// CSRFField is the form field (and CSRFHeader the header) carrying the token.
const (
	CSRFField  = "csrf_token"
	CSRFHeader = "X-CSRF-Token"
	csrfKey    = "csrf_token"
	// MaxFormBytes caps the body of a browser form checked for its token.
	MaxFormBytes = 64 << 10
)

// CSRF protects every unsafe request with a synchronizer token kept in the
// session. Skip exempts requests authenticated otherwise (OAuth 2.0 client
// endpoints such as /token).
type CSRF struct {
	Sessions *scs.SessionManager
	Skip     func(*http.Request) bool
	// Failed renders the rejection; by default a plain 403.
	Failed http.Handler
}

// Token returns the session's CSRF token, creating it on first use. Put it in
// every form as a hidden field named CSRFField.
func (c *CSRF) Token(ctx context.Context) string {
	tok := c.Sessions.GetString(ctx, csrfKey)
	if tok == "" {
		var b [32]byte
		_, _ = rand.Read(b[:])
		tok = base64.RawURLEncoding.EncodeToString(b[:])
		c.Sessions.Put(ctx, csrfKey, tok)
	}
	return tok
}

// Renew replaces the session's CSRF token. Call it whenever the session
// changes privilege (a completed sign-in), together with the session
// manager's RenewToken: RenewToken keeps the session's data, so without
// this a token learnt before the sign-in (a fixated or shared session)
// would still forge requests afterwards.
func (c *CSRF) Renew(ctx context.Context) string {
	c.Sessions.Remove(ctx, csrfKey)
	return c.Token(ctx)
}

// Middleware rejects unsafe requests without the session's token. It must run
// inside the session manager's LoadAndSave.
func (c *CSRF) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		if c.Skip != nil && c.Skip(r) {
			next.ServeHTTP(w, r)
			return
		}
		want := c.Sessions.GetString(r.Context(), csrfKey)
		got := r.Header.Get(CSRFHeader)
		if got == "" && want != "" {
			// Every browser form is small and none uploads files: the body
			// read to find the token is capped, so an unauthenticated
			// request cannot make the server buffer a large (multipart)
			// body before it is refused.
			r.Body = http.MaxBytesReader(w, r.Body, MaxFormBytes)
			got = r.PostFormValue(CSRFField)
		}
		if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(got)) != 1 {
			if c.Failed != nil {
				c.Failed.ServeHTTP(w, r)
				return
			}
			http.Error(w, "CSRF token missing or invalid", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}
