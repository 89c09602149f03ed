package api_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/gorilla/mux"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	"github.com/dinhdanh/dinhdanh/accounts/api"
	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const (
	pid      = "001090123456"
	pid2     = "001190654321"
	phone    = "+84901234567"
	phone2   = "+84907654321"
	password = "mật khẩu đúng"
	passcode = "246810"
	addr     = "192.0.2.10"
)

var officer = accounts.Actor{Kind: audit.Officer, ID: "officer-1"}

// app is the app API on a real database, its SMS going to the development
// inbox through LogSender. A request's X-Test-Addr header stands for the
// client address a proxy would set.
type app struct {
	*httptest.Server
	env   *accountstest.Env
	inbox *accountspg.Inbox
}

func newApp(t *testing.T) *app {
	t.Helper()
	db := pgtest.New(t)
	inbox := accountspg.NewInbox(db.App)
	env := accountstest.New(t, db.App, &accounts.LogSender{Inbox: inbox})
	h := &api.Handler{Accounts: env.Service}
	r := mux.NewRouter()
	h.Routes(r)
	s := &app{env: env, inbox: inbox}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if a := req.Header.Get("X-Test-Addr"); a != "" {
			req.RemoteAddr = a + ":40000"
		}
		r.ServeHTTP(w, req)
	}))
	t.Cleanup(s.Close)
	return s
}

type call struct {
	method, path, token, addr, lang string
	body                            any
}

func (s *app) do(t *testing.T, c call) (int, map[string]any) {
	t.Helper()
	var body string
	if c.body != nil {
		b, err := json.Marshal(c.body)
		require.NoError(t, err)
		body = string(b)
	}
	req, err := http.NewRequest(c.method, s.URL+api.Prefix+c.path, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("X-Test-Addr", addr)
	if c.addr != "" {
		req.Header.Set("X-Test-Addr", c.addr)
	}
	if c.lang != "" {
		req.Header.Set("Accept-Language", c.lang)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	out := map[string]any{}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	}
	return resp.StatusCode, out
}

// refused asserts a refusal: its status, its stable code, and its sentence
// in Vietnamese and English (both present, different, not the bare key).
func refused(t *testing.T, status int, code string, gotStatus int, body map[string]any) {
	t.Helper()
	require.Equal(t, status, gotStatus, "%v", body)
	require.Equal(t, code, body["error"], "%v", body)
	msgs, _ := body["messages"].(map[string]any)
	vi, _ := msgs["vi"].(string)
	en, _ := msgs["en"].(string)
	require.NotEmpty(t, vi, "Vietnamese message of %s", code)
	require.NotEmpty(t, en, "English message of %s", code)
	require.NotEqual(t, vi, en)
	require.NotContains(t, vi, "appapi.error.", "message registered")
	require.Equal(t, vi, body["error_description"], "Vietnamese by default")
}

// device is the app's key pair.
type device struct {
	key *ecdsa.PrivateKey
	jwk json.RawMessage
	id  string
}

func newDevice(t *testing.T) device {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	pub := jose.JSONWebKey{Key: &k.PublicKey}
	raw, err := pub.MarshalJSON()
	require.NoError(t, err)
	tp, err := pub.Thumbprint(crypto.SHA256)
	require.NoError(t, err)
	return device{key: k, jwk: raw, id: base64.RawURLEncoding.EncodeToString(tp)}
}

func (d device) sign(t *testing.T, challenge string, iat time.Time) string {
	t.Helper()
	sg, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: d.key}, nil)
	require.NoError(t, err)
	payload, err := json.Marshal(map[string]any{"challenge": challenge, "iat": iat.Unix()})
	require.NoError(t, err)
	obj, err := sg.Sign(payload)
	require.NoError(t, err)
	out, err := obj.CompactSerialize()
	require.NoError(t, err)
	return out
}

func (s *app) lastSMS(t *testing.T, to string) string {
	t.Helper()
	msgs, err := s.inbox.Messages(t.Context(), to)
	require.NoError(t, err)
	require.NotEmpty(t, msgs)
	return msgs[0].Body
}

// pending registers a person and a pending level 1 account with a phone and
// no password, as a counter enrolment leaves it.
func (s *app) pending(t *testing.T, id, ph string) accounts.Account {
	t.Helper()
	require.NoError(t, s.env.Registry.Write(t.Context(), []attributes.Person{accountstest.Person(t, id, "Trần Thị Bình")}, nil))
	a, err := s.env.Service.Create(t.Context(), accounts.NewAccount{PersonalID: id, Level: assurance.Level1, Phone: ph,
		Evidence: accountstest.Evidence(assurance.Level1)}, officer)
	require.NoError(t, err)
	return a
}

