// Package oidctest is the end-to-end test environment of the OpenID
// Connect provider: the oidc stores and signing keys on a real PostgreSQL
// database, the provider and its HTTP endpoints (oidc/web)
// behind httptest.NewServer, a test sign-in page, seeded citizens, and a
// relying party built from golang.org/x/oauth2 and go-oidc.
//
// Only tests import it. Like every package under oidc/ it must not reach
// package biometrics (internal/archtest checks ./testsupport/oidctest with
// ./oidc/...), so it takes the database from the
// caller rather than importing testsupport/pgtest (whose schema migrations
// include the biometric store): tests pass pgtest.New(t).App, and seed
// biometric sentinels with their own store on Env.DB.
//
// A test calls New, seeds a citizen with SeedCitizen, chooses who the
// sign-in page signs in with SignIn, registers a client with Register and
// drives flows with an RP in a Browser:
//
//	e := oidctest.New(t, pgtest.New(t).App, oidctest.Options{})
//	c := e.SeedCitizen(2)
//	e.SignIn(c.Login(2))
//	r := e.RP(e.Register(oidc.Client{Scopes: []string{"openid"}}))
//	f := r.Login(e.Browser())
//
// Packages using it call pgtest.Main from TestMain.
package oidctest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/google/uuid"
	"github.com/gorilla/mux"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/accounts"
	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/assurance"
	"github.com/dinhdanh/dinhdanh/attributes"
	attributespg "github.com/dinhdanh/dinhdanh/attributes/postgres"
	"github.com/dinhdanh/dinhdanh/audit/audittest"
	"github.com/dinhdanh/dinhdanh/foreigners"
	foreignerspg "github.com/dinhdanh/dinhdanh/foreigners/postgres"
	"github.com/dinhdanh/dinhdanh/guardianship"
	guardianshippg "github.com/dinhdanh/dinhdanh/guardianship/postgres"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/oidc"
	oidcpg "github.com/dinhdanh/dinhdanh/oidc/postgres"
	"github.com/dinhdanh/dinhdanh/oidc/web"
	"github.com/dinhdanh/dinhdanh/templates"
	"github.com/dinhdanh/dinhdanh/testsupport/accountstest"
)

// The fixed secrets of every Env (each at least 32 bytes).
var (
	KEK         = []byte("0123456789abcdef0123456789abcdef")
	Pepper      = []byte("pepper-pepper-pepper-pepper-0123")
	TokenKey    = []byte("token-secret-token-secret-012345")
	PairwiseKey = []byte("pairwise-key-pairwise-key-012345")
)

// State is the state parameter of every authorization request an RP makes.
const State = "state-0123456789"

// RedirectURI is the redirect URI Register gives a client that has none.
const RedirectURI = "https://rp.example/cb"

// Clock is the clock of the signing keys and of the provider's own
// decisions (a fapi2 code's age): the real time plus an offset a test
// advances. fosite itself uses the real time.
type Clock struct {
	mu sync.Mutex
	d  time.Duration
}

// Now is the real time plus the offset.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.d)
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.d += d
	c.mu.Unlock()
}

// Accounts adapts the accounts store to oidc.Accounts.
type Accounts struct{ Store *accountspg.Store }

// Get implements oidc.Accounts.
func (a Accounts) Get(ctx context.Context, id string) (accounts.Account, error) {
	r, err := a.Store.Get(ctx, id)
	return r.Account, err
}

// ByPersonalID returns the account whose login is personalID (with Get,
// what the guardianship service needs of accounts).
func (a Accounts) ByPersonalID(ctx context.Context, personalID string) (accounts.Account, error) {
	r, err := a.Store.ByPersonalID(ctx, personalID)
	return r.Account, err
}

