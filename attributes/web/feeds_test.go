package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/attributes/postgres"
	"github.com/dinhdanh/dinhdanh/attributes/web"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/internal/testclock"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const holder = "001090123456"

func TestRegistryPush(t *testing.T) {
	db := pgtest.New(t)
	ctx := t.Context()
	clock := testclock.New(time.Date(2026, 12, 9, 8, 0, 0, 0, time.UTC))
	docs := postgres.NewStore(db.App).WithClock(clock.Now)
	require.NoError(t, docs.Write(ctx, []attributes.Person{{PersonalID: holder, FullName: "Nguyễn Văn An",
		BirthDate: time.Date(1990, 5, 17, 0, 0, 0, 0, time.UTC), Gender: attributes.Male, Nationality: "VN"}}, nil))
	var events []audit.Event
	feeds := postgres.NewFeedStore(db.App, clock.Now, func(_ context.Context, _ pgx.Tx, e audit.Event) error {
		events = append(events, e)
		return nil
	})
	key := []byte("0123456789abcdef0123456789abcdef")
	licences, insurance := attributes.NewRegistryToken(), attributes.NewRegistryToken()
	_, err := feeds.SetCredential(ctx, attributes.DrivingLicence, attributes.RegistryTokenHash(key, licences), "op")
	require.NoError(t, err)
	_, err = feeds.SetCredential(ctx, attributes.HealthInsurance, attributes.RegistryTokenHash(key, insurance), "op")
	require.NoError(t, err)

	r := mux.NewRouter()
	(&web.FeedHandler{Feeds: feeds, Credentials: feeds, Key: key}).Routes(r)
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)

	push := func(kind, token, body string) (int, map[string]any) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, srv.URL+"/registry/v1/documents/"+kind+"/batches", strings.NewReader(body))
		require.NoError(t, err)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		var out map[string]any
		require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
		return res.StatusCode, out
	}
	claims := func() []map[string]any {
		// The holder integrated what the feed created (see the wallet's tests).
		_, err := db.App.Exec(ctx, `UPDATE documents SET wallet = 'integrated' WHERE wallet = 'none'`)
		require.NoError(t, err)
		out, _, err := attributes.Release(ctx, docs, docs, holder, assurance.Level2, []string{attributes.ClaimDrivingLicence})
		require.NoError(t, err)
		return out[attributes.ClaimDrivingLicence].([]map[string]any)
	}
	first := `{"seq":1,"entries":[{"op":"upsert","number":"010000000001","holder_id":"001090123456","expires_on":"2030-01-01"}]}`

	code, _ := push("driving_licence", "", first)
	require.Equal(t, http.StatusUnauthorized, code)
	code, _ = push("driving_licence", "ddreg_wrong", first)
	require.Equal(t, http.StatusUnauthorized, code)
	code, _ = push("driving_licence", insurance, first)
	require.Equal(t, http.StatusUnauthorized, code, "one registry's credential does not push another's documents")
	require.Empty(t, claims())

	code, out := push("driving_licence", licences, first)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, true, out["applied"])
	require.Equal(t, "valid", claims()[0]["status"])

	code, out = push("driving_licence", licences, first)
	require.Equal(t, http.StatusOK, code, "a replay")
	require.Equal(t, false, out["applied"])
	require.Len(t, events, 3, "two credentials and one batch")

	code, out = push("driving_licence", licences, `{"seq":5,"entries":[{"op":"withdraw","number":"010000000001"}]}`)
	require.Equal(t, http.StatusConflict, code)
	require.Equal(t, float64(2), out["expected_seq"])

	code, out = push("driving_licence", licences, `{"seq":2,"entries":[{"op":"withdraw","number":"010000000001"},{"op":"suspend","number":"019999999999"}]}`)
	require.Equal(t, http.StatusBadRequest, code)
	require.Equal(t, "invalid_entries", out["error"])
	require.Equal(t, float64(2), out["lines"].([]any)[0].(map[string]any)["line"])
	require.Equal(t, "valid", claims()[0]["status"], "nothing of the refused batch applied")

	code, _ = push("driving_licence", licences, `{"seq":2,"entries":[`)
	require.Equal(t, http.StatusBadRequest, code)

	code, out = push("driving_licence", licences, `{"seq":2,"entries":[{"op":"withdraw","number":"010000000001"}]}`)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, true, out["applied"])
	require.Equal(t, "withdrawn", claims()[0]["status"], "a withdrawal is in the claims at once")
	require.Len(t, events, 4)
}
