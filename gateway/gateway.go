package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/alexedwards/scs/pgxstore"
	"github.com/alexedwards/scs/v2"
	"github.com/gorilla/mux"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/dinhdanh/dinhdanh/accounts"
	accountsapi "github.com/dinhdanh/dinhdanh/accounts/api"
	accountsconsole "github.com/dinhdanh/dinhdanh/accounts/console/web"
	figuresweb "github.com/dinhdanh/dinhdanh/accounts/figures/web"
	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/accounts/smsgateway"
	accountsweb "github.com/dinhdanh/dinhdanh/accounts/web"
	"github.com/dinhdanh/dinhdanh/attributes"
	attributespg "github.com/dinhdanh/dinhdanh/attributes/postgres"
	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	auditweb "github.com/dinhdanh/dinhdanh/audit/web"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/consent"
	consentweb "github.com/dinhdanh/dinhdanh/consent/web"
	"github.com/dinhdanh/dinhdanh/foreigners"
	foreignerspg "github.com/dinhdanh/dinhdanh/foreigners/postgres"
	"github.com/dinhdanh/dinhdanh/gateway/apidoc"
	"github.com/dinhdanh/dinhdanh/gateway/consentlink"
	"github.com/dinhdanh/dinhdanh/gateway/demorp"
	"github.com/dinhdanh/dinhdanh/gateway/schema"
	"github.com/dinhdanh/dinhdanh/gateway/server"
	"github.com/dinhdanh/dinhdanh/guardianship"
	guardianshipweb "github.com/dinhdanh/dinhdanh/guardianship/web"
	"github.com/dinhdanh/dinhdanh/internal/httpx"
	"github.com/dinhdanh/dinhdanh/internal/keyderive"
	"github.com/dinhdanh/dinhdanh/internal/pg"
	"github.com/dinhdanh/dinhdanh/internal/websession"
	"github.com/dinhdanh/dinhdanh/lockrequest"
	lockrequestweb "github.com/dinhdanh/dinhdanh/lockrequest/web"
	"github.com/dinhdanh/dinhdanh/notify"
	"github.com/dinhdanh/dinhdanh/oidc"
	oidcpg "github.com/dinhdanh/dinhdanh/oidc/postgres"
	oidcweb "github.com/dinhdanh/dinhdanh/oidc/web"
	"github.com/dinhdanh/dinhdanh/orgs"
	orgsweb "github.com/dinhdanh/dinhdanh/orgs/web"
	"github.com/dinhdanh/dinhdanh/proofing"
	proofingapi "github.com/dinhdanh/dinhdanh/proofing/api"
	proofingpg "github.com/dinhdanh/dinhdanh/proofing/postgres"
	proofingweb "github.com/dinhdanh/dinhdanh/proofing/web"
	"github.com/dinhdanh/dinhdanh/reconcile"
	reconcilepg "github.com/dinhdanh/dinhdanh/reconcile/postgres"
	"github.com/dinhdanh/dinhdanh/sharing"
	sharingweb "github.com/dinhdanh/dinhdanh/sharing/web"
	"github.com/dinhdanh/dinhdanh/staff"
	staffweb "github.com/dinhdanh/dinhdanh/staff/web"
	"github.com/dinhdanh/dinhdanh/templates"
)

// Gateway is the assembled serving product. The services are exported for
// `dinhdanh dev` (demo data), the browser tests and the benchmark; operator
// commands use Ops instead.
type Gateway struct {
	Handler  http.Handler
	Accounts *accounts.Service
	// Hashing is the admission control of password hashing (tests hold
	// its slots to see the 503).
	Hashing  *accounts.HashLimiter
	Registry *attributespg.Store
	// Foreigners is the foreigners' registry; People the population
	// registry with it laid over (what claims and pages read).
	Foreigners *foreignerspg.Store
	People     attributes.Registry
	Clients    *oidc.Clients
	Keys       *oidc.Keys
	OIDCStore  *oidcpg.Store
	Provider   *oidc.Provider
	Consent    *consent.Service
	Staff      *staff.Service
	// Locks are locks by authorities (officers file, supervisors decide).
	Locks *lockrequest.Service
	// Orgs are the organisations operators follow and their staff checks.
	Orgs  *orgs.Service
	Audit audit.Recorder
	// Proofing earns assurance levels (counter and app); ProofingStore
	// also holds the fingerprint references the demo loads.
	Proofing      *proofing.Service
	ProofingStore *proofingpg.Store
	// Notify is the outbox of notifications to citizens (SMS, e-mail);
	// its worker runs until Close.
	Notify *notify.Service
	// Guardianship is dependents under guardians' accounts and the
	// guardianship records officers enter.
	Guardianship *guardianship.Service
	// Reconcile is the vehicle-registry reconciliation (runs on the
	// schedule of reconcile.vehicles_every when set).
	Reconcile *reconcile.Service
	// ClientUsage rolls the audit log up into each relying party's daily
	// use (the console's figures).
	ClientUsage *oidc.Usage

	issuer  string
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	closers []func()
}

