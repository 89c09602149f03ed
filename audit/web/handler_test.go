package web_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/audit/web"
	"github.com/dinhdanh/dinhdanh/staff"
	staffpg "github.com/dinhdanh/dinhdanh/staff/postgres"
	"github.com/dinhdanh/dinhdanh/templates"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestMain(m *testing.M) { pgtest.Main(m) }

const citizenPID = "001090001234"

// officerToken is the credential issued to officer-7 by setup (tests of
// this package run one at a time).
var officerToken string

type env struct {
	router  *mux.Router
	store   *postgres.Store
	handler *web.Handler
	// failAudit makes every audit write fail.
	failAudit *atomic.Bool
	staff     *staff.Service
}

// flakyRecorder is the real log, or a failure when told to.
type flakyRecorder struct {
	log  audit.Recorder
	fail *atomic.Bool
}

func (f flakyRecorder) Record(ctx context.Context, e audit.Event) error {
	if f.fail.Load() {
		return errors.New("audit store unavailable")
	}
	return f.log.Record(ctx, e)
}

// staffOfficers adapts the real staff service, as the top floor does.
type staffOfficers struct{ svc *staff.Service }

func (s staffOfficers) Officer(ctx context.Context, token string) (web.Officer, error) {
	c, err := s.svc.Authenticate(ctx, token)
	if errors.Is(err, staff.ErrUnauthenticated) {
		return web.Officer{}, web.ErrNotOfficer
	}
	return web.Officer{ID: c.OfficerID, Unit: c.Unit, CredentialID: c.ID}, err
}

type fakeAccounts map[string]string // personal id → account id

func (a fakeAccounts) AccountID(_ context.Context, pid string) (string, error) {
	id, ok := a[pid]
	if !ok {
		return "", fmt.Errorf("no account: %w", web.ErrNoAccount)
	}
	return id, nil
}

