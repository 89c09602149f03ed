// Package web serves the operators' accounts page of the staff
// console (/staff/accounts, issue 17): find an account by personal
// identification number, see its status, level and lock reason, and lock or
// unlock it with a reason, through the accounts domain's own Lock and Unlock
// (as `dinhdanh account lock|unlock` does): a lock ends every token,
// relying party session and browser sign-in at once. Each look-up and each
// change is recorded in the citizen's history under the operator's member
// id. The page shows no personal data beyond the account's own state.
//
// The top floor hands it the signed-in member and the role check as
// functions (staffweb.Principal, staffweb.Require).
package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/webpage"
	"github.com/dinhdanh/dinhdanh/personalid"
	"github.com/dinhdanh/dinhdanh/staff"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Paths of the page and its forms.
const (
	PathAccounts = "/staff/accounts"
	PathLock     = PathAccounts + "/lock"
	PathUnlock   = PathAccounts + "/unlock"
)

// LockReasons and UnlockReasons are the codes an operator picks from; the
// lock's code is what the citizen's notice and history name.
var (
	LockReasons   = []string{"lost_phone", "holder_request", "misuse", "card_revoked", "other"}
	UnlockReasons = []string{"identity_verified", "holder_request", "locked_in_error", "other"}
)

// MaxNote is the longest note, in characters.
const MaxNote = 500

// Accounts is what the page needs of the accounts domain.
type Accounts interface {
	ByPersonalID(ctx context.Context, pid string) (accounts.Account, error)
	LockBecause(ctx context.Context, id, reason, note string, by accounts.Actor) (accounts.Account, error)
	UnlockBecause(ctx context.Context, id, reason, note string, by accounts.Actor) (accounts.Account, error)
}

// Handler serves /staff/accounts. Every field but Logger is required.
type Handler struct {
	Accounts  Accounts
	Audit     audit.Recorder
	Principal func(*http.Request) (staff.Principal, bool)
	Require   func(staff.Role) func(http.Handler) http.Handler
	Templates *templates.Set
	CSRF      *httpx.CSRF
	Logger    *slog.Logger
}