var answers = [2]api.Answer{{Question: "first_school", Answer: "Trường Kim Đồng"}, {Question: "favourite_food", Answer: "Phở bò"}}

// startActivation runs the first two steps and returns the activation id
// and ticket.
func (s *app) startActivation(t *testing.T, id, ph string) (string, string) {
	t.Helper()
	code, body := s.do(t, call{method: http.MethodPost, path: "/activations", body: api.ActivationRequest{PersonalID: id, Phone: ph}})
	require.Equal(t, http.StatusCreated, code, "%v", body)
	require.Equal(t, true, body["need_password"])
	aid := body["activation_id"].(string)
	code, body = s.do(t, call{method: http.MethodPost, path: "/activations/" + aid + "/code",
		body: api.CodeRequest{Code: accountstest.CodeIn(s.lastSMS(t, ph))}})
	require.Equal(t, http.StatusOK, code, "%v", body)
	return aid, body["ticket"].(string)
}

func (s *app) completeActivation(t *testing.T, aid, ticket string, dev device, proof string) (int, map[string]any) {
	t.Helper()
	return s.do(t, call{method: http.MethodPost, path: "/activations/" + aid + "/device", body: api.ActivateDeviceRequest{
		Ticket: ticket, Passcode: passcode, Answers: answers, Password: password,
		Device: api.Device{PublicJWK: dev.jwk, Proof: proof, Name: "Điện thoại của Bình", Model: "Pixel 9"}}})
}

// activate activates a pending account on dev.
func (s *app) activate(t *testing.T, id, ph string, dev device) {
	t.Helper()
	aid, ticket := s.startActivation(t, id, ph)
	code, body := s.completeActivation(t, aid, ticket, dev, dev.sign(t, ticket, s.env.Clock.Now()))
	require.Equal(t, http.StatusCreated, code, "%v", body)
	require.Equal(t, dev.id, body["device_id"])
}

func (s *app) challenge(t *testing.T, dev device) string {
	t.Helper()
	code, body := s.do(t, call{method: http.MethodPost, path: "/signin/challenges", body: api.ChallengeRequest{DeviceID: dev.id}})
	require.Equal(t, http.StatusCreated, code, "%v", body)
	return body["challenge"].(string)
}

func (s *app) signIn(t *testing.T, dev device, proof, pc, from string) (int, map[string]any) {
	t.Helper()
	return s.do(t, call{method: http.MethodPost, path: "/signin", addr: from,
		body: api.SignInRequest{DeviceID: dev.id, Proof: proof, Passcode: pc}})
}

// signedIn signs dev in and returns the app session token.
func (s *app) signedIn(t *testing.T, dev device) string {
	t.Helper()
	code, body := s.signIn(t, dev, dev.sign(t, s.challenge(t, dev), s.env.Clock.Now()), passcode, "")
	require.Equal(t, http.StatusCreated, code, "%v", body)
	require.Equal(t, "Bearer", body["token_type"])
	return body["access_token"].(string)
}

func (s *app) me(t *testing.T, token string) (int, map[string]any) {
	t.Helper()
	return s.do(t, call{method: http.MethodGet, path: "/me", token: token})
}

func has(events []audit.Event, t audit.EventType, o audit.Outcome, detailKey, detailValue string) bool {
	for _, e := range events {
		if e.Type == t && e.Outcome == o && (detailKey == "" || e.Detail[detailKey] == detailValue) {
			return true
		}
	}
	return false
}