func setup(t *testing.T) *env {
	t.Helper()
	db := pgtest.New(t)
	now := time.Date(2026, 11, 23, 1, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	key, err := audit.GenerateKey()
	require.NoError(t, err)
	store := postgres.NewStore(db.App, clock)
	log, err := audit.NewLog(store, key, audit.Options{Now: clock})
	require.NoError(t, err)
	t.Cleanup(func() { _ = log.Close(context.Background()) })
	for i := range 25 {
		ev := audit.Event{
			Time: now.Add(time.Duration(i) * time.Minute), Type: audit.TokenIssued, ActorKind: audit.Client,
			ActorID: "bank-a", AccountID: "acc-1", ClientID: "bank-a", Claims: []string{"name", "birthdate"},
			Outcome: audit.Success, IP: "203.0.113.7", RequestID: fmt.Sprintf("req-%d", i),
		}
		if i%5 == 0 {
			ev.Type, ev.ClientID, ev.Claims = audit.SignInSucceeded, "dichvucong", nil
		}
		if i == 24 {
			ev.AccountID, ev.ClientID = "acc-2", "<script>"
		}
		require.NoError(t, log.Record(t.Context(), ev))
	}
	tmpl, err := templates.New()
	require.NoError(t, err)
	fail := &atomic.Bool{}
	officers, err := staff.New(staff.Config{Store: staffpg.NewStore(db.App), Key: []byte("staff-key-staff-key-staff-key-01"),
		Audit: flakyRecorder{log: log, fail: fail}, Now: clock})
	require.NoError(t, err)
	officerToken, _, err = officers.Issue(t.Context(), "officer-7", "Công an phường Hàng Bài", "operator-1")
	require.NoError(t, err)
	h := &web.Handler{
		History: store,
		AccountID: func(r *http.Request) (string, bool) {
			a := r.Header.Get("X-Test-Account")
			return a, a != ""
		},
		SignInURL: "/login",
		Templates: tmpl,
		ClientNames: func(_ context.Context, lang templates.Lang, ids []string) map[string]string {
			names := map[string]string{}
			for _, id := range ids {
				if id == "bank-a" {
					names[id] = map[templates.Lang]string{templates.VI: "Ngân hàng A", templates.EN: "Bank A"}[lang]
				}
			}
			return names
		},
		Officers: staffOfficers{officers},
		Accounts: fakeAccounts{citizenPID: "acc-1"},
		Audit:    flakyRecorder{log: log, fail: fail},
	}
	r := mux.NewRouter()
	h.Routes(r)
	return &env{router: r, store: store, handler: h, failAudit: fail, staff: officers}
}

func get(r http.Handler, path, account string, headers ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if account != "" {
		req.Header.Set("X-Test-Account", account)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

func TestHistoryPage(t *testing.T) {
	r := setup(t).router

	w := get(r, "/account/history", "acc-1")
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	body := w.Body.String()
	golden(t, "history.html", body)
	require.Contains(t, body, `<html lang="vi">`)
	require.Contains(t, body, "Lịch sử sử dụng tài khoản")
	require.Contains(t, body, `/static/css/site.css`, "the shared layout")
	require.NotContains(t, body, "script", "another account's event never shows")
	require.Equal(t, 20, strings.Count(body, `<tr class="entry">`))
	require.Contains(t, body, ">Ngân hàng A</a>", "the service's display name")
	require.Contains(t, body, `title="dichvucong">dichvucong</a>`, "the client id when the name is unknown")
	require.Contains(t, body, "Họ và tên, Ngày sinh", "claim names, translated")
	require.Contains(t, body, ">Thành công</td>")
	require.NotContains(t, body, "Về mới nhất", "first page")

	// Follow the "older" link to the last page.
	next := link(body, "Xem cũ hơn")
	require.NotEmpty(t, next)
	w = get(r, next, "acc-1")
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, 4, strings.Count(w.Body.String(), `<tr class="entry">`), "24 events: 20 then 4")
	require.NotContains(t, w.Body.String(), "Xem cũ hơn")
	require.Equal(t, "/account/history", link(w.Body.String(), "Về mới nhất"))

	w = get(r, "/account/history?type=signin.succeeded", "acc-1")
	require.Equal(t, 5, strings.Count(w.Body.String(), `data-type="signin.succeeded" data-label="Hoạt động">Đăng nhập thành công</td>`))
	require.Equal(t, 5, strings.Count(w.Body.String(), `<tr class="entry">`))
	require.Contains(t, w.Body.String(), `<option value="signin.succeeded" selected>`)
	require.Contains(t, w.Body.String(), "Bỏ lọc")
	require.Contains(t, w.Body.String(), `href="/account/history.csv?type=signin.succeeded"`)

	w = get(r, "/account/history?client=nobody", "acc-1")
	require.Contains(t, w.Body.String(), "Không có hoạt động nào phù hợp với bộ lọc.")

	w = get(r, "/account/history?type=nonsense", "acc-1")
	require.Equal(t, http.StatusBadRequest, w.Code)
	require.Contains(t, w.Body.String(), "Bộ lọc không hợp lệ")
	require.Equal(t, http.StatusBadRequest, get(r, "/account/history?before=!!", "acc-1").Code)

	w = get(r, "/account/history", "")
	require.Equal(t, http.StatusSeeOther, w.Code)
	require.Equal(t, "/login?return_to=%2Faccount%2Fhistory", w.Header().Get("Location"))
}

func TestHistoryPageEnglish(t *testing.T) {
	r := setup(t).router

	w := get(r, "/account/history?ui_locales=en&client=bank-a", "acc-1")
	require.Equal(t, http.StatusOK, w.Code)
	body := w.Body.String()
	golden(t, "history_en.html", body)
	require.Contains(t, body, `<html lang="en">`)
	require.Contains(t, body, "Account usage history")
	require.Contains(t, body, "Showing activity with Bank A.")
	require.Contains(t, body, ">Access granted to a service</td>")
	require.Contains(t, body, "Full name, Date of birth")
	require.Contains(t, body, ">Succeeded</td>")
	require.NotContains(t, body, "Ngân hàng A")
	require.Equal(t, 19, strings.Count(body, `<tr class="entry">`), "24 events, 5 of them sign-ins elsewhere")
	require.Empty(t, link(body, "Older"))

	// Accept-Language alone; the paging link keeps no language it was not given.
	w = get(r, "/account/history", "acc-1", "Accept-Language", "en-GB,en;q=0.9")
	require.Contains(t, w.Body.String(), "Account usage history")
	require.Contains(t, w.Body.String(), ">Signed in</td>")
	require.NotContains(t, link(w.Body.String(), "Older"), "ui_locales")

	// An explicit choice is kept across pages.
	w = get(r, "/account/history?ui_locales=en", "acc-1", "Accept-Language", "vi")
	next := link(w.Body.String(), "Older")
	require.Contains(t, next, "ui_locales=en")
	w = get(r, next, "acc-1")
	require.Contains(t, w.Body.String(), "Back to the newest")
}

func TestHistoryDownloads(t *testing.T) {
	r := setup(t).router
	w := get(r, "/account/history.csv?client=dichvucong", "acc-1")
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, `attachment; filename="lich-su-su-dung.csv"`, w.Header().Get("Content-Disposition"))
	require.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	rows, err := csv.NewReader(w.Body).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 1+5)
	require.Equal(t, "signin.succeeded", rows[1][2])

	w = get(r, "/account/history.json", "acc-1")
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "application/json", w.Header().Get("Content-Type"))
	var entries []audit.Entry
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &entries))
	require.Len(t, entries, 24)
	require.Equal(t, "req-23", entries[0].RequestID)
	for _, e := range entries {
		require.Equal(t, "acc-1", e.AccountID)
	}

	require.Equal(t, http.StatusSeeOther, get(r, "/account/history.json", "").Code)
	require.Equal(t, http.StatusBadRequest, get(r, "/account/history.csv?type=nonsense", "acc-1").Code)
}

