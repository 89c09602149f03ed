package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/staff"
)

// RequireToken guards an API route (no session, no CSRF) with an officer
// API credential, "Authorization: Bearer ddo_…", that belongs to an
// enabled staff member holding role. The request then carries the member's
// Principal, so Principal(r) works for API calls as for console pages.
// Answers: 401 without a valid credential, 403 without the role, 503 when
// the store fails.
func RequireToken(svc *staff.Service, role staff.Role, logger *slog.Logger) func(http.Handler) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			var p staff.Principal
			err := staff.ErrUnauthenticated
			if ok {
				p, err = svc.PrincipalForToken(ctx, strings.TrimSpace(token))
			}
			switch {
			case errors.Is(err, staff.ErrUnauthenticated):
				w.Header().Set("WWW-Authenticate", `Bearer realm="staff", error="invalid_token"`)
				http.Error(w, "a staff member's credential is required", http.StatusUnauthorized)
				return
			case err != nil:
				logger.ErrorContext(ctx, "staff credential check", "error", err, "request_id", httpx.RequestIDFrom(ctx))
				http.Error(w, "temporarily unavailable", http.StatusServiceUnavailable)
				return
			case !p.Has(role):
				http.Error(w, "the staff member lacks the role "+string(role), http.StatusForbidden)
				return
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(ctx, ctxKey{}, &reqState{principal: p, ok: true})))
		})
	}
}
