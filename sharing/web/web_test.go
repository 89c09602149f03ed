package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"html"
	"image/png"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	jose "github.com/go-jose/go-jose/v4"
	"github.com/google/uuid"
	"github.com/gorilla/mux"
	qrcode "github.com/skip2/go-qrcode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	attributespg "github.com/dinhdanh/dinhdanh/attributes/postgres"
	"github.com/dinhdanh/dinhdanh/audit"
	"github.com/dinhdanh/dinhdanh/audit/audittest"
	"github.com/dinhdanh/dinhdanh/biometrics"
	biometricspg "github.com/dinhdanh/dinhdanh/biometrics/postgres"
	"github.com/dinhdanh/dinhdanh/gateway/server"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/oidc"
	oidcpg "github.com/dinhdanh/dinhdanh/oidc/postgres"
	"github.com/dinhdanh/dinhdanh/sharing"
	"github.com/dinhdanh/dinhdanh/sharing/web"
	"github.com/dinhdanh/dinhdanh/templates"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// env is the sharing pages behind the real server shell (security headers,
// sessions, CSRF) on a real database, with the OIDC signing keys, a spy
// audit log, and a test-only sign-in route.
type env struct {
	t        *testing.T
	srv      *httptest.Server
	svc      *sharing.Service
	keys     *oidc.Keys
	audit    *audittest.Spy
	people   *attributespg.Store
	accounts *accountspg.Store
	bio      *biometricspg.Store

	mu   sync.Mutex
	seen []byte
}

const issuer = "https://id.example.vn"

var kek = []byte("0123456789abcdef0123456789abcdef")

// testLogin signs in whoever the query names: /test/login?account=ID&level=2&strength=2.
type testLogin struct{ sessions *scs.SessionManager }

func (tl testLogin) Routes(r *mux.Router) {
	r.HandleFunc("/test/login", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		level, strength := 1, 1
		if q.Get("level") == "2" {
			level = 2
		}
		if q.Get("strength") == "2" {
			strength = 2
		}
		if err := tl.sessions.RenewToken(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		websession.PutLogin(r.Context(), tl.sessions, websession.Login{AccountID: q.Get("account"), Level: assurance.Level(level), Strength: assurance.Level(strength),
			AMR: []string{"pwd"}, AuthTime: time.Now(), SID: uuid.NewString()})
		w.WriteHeader(http.StatusNoContent)
	}).Methods(http.MethodGet)
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := pgtest.New(t)
	e := &env{t: t, audit: &audittest.Spy{}, people: attributespg.NewStore(db.App), accounts: accountspg.NewStore(db.App),
		bio: biometricspg.NewStore(db.App, time.Now)}
	var err error
	e.keys, err = oidc.NewKeys(t.Context(), oidc.KeysConfig{Store: oidcpg.NewStore(db.App, oidc.NewFositeSession), EncryptionKey: kek})
	require.NoError(t, err)
	svc, err := sharing.New(sharing.Config{
		Signer: e.keys, Registry: e.people, Documents: e.people, Audit: e.audit, Issuer: issuer,
		Holders: sharing.HolderFunc(func(ctx context.Context, id string) (sharing.Holder, error) {
			r, err := e.accounts.Get(ctx, id)
			if err != nil {
				return sharing.Holder{}, err
			}
			return sharing.Holder{PersonalID: r.PersonalID, Level: r.Level, Active: r.Status == accounts.Active}, nil
		}),
	})
	require.NoError(t, err)
	e.svc = svc
	tmpl, err := templates.New()
	require.NoError(t, err)
	sessions := scs.New()
	sessions.Cookie.Secure = false
	csrf := &httpx.CSRF{Sessions: sessions, Failed: server.CSRFFailed(tmpl)}
	h := &web.Handler{Sharing: svc, JWKS: e.keys.JWKS, Issuer: issuer, Templates: tmpl, Sessions: sessions, CSRF: csrf}
	handler := server.New(server.Options{Logger: slog.New(slog.DiscardHandler), Templates: tmpl, Sessions: sessions, CSRF: csrf,
		Browser: []server.Mounter{h, testLogin{sessions}}})
	e.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, r)
		e.mu.Lock()
		e.seen = append(e.seen, rec.Body.Bytes()...)
		e.mu.Unlock()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	}))
	t.Cleanup(e.srv.Close)
	return e
}