// Routes mounts the page and its forms, for operators only.
func (h *Handler) Routes(r *mux.Router) {
	op := func(f http.HandlerFunc) http.Handler { return httpx.NoStore(h.Require(staff.RoleOperator)(f)) }
	r.Handle(PathAccounts, op(h.show)).Methods(http.MethodGet, http.MethodHead)
	r.Handle(PathLock, op(h.change(true))).Methods(http.MethodPost)
	r.Handle(PathUnlock, op(h.change(false))).Methods(http.MethodPost)
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func lang(r *http.Request) templates.Lang { return webpage.Lang(r, "") }

func (h *Handler) actor(r *http.Request) (accounts.Actor, staff.Principal) {
	p, _ := h.Principal(r)
	return accounts.Actor{Kind: audit.Operator, ID: p.MemberID, IP: httpx.ClientIP(r), UserAgent: r.UserAgent(),
		RequestID: httpx.RequestIDFrom(r.Context())}, p
}

func (h *Handler) page(r *http.Request) templates.StaffAccountPage {
	ctx := r.Context()
	_, p := h.actor(r)
	l := lang(r)
	page := templates.StaffAccountPage{StaffBase: templates.StaffBase{
		Base:      templates.Base{Lang: l, CSRFToken: h.CSRF.Token(ctx), RequestID: httpx.RequestIDFrom(ctx)},
		StaffName: p.Name, StaffUnit: p.Unit.Name,
	}, MaxNote: MaxNote}
	for _, c := range LockReasons {
		page.LockReasons = append(page.LockReasons, templates.Option{Value: c, Label: templates.T(l, "opaccounts.lock_reason."+c)})
	}
	for _, c := range UnlockReasons {
		page.UnlockReasons = append(page.UnlockReasons, templates.Option{Value: c, Label: templates.T(l, "opaccounts.unlock_reason."+c)})
	}
	return page
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page templates.StaffAccountPage) {
	if err := h.Templates.StaffAccount(w, status, page); err != nil {
		h.logger().ErrorContext(r.Context(), "render accounts page", "error", err)
	}
}

func (h *Handler) failed(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	h.logger().ErrorContext(ctx, "accounts page", "error", err, "request_id", httpx.RequestIDFrom(ctx))
	_ = h.Templates.Error(w, http.StatusInternalServerError, templates.ErrorPage{
		Base:    templates.Base{Lang: lang(r), RequestID: httpx.RequestIDFrom(ctx)},
		Message: "error.generic", LinkURL: PathAccounts + "?ui_locales=" + string(lang(r)), LinkText: "error.back",
	})
}

// normalise drops spaces a person types inside a number.
func normalise(pid string) string { return strings.ReplaceAll(strings.TrimSpace(pid), " ", "") }

// find looks the account up and records the look-up in its history; ok is
// false when the page was answered (bad number, no account, failure).
func (h *Handler) find(w http.ResponseWriter, r *http.Request, page *templates.StaffAccountPage, pid string) (accounts.Account, bool) {
	page.PersonalID = pid
	if _, err := personalid.Parse(pid); err != nil {
		page.Error = "opaccounts.error.personal_id"
		h.render(w, r, http.StatusBadRequest, *page)
		return accounts.Account{}, false
	}
	a, err := h.Accounts.ByPersonalID(r.Context(), pid)
	switch {
	case errors.Is(err, accounts.ErrNotFound):
		page.Error = "opaccounts.error.not_found"
		h.render(w, r, http.StatusNotFound, *page)
		return accounts.Account{}, false
	case err != nil:
		h.failed(w, r, err)
		return accounts.Account{}, false
	}
	return a, true
}

func (h *Handler) fill(page *templates.StaffAccountPage, a accounts.Account) {
	l := page.Lang
	page.Found = true
	page.Status, page.StatusCode = templates.T(l, "opaccounts.status."+string(a.Status)), string(a.Status)
	page.Level = int(a.Level)
	page.Locked = a.Status == accounts.Locked
	if a.LockReason != "" {
		page.LockReason = a.LockReason
		if slices.Contains(LockReasons, a.LockReason) {
			page.LockReason = templates.T(l, "opaccounts.lock_reason."+a.LockReason)
		}
	}
	if a.ActivatedAt != nil {
		page.ActivatedAt = webpage.Minute(*a.ActivatedAt)
	}
}

// show: GET /staff/accounts[?personal_id=…]. A look-up is a use of the
// account: it is in the citizen's history.
func (h *Handler) show(w http.ResponseWriter, r *http.Request) {
	page := h.page(r)
	pid := normalise(r.URL.Query().Get("personal_id"))
	if pid == "" {
		h.render(w, r, http.StatusOK, page)
		return
	}
	a, ok := h.find(w, r, &page, pid)
	if !ok {
		return
	}
	by, _ := h.actor(r)
	e := audit.Event{Type: audit.OperatorAction, ActorKind: audit.Operator, ActorID: by.ID, AccountID: a.ID, Outcome: audit.Success,
		Reason: "account_viewed", IP: by.IP, UserAgent: by.UserAgent, RequestID: by.RequestID}
	if err := h.Audit.Record(r.Context(), e); err != nil {
		h.failed(w, r, err)
		return
	}
	page.Notice = r.URL.Query().Get("done")
	if page.Notice != "locked" && page.Notice != "unlocked" {
		page.Notice = ""
	}
	h.fill(&page, a)
	h.render(w, r, http.StatusOK, page)
}

// change: POST /staff/accounts/lock or /unlock, with a reason code and a
// note; a wrong form is answered on the page, nothing changed.
func (h *Handler) change(lock bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		page := h.page(r)
		a, ok := h.find(w, r, &page, normalise(r.PostFormValue("personal_id")))
		if !ok {
			return
		}
		h.fill(&page, a)
		reason, note := r.PostFormValue("reason"), strings.TrimSpace(r.PostFormValue("note"))
		reasons := UnlockReasons
		if lock {
			reasons = LockReasons
		}
		switch {
		case !slices.Contains(reasons, reason):
			page.Error = "opaccounts.error.reason"
		case note == "" || utf8.RuneCountInString(note) > MaxNote || strings.ContainsRune(note, 0):
			page.Error = "opaccounts.error.note"
		case lock && a.Status == accounts.Locked:
			page.Error = "opaccounts.error.already_locked"
		case !lock && a.Status != accounts.Locked:
			page.Error = "opaccounts.error.not_locked"
		}
		if page.Error != "" {
			page.Note = note
			h.render(w, r, http.StatusBadRequest, page)
			return
		}
		by, _ := h.actor(r)
		var err error
		done := "unlocked"
		if lock {
			done = "locked"
			_, err = h.Accounts.LockBecause(r.Context(), a.ID, reason, note, by)
		} else {
			_, err = h.Accounts.UnlockBecause(r.Context(), a.ID, reason, note, by)
		}
		if err != nil {
			// A lock whose cascade failed part-way has committed, and the
			// locked status already refuses every token: the error page
			// says to try again, and the log names what failed.
			h.failed(w, r, err)
			return
		}
		q := url.Values{"personal_id": {a.PersonalID}, "done": {done}, "ui_locales": {string(lang(r))}}
		http.Redirect(w, r, PathAccounts+"?"+q.Encode(), http.StatusSeeOther)
	}
}