// Close stops background work, then the parts, newest first.
func (g *Gateway) Close() {
	g.cancel()
	g.wg.Wait()
	for i := len(g.closers) - 1; i >= 0; i-- {
		g.closers[i]()
	}
}

// Options are what the gateway is built from.
type Options struct {
	Config config.Config
	// Pool connects as the application role.
	Pool *pgxpool.Pool
	// ReadPool, when set, serves the reads that tolerate replication lag:
	// the citizen's history pages and the periodic reload of signing keys
	// (JWKS). It connects as the application role to a streaming replica
	// (database.read_url: DATABASE_READ_URL). Nil: Pool serves them.
	ReadPool *pgxpool.Pool
	Logger   *slog.Logger
	// Audit records every use of an account; required.
	Audit audit.Recorder
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// SMS sends one-time codes; in dev mode (and when nil) codes go to the
	// log and the developer inbox.
	SMS accounts.Sender
	// Version is the release dinhdanh_build_info names ("dev" when empty).
	Version string

	// metrics counts what New's services do (nil: operator commands,
	// which serve no /metrics).
	metrics *domainMetrics
}

// reads is the pool for reads that tolerate lag.
func (o Options) reads() *pgxpool.Pool {
	if o.ReadPool != nil {
		return o.ReadPool
	}
	return o.Pool
}

// noSMS refuses to send: no SMS gateway is configured.
type noSMS struct{}

func (noSMS) Send(context.Context, string, string) error {
	return errors.New("gateway: no SMS gateway configured (sms.webhook_url)")
}

// metricsToken guards /metrics with its own scrape token outside dev mode:
// pool and audit figures are for operators only, and the scraper's
// credential must open nothing else (the admin token registers clients and
// reads citizens' histories). Without it /metrics is not served there.
func metricsToken(cfg config.Config) string {
	if cfg.DevMode {
		return ""
	}
	return cfg.Secrets.MetricsToken
}

// checkSecrets refuses root keys of the wrong size before anything is
// derived from them.
func checkSecrets(s config.Secrets) error {
	if len(s.EncryptionKey) != 32 || len(s.PairwiseKey) != 32 || len(s.SecretPepper) != 32 || len(s.SessionKey) != 32 {
		return errors.New("gateway: encryption, pairwise, pepper and session keys must be 32 bytes each")
	}
	return nil
}

// lockCascade is what a lock ends beyond the account's row (see
// accounts.Service.Lock); an account service built without it cannot lock.
type lockCascade struct {
	tokens  accounts.TokenRevoker
	consent *consent.Service
}

func (c lockCascade) logout() accounts.LogoutNotifier {
	if c.consent == nil {
		return nil
	}
	return accounts.LogoutFunc(func(ctx context.Context, accountID string) error {
		return c.consent.EndSessions(ctx, accountID, "", consent.LogoutAccountLocked)
	})
}

// newAccounts builds the accounts service. hashing bounds argon2id on
// request paths; nil (operator commands) means no bound.
// newSender is where messages to citizens go. Dev mode keeps them in the
// developer inbox (/dev/sms); otherwise they go to the SMS gateway and
// nowhere else, never into a table.
func newSender(o Options, inbox *accountspg.Inbox) accounts.Sender {
	switch {
	case o.Config.DevMode:
		return &accounts.LogSender{Logger: o.Logger, Inbox: inbox, Now: o.Now}
	case o.SMS != nil:
		return o.SMS
	case o.Config.SMS.WebhookURL != "":
		return &smsgateway.Sender{URL: o.Config.SMS.WebhookURL, Token: o.Config.SMS.Token, HTTP: &http.Client{Timeout: 10 * time.Second}}
	default:
		// Operator commands never send codes; serve refuses to start
		// without a gateway (config.Needs.SMS).
		return noSMS{}
	}
}