func officer(r http.Handler, query string, headers ...string) *httptest.ResponseRecorder {
	return get(r, "/admin/api/history?"+query, "", append([]string{"Authorization", "Bearer " + officerToken}, headers...)...)
}

func TestOfficerLookup(t *testing.T) {
	e := setup(t)
	r := e.router
	q := "personal_id=" + citizenPID

	// The officer authenticates as themselves: a system token or a name in
	// a header is no credential.
	for _, tok := range []string{"", "Bearer wrong", "Basic " + officerToken, officerToken, "Bearer " + staff.TokenPrefix + "forged"} {
		w := get(r, "/admin/api/history?"+q, "", "Authorization", tok, "X-Officer-ID", "officer-7")
		require.Equal(t, http.StatusUnauthorized, w.Code, "token %q", tok)
		require.Contains(t, w.Header().Get("WWW-Authenticate"), "Bearer")
		require.NotContains(t, w.Body.String(), "req-")
	}
	require.Equal(t, http.StatusBadRequest, officer(r, "personal_id=12345").Code)
	require.Equal(t, http.StatusBadRequest, officer(r, q+"&format=xml").Code)
	require.Equal(t, http.StatusBadRequest, officer(r, q+"&type=nonsense").Code)
	require.Equal(t, http.StatusBadRequest, officer(r, q+"&limit=0").Code)
	w := officer(r, "personal_id=001090009999")
	require.Equal(t, http.StatusNotFound, w.Code)
	require.JSONEq(t, `{"error":"not_found","error_description":"no account has that personal identification number"}`, w.Body.String())
	p, err := e.store.History(t.Context(), "acc-1", audit.Filter{Types: []audit.EventType{audit.HistoryViewed}})
	require.NoError(t, err)
	require.Empty(t, p.Entries, "refused lookups read nothing and record nothing")

	// A lookup: one page, and the lookup itself comes first in it.
	w = officer(r, q+"&limit=10", "User-Agent", "back-office/1.0")
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Equal(t, "application/json", w.Header().Get("Content-Type"))
	require.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	var page struct {
		AccountID string        `json:"account_id"`
		Entries   []audit.Entry `json:"entries"`
		Next      string        `json:"next"`
	}
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &page))
	require.Equal(t, "acc-1", page.AccountID)
	require.Len(t, page.Entries, 10)
	require.NotEmpty(t, page.Next)
	viewed := page.Entries[0]
	require.Equal(t, audit.HistoryViewed, viewed.Type)
	require.Equal(t, audit.Officer, viewed.ActorKind)
	require.Equal(t, "officer-7", viewed.ActorID)
	require.Equal(t, "acc-1", viewed.AccountID)
	require.Equal(t, audit.Success, viewed.Outcome)
	require.Equal(t, "back-office/1.0", viewed.UserAgent)
	require.Equal(t, "json", viewed.Detail["format"])
	require.Equal(t, "Công an phường Hàng Bài", viewed.Detail["unit"], "the officer's unit, from the credential")
	require.NotEmpty(t, viewed.Detail["credential_id"])
	for _, en := range page.Entries {
		require.Equal(t, "acc-1", en.AccountID)
	}

	// The next page, filtered, as CSV: a whole export from the cursor.
	w = officer(r, q+"&format=csv&client=bank-a&before="+page.Next)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Equal(t, `attachment; filename="lich-su-su-dung.csv"`, w.Header().Get("Content-Disposition"))
	rows, err := csv.NewReader(w.Body).ReadAll()
	require.NoError(t, err)
	require.Equal(t, audit.CSVHeader, rows[0])
	require.Len(t, rows, 1+12, "19 bank-a events, 7 of them on the first page")
	for _, row := range rows[1:] {
		require.Equal(t, "bank-a", row[4])
	}

	// Both lookups show in the citizen's own history, in their language.
	w = get(r, "/account/history?type=history.viewed_by_officer", "acc-1")
	require.Equal(t, 2, strings.Count(w.Body.String(), `<tr class="entry">`))
	require.Contains(t, w.Body.String(), "Cán bộ xem lịch sử sử dụng<br><small>Cán bộ: officer-7</small>")
	w = get(r, "/account/history?type=history.viewed_by_officer&ui_locales=en", "acc-1")
	require.Contains(t, w.Body.String(), "An officer viewed your usage history<br><small>Officer: officer-7</small>")
	p, err = e.store.History(t.Context(), "acc-1", audit.Filter{Types: []audit.EventType{audit.HistoryViewed}})
	require.NoError(t, err)
	require.Len(t, p.Entries, 2)
	require.Equal(t, map[string]string{"format": "csv", "client_filter": "bank-a", "before": page.Next,
		"unit": "Công an phường Hàng Bài", "credential_id": viewed.Detail["credential_id"]}, p.Entries[0].Detail)
	p, err = e.store.History(t.Context(), "acc-2", audit.Filter{})
	require.NoError(t, err)
	require.Len(t, p.Entries, 1, "nothing recorded against another account")
}