// Guardianship is the guardianship service on e's database, registry,
// accounts and audit spy, with its own clock now (a child's authority ends
// years later, at 14: e.Clock also dates the signing keys). Options.Dependents
// adapts it: guardianship.ForOIDC{Service: ...}, as the gateway does.
func Guardianship(e *Env, now func() time.Time) *guardianship.Service {
	svc, err := guardianship.New(guardianship.Config{
		Store: guardianshippg.NewStore(e.DB), Registry: e.People, Accounts: Accounts{Store: e.Accounts},
		Audit: e.Audit, Now: now,
	})
	require.NoError(e.T, err)
	return svc
}

// Options vary the wiring between the packages that test the provider.
type Options struct {
	// Consent builds the provider's consent decider once the server's URL,
	// the store and the keys exist; nil means oidc.AutoConsent.
	Consent func(e *Env) oidc.ConsentDecider
	// BackchannelLogout is oidc.Config.BackchannelLogout.
	BackchannelLogout bool
	// ConsentScreen makes the handler park requests that need the citizen's
	// consent in the store (web.Handler.Challenges), for the consent pages.
	ConsentScreen bool
	// AdminToken is web.Handler.AdminToken (empty: no admin API).
	AdminToken string
	// Routes adds routes once the provider's are on e.Router.
	Routes func(e *Env)
	// Dependents builds oidc.Config.Dependents once the stores exist (nil:
	// nobody acts for anyone); see Guardianship.
	Dependents func(e *Env) oidc.Dependents
}

// Env is one provider on its own database and test server.
type Env struct {
	// T is the test the helpers fail; a fuzz target sets it to its *testing.T.
	T testing.TB

	DB        *pgxpool.Pool // the application role's pool
	Server    *httptest.Server
	Router    *mux.Router
	Sessions  *scs.SessionManager
	Templates *templates.Set
	Store     *oidcpg.Store
	Keys      *oidc.Keys
	Hasher    *oidc.SecretHasher
	Provider  *oidc.Provider
	Clients   *oidc.Clients
	Handler   *web.Handler
	Audit     *audittest.Spy
	Clock     *Clock
	Accounts  *accountspg.Store
	People    *attributespg.Store

	signIn atomic.Pointer[websession.Login]
	logins atomic.Int32
	seenMu sync.Mutex
	seen   []byte
}

// New starts a provider for t on db, a fresh migrated database's pool for
// the application role, wired as gateway wires it, with a sign-in
// page at /login (see SignIn). The server stops when t ends.
func New(t testing.TB, db *pgxpool.Pool, o Options) *Env {
	t.Helper()
	ctx := t.Context()
	e := &Env{T: t, DB: db, Audit: &audittest.Spy{}, Clock: &Clock{}}
	e.Store = oidcpg.NewStore(e.DB, oidc.NewFositeSession)
	var err error
	e.Keys, err = oidc.NewKeys(ctx, oidc.KeysConfig{Store: e.Store, EncryptionKey: KEK,
		SignDelay: time.Hour, Retention: 2 * time.Hour, Now: e.Clock.Now})
	require.NoError(t, err)
	e.Hasher, err = oidc.NewSecretHasher(Pepper)
	require.NoError(t, err)
	e.Accounts = accountspg.NewStore(e.DB)
	e.People = attributespg.NewStore(e.DB)
	e.Sessions = scs.New()
	e.Sessions.Cookie.Secure = false
	e.Templates, err = templates.New()
	require.NoError(t, err)

	e.Router = mux.NewRouter()
	e.Server = httptest.NewServer(e.tap(httpx.RequestID(e.Sessions.LoadAndSave(e.Router))))
	t.Cleanup(e.Server.Close)

	var decider oidc.ConsentDecider = oidc.AutoConsent{}
	if o.Consent != nil {
		decider = o.Consent(e)
	}
	var challenges oidc.ChallengeStore
	if o.ConsentScreen {
		challenges = e.Store
	}
	var dependents oidc.Dependents
	if o.Dependents != nil {
		dependents = o.Dependents(e)
	}
	e.Provider, err = oidc.NewProvider(oidc.Config{
		Challenges: challenges,
		Issuer:     e.Server.URL, Store: e.Store, Keys: e.Keys, Hasher: e.Hasher,
		TokenSecret: TokenKey, PairwiseKey: PairwiseKey,
		Accounts: Accounts{e.Accounts}, Registry: foreigners.People{Population: e.People, Foreigners: foreignerspg.NewStore(e.DB)}, Documents: e.People,
		Consent: decider, BackchannelLogout: o.BackchannelLogout, Audit: e.Audit, Dependents: dependents,
		IDTokenLifespan: time.Hour, Now: e.Clock.Now,
	})
	require.NoError(t, err)
	e.Clients = &oidc.Clients{Store: e.Store, Hasher: e.Hasher, Audit: e.Audit}
	e.Handler = &web.Handler{Provider: e.Provider, Clients: e.Clients, Sessions: e.Sessions,
		Templates: e.Templates, AdminToken: o.AdminToken}
	e.Handler.MountAll(e.Router)
	e.Router.HandleFunc("/login", e.login)
	if o.Routes != nil {
		o.Routes(e)
	}
	return e
}