// notices queues what citizens are told; email sends registration codes
// by e-mail (nil: registration by phone only).
func newAccounts(o Options, registry attributes.Registry, inbox *accountspg.Inbox, cascade lockCascade, hashing *accounts.HashLimiter,
	notices accounts.Notifier, email accounts.EmailSender) (*accounts.Service, error) {
	cfg, secrets := o.Config, o.Config.Secrets
	return accounts.New(accounts.Config{
		Store: accountspg.NewStore(o.Pool), Registry: registry, Foreigners: foreignerspg.NewStore(o.Pool), Audit: o.Audit, Sender: o.metrics.smsCodes(newSender(o, inbox)),
		Logger: o.Logger, Now: o.Now,
		Argon2Params: accounts.Argon2Params{Memory: cfg.Argon2.MemoryKiB, Time: cfg.Argon2.Iterations, Threads: cfg.Argon2.Parallelism, SaltLen: 16, KeyLen: 32},
		TOTPKey:      keyderive.Key(secrets.EncryptionKey, "totp"),
		CodeKey:      keyderive.Key(secrets.SessionKey, "sms-code"),
		DeviceKey:    keyderive.Key(secrets.SessionKey, "known-device"),
		Issuer:       "Định danh điện tử",
		Lockout: accounts.LockoutPolicy{
			AccountFailures: cfg.Lockout.MaxPerAccount, IPFailures: cfg.Lockout.MaxPerAddress, Window: cfg.Lockout.Window.D(),
			AccountDelayAfter: cfg.Lockout.AccountDelayAfter, HardLockFailures: cfg.Lockout.HardLockAfter,
			GlobalFailures: cfg.Lockout.GlobalPerMinute, RegistryBatchesPerHour: cfg.Lockout.RegistryBatchesPerHour,
		},
		Tokens: cascade.tokens, Logout: cascade.logout(), Hashing: hashing,
		Passkeys: citizenPasskeys(cfg.Issuer),
		Notices:  notices, Email: email,
		// A child who registers at 14 keeps its dependent id.
		AccountIDs: accountIDs(o),
	})
}