func TestOfficerLookupFailsWithoutAudit(t *testing.T) {
	e := setup(t)
	e.failAudit.Store(true)
	for _, format := range []string{"json", "csv"} {
		w := officer(e.router, "personal_id="+citizenPID+"&format="+format)
		require.Equal(t, http.StatusInternalServerError, w.Code)
		require.JSONEq(t, `{"error":"server_error","error_description":"internal error"}`, w.Body.String(), "no data without an audit record")
		require.Empty(t, w.Header().Get("Content-Disposition"))
	}
	p, err := e.store.History(t.Context(), "acc-1", audit.Filter{Types: []audit.EventType{audit.HistoryViewed}})
	require.NoError(t, err)
	require.Empty(t, p.Entries)
}

func TestOfficerLookupDisabledWithoutOfficers(t *testing.T) {
	e := setup(t)
	e.handler.Officers = nil
	r := mux.NewRouter()
	e.handler.Routes(r)
	w := get(r, "/admin/api/history?personal_id="+citizenPID, "", "Authorization", "Bearer "+officerToken)
	require.Equal(t, http.StatusNotFound, w.Code)
}

// TestRevokedOfficerCredential: a revoked credential opens nothing, at once.
func TestRevokedOfficerCredential(t *testing.T) {
	e := setup(t)
	q := "personal_id=" + citizenPID
	require.Equal(t, http.StatusOK, officer(e.router, q).Code)
	creds, err := e.staff.List(t.Context())
	require.NoError(t, err)
	require.Len(t, creds, 1)
	_, err = e.staff.Revoke(t.Context(), creds[0].ID, "operator-1")
	require.NoError(t, err)
	require.Equal(t, http.StatusUnauthorized, officer(e.router, q).Code)
	_, err = e.staff.Revoke(t.Context(), creds[0].ID, "operator-1")
	require.ErrorIs(t, err, staff.ErrNotFound, "revoked once")
}

// link is the href of the link with text text, unescaped.
func link(body, text string) string {
	before, _, ok := strings.Cut(body, `">`+text+`</a>`)
	if !ok {
		return ""
	}
	before = strings.TrimSuffix(before, `" rel="next`)
	return strings.ReplaceAll(before[strings.LastIndex(before, `href="`)+len(`href="`):], "&amp;", "&")
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run with -update to create %s", path)
	require.Equal(t, string(want), got)
}