// citizen seeds an active account of level with a population record, two
// documents (the driving licence carrying a biometric sentinel in a field,
// as a careless importer could leave it) and biometric sentinels.
func (e *env) citizen(level int) (accountID string, p attributes.Person) {
	t := e.t
	ctx := t.Context()
	pid := "001090" + randomDigits(6)
	p = attributes.Person{PersonalID: pid, FullName: "Nguyễn Văn An", BirthDate: time.Date(1990, 5, 1, 0, 0, 0, 0, time.UTC),
		Gender: attributes.Male, Nationality: "VN",
		Residence: attributes.Address{Street: "12 Lý Thường Kiệt", Ward: "Phường Hàng Bài", District: "Quận Hoàn Kiếm", Province: "Hà Nội", Country: "VN"},
		Phone:     "+84901234567", Email: "an@example.vn"}
	exp := time.Now().AddDate(5, 0, 0).UTC()
	docs := []attributes.Document{
		{Kind: attributes.DrivingLicence, Number: "DL0123456789", HolderID: pid, IssuedOn: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), ExpiresOn: &exp,
			Issuer: "Sở GTVT Hà Nội", Fields: map[string]string{"class": "B2", "portrait": biometrics.PortraitSentinel(pid)}, Status: "valid"},
		{Kind: attributes.HealthInsurance, Number: "HI0123456789", HolderID: pid, Issuer: "BHXH", Status: "valid"},
	}
	require.NoError(t, e.people.Write(ctx, []attributes.Person{p}, docs))
	now := time.Now().UTC()
	accountID = uuid.NewString()
	require.NoError(t, e.accounts.Create(ctx, accountstest.WithEvidence(accounts.Record{Account: accounts.Account{
		ID: accountID, PersonalID: pid, Level: assurance.Level(level), Status: accounts.Active,
		Phone: p.Phone, Email: p.Email, CreatedAt: now, ActivatedAt: &now, UpdatedAt: now}}), nil))
	_, err := e.bio.SeedDemoSentinels(ctx)
	require.NoError(t, err)
	return accountID, p
}

func randomDigits(n int) string {
	var b strings.Builder
	for range n {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		b.WriteString(d.String())
	}
	return b.String()
}

func lockAccount(e *env, accountID string) error {
	_, err := e.accounts.Update(e.t.Context(), accountID, func(r *accounts.Record) error {
		r.Status = accounts.Locked
		return nil
	})
	return err
}

// browser is a user agent with a cookie jar that does not follow redirects.
func (e *env) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func (e *env) signIn(b *http.Client, accountID string, level, strength int) {
	res, err := b.Get(e.srv.URL + "/test/login?" + url.Values{"account": {accountID}, "level": {strconv.Itoa(level)}, "strength": {strconv.Itoa(strength)}}.Encode())
	require.NoError(e.t, err)
	res.Body.Close()
	require.Equal(e.t, http.StatusNoContent, res.StatusCode)
}