// New builds the serving product: every component, the HTTP handler, and
// the background loops (signing-key refresh, back-channel logout delivery,
// notification delivery, maintenance) that Close stops. It holds no logic beyond construction.
func New(ctx context.Context, o Options) (*Gateway, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	cfg, pool, logger := o.Config, o.Pool, o.Logger
	secrets := cfg.Secrets
	// Every service records through the counting recorder (domainMetrics):
	// what the audit trail holds is what /metrics counts.
	auditLog := o.Audit
	o.metrics = newDomainMetrics()
	o.Audit = o.metrics.recorder(auditLog)
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	g := &Gateway{cancel: cancel, Audit: o.Audit, issuer: cfg.Issuer}
	fail := func(err error) (*Gateway, error) {
		g.Close()
		return nil, err
	}

	tmpl, err := templates.New()
	if err != nil {
		return fail(err)
	}
	issuer, _ := url.Parse(cfg.Issuer)
	sessions := scs.New()
	// pgxstore's own cleanup goroutine races on StopCleanup; expired sessions
	// are deleted by the gateway's maintenance loop instead.
	sessions.Store = pgxstore.NewWithCleanupInterval(pool, 0)
	sessions.Lifetime = cfg.Session.Lifetime.D()
	sessions.IdleTimeout = cfg.Session.IdleTimeout.D()
	sessions.Cookie.Name = "dinhdanh_session"
	sessions.Cookie.HttpOnly = true
	sessions.Cookie.SameSite = http.SameSiteLaxMode
	// Secure cookies always, except a developer's plain-http localhost.
	sessions.Cookie.Secure = !(cfg.DevMode && issuer.Scheme == "http")

	g.Registry = attributespg.NewStore(pool)
	if o.Now != nil {
		g.Registry = g.Registry.WithClock(o.Now)
	}
	g.Foreigners = foreignerspg.NewStore(pool)
	g.People = foreigners.People{Population: g.Registry, Foreigners: g.Foreigners}
	inbox := accountspg.NewInbox(pool)

	// The OpenID Connect provider.
	g.OIDCStore = oidcpg.NewStore(pool, oidc.NewFositeSession)
	if _, ok := auditLog.(*audit.Log); ok {
		// Tokens and codes commit without their own WAL flush: the audit
		// event each request waits for (same database, group commit)
		// flushes them with it (oidc.LazyCommitter). Not with another
		// recorder (bench_audit_off's no-op), which flushes nothing.
		g.OIDCStore = g.OIDCStore.LazyCommits()
	}
	g.Keys, err = newKeys(ctx, o, g.OIDCStore)
	if err != nil {
		return fail(err)
	}
	hasher, err := oidc.NewSecretHasher(secrets.SecretPepper)
	if err != nil {
		return fail(err)
	}
	// The consent service and the adapters between it and the provider, one
	// per direction, built in order (package consentlink).
	// Notifications to citizens go through one outbox; one-time codes do
	// not (accounts sends them straight to the SMS gateway, or by e-mail).
	var emailCodes accounts.EmailSender
	g.Notify, emailCodes, err = newNotify(o, newSender(o, inbox), &accounts.LogSender{Logger: logger, Inbox: inbox, Now: o.Now})
	if err != nil {
		return fail(err)
	}
	notices := newOutboxNotifier(o, g.Notify, g.OIDCStore)
	outbound := outboundClient(cfg)
	forConsent, logoutSender, consentSvc, err := newConsent(o, consentParts{
		OIDCStore: g.OIDCStore, Keys: g.Keys, Registry: g.Registry, People: g.People, Outbound: outbound, Connected: notices,
	})
	if err != nil {
		return fail(err)
	}
	g.Consent = consentSvc
	// Citizens: a lock ends the account's tokens and tells its relying
	// parties, whoever locks (accounts.Service.Lock).
	// Password hashing has its own bounded pool; token, JWKS, discovery and
	// userinfo never touch it.
	g.Hashing = accounts.NewHashLimiter(cfg.Argon2.Slots(), cfg.Argon2.Queue, cfg.Argon2.QueueWait.D())
	g.Accounts, err = newAccounts(o, g.People, inbox, lockCascade{tokens: g.OIDCStore, consent: g.Consent}, g.Hashing, notices, emailCodes)
	if err != nil {
		return fail(err)
	}
	g.Guardianship, err = newGuardianship(o, g.Registry, g.Accounts, g.Consent)
	if err != nil {
		return fail(err)
	}
	decider, err := consentlink.NewDecider(g.Consent)
	if err != nil {
		return fail(err)
	}
	g.Provider, err = oidc.NewProvider(oidc.Config{
		Issuer: cfg.Issuer, Store: g.OIDCStore, Keys: g.Keys, Hasher: hasher,
		TokenSecret: keyderive.Key(secrets.SessionKey, "fosite-tokens"), PairwiseKey: secrets.PairwiseKey,
		Accounts: g.Accounts, Registry: g.People, Documents: g.Registry, Audit: o.Audit,
		Consent: decider, Challenges: g.OIDCStore, BackchannelLogout: true, Now: o.Now,
		AccessTokenLifespan: cfg.Tokens.AccessTTL.D(), RefreshTokenLifespan: cfg.Tokens.RefreshTTL.D(),
		IDTokenLifespan: cfg.Tokens.IDTokenTTL.D(), AuthorizeCodeLifespan: cfg.Tokens.CodeTTL.D(),
		PARLifespan: 10 * time.Minute, Logger: logger, JWKSClient: outbound,
		Dependents: guardianship.ForOIDC{Service: g.Guardianship},
	})
	if err != nil {
		return fail(err)
	}
	g.Clients = newClients(o, g.OIDCStore, hasher)
	g.ClientUsage = newClientUsage(o, pool, g.OIDCStore)
	g.Staff, err = newStaff(o, g.Hashing)
	if err != nil {
		return fail(err)
	}
	// The app's account endpoints (device binding, sign-in) beside
	// proofing's under /api/app/v1, limited per client address on their own.
	appAccounts := &accountsapi.Handler{Accounts: g.Accounts, AppLimit: (&ipWindow{n: 60, now: o.Now}).allow, Logger: logger}
	var proofingAPI *proofingapi.Handler
	g.Proofing, g.ProofingStore, proofingAPI, err = newProofing(o, proofingParts{
		Accounts: g.Accounts, Registry: g.People, Foreigners: g.Foreigners, Staff: g.Staff,
		Notifier: notices,
	})
	if err != nil {
		return fail(err)
	}
	// An unlock at the counter rests on a verified chip read.
	g.Locks, err = newLocks(o, g.Accounts, g.Proofing)
	if err != nil {
		return fail(err)
	}
	g.Orgs, err = newOrgs(o, g.Clients)
	if err != nil {
		return fail(err)
	}
	// The vehicle reconciliation, before the console that serves its
	// operators' page: runs started there (and on the schedule below) go
	// on in the gateway's background work.
	g.Reconcile, err = reconcile.New(reconcile.Config{
		Store: reconcilepg.NewStore(pool, o.Now), Audit: o.Audit, Now: o.Now, Logger: logger,
		Go: func(fn func(context.Context)) { g.background(bg, "reconcile", fn) },
	})
	if err != nil {
		return fail(err)
	}
	// The staff console: a session of its own (cookie dinhdanh_staff on
	// /staff) with its own CSRF token, in the same sessions table.
	staffSessions := staffweb.NewSessions(pgxstore.NewWithCleanupInterval(pool, 0), sessions.Cookie.Secure)
	sessions.ErrorFunc, staffSessions.ErrorFunc = sessionError(logger), sessionError(logger)
	console := &staffweb.Handler{
		Staff: g.Staff, Templates: tmpl, Sessions: staffSessions, Logger: logger, Now: o.Now, Policy: g.Clients,
		Reconcile: g.Reconcile, // never nil here: reconcile.New either returned one or failed above
		Keys:      g.Keys,
		Audit:     newAuditConsole(o, auditLog), // nil (no page) without an audit key
		CSRF:      &httpx.CSRF{Sessions: staffSessions, Failed: server.CSRFFailed(tmpl), Skip: orgsweb.ChecksOwnCSRF},
	}

	csrf := &httpx.CSRF{Sessions: sessions, Failed: server.CSRFFailed(tmpl), Skip: oidcweb.CSRFExempt}
	reg := prometheus.NewRegistry()
	registerMetrics(reg, metricSources{
		pool: pool, audit: auditLog, notices: g.Notify, domain: o.metrics, reconcile: reconcilepg.NewStore(pool, nil),
		version: o.Version, now: o.Now,
	}, false)

	signin := &accountsweb.Handler{
		Accounts: g.Accounts, Templates: tmpl, Sessions: sessions, CSRF: csrf, Logger: logger, Now: o.Now,
		DevMode: cfg.DevMode, Inbox: inbox,
		LockAccount: g.lockAccountID,
		Services:    g.sessionServices,
		BoundDevice: g.boundDevice,
		Requester:   g.requester,
		SignedOut: func(ctx context.Context, accountID, sid string) {
			if err := g.Consent.EndSessions(ctx, accountID, sid, consent.LogoutSignedOut); err != nil {
				logger.WarnContext(ctx, "back-channel logout after sign-out", "error", err)
			}
		},
	}
	// The citizen's document wallet, mounted when the audit key is set (as
	// the registries' pushes): every change is audited in its transaction.
	if len(cfg.Secrets.AuditKey) > 0 {
		if signin.Wallet, err = newWallet(cfg, pool, o.Now, g.Registry, g.Accounts, o.Audit); err != nil {
			return fail(err)
		}
	}
	provider := &oidcweb.Handler{
		Provider: g.Provider, Clients: g.Clients, Sessions: sessions, Templates: tmpl, Logger: logger,
		AdminToken: secrets.AdminToken, LoginPath: accountsweb.PathLogin, Now: o.Now, CSRF: csrf,
	}
	history := &auditweb.Handler{
		History: auditpg.NewStore(o.reads(), nil), SignInURL: accountsweb.PathLogin, Logger: logger,
		AccountID: func(r *http.Request) (string, bool) {
			l, ok := websession.GetLogin(r.Context(), sessions)
			return l.AccountID, ok
		},
		Templates: tmpl,
		ClientNames: func(ctx context.Context, lang templates.Lang, ids []string) map[string]string {
			names := make(map[string]string, len(ids))
			for _, id := range ids {
				if c, err := g.Clients.Get(ctx, id); err == nil {
					names[id] = c.Name.VI
					if lang == templates.EN && c.Name.EN != "" {
						names[id] = c.Name.EN
					}
				}
			}
			return names
		},
		// Officers' lookups with their own credentials: /admin/api/history,
		// CSRF-exempt like the rest
		// of /admin/api/ (oidcweb.CSRFExempt).
		Officers: historyOfficers{g.Staff}, Accounts: historyAccounts{g.Accounts}, Audit: o.Audit,
	}
	challenges, err := consentlink.NewChallenges(g.Provider, forConsent)
	if err != nil {
		return fail(err)
	}
	consentPages := &consentweb.Handler{
		Consent: g.Consent, Challenges: challenges, Preview: forConsent, Dependents: challenges,
		Clients: forConsent, Subjects: forConsent, Templates: tmpl, Sessions: sessions,
		CSRF: csrf, Logger: logger, LoginPath: accountsweb.PathLogin, Passkeys: g.Accounts, Profile: g.Accounts,
	}

	// QR credentials, signed with the ID-token keys (oidc.Keys is a
	// sharing.Signer) so that verifiers check them against /jwks.json.
	shares, err := sharing.New(sharing.Config{
		Signer: g.Keys, Registry: g.People, Documents: g.Registry, Audit: o.Audit, Issuer: cfg.Issuer, Now: o.Now,
		Holders: sharing.HolderFunc(func(ctx context.Context, id string) (sharing.Holder, error) {
			a, err := g.Accounts.Get(ctx, id)
			if err != nil {
				return sharing.Holder{}, err
			}
			return sharing.Holder{PersonalID: a.PersonalID, Level: a.Level, Active: a.Status == accounts.Active}, nil
		}),
	})
	if err != nil {
		return fail(err)
	}
	sharePages := &sharingweb.Handler{
		Sharing: shares, JWKS: g.Keys.JWKS, Issuer: cfg.Issuer, Templates: tmpl, Sessions: sessions, CSRF: csrf,
		Logger: logger, LoginPath: accountsweb.PathLogin, Now: o.Now,
	}

	// Pages of the staff console (its session and CSRF token): the
	// counter for officers and locks by authorities.
	counter := &proofingweb.Handler{
		Proofing: g.Proofing, Templates: tmpl, CSRF: console.CSRF, Logger: logger, LoginPath: staffweb.PathLogin,
		Principal: staffweb.Principal,
	}
	lockPages := &lockrequestweb.Handler{
		Locks: g.Locks, Principal: staffweb.Principal, Templates: tmpl, CSRF: console.CSRF, Logger: logger,
		SignInPath: staffweb.PathLogin,
	}

	// The operators' figures, read on the read pool (aggregates tolerate
	// a replica's lag) and kept 5 minutes: each query reads every account.
	figurePages := &figuresweb.Handler{
		Reports: accountspg.NewStore(o.reads()), Principal: staffweb.Principal, Require: staffweb.Require,
		Templates: tmpl, CSRF: console.CSRF, Logger: logger, Now: o.Now, CacheFor: 5 * time.Minute,
	}
	accountPages := &accountsconsole.Handler{
		Accounts: g.Accounts, Audit: o.Audit, Principal: staffweb.Principal, Require: staffweb.Require,
		Templates: tmpl, CSRF: console.CSRF, Logger: logger,
	}
	orgPages := &orgsweb.Handler{
		Orgs: g.Orgs, Principal: staffweb.Principal, Templates: tmpl, CSRF: console.CSRF, Logger: logger,
		SignInPath: staffweb.PathLogin,
	}

	dependentPages := &guardianshipweb.Handler{
		Guardianship: g.Guardianship, Templates: tmpl, Sessions: sessions, CSRF: csrf, Logger: logger,
		LoginPath: accountsweb.PathLogin, ClientNames: history.ClientNames,
	}
	guardianshipRecords := &guardianshipweb.StaffHandler{
		Guardianship: g.Guardianship, Principal: staffweb.Principal, Templates: tmpl, CSRF: console.CSRF, Logger: logger,
		SignInPath: staffweb.PathLogin,
	}

	// The document registries' pushes (attributes/web), mounted when the
	// audit key is set: every applied batch is audited in its transaction.
	// The OpenAPI document of every JSON API (gateway/apidoc).
	apiDoc, err := apidoc.New()
	if err != nil {
		return fail(err)
	}
	apiParts := []server.Mounter{oidcweb.API{H: provider}, proofingAPI, appAccounts, apiDoc}
	if len(cfg.Secrets.AuditKey) > 0 {
		registryFeeds, registryAdmin, err := newRegistryFeeds(cfg, pool, o.Now, logger, g.Accounts.Limiter(), o.Audit)
		if err != nil {
			return fail(err)
		}
		apiParts = append(apiParts, registryFeeds, registryAdmin)
	} else if logger != nil {
		logger.Warn("no audit key: the registries' push endpoint is not served")
	}

	g.Handler = server.New(server.Options{
		Logger:    logger,
		Templates: tmpl,
		Sessions:  sessions,
		CSRF:      csrf,
		Metrics:   reg,
		// HSTS whenever citizens reach the gateway over https, also when a
		// proxy in front of it terminates TLS.
		TLS:           cfg.TLS.Enabled() || issuer.Scheme == "https",
		MetricsToken:  metricsToken(cfg),
		PublicMetrics: cfg.DevMode,
		SecureCookies: sessions.Cookie.Secure,
		Ready: func(ctx context.Context) error {
			return pg.CheckCurrent(ctx, pool, schema.Sources()...)
		},
		Outage:            outageOf(pool),
		Browser:           []server.Mounter{signin, provider, consentPages, history, sharePages, dependentPages},
		API:               apiParts,
		BrowserMiddleware: []mux.MiddlewareFunc{signin.EndSignIns},
		// Console pages of other packages mount here too, given
		// staffweb.Principal and staffweb.Require as functions.
		Staff:           []server.Mounter{console, counter, lockPages, guardianshipRecords, clientPages(g, tmpl, console.CSRF, logger), figurePages, orgPages, accountPages},
		StaffMiddleware: []mux.MiddlewareFunc{console.Middleware},
	})

	g.background(bg, "keys", func(ctx context.Context) { g.Keys.Run(ctx, 30*time.Second) })
	g.background(bg, "client-usage", func(ctx context.Context) { g.rollUpClientUsage(ctx, logger) })
	g.background(bg, "backchannel-logout", func(ctx context.Context) { _ = logoutSender.Run(ctx) })
	g.background(bg, "notifications", g.Notify.Run)
	if period := cfg.Reconcile.VehiclesEvery.D(); period > 0 {
		// A claim a minute is one short transaction; the period's run
		// starts within a minute of its beginning on one replica.
		g.background(bg, "reconcile-schedule", func(ctx context.Context) {
			every(ctx, time.Minute, func(ctx context.Context) { g.scheduledReconcile(ctx, period, logger, o.Now) })
		})
	}
	g.background(bg, "maintenance", func(ctx context.Context) {
		every(ctx, 10*time.Minute, func(ctx context.Context) {
			g.maintain(ctx, pool, logger, o.Now)
		})
	})
	return g, nil
}