// TestBindAtActivationAndSignIn: the app activates a pending account with
// its key, signs a challenge, and reads the account's summary.
func TestBindAtActivationAndSignIn(t *testing.T) {
	s := newApp(t)
	a := s.pending(t, pid, phone)
	dev := newDevice(t)
	s.activate(t, pid, phone, dev)

	got, err := s.env.Service.Get(t.Context(), a.ID)
	require.NoError(t, err)
	require.Equal(t, accounts.Active, got.Status)
	bound, err := s.env.Service.BoundDevice(t.Context(), a.ID)
	require.NoError(t, err)
	require.Equal(t, dev.id, bound.ID)
	require.Equal(t, "Pixel 9", bound.Model)
	require.Nil(t, bound.LastSignInAt)
	require.True(t, has(s.env.Audit.Events(), audit.DeviceChanged, audit.Success, "action", "bound"))

	tok := s.signedIn(t, dev)
	require.True(t, strings.HasPrefix(tok, "dda_"))
	code, me := s.me(t, tok)
	require.Equal(t, http.StatusOK, code, "%v", me)
	require.Equal(t, "Trần Thị Bình", me["full_name"])
	require.Equal(t, float64(1), me["level"])
	require.Equal(t, "+84******567", me["masked_phone"])
	require.Equal(t, dev.id, me["device"].(map[string]any)["id"])
	require.NotNil(t, me["device"].(map[string]any)["last_sign_in_at"])
	for _, k := range []string{"portrait", "fingerprint", "face", "biometrics"} {
		require.NotContains(t, me, k)
	}
	require.True(t, has(s.env.Audit.Events(), audit.SignInSucceeded, audit.Success, "channel", "app"))

	code, body := s.me(t, "dda_not-a-session")
	refused(t, http.StatusUnauthorized, "invalid_token", code, body)
}

// TestSignInRefusals: every way an app sign-in is refused, with its code.
func TestSignInRefusals(t *testing.T) {
	s := newApp(t)
	a := s.pending(t, pid, phone)
	dev := newDevice(t)
	s.activate(t, pid, phone, dev)
	stranger := newDevice(t)
	ctx := t.Context()

	for _, tc := range []struct {
		name   string
		proof  func() string
		dev    device
		status int
		code   string
	}{
		{"wrong device signature", func() string { return stranger.sign(t, s.challenge(t, dev), s.env.Clock.Now()) }, dev,
			http.StatusUnauthorized, "bad_device_signature"},
		{"not a JWS", func() string { return "eyJhbGciOiJub25lIn0.e30." }, dev, http.StatusUnauthorized, "bad_device_signature"},
		{"stale iat", func() string { return dev.sign(t, s.challenge(t, dev), s.env.Clock.Now().Add(-time.Hour)) }, dev,
			http.StatusUnauthorized, "bad_device_signature"},
		{"unknown device", func() string { return stranger.sign(t, "whatever", s.env.Clock.Now()) }, stranger,
			http.StatusUnauthorized, "unknown_device"},
		{"challenge never issued", func() string { return dev.sign(t, "made-up-challenge", s.env.Clock.Now()) }, dev,
			http.StatusUnauthorized, "invalid_challenge"},
		{"replayed challenge", func() string {
			p := dev.sign(t, s.challenge(t, dev), s.env.Clock.Now())
			code, body := s.signIn(t, dev, p, passcode, "")
			require.Equal(t, http.StatusCreated, code, "%v", body)
			return p
		}, dev, http.StatusUnauthorized, "invalid_challenge"},
		{"expired challenge", func() string {
			c := s.challenge(t, dev)
			s.env.Clock.Advance(accounts.AppChallengeTTL + time.Second)
			return dev.sign(t, c, s.env.Clock.Now())
		}, dev, http.StatusUnauthorized, "challenge_expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := s.signIn(t, tc.dev, tc.proof(), passcode, "")
			refused(t, tc.status, tc.code, code, body)
		})
	}
	code, body := s.do(t, call{method: http.MethodPost, path: "/signin/challenges", body: api.ChallengeRequest{DeviceID: stranger.id}})
	refused(t, http.StatusUnauthorized, "unknown_device", code, body)
	require.True(t, has(s.env.Audit.Events(), audit.SignInFailed, audit.Failure, "channel", "app"))

	// A locked account: the signature and challenge are right, the account
	// is not, and its sessions end.
	tok := s.signedIn(t, dev)
	_, err := s.env.Service.Lock(ctx, a.ID, "holder request: lost phone", officer)
	require.NoError(t, err)
	code, body = s.me(t, tok)
	refused(t, http.StatusUnauthorized, "invalid_token", code, body)
	code, body = s.signIn(t, dev, dev.sign(t, s.challenge(t, dev), s.env.Clock.Now()), passcode, "")
	refused(t, http.StatusForbidden, "account_locked", code, body)

	code, body = s.do(t, call{method: http.MethodPost, path: "/signin", lang: "en", body: api.SignInRequest{DeviceID: dev.id}})
	require.Equal(t, "The device signature does not verify.", body["error_description"], "English on request: %v", body)
	require.Equal(t, http.StatusUnauthorized, code)
}