func (e *env) get(b *http.Client, path string) (*http.Response, string) {
	res, err := b.Get(e.srv.URL + path)
	require.NoError(e.t, err)
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

func (e *env) post(b *http.Client, path string, form url.Values) (*http.Response, string) {
	res, err := b.PostForm(e.srv.URL+path, form)
	require.NoError(e.t, err)
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res, string(body)
}

var (
	csrfRe  = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	tokenRe = regexp.MustCompile(`(?s)<textarea id="share-token"[^>]*>([^<]*)</textarea>`)
	qrRe    = regexp.MustCompile(`src="data:image/png;base64,([^"]+)"`)
)

func csrfOf(t *testing.T, body string) string {
	m := csrfRe.FindStringSubmatch(body)
	require.NotNil(t, m, "no CSRF token in page")
	return m[1]
}

func (e *env) jwks() jose.JSONWebKeySet {
	var set jose.JSONWebKeySet
	require.NoError(e.t, json.Unmarshal(e.keys.JWKS(), &set))
	return set
}

func TestShareAndVerifyInBothLanguages(t *testing.T) {
	e := newEnv(t)
	accountID, person := e.citizen(2)
	texts := map[templates.Lang]struct {
		query, title, valid, male, nonceErr, expiresPrefix, born, nation string
	}{
		templates.VI: {"", "Chia sẻ thông tin bằng mã QR", "Hợp lệ", "Nam", "không được tạo với mã kiểm tra bạn đã đưa", "Hết hiệu lực lúc", "01/05/1990", "Việt Nam"},
		templates.EN: {"?ui_locales=en", "Share with a QR code", "Valid", "Male", "was not made with the check code you gave", "Valid until", "1 May 1990", "Viet Nam"},
	}
	for lang, tx := range texts {
		t.Run(string(lang), func(t *testing.T) {
			b := e.browser()
			e.signIn(b, accountID, 2, 2)
			res, body := e.get(b, "/account/share"+tx.query)
			require.Equal(t, http.StatusOK, res.StatusCode, body)
			assert.Contains(t, body, tx.title)
			assert.Contains(t, body, person.FullName, "the citizen's own values are shown")
			assert.Contains(t, body, tx.born, "dates in the page's language")
			assert.Contains(t, body, tx.nation)
			assert.Contains(t, body, tx.male)
			assert.NotContains(t, body, "checked", "nothing is ticked before the citizen picks")
			assert.Contains(t, body, `value="driving_licence"`, "documents offered at level 2")
			assert.Contains(t, body, "DL0123456789")
			assert.NotContains(t, body, `value="phone_number"`)
			assert.NotContains(t, body, `value="dependents"`)
			assert.NotContains(t, body, "documents-level2")

			res, body = e.post(b, "/account/share", url.Values{"csrf_token": {csrfOf(t, body)}, "ui_locales": {string(lang)},
				"claim": {"name", "birthdate", "gender", "driving_licence"}, "challenge": {"4f7k-92qx"}})
			require.Equal(t, http.StatusOK, res.StatusCode, body)
			assert.Contains(t, body, tx.expiresPrefix)
			assert.Contains(t, body, "4F7K92QX")
			assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))

			// The QR code is a PNG; the text next to it is the credential.
			m := qrRe.FindStringSubmatch(body)
			require.NotNil(t, m, "no QR image")
			raw, err := base64.StdEncoding.DecodeString(html.UnescapeString(m[1]))
			require.NoError(t, err)
			img, err := png.Decode(bytes.NewReader(raw))
			require.NoError(t, err)
			assert.Greater(t, img.Bounds().Dx(), 100)
			tm := tokenRe.FindStringSubmatch(body)
			require.NotNil(t, tm, "no credential text")
			token := html.UnescapeString(strings.TrimSpace(tm[1]))

			// Offline verification against the published JWKS.
			v, err := sharing.VerifyAny(token, e.jwks(), time.Now(), sharing.VerifyOptions{Issuer: issuer, Challenge: "4F7K92QX"})
			require.NoError(t, err)
			assert.Equal(t, person.FullName, v.Claims["name"])
			assert.Equal(t, "urn:vn:eid:loa:2", v.ACR)
			assert.NotContains(t, v.Claims, "personal_id_number", "not ticked, not shared")
			assert.NotContains(t, v.Claims, "address")

			// The verifier's page.
			_, page := e.get(b, "/verify"+tx.query)
			res, body = e.post(b, "/verify", url.Values{"csrf_token": {csrfOf(t, page)}, "ui_locales": {string(lang)},
				"token": {token}, "challenge": {"4F7K 92QX"}})
			require.Equal(t, http.StatusOK, res.StatusCode, body)
			assert.Contains(t, body, tx.valid)
			assert.Contains(t, body, person.FullName)
			assert.Contains(t, body, tx.male)
			assert.Contains(t, body, "DL0123456789")
			assert.Contains(t, body, `id="verify-bound"`)
			assert.NotContains(t, body, person.PersonalID)

			// Shown again to a verifier who gave another code.
			res, body = e.post(b, "/verify", url.Values{"csrf_token": {csrfOf(t, page)}, "ui_locales": {string(lang)},
				"token": {token}, "challenge": {"ZZZZ9999"}})
			require.Equal(t, http.StatusUnprocessableEntity, res.StatusCode)
			assert.Contains(t, body, tx.nonceErr)
			assert.NotContains(t, body, `id="verify-claims"`)
		})
	}

	// Every issuance is audited, with names only.
	evs := e.audit.Of(audit.CredentialIssued)
	require.Len(t, evs, 2)
	for _, ev := range evs {
		assert.Equal(t, []string{"birthdate", "driving_licence", "gender", "name"}, ev.Claims)
		assert.Equal(t, accountID, ev.AccountID)
		assert.Equal(t, "urn:vn:eid:loa:2", ev.ACR)
		assert.Equal(t, "true", ev.Detail["challenge_bound"])
		for _, v := range ev.Detail {
			assert.NotContains(t, v, "Nguyễn")
		}
	}

	// No biometric sentinel ever left the gateway, in a page, a QR code or
	// a credential.
	e.mu.Lock()
	seen := append([]byte(nil), e.seen...)
	e.mu.Unlock()
	assert.False(t, bytes.Contains(seen, []byte(biometrics.SentinelPrefix)), "a biometric sentinel left the gateway")
	for _, m := range tokenRe.FindAllSubmatch(seen, -1) {
		v, err := sharing.VerifyAny(html.UnescapeString(strings.TrimSpace(string(m[1]))), e.jwks(), time.Now(), sharing.VerifyOptions{})
		require.NoError(t, err)
		all, _ := json.Marshal(v.Claims)
		assert.NotContains(t, string(all), biometrics.SentinelPrefix)
		assert.NotContains(t, string(all), "portrait")
	}
}