// sessionError answers a session store failure (loading or saving the
// session row) with a 500 that the server turns into 503 when the database
// was unavailable, logged as JSON with its request id: scs's default goes
// to Go's standard logger, one unstructured line per request during a
// failover.
func sessionError(logger *slog.Logger) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		id := httpx.RequestIDFrom(r.Context())
		if logger != nil {
			logger.ErrorContext(r.Context(), "session store", "error", err, "request_id", id)
		}
		httpx.WriteServerError(w, r)
	}
}

// outageOf tells the server when a 500 was the database's outage (a
// primary changing over): the request's own statements failed with one,
// or the pool saw one in the last outageWindow (the audit writer's batch
// the request waited for runs on its own context).
func outageOf(pool *pgxpool.Pool) server.Outage {
	seen := pg.OutagesOf(pool)
	if seen == nil {
		return server.Outage{}
	}
	return server.Outage{
		Watch: func(r *http.Request) (*http.Request, func() bool) {
			ctx, saw := pg.WatchOutage(r.Context())
			return r.WithContext(ctx), saw
		},
		Recent: func() bool { return seen.Since(outageWindow) },
	}
}

// outageWindow is how long after the pool saw the database unavailable a
// server error is still answered as 503: a little more than a Patroni
// leader-key TTL (docs/operations.md).
const outageWindow = 15 * time.Second