// login is the test sign-in page: it signs in whoever SignIn named, renews
// the session and goes back to return_to.
func (e *Env) login(w http.ResponseWriter, r *http.Request) {
	l := e.signIn.Load()
	if l == nil {
		http.Error(w, "nobody to sign in", http.StatusUnauthorized)
		return
	}
	e.logins.Add(1)
	login := *l
	if login.AuthTime.IsZero() {
		login.AuthTime = time.Now()
	}
	login.SID = uuid.NewString()
	if err := e.Sessions.RenewToken(r.Context()); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	websession.PutLogin(r.Context(), e.Sessions, login)
	rt := r.URL.Query().Get("return_to")
	if !strings.HasPrefix(rt, "/") || strings.HasPrefix(rt, "//") {
		http.Error(w, "bad return_to", http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, rt, http.StatusFound)
}

// SignIn makes /login sign l in from now on (AuthTime: the time of the
// sign-in when zero; SID: always fresh).
func (e *Env) SignIn(l websession.Login) { e.signIn.Store(&l) }

// SignedIn is who /login signs in, or nil.
func (e *Env) SignedIn() *websession.Login { return e.signIn.Load() }

// Logins counts the sign-ins /login has made.
func (e *Env) Logins() int32 { return e.logins.Load() }

// Citizen is a seeded account and its population record.
type Citizen struct {
	AccountID  string
	PersonalID string
	Level      assurance.Level
	Person     attributes.Person
}

// Login is a sign-in of c with the given strength (1: password, 2:
// password and one-time code).
func (c Citizen) Login(strength assurance.Level) websession.Login {
	amr := []string{"pwd"}
	if strength >= 2 {
		amr = append(amr, "otp")
	}
	return websession.Login{AccountID: c.AccountID, Level: c.Level, Strength: strength, AMR: amr}
}

// RandomDigits is n random decimal digits.
func RandomDigits(n int) string {
	var b strings.Builder
	for range n {
		d, _ := rand.Int(rand.Reader, big.NewInt(10))
		b.WriteString(d.String())
	}
	return b.String()
}

// SeedCitizen writes a new citizen to the population registry (Nguyễn Văn
// An, born 1 May 1990, living in Hà Nội, with a random personal id, phone
// and e-mail) and an active account of the given level.
func (e *Env) SeedCitizen(level assurance.Level) Citizen {
	t := e.T
	t.Helper()
	ctx := t.Context()
	pid := "001090" + RandomDigits(6)
	p := attributes.Person{
		PersonalID: pid, FullName: "Nguyễn Văn An", BirthDate: time.Date(1990, 5, 1, 0, 0, 0, 0, time.UTC),
		Gender: attributes.Male, Nationality: "VN",
		Residence: attributes.Address{Street: "12 Lý Thường Kiệt", Ward: "Phường Hàng Bài", District: "Quận Hoàn Kiếm", Province: "Hà Nội", Country: "VN"},
		Phone:     "+8490" + RandomDigits(7), Email: "an." + RandomDigits(4) + "@example.vn",
	}
	c := Citizen{AccountID: uuid.NewString(), PersonalID: pid, Level: level, Person: p}
	now := time.Now().UTC()
	require.NoError(t, e.People.Write(ctx, []attributes.Person{p}, nil))
	rec := accounts.Record{Account: accounts.Account{
		ID: c.AccountID, PersonalID: pid, Level: assurance.Level(level), Status: accounts.Active,
		Phone: p.Phone, Email: p.Email, CreatedAt: now, ActivatedAt: &now, UpdatedAt: now}}
	require.NoError(t, e.Accounts.Create(ctx, accountstest.WithEvidence(rec), nil))
	return c
}

// Registered is a registered client and its secret (empty for
// private_key_jwt and public clients).
type Registered struct {
	oidc.Client
	Secret string
}

// Register registers c. A missing name, purpose or kind gets a public
// service's; a client with no redirect URI that is not a client-credentials
// client gets RedirectURI.
func (e *Env) Register(c oidc.Client) Registered {
	e.T.Helper()
	if c.Name.VI == "" {
		c.Name = oidc.Text{VI: "Cổng dịch vụ công", EN: "Public service portal"}
	}
	if c.Purpose.VI == "" {
		c.Purpose = oidc.Text{VI: "Giải quyết thủ tục hành chính", EN: "Administrative procedures"}
	}
	if c.Kind == "" {
		c.Kind = oidc.KindPublicService
	}
	if len(c.RedirectURIs) == 0 && (len(c.GrantTypes) == 0 || c.GrantTypes[0] != oidc.GrantClientCredentials) {
		c.RedirectURIs = []string{RedirectURI}
	}
	out, secret, err := e.Clients.Create(e.T.Context(), "test", c)
	require.NoError(e.T, err)
	return Registered{Client: out, Secret: secret}
}

// Browser is a user agent with cookies that follows redirects on the test
// server only, so it stops at the relying party.
func (e *Env) Browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	host := strings.TrimPrefix(e.Server.URL, "http://")
	return &http.Client{Jar: jar, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Host != host {
			return http.ErrUseLastResponse
		}
		if len(via) > 10 {
			return errors.New("redirect loop")
		}
		return nil
	}}
}