func TestVerifyPageRefusesAlteredCredentials(t *testing.T) {
	e := newEnv(t)
	accountID, _ := e.citizen(1)
	b := e.browser()
	e.signIn(b, accountID, 1, 1)
	_, body := e.get(b, "/account/share?ui_locales=en")
	_, body = e.post(b, "/account/share", url.Values{"csrf_token": {csrfOf(t, body)}, "claim": {"name", "personal_id_number"}})
	tm := tokenRe.FindStringSubmatch(body)
	require.NotNil(t, tm, body)
	compact := html.UnescapeString(strings.TrimSpace(tm[1]))
	require.True(t, strings.HasPrefix(compact, sharing.CompactPrefix), "the page issues the compact form")
	// flip changes one base45 character at i: the first 96 carry the
	// signature, the rest the compressed header and payload.
	flip := func(i int) string {
		r := []byte(compact)
		i += len(sharing.CompactPrefix)
		if r[i] == '0' {
			r[i] = '1'
		} else {
			r[i] = '0'
		}
		return string(r)
	}

	// The SD-JWT form, for wallets, is still verified here.
	sd, err := e.svc.Issue(t.Context(), sharing.Request{AccountID: accountID, Level: 1, Claims: []string{"name", "personal_id_number"}})
	require.NoError(t, err)
	token := sd.Token
	parts := strings.Split(token, "~")

	_, page := e.get(b, "/verify?ui_locales=en")
	csrf := csrfOf(t, page)
	// The name's disclosure (disclosures come in claim order) with another
	// value, salt and name kept.
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	require.Contains(t, string(raw), "Nguyễn Văn An")
	forged := base64.RawURLEncoding.EncodeToString(bytes.Replace(raw, []byte("Nguyễn Văn An"), []byte("Trần Văn Giả"), 1))
	cases := []struct{ name, token, want string }{
		{"compact signature altered", flip(10), "Invalid signature"},
		{"compact payload altered", flip(len(compact) - len(sharing.CompactPrefix) - 10), "Invalid signature"},
		{"compact cut short", compact[:len(compact)-20], "This is not an identity sharing QR code."},
		{"tampered value", parts[0] + "~" + forged + "~" + parts[2] + "~", "An item in the QR code was altered or added."},
		{"signature removed", parts[0][:strings.LastIndex(parts[0], ".")+1] + "~", "Invalid signature"},
		{"garbage", "hello", "This is not an identity sharing QR code."},
	}
	for _, tc := range cases {
		res, body := e.post(b, "/verify", url.Values{"csrf_token": {csrf}, "ui_locales": {"en"}, "token": {tc.token}})
		assert.Equal(t, http.StatusUnprocessableEntity, res.StatusCode, tc.name)
		if !strings.HasPrefix(tc.name, "compact payload") {
			assert.Contains(t, body, tc.want, tc.name)
		}
	}
	// The compact credential as issued verifies.
	res, body := e.post(b, "/verify", url.Values{"csrf_token": {csrf}, "ui_locales": {"en"}, "token": {compact}})
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	assert.Contains(t, body, "Nguyễn Văn An")
	// The holder drops the personal id number: still valid, and the page
	// says one item is withheld.
	shown, err := sharing.Select(token, []string{"name"})
	require.NoError(t, err)
	res, body = e.post(b, "/verify", url.Values{"csrf_token": {csrf}, "ui_locales": {"en"}, "token": {shown}})
	require.Equal(t, http.StatusOK, res.StatusCode, body)
	assert.Contains(t, body, "chose not to show 1 other item")
	assert.Contains(t, body, `id="verify-not-bound"`)
}