func (g *Gateway) background(ctx context.Context, name string, fn func(context.Context)) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		fn(ctx)
	}()
}

// maintain runs the periodic clean-ups; every replica may run them, they
// are idempotent.
func (g *Gateway) maintain(ctx context.Context, pool *pgxpool.Pool, logger *slog.Logger, now func() time.Time) {
	jobs := []struct {
		name string
		run  func(context.Context) error
	}{
		{"sessions", func(ctx context.Context) error {
			_, err := pool.Exec(ctx, "DELETE FROM sessions WHERE expiry < now()")
			return err
		}},
		{"one-time codes", func(ctx context.Context) error { _, err := g.Accounts.Purge(ctx); return err }},
		{"staff throttles", func(ctx context.Context) error { _, err := g.Staff.Purge(ctx); return err }},
		{"expired tokens", func(ctx context.Context) error { _, err := g.OIDCStore.DeleteExpired(ctx, now()); return err }},
		{"retired keys", func(ctx context.Context) error { _, err := g.Keys.Prune(ctx); return err }},
		{"finished notifications", func(ctx context.Context) error { _, err := g.Notify.Purge(ctx); return err }},
		// Authority over dependents is computed from the clock at every
		// check; this records the ends (14th birthdays, records' ends).
		{"guardianship ends", func(ctx context.Context) error { _, err := g.Guardianship.Sweep(ctx); return err }},
		// Foreigners' residence permits: notices 30 and 7 days before the
		// end, the lock the day after, a renewal's unlock.
		{"residence permits", func(ctx context.Context) error { _, err := g.Accounts.SweepPermits(ctx, g.Foreigners); return err }},
		// A passport's chip portrait is kept only while its read can be used.
		{"chip portraits", func(ctx context.Context) error { _, err := g.Proofing.PurgePortraits(ctx); return err }},
	}
	for _, j := range jobs {
		if err := j.run(ctx); err != nil && ctx.Err() == nil {
			logger.Warn("maintenance job failed", "job", j.name, "error", err)
		}
	}
}