// TestWrongPasscodeLockout: wrong passcodes lock the device (and the
// address) out of the app sign-in; the web sign-in of the same citizen from
// elsewhere still works.
func TestWrongPasscodeLockout(t *testing.T) {
	s := newApp(t)
	s.pending(t, pid, phone)
	dev := newDevice(t)
	s.activate(t, pid, phone, dev)
	limit := accounts.DefaultLockoutPolicy.AccountFailures
	for i := 1; i <= limit; i++ {
		code, body := s.signIn(t, dev, dev.sign(t, s.challenge(t, dev), s.env.Clock.Now()), "135792", "198.51.100.1")
		if i < limit {
			refused(t, http.StatusUnauthorized, "wrong_passcode", code, body)
			continue
		}
		refused(t, http.StatusTooManyRequests, "locked_out", code, body)
		require.Contains(t, body["messages"].(map[string]any)["en"], "15 minutes")
	}
	// The right passcode from another address: the device is locked out.
	code, body := s.signIn(t, dev, dev.sign(t, s.challenge(t, dev), s.env.Clock.Now()), passcode, "198.51.100.2")
	refused(t, http.StatusTooManyRequests, "locked_out", code, body)

	// The web sign-in of the citizen, from another address and from the
	// same one, is untouched.
	for _, from := range []string{"203.0.113.9", "198.51.100.1"} {
		si, err := s.env.Service.SignIn(t.Context(), accounts.SignInRequest{PersonalID: pid, Password: password, IP: from})
		require.NoError(t, err, from)
		require.Equal(t, pid, si.Account.PersonalID)
	}
	// After the lockout the device signs in again.
	s.env.Clock.Advance(accounts.DefaultLockoutPolicy.LockFor + time.Second)
	s.signedIn(t, dev)
}

// TestActivationRefusals: keys of other types, proofs that do not hold,
// and a second device for an account without the move's proof.
func TestActivationRefusals(t *testing.T) {
	s := newApp(t)
	a := s.pending(t, pid, phone)
	dev := newDevice(t)
	aid, ticket := s.startActivation(t, pid, phone)

	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	rsaJWK, err := (&jose.JSONWebKey{Key: &rsaKey.PublicKey}).MarshalJSON()
	require.NoError(t, err)
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	require.NoError(t, err)
	p384JWK, err := (&jose.JSONWebKey{Key: &p384.PublicKey}).MarshalJSON()
	require.NoError(t, err)
	privJWK, err := (&jose.JSONWebKey{Key: dev.key}).MarshalJSON()
	require.NoError(t, err)
	other := newDevice(t)
	now := s.env.Clock.Now()

	for _, tc := range []struct {
		name   string
		dev    device
		proof  string
		status int
		code   string
	}{
		{"RSA key", device{jwk: rsaJWK}, dev.sign(t, ticket, now), http.StatusBadRequest, "invalid_device_key"},
		{"P-384 key", device{jwk: p384JWK}, dev.sign(t, ticket, now), http.StatusBadRequest, "invalid_device_key"},
		{"private part sent", device{jwk: privJWK}, dev.sign(t, ticket, now), http.StatusBadRequest, "invalid_device_key"},
		{"not JSON", device{jwk: json.RawMessage(`"x"`)}, dev.sign(t, ticket, now), http.StatusBadRequest, "invalid_device_key"},
		{"proof by another key", dev, other.sign(t, ticket, now), http.StatusUnauthorized, "bad_device_signature"},
		{"proof over something else", dev, dev.sign(t, "another ticket", now), http.StatusUnauthorized, "bad_device_signature"},
		{"no proof", dev, "", http.StatusUnauthorized, "bad_device_signature"},
		{"forged ticket", dev, dev.sign(t, "1.AAAA", now), http.StatusConflict, "activation_expired"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tk := ticket
			if tc.code == "activation_expired" {
				tk = "1.AAAA"
			}
			code, body := s.completeActivation(t, aid, tk, tc.dev, tc.proof)
			refused(t, tc.status, tc.code, code, body)
			got, err := s.env.Service.Get(t.Context(), a.ID)
			require.NoError(t, err)
			require.Equal(t, accounts.Pending, got.Status, "nothing written")
		})
	}
	require.True(t, has(s.env.Audit.Events(), audit.DeviceChanged, audit.Denied, "", ""))

	// Activated on dev; a second device cannot come in by activation (the
	// first step says already active, the last one refuses a second use).
	code, body := s.completeActivation(t, aid, ticket, dev, dev.sign(t, ticket, now))
	require.Equal(t, http.StatusCreated, code, "%v", body)
	second := newDevice(t)
	code, body = s.completeActivation(t, aid, ticket, second, second.sign(t, ticket, now))
	refused(t, http.StatusConflict, "already_active", code, body)
	code, body = s.do(t, call{method: http.MethodPost, path: "/activations", body: api.ActivationRequest{PersonalID: pid, Phone: phone}})
	refused(t, http.StatusConflict, "already_active", code, body)
	// Nor by the move without its SMS step.
	code, body = s.do(t, call{method: http.MethodPost, path: "/device-moves/" + a.ID + "/device", body: api.MoveDeviceRequest{
		Ticket: ticket, Passcode: passcode, Device: api.Device{PublicJWK: second.jwk, Proof: second.sign(t, ticket, now)}}})
	refused(t, http.StatusConflict, "move_expired", code, body)
	bound, err := s.env.Service.BoundDevice(t.Context(), a.ID)
	require.NoError(t, err)
	require.Equal(t, dev.id, bound.ID, "still the first device")
}

