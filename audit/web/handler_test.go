package web_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/audit/web"
	"github.com/dinhdanh/dinhdanh/internal/pgtest"
)

var update = flag.Bool("update", false, "rewrite golden files")

func TestMain(m *testing.M) { pgtest.Main(m) }

func setup(t *testing.T) *mux.Router {
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
	h := &web.Handler{
		History: store,
		AccountID: func(r *http.Request) (string, bool) {
			a := r.Header.Get("X-Test-Account")
			return a, a != ""
		},
		SignInURL: "/login",
	}
	r := mux.NewRouter()
	h.Routes(r)
	return r
}

func get(r http.Handler, path, account string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	if account != "" {
		req.Header.Set("X-Test-Account", account)
	}
	w := httptest.NewRecorder()
	r.ServeHTTP(w, req)
	return w
}

func TestHistoryPage(t *testing.T) {
	r := setup(t)

	w := get(r, "/account/history", "acc-1")
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	golden(t, "history.html", w.Body.String())
	require.NotContains(t, w.Body.String(), "script", "another account's event never shows")

	// Follow the "older" link to the last page.
	next := olderLink(w.Body.String())
	require.NotEmpty(t, next)
	w = get(r, strings.ReplaceAll(next, "&amp;", "&"), "acc-1")
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, 4, strings.Count(w.Body.String(), "<tr><td>"), "24 events: 20 then 4")
	require.NotContains(t, w.Body.String(), "Xem cũ hơn")

	w = get(r, "/account/history?type=signin.succeeded", "acc-1")
	require.Equal(t, 5, strings.Count(w.Body.String(), "Đăng nhập thành công</td>"))
	require.Contains(t, w.Body.String(), `<option value="signin.succeeded" selected>`)

	require.Equal(t, http.StatusBadRequest, get(r, "/account/history?type=nonsense", "acc-1").Code)
	require.Equal(t, http.StatusBadRequest, get(r, "/account/history?before=!!", "acc-1").Code)

	w = get(r, "/account/history", "")
	require.Equal(t, http.StatusSeeOther, w.Code)
	require.Equal(t, "/login?return_to=%2Faccount%2Fhistory", w.Header().Get("Location"))
}

func TestHistoryDownloads(t *testing.T) {
	r := setup(t)
	w := get(r, "/account/history.csv?client=dichvucong", "acc-1")
	require.Equal(t, http.StatusOK, w.Code)
	require.Equal(t, `attachment; filename="lich-su-su-dung.csv"`, w.Header().Get("Content-Disposition"))
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

	require.Equal(t, http.StatusSeeOther, get(r, "/account/history.json", "").Code)
}

// olderLink is the href of the "older" (Xem cũ hơn) link.
func olderLink(body string) string {
	before, _, ok := strings.Cut(body, `">Xem cũ hơn</a>`)
	if !ok {
		return ""
	}
	return before[strings.LastIndex(before, `href="`)+len(`href="`):]
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