// scheduledReconcile runs the vehicle reconciliation of the current period
// unless it was claimed (by this replica or another) or a run is going on.
func (g *Gateway) scheduledReconcile(ctx context.Context, period time.Duration, logger *slog.Logger, now func() time.Time) {
	if now == nil {
		now = time.Now
	}
	run, err := g.Reconcile.Scheduled(ctx, reconcile.Period(now(), period))
	switch {
	case errors.Is(err, reconcile.ErrPeriodClaimed), errors.Is(err, reconcile.ErrRunning):
	case err != nil && ctx.Err() == nil:
		logger.Warn("scheduled vehicle reconciliation failed", "run", run.ID, "error", err)
	case err == nil:
		logger.Info("scheduled vehicle reconciliation", "run", run.ID, "records", run.Records, "period", run.Period)
	}
}

// every runs fn now and then every interval until ctx ends.
func every(ctx context.Context, interval time.Duration, fn func(context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		fn(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// LockAccount locks a citizen's account and ends everything it holds at
// once: tokens and grants at every relying party, back-channel logout to
// those that registered for it, and (through accountsweb.Handler.EndSignIns) browser
// sign-ins. by names the officer, operator or citizen who asked.
func (g *Gateway) LockAccount(ctx context.Context, personalID, reason string, by accounts.Actor) (accounts.Account, error) {
	a, err := g.Accounts.ByPersonalID(ctx, personalID)
	if err != nil {
		return accounts.Account{}, err
	}
	return g.Accounts.Lock(ctx, a.ID, reason, by)
}

// lockAccountID is LockAccount by account id (the citizen's own lock page).
func (g *Gateway) lockAccountID(ctx context.Context, accountID, reason string, by accounts.Actor) error {
	_, err := g.Accounts.Lock(ctx, accountID, reason, by)
	return err
}

// UnlockAccount unlocks an account (at the commune police or in the app).
func (g *Gateway) UnlockAccount(ctx context.Context, personalID string, by accounts.Actor) (accounts.Account, error) {
	a, err := g.Accounts.ByPersonalID(ctx, personalID)
	if err != nil {
		return accounts.Account{}, err
	}
	return g.Accounts.Unlock(ctx, a.ID, by)
}

// DemoClientID is the demo relying party's registration: `dinhdanh dev`
// and the browser tests run the same one.
const DemoClientID = "demo-portal"

// DemoRelyingParty (dev mode) registers the demo relying party served at
// rpBase, or gives the existing registration a new secret, and returns the
// relying party ready to serve.
func (g *Gateway) DemoRelyingParty(ctx context.Context, rpBase string) (*demorp.RP, error) {
	const name = "Cổng dịch vụ công (minh hoạ)"
	redirect := strings.TrimSuffix(rpBase, "/") + "/callback"
	secret, err := g.registerDemoClient(ctx, name, redirect)
	if err != nil {
		return nil, err
	}
	return demorp.New(demorp.Config{
		Name: name, Issuer: g.issuer, ClientID: DemoClientID, ClientSecret: secret, RedirectURL: redirect,
		Scopes: []string{"openid", "profile", "personal_id", "address", "offline_access"}, ActForDependents: true,
	}), nil
}

func (g *Gateway) registerDemoClient(ctx context.Context, name, redirectURI string) (string, error) {
	if c, err := g.Clients.Get(ctx, DemoClientID); err == nil {
		// Registered before it had a logo, accepted dependents or could ask
		// for a foreigner's passport.
		if c.LogoURL == "" || !c.AcceptDependents || !slices.Contains(c.Scopes, "passport") {
			if _, err := g.Clients.Update(ctx, "dev", DemoClientID, func(c *oidc.Client) error {
				c.LogoURL = demoLogo
				c.AcceptDependents = true
				for _, sc := range []string{"passport", "residence_permit"} {
					if !slices.Contains(c.Scopes, sc) {
						c.Scopes = append(c.Scopes, sc)
					}
				}
				return nil
			}); err != nil {
				return "", fmt.Errorf("gateway: give the demo client its logo: %w", err)
			}
		}
		return g.Clients.RotateSecret(ctx, "dev", DemoClientID)
	}
	_, secret, err := g.Clients.Create(ctx, "dev", oidc.Client{
		ID:                      DemoClientID,
		Name:                    oidc.Text{VI: name, EN: "Public service portal (demo)"},
		LogoURL:                 demoLogo,
		Purpose:                 oidc.Text{VI: "Xác thực công dân để giải quyết thủ tục hành chính trực tuyến.", EN: "Identify citizens to handle administrative procedures online."},
		PurposeVersion:          1,
		Kind:                    oidc.KindPublicService,
		RedirectURIs:            []string{redirectURI},
		Scopes:                  []string{"openid", "profile", "personal_id", "address", "phone", "offline_access", "passport", "residence_permit"},
		MinLevel:                1,
		TokenEndpointAuthMethod: oidc.AuthClientSecretBasic,
		SubjectType:             oidc.SubjectPairwise,
		// A guardian may sign in for a child or ward (the demo level 2
		// citizen has a registered child).
		AcceptDependents: true,
	})
	if err != nil {
		return "", fmt.Errorf("gateway: register demo client: %w", err)
	}
	return secret, nil
}

// historyOfficers adapts the staff domain to the officer history lookup
// (audit/web.Officers).
type historyOfficers struct{ svc *staff.Service }

// Officer implements auditweb.Officers.
func (h historyOfficers) Officer(ctx context.Context, token string) (auditweb.Officer, error) {
	// A staff member's credential: the member must be enabled, and the
	// history names their current unit.
	c, p, err := h.svc.AuthenticateMember(ctx, token)
	if errors.Is(err, staff.ErrUnauthenticated) {
		return auditweb.Officer{}, fmt.Errorf("%w: %w", auditweb.ErrNotOfficer, err)
	}
	if err != nil {
		return auditweb.Officer{}, err
	}
	unit := c.Unit
	if p != nil {
		unit = p.Unit.Code + " " + p.Unit.Name
	}
	return auditweb.Officer{ID: c.OfficerID, Unit: unit, CredentialID: c.ID}, nil
}

// historyAccounts adapts the accounts service to the officer history
// lookup (audit/web.Accounts).
type historyAccounts struct{ svc *accounts.Service }

// AccountID implements auditweb.Accounts.
func (a historyAccounts) AccountID(ctx context.Context, personalID string) (string, error) {
	acc, err := a.svc.ByPersonalID(ctx, personalID)
	if errors.Is(err, accounts.ErrNotFound) {
		return "", fmt.Errorf("%w: %w", auditweb.ErrNoAccount, err)
	}
	if err != nil {
		return "", err
	}
	return acc.ID, nil
}
