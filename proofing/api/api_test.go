package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/mux"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	biometricspg "github.com/dinhdanh/dinhdanh/biometrics/postgres"
	"github.com/dinhdanh/dinhdanh/cardreader"
	"github.com/dinhdanh/dinhdanh/cardreader/emulator"
	"github.com/dinhdanh/dinhdanh/proofing"
	"github.com/dinhdanh/dinhdanh/proofing/api"
	proofingpg "github.com/dinhdanh/dinhdanh/proofing/postgres"
	"github.com/dinhdanh/dinhdanh/staff"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type noChips struct{}

func (noChips) VerifyChip(cardreader.ChipData, time.Time) (proofing.ChipResult, error) {
	return proofing.ChipResult{}, proofing.ErrInvalid
}

var officer = staff.Principal{MemberID: "officer-1", Roles: []staff.Role{staff.RoleOfficer}, Unit: staff.Unit{Code: "01.001"}}

type server struct {
	*httptest.Server
	env     *accountstest.Env
	refused atomic.Bool
}

func newServer(t *testing.T) *server {
	db := pgtest.New(t)
	env := accountstest.New(t, db.App, nil)
	store := proofingpg.NewStore(db.App)
	svc, err := proofing.New(proofing.Config{Store: store, Chips: noChips{}, Registry: env.Registry, Accounts: env.Service,
		Biometrics: biometricspg.NewStore(db.App, nil), Matcher: proofing.TemplateMatcher{References: store}, Audit: env.Audit, Now: env.Clock.Now})
	require.NoError(t, err)
	s := &server{env: env}
	h := &api.Handler{Proofing: svc, AppLimit: func(string) bool { return !s.refused.Load() },
		Officer: func(_ context.Context, tok string) (staff.Principal, error) {
			if tok == "ddo_good" {
				return officer, nil
			}
			return staff.Principal{}, api.ErrUnauthenticated
		}}
	r := mux.NewRouter()
	h.Routes(r)
	s.Server = httptest.NewServer(r)
	t.Cleanup(s.Close)
	return s
}

func (s *server) do(t *testing.T, method, path, token, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	var out map[string]any
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	}
	return resp.StatusCode, out
}

func TestCounterNeedsAnOfficersCredential(t *testing.T) {
	s := newServer(t)
	for _, tok := range []string{"", "ddo_bad"} {
		code, body := s.do(t, http.MethodPost, "/counter/api/v1/challenges", tok, "")
		require.Equal(t, http.StatusUnauthorized, code)
		require.Equal(t, "invalid_token", body["error"])
	}
	code, body := s.do(t, http.MethodPost, "/counter/api/v1/challenges", "ddo_good", "")
	require.Equal(t, http.StatusCreated, code)
	require.Len(t, body["challenge"], 12, "8 bytes, base64")
}

func TestCounterRefusesBadInputEarly(t *testing.T) {
	s := newServer(t)
	for _, tc := range []struct {
		name, path, body string
		code             int
		err              string
	}{
		{"no body", "/counter/api/v1/reads", "", http.StatusUnsupportedMediaType, "invalid_request"},
		{"not json", "/counter/api/v1/reads", "{", http.StatusBadRequest, "invalid_request"},
		{"unknown field", "/counter/api/v1/reads", `{"chip":{},"x":1}`, http.StatusBadRequest, "invalid_request"},
		{"two objects", "/counter/api/v1/reads", `{} {}`, http.StatusBadRequest, "invalid_request"},
		{"no chip", "/counter/api/v1/reads", `{}`, http.StatusBadRequest, "invalid_request"},
		{"no challenge", "/counter/api/v1/reads", `{"chip":{"access_control":"PACE","sod":"AQ==","data_groups":{"1":"AQ=="}}}`, http.StatusBadRequest, "invalid_challenge"},
		{"unknown challenge", "/counter/api/v1/reads", `{"chip":{"access_control":"PACE","sod":"AQ==","data_groups":{"1":"AQ=="},"challenge":"AAAAAAAAAAA="}}`, http.StatusBadRequest, "invalid_challenge"},
		{"unknown read", "/counter/api/v1/enrolments", `{"read_id":"5f0c7a51-1d2b-4a36-8f55-000000000001"}`, http.StatusNotFound, "not_found"},
		{"unknown submission", "/counter/api/v1/submissions/nope/decision", `{"approve":true}`, http.StatusNotFound, "not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := s.do(t, http.MethodPost, tc.path, "ddo_good", tc.body)
			require.Equal(t, tc.code, code, "%v", body)
			require.Equal(t, tc.err, body["error"])
		})
	}
}