// Visit GETs u in browser b: the response is the redirect to the relying
// party, or the last page of ours, with its body.
func (e *Env) Visit(b *http.Client, u string) (*http.Response, string) {
	e.T.Helper()
	resp, err := b.Get(u)
	require.NoError(e.T, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

// Callback is the query of a redirect to the relying party at
// RedirectURI's host.
func Callback(t testing.TB, resp *http.Response, body string) url.Values {
	t.Helper()
	require.Contains(t, []int{http.StatusFound, http.StatusSeeOther}, resp.StatusCode,
		"want a redirect to the relying party, got %d: %s", resp.StatusCode, body)
	loc, err := url.Parse(resp.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, "rp.example", loc.Host, "redirect goes to the relying party")
	return loc.Query()
}

type tapWriter struct {
	http.ResponseWriter
	e *Env
}

func (w tapWriter) WriteHeader(code int) {
	w.e.record([]byte(fmt.Sprint(w.Header())))
	w.ResponseWriter.WriteHeader(code)
}

func (w tapWriter) Write(b []byte) (int, error) {
	w.e.record(b)
	return w.ResponseWriter.Write(b)
}

func (e *Env) record(b []byte) {
	e.seenMu.Lock()
	e.seen = append(e.seen, b...)
	e.seenMu.Unlock()
}

// tap records every response header and body of the server, for the
// searches of biometric sentinels.
func (e *Env) tap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(tapWriter{ResponseWriter: w, e: e}, r)
		e.record([]byte(fmt.Sprint(w.Header())))
	})
}

// Seen is every response header and body the server has written so far.
func (e *Env) Seen() []byte {
	e.seenMu.Lock()
	defer e.seenMu.Unlock()
	return append([]byte(nil), e.seen...)
}