func TestShareLevelAndAccess(t *testing.T) {
	e := newEnv(t)
	accountID, _ := e.citizen(2)

	// Not signed in: off to the sign-in page, and back here afterwards.
	anon := e.browser()
	res, _ := e.get(anon, "/account/share")
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "/login?return_to=%2Faccount%2Fshare", res.Header.Get("Location"))

	// A level 2 account signed in with a password only is at level 1: no
	// documents, and a forged form asking for one is refused.
	b := e.browser()
	e.signIn(b, accountID, 2, 1)
	res, body := e.get(b, "/account/share")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.NotContains(t, body, `value="driving_licence"`)
	assert.Contains(t, body, `id="documents-level2"`)
	assert.Contains(t, body, "Mức độ 1")
	csrf := csrfOf(t, body)
	res, body = e.post(b, "/account/share", url.Values{"csrf_token": {csrf}, "claim": {"name", "driving_licence"}})
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Contains(t, body, "không thể chia sẻ ở mức đăng nhập hiện tại")
	res, body = e.post(b, "/account/share", url.Values{"csrf_token": {csrf}})
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Contains(t, body, "ít nhất một thông tin")
	res, body = e.post(b, "/account/share", url.Values{"csrf_token": {csrf}, "claim": {"name"}, "challenge": {"x"}})
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Contains(t, body, "4 đến 32 chữ cái")
	assert.Empty(t, e.audit.Of(audit.CredentialIssued), "nothing issued, nothing audited as issued")

	// Without the CSRF token: refused.
	res, _ = e.post(b, "/account/share", url.Values{"claim": {"name"}})
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
	res, _ = e.post(anon, "/verify", url.Values{"token": {"x"}})
	assert.Equal(t, http.StatusForbidden, res.StatusCode)

	// A locked account cannot make a credential.
	require.NoError(t, lockAccount(e, accountID))
	res, _ = e.get(b, "/account/share")
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
}

func TestQRDataURLPicksTheLevelThatFits(t *testing.T) {
	for _, n := range []int{300, 1300, sharing.QRCapacityM, sharing.QRCapacityM + 200, sharing.QRCapacityL} {
		u, size, err := web.QRDataURL(strings.Repeat("a", n))
		require.NoError(t, err, n)
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(string(u), "data:image/png;base64,"))
		require.NoError(t, err)
		img, err := png.Decode(bytes.NewReader(raw))
		require.NoError(t, err)
		assert.Equal(t, size, img.Bounds().Dx(), n)
		assert.LessOrEqual(t, size, 560, n)
		t.Logf("%d bytes: %dx%d px PNG, %d bytes as data URL", n, size, size, len(u))
	}
	_, _, err := web.QRDataURL(strings.Repeat("a", sharing.QRCapacityL+1))
	require.Error(t, err)
}

// TestShareQRSize measures the QR code of a typical pick (the identity
// card set: name, date of birth, sex, nationality, ID number, address) as
// the share page draws it, against the SD-JWT form of the same pick.
func TestShareQRSize(t *testing.T) {
	e := newEnv(t)
	accountID, _ := e.citizen(2)
	b := e.browser()
	e.signIn(b, accountID, 2, 2)
	pick := []string{"name", "birthdate", "gender", "nationality", "personal_id_number", "address"}
	_, body := e.get(b, "/account/share")
	_, body = e.post(b, "/account/share", url.Values{"csrf_token": {csrfOf(t, body)}, "claim": pick})
	tm := tokenRe.FindStringSubmatch(body)
	require.NotNil(t, tm, body)
	compact := html.UnescapeString(strings.TrimSpace(tm[1]))
	sd, err := e.svc.Issue(t.Context(), sharing.Request{AccountID: accountID, Level: 2, Claims: pick})
	require.NoError(t, err)

	version := func(s string) int {
		q, err := qrcode.New(s, qrcode.Medium)
		require.NoError(t, err)
		return q.VersionNumber
	}
	vc, vs := version(compact), version(sd.Token)
	t.Logf("identity card set: compact %d characters, QR version %d (%d modules) at level M; SD-JWT %d bytes, version %d (%d modules)",
		len(compact), vc, vc*4+17, len(sd.Token), vs, vs*4+17)
	assert.LessOrEqual(t, len(compact), 650, "compact credential text")
	assert.LessOrEqual(t, vc, 15, "QR version of the compact credential at level M")
	assert.Less(t, vc, vs)
}