// TestAppQRSubmissionThroughTheAPIs: the app posts the QR text, the
// officer sees it with the portrait on the counter's API and approves it.
func TestAppQRSubmissionThroughTheAPIs(t *testing.T) {
	s := newServer(t)
	ctx := t.Context()
	p := emulator.Synthetic()
	require.NoError(t, s.env.Registry.Write(ctx, []attributes.Person{{PersonalID: p.PersonalID, FullName: p.FullName,
		BirthDate: p.BirthDate, Gender: p.Gender, Nationality: "VN"}}, nil))
	a, err := s.env.Service.Create(ctx, accounts.NewAccount{PersonalID: p.PersonalID, Status: accounts.Active}, accounts.Actor{Kind: audit.System, ID: "t"})
	require.NoError(t, err)

	req, _ := json.Marshal(api.AppEnrolmentRequest{PersonalID: p.PersonalID, QR: p.QR(), Portrait: []byte("\xff\xd8\xffjpeg"), PortraitFormat: "image/jpeg"})
	code, body := s.do(t, http.MethodPost, "/api/app/v1/enrolments", "", string(req))
	require.Equal(t, http.StatusAccepted, code, "%v", body)
	require.Equal(t, "pending", body["state"])
	require.NotContains(t, body, "portrait", "the app never gets a portrait back")
	id := body["id"].(string)

	code, body = s.do(t, http.MethodGet, "/api/app/v1/enrolments/"+id, "", "")
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, "pending", body["state"])

	code, body = s.do(t, http.MethodGet, "/counter/api/v1/submissions", "ddo_good", "")
	require.Equal(t, http.StatusOK, code)
	subs := body["submissions"].([]any)
	require.Len(t, subs, 1)
	require.NotEmpty(t, subs[0].(map[string]any)["portrait"], "the officer sees it")

	code, body = s.do(t, http.MethodPost, "/counter/api/v1/submissions/"+id+"/decision", "ddo_good", `{"approve":true}`)
	require.Equal(t, http.StatusOK, code, "%v", body)
	require.Equal(t, "approved", body["state"])
	got, err := s.env.Service.Get(ctx, a.ID)
	require.NoError(t, err)
	require.EqualValues(t, 1, got.Level)

	code, body = s.do(t, http.MethodPost, "/counter/api/v1/submissions/"+id+"/decision", "ddo_good", `{"approve":false,"reason":"x"}`)
	require.Equal(t, http.StatusConflict, code)
	require.Equal(t, "stale", body["error"])
}

func TestAppAPI(t *testing.T) {
	s := newServer(t)
	code, body := s.do(t, http.MethodPost, "/api/app/v1/challenges", "", `{"personal_id":"001090012345"}`)
	require.Equal(t, http.StatusCreated, code)
	require.NotEmpty(t, body["challenge"])
	code, body = s.do(t, http.MethodPost, "/api/app/v1/challenges", "", `{"personal_id":"0010"}`)
	require.Equal(t, http.StatusBadRequest, code)
	require.Equal(t, "invalid_request", body["error"])
	code, body = s.do(t, http.MethodPost, "/api/app/v1/enrolments", "", `{"personal_id":"001090099999","qr":"x","portrait":"/9j/","portrait_format":"image/jpeg"}`)
	require.Equal(t, http.StatusNotFound, code)
	require.Equal(t, "no_account", body["error"])
	big := `{"personal_id":"001090012345","qr":"x","portrait":"` + strings.Repeat("A", 5<<20) + `","portrait_format":"image/jpeg"}`
	code, _ = s.do(t, http.MethodPost, "/api/app/v1/enrolments", "", big)
	require.Equal(t, http.StatusRequestEntityTooLarge, code)

	s.refused.Store(true)
	code, body = s.do(t, http.MethodPost, "/api/app/v1/challenges", "", `{"personal_id":"001090012345"}`)
	require.Equal(t, http.StatusTooManyRequests, code)
	require.Equal(t, "slow_down", body["error"])
}
