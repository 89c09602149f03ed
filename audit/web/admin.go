package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/personalid"
)

// Accounts resolves a citizen's personal identification number to the
// account's internal id. A number without an account is an error wrapping
// ErrNoAccount. The top floor adapts the accounts service to it.
type Accounts interface {
	AccountID(ctx context.Context, personalID string) (string, error)
}

// ErrNoAccount: no account has that personal identification number.
var ErrNoAccount = errors.New("audit/web: no account with that personal id")

// Officer is who a credential presented at the officer lookup stands for.
type Officer struct {
	ID   string
	Unit string
	// CredentialID names the credential used, for the audit record.
	CredentialID string
}

// Officers authenticates an officer's own credential (the top floor adapts
// package staff); an unknown, malformed or revoked one is an error wrapping
// ErrNotOfficer.
type Officers interface {
	Officer(ctx context.Context, token string) (Officer, error)
}

// ErrNotOfficer: the credential stands for no officer.
var ErrNotOfficer = errors.New("audit/web: not an officer's credential")

type officerKey struct{}

// officerPage is the JSON answer of the officer lookup: one page, newest
// first; pass Next as before= for the following one.
type officerPage struct {
	AccountID string        `json:"account_id"`
	Entries   []audit.Entry `json:"entries"`
	Next      string        `json:"next,omitempty"`
}

// officerAuth authenticates the officer by their own credential (a bearer
// token issued to them alone): the citizen's history then names who looked,
// never a name the caller typed.
func (h *Handler) officerAuth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		var o Officer
		err := ErrNotOfficer
		if ok {
			o, err = h.Officers.Officer(r.Context(), tok)
		}
		switch {
		case errors.Is(err, ErrNotOfficer):
			w.Header().Set("WWW-Authenticate", `Bearer realm="officer", error="invalid_token"`)
			httpx.WriteError(w, http.StatusUnauthorized, "unauthorized", "an officer's credential is required")
			return
		case err != nil:
			w.Header().Set("Retry-After", "5")
			h.log().ErrorContext(r.Context(), "authenticate officer", "error", err, "request_id", httpx.RequestIDFrom(r.Context()))
			httpx.WriteError(w, http.StatusServiceUnavailable, "temporarily_unavailable", "")
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), officerKey{}, o)))
	})
}

// officerLookup serves GET /admin/api/history?personal_id=&client=&type=
// &before=&limit=&format=json|csv for the officer whose credential was
// presented.
// json (the default) is one page with the cursor of the next; csv is the
// whole history from before= on. The lookup is recorded in the citizen's
// own history (history.viewed_by_officer) before anything is read; when
// that record cannot be written, the lookup fails and returns nothing.
func (h *Handler) officerLookup(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	officer, _ := ctx.Value(officerKey{}).(Officer)
	q := r.URL.Query()
	pid := strings.TrimSpace(q.Get("personal_id"))
	if _, err := personalid.Parse(pid); err != nil {
		httpx.WriteError(w, http.StatusBadRequest, "invalid_request", "personal_id must be a 12-digit personal identification number")
		return
	}
	format := q.Get("format")
	switch format {
	case "":
		format = "json"
	case "json", "csv":
	default:
		httpx.WriteError(w, http.StatusBadRequest, "invalid_request", "format must be json or csv")
		return
	}
	f, err := filterFrom(r)
	if err != nil {
		httpx.WriteError(w, http.StatusBadRequest, "invalid_request", "unknown type or malformed before")
		return
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > audit.MaxPageSize {
			httpx.WriteError(w, http.StatusBadRequest, "invalid_request", "limit must be 1 to "+strconv.Itoa(audit.MaxPageSize))
			return
		}
		f.Limit = n
	}
	if h.Accounts == nil || h.Audit == nil {
		h.log().ErrorContext(ctx, "officer history lookup: Accounts and Audit are required")
		httpx.WriteServerError(w, r)
		return
	}

	accountID, err := h.Accounts.AccountID(ctx, pid)
	if errors.Is(err, ErrNoAccount) {
		httpx.WriteError(w, http.StatusNotFound, "not_found", "no account has that personal identification number")
		return
	}
	if err != nil {
		h.apiFail(w, r, "resolve personal id", err)
		return
	}

	detail := map[string]string{"format": format, "unit": officer.Unit, "credential_id": officer.CredentialID}
	if f.ClientID != "" {
		detail["client_filter"] = f.ClientID
	}
	if len(f.Types) > 0 {
		types := make([]string, len(f.Types))
		for i, t := range f.Types {
			types[i] = string(t)
		}
		detail["type_filter"] = strings.Join(types, " ")
	}
	if !f.Before.IsZero() {
		detail["before"] = f.Before.String()
	}
	if err := h.Audit.Record(ctx, audit.Event{
		Type: audit.HistoryViewed, ActorKind: audit.Officer, ActorID: officer.ID, AccountID: accountID,
		Outcome: audit.Success, IP: httpx.ClientIP(r), UserAgent: r.UserAgent(),
		RequestID: httpx.RequestIDFrom(ctx), Detail: detail,
	}); err != nil {
		h.apiFail(w, r, "record officer history lookup", err)
		return
	}

	if format == "csv" {
		h.download(w, r, exportCSV, accountID, f, func(err error) { h.apiFail(w, r, "officer history lookup", err) })
		return
	}
	p, err := h.History.History(ctx, accountID, f)
	if err != nil {
		h.apiFail(w, r, "officer history lookup", err)
		return
	}
	out := officerPage{AccountID: accountID, Entries: p.Entries, Next: p.Next.String()}
	if out.Entries == nil {
		out.Entries = []audit.Entry{}
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

func (h *Handler) apiFail(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.log().ErrorContext(r.Context(), what, "err", err, "request_id", httpx.RequestIDFrom(r.Context()))
	httpx.WriteServerError(w, r)
}