// move runs the move of pid's account to dev with the answers, returning
// the last step's answer and the ticket used.
func (s *app) move(t *testing.T, id, ph string, dev device, pc string) (int, map[string]any, string, string) {
	t.Helper()
	code, body := s.do(t, call{method: http.MethodPost, path: "/device-moves", body: api.MoveRequest{PersonalID: id}})
	require.Equal(t, http.StatusCreated, code, "%v", body)
	require.Equal(t, []any{"first_school", "favourite_food"}, body["questions"])
	mid := body["move_id"].(string)
	code, body = s.do(t, call{method: http.MethodPost, path: "/device-moves/" + mid + "/code",
		body: api.CodeRequest{Code: accountstest.CodeIn(s.lastSMS(t, ph))}})
	require.Equal(t, http.StatusOK, code, "%v", body)
	ticket := body["ticket"].(string)
	req := api.MoveDeviceRequest{Ticket: ticket, Device: api.Device{PublicJWK: dev.jwk, Proof: dev.sign(t, ticket, s.env.Clock.Now()), Model: "iPhone 16"}}
	if pc != "" {
		req.Passcode = pc
	} else {
		req.Answers = [2]string{answers[0].Answer, answers[1].Answer}
	}
	code, body = s.do(t, call{method: http.MethodPost, path: "/device-moves/" + mid + "/device", body: req})
	return code, body, mid, ticket
}

// TestMoveToNewDevice: the account moves with ID + SMS code + answers; the
// old device's session ends at once, it no longer signs in, and the
// citizen is told (a device_changed notice).
func TestMoveToNewDevice(t *testing.T) {
	s := newApp(t)
	a := s.pending(t, pid, phone)
	old, dev := newDevice(t), newDevice(t)
	s.activate(t, pid, phone, old)
	oldTok := s.signedIn(t, old)
	s.env.Clock.Advance(time.Minute)

	// Wrong answers first: refused, nothing moves.
	code, body, _, _ := s.move(t, pid, phone, dev, "999999")
	refused(t, http.StatusUnauthorized, "wrong_answers", code, body)
	code, _ = s.me(t, oldTok)
	require.Equal(t, http.StatusOK, code)

	code, body, mid, ticket := s.move(t, pid, phone, dev, "")
	require.Equal(t, http.StatusCreated, code, "%v", body)
	require.Equal(t, dev.id, body["device_id"])

	code, body = s.me(t, oldTok)
	refused(t, http.StatusUnauthorized, "invalid_token", code, body)
	code, body = s.do(t, call{method: http.MethodPost, path: "/signin/challenges", body: api.ChallengeRequest{DeviceID: old.id}})
	refused(t, http.StatusUnauthorized, "unknown_device", code, body)
	require.Contains(t, s.env.Notices.Kinds(a.ID), accounts.NoticeDeviceChanged)
	require.True(t, has(s.env.Audit.Events(), audit.DeviceChanged, audit.Success, "action", "moved"))
	for _, e := range s.env.Audit.Events() {
		if e.Type == audit.DeviceChanged && e.Detail["action"] == "moved" {
			require.Equal(t, a.ID, e.AccountID)
			require.Equal(t, old.id, e.Detail["old_device"])
		}
	}
	tok := s.signedIn(t, dev)
	code, _ = s.me(t, tok)
	require.Equal(t, http.StatusOK, code)

	// The move's ticket serves once.
	third := newDevice(t)
	code, body = s.do(t, call{method: http.MethodPost, path: "/device-moves/" + mid + "/device", body: api.MoveDeviceRequest{
		Ticket: ticket, Answers: [2]string{answers[0].Answer, answers[1].Answer},
		Device: api.Device{PublicJWK: third.jwk, Proof: third.sign(t, ticket, s.env.Clock.Now())}}})
	refused(t, http.StatusConflict, "move_expired", code, body)
}

// TestDeviceBoundElsewhere: one device holds one account.
func TestDeviceBoundElsewhere(t *testing.T) {
	s := newApp(t)
	s.pending(t, pid, phone)
	b := s.pending(t, pid2, phone2)
	dev := newDevice(t)
	s.activate(t, pid, phone, dev)

	aid, ticket := s.startActivation(t, pid2, phone2)
	code, body := s.completeActivation(t, aid, ticket, dev, dev.sign(t, ticket, s.env.Clock.Now()))
	refused(t, http.StatusConflict, "device_bound_elsewhere", code, body)
	got, err := s.env.Service.Get(t.Context(), b.ID)
	require.NoError(t, err)
	require.Equal(t, accounts.Pending, got.Status, "no partial activation")
	require.True(t, has(s.env.Audit.Events(), audit.DeviceChanged, audit.Denied, "", ""))
	_, err = s.env.Service.BoundDevice(t.Context(), b.ID)
	require.ErrorIs(t, err, accounts.ErrNoDevice)
}

// TestSessionEnds: a change of password (which sets SignInsEndedAt) ends
// the app session; unbinding ends it too.
func TestSessionEnds(t *testing.T) {
	s := newApp(t)
	a := s.pending(t, pid, phone)
	dev := newDevice(t)
	s.activate(t, pid, phone, dev)
	ctx := t.Context()

	tok := s.signedIn(t, dev)
	s.env.Clock.Advance(time.Second)
	_, err := s.env.Service.ChangePassword(ctx, accounts.PasswordChange{AccountID: a.ID,
		SignedIn: accounts.SignedIn{AccountID: a.ID, AuthTime: s.env.Clock.Now(), Strength: assurance.Level2}, Current: password, New: "mật khẩu mới hơn", Client: accounts.Client{IP: addr}})
	require.NoError(t, err)
	code, body := s.me(t, tok)
	refused(t, http.StatusUnauthorized, "invalid_token", code, body)

	s.env.Clock.Advance(time.Second)
	tok = s.signedIn(t, dev)
	code, _ = s.me(t, tok)
	require.Equal(t, http.StatusOK, code, "a new sign-in after the change is valid")

	code, _ = s.do(t, call{method: http.MethodDelete, path: "/device", token: tok})
	require.Equal(t, http.StatusNoContent, code)
	code, body = s.me(t, tok)
	refused(t, http.StatusUnauthorized, "invalid_token", code, body)
	_, err = s.env.Service.BoundDevice(ctx, a.ID)
	require.ErrorIs(t, err, accounts.ErrNoDevice)
	require.True(t, has(s.env.Audit.Events(), audit.DeviceChanged, audit.Success, "action", "unbound"))
	require.ErrorIs(t, s.env.Service.UnbindDevice(ctx, a.ID, accounts.Client{}), accounts.ErrNoDevice)

	// Expired after AppSessionTTL.
	dev2 := newDevice(t)
	code, body, _, _ = s.move(t, pid, phone, dev2, passcode)
	require.Equal(t, http.StatusCreated, code, "%v", body)
	tok = s.signedIn(t, dev2)
	s.env.Clock.Advance(accounts.AppSessionTTL)
	code, body = s.me(t, tok)
	refused(t, http.StatusUnauthorized, "invalid_token", code, body)
}

// TestEveryCodeHasMessages: each stable code the handler can answer has its
// sentence in both languages.
func TestEveryCodeHasMessages(t *testing.T) {
	codes := []string{"locked_out", "slow_down", "server_error", "invalid_request"}
	for _, c := range api.Codes {
		codes = append(codes, c.Code)
	}
	for _, c := range codes {
		body := map[string]any{}
		p := api.ProblemFor(c, "en")
		b, err := json.Marshal(p)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(b, &body))
		body["error_description"] = body["messages"].(map[string]any)["vi"]
		refused(t, 0, c, 0, body)
		require.NotContains(t, fmt.Sprint(p.Messages), "%!", c)
	}
}
