package config

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the whole configuration. It is immutable after Load.
type Config struct {
	// Issuer is the public base URL, e.g. https://id.example.gov.vn; it is the
	// OpenID Connect issuer identifier.
	Issuer string `yaml:"issuer"`
	// Listen is the address to serve on, e.g. ":8080".
	Listen string `yaml:"listen"`
	// DevMode enables the SMS developer inbox and relaxes the Secure cookie
	// flag when the issuer is http://localhost. Never in production.
	DevMode bool     `yaml:"dev_mode"`
	TLS     TLS      `yaml:"tls"`
	DB      Database `yaml:"database"`
	Secrets Secrets  `yaml:"-"` // from the environment only
	Session Session  `yaml:"session"`
	Tokens  Tokens   `yaml:"tokens"`
	Keys    Keys     `yaml:"keys"`
	Argon2  Argon2   `yaml:"argon2"`
	Lockout Lockout  `yaml:"lockout"`
	Consent Consent  `yaml:"consent"`
	Audit   Audit    `yaml:"audit"`
	SMS     SMS      `yaml:"sms"`
	Log     Log      `yaml:"log"`
	// Proofing is identity proofing at counters and in the app.
	Proofing Proofing `yaml:"proofing"`
	// Email sends notifications by e-mail; off when smtp_host is empty.
	Email Email `yaml:"email"`
	// Reconcile schedules the vehicle-registry reconciliation.
	Reconcile Reconcile `yaml:"reconcile"`
	// BenchAuditOff replaces the audit recorder of the serving gateway
	// with a counting no-op, to measure what the audit trail costs
	// (bench/README.md). For measurement only: Validate refuses it
	// outside dev mode, and the gateway logs an error line when it is on.
	// Also set by DINHDANH_BENCH_AUDIT_OFF=true.
	BenchAuditOff bool `yaml:"bench_audit_off"`
}

// Proofing configures identity proofing.
type Proofing struct {
	// Trust is the country signing (CSCA) certificates chip data must
	// chain to: an ICAO master list file, a PEM bundle, or a folder of
	// PEM certificates and CRLs. Without it no chip verifies, so no level
	// is granted at a counter or in the app (dev mode makes a demo one).
	Trust string `yaml:"trust"`
	// FingerprintThreshold is the built-in matcher's score a fingerprint
	// needs (0-100); 40 when 0.
	FingerprintThreshold int `yaml:"fingerprint_threshold"`
}

// SMS configures delivery of one-time codes. Outside dev mode a gateway URL
// is required; its bearer token comes from DINHDANH_SMS_TOKEN.
type SMS struct {
	WebhookURL string `yaml:"webhook_url"`
	Token      string `yaml:"-"`
}

// Email configures the SMTP submission server that notifications by e-mail
// (results, lock and unlock, recovery) go through. One-time codes never go
// by e-mail. The password comes from DINHDANH_SMTP_PASSWORD.
type Email struct {
	SMTPHost string `yaml:"smtp_host"`
	// SMTPPort is 587 for starttls, 465 for tls, 25 for none when 0.
	SMTPPort int `yaml:"smtp_port"`
	// From is the sender, e.g. "Định danh điện tử <no-reply@id.example.gov.vn>".
	From     string `yaml:"from"`
	Username string `yaml:"username"`
	Password string `yaml:"-"`
	// TLS is starttls (submission, RFC 6409), tls (implicit TLS, RFC 8314)
	// or none (a relay on the same host only).
	TLS string `yaml:"tls"`
}

// Enabled reports whether notifications may go by e-mail.
func (e Email) Enabled() bool { return e.SMTPHost != "" }

// TLS serves HTTPS directly when both files are set.
type TLS struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Enabled reports whether the gateway terminates TLS itself.
func (t TLS) Enabled() bool { return t.CertFile != "" && t.KeyFile != "" }

// Database holds connection settings. URLs come from the environment
// (DATABASE_URL, DATABASE_MIGRATE_URL, DATABASE_READ_URL) because they
// carry passwords.
//
// With Patroni, URL lists every node and asks for the primary, e.g.
// postgres://dinhdanh_app:…@pg-0:5432,pg-1:5432/dinhdanh?target_session_attrs=read-write
// (pgx tries the hosts in order and keeps the one that takes writes; while
// the primary changes, the gateway answers 503 with Retry-After). Through
// PgBouncer in transaction pooling mode (1.18 keeps no prepared statements
// there), add default_query_exec_mode=cache_describe.
type Database struct {
	URL        string `yaml:"-"`
	MigrateURL string `yaml:"-"`
	// ReadURL (DATABASE_READ_URL, optional) is a streaming replica for
	// reads that tolerate lag: history pages and the signing keys' reload,
	// e.g. the same hosts with target_session_attrs=prefer-standby. The
	// application role; the pool is a quarter of max_conns (at least 2).
	ReadURL  string `yaml:"-"`
	MaxConns int32  `yaml:"max_conns"`
}

// Secrets are 32-byte keys, base64-encoded in the environment.
type Secrets struct {
	EncryptionKey []byte // encrypts TOTP secrets and signing keys at rest
	PairwiseKey   []byte // derives pairwise subject identifiers
	SecretPepper  []byte // keyed hash of client secrets
	AuditKey      []byte // seed of the audit checkpoint signing key
	SessionKey    []byte // keyed hashes of SMS codes and identifiers
	AdminToken    string // bearer token of the admin API
	// MetricsToken is the bearer token Prometheus scrapes /metrics with: one
	// credential per job, so a scraper's token opens nothing else.
	MetricsToken string
}

// Session configures browser sessions.
type Session struct {
	Lifetime    Duration `yaml:"lifetime"`
	IdleTimeout Duration `yaml:"idle_timeout"`
}

// Tokens configures token lifetimes.
type Tokens struct {
	AccessTTL  Duration `yaml:"access_ttl"`
	RefreshTTL Duration `yaml:"refresh_ttl"`
	IDTokenTTL Duration `yaml:"id_token_ttl"`
	CodeTTL    Duration `yaml:"code_ttl"`
}

// Keys configures signing key rotation.
type Keys struct {
	// ActivationDelay is how long a new key is published before it signs.
	ActivationDelay Duration `yaml:"activation_delay"`
}

// Argon2 holds the password hashing parameters and the admission control
// that bounds how many hashes run at once (argon2id is memory-hard: each
// hash holds MemoryKiB while it runs).
type Argon2 struct {
	MemoryKiB   uint32 `yaml:"memory_kib"`
	Iterations  uint32 `yaml:"iterations"`
	Parallelism uint8  `yaml:"parallelism"`
	// MemoryBudgetMiB is the memory that concurrent hashes may hold; the
	// number of hashing slots is memory_budget_mib*1024 / memory_kib (128
	// MiB / 19 MiB = 6 by default).
	MemoryBudgetMiB uint32 `yaml:"memory_budget_mib"`
	// MaxConcurrent, when positive, sets the slots instead of the budget.
	MaxConcurrent int `yaml:"max_concurrent"`
	// Queue is how many hashes may wait for a slot, each at most QueueWait;
	// beyond that the page answers 503 with Retry-After.
	Queue     int      `yaml:"queue"`
	QueueWait Duration `yaml:"queue_wait"`
}

// Slots is the number of argon2id hashes allowed to run at once.
func (a Argon2) Slots() int {
	if a.MaxConcurrent > 0 {
		return a.MaxConcurrent
	}
	if a.MemoryKiB == 0 {
		return 1
	}
	return max(1, int(uint64(a.MemoryBudgetMiB)*1024/uint64(a.MemoryKiB)))
}

// Lockout limits guessing of passwords and codes (accounts.LockoutPolicy
// explains each number).
type Lockout struct {
	// MaxPerAccount wrong passwords per (account, address), or per
	// (account, known device), within Window make that pair wait.
	MaxPerAccount int `yaml:"max_per_account"`
	// MaxPerAddress wrong attempts per address across accounts (unknown
	// devices) block the address.
	MaxPerAddress int      `yaml:"max_per_address"`
	Window        Duration `yaml:"window"`
	// AccountDelayAfter failures from unknown devices on one account are
	// free; each further one delays unknown devices (progressively).
	AccountDelayAfter int `yaml:"account_delay_after"`
	// HardLockAfter consecutive failures lock the account, notify the
	// citizen by SMS and are audited (NIST SP 800-63B §5.2.2: at most 100).
	HardLockAfter int `yaml:"hard_lock_after"`
	// GlobalPerMinute failures from unknown devices per minute across the
	// deployment count as spraying: unknown devices then wait before a try.
	GlobalPerMinute int `yaml:"global_failures_per_minute"`
	// RegistryBatchesPerHour caps the batches one registry push credential
	// may push per hour (a runaway sender's brake). Failed pushes are
	// limited per client address by MaxPerAddress within Window.
	RegistryBatchesPerHour int `yaml:"registry_batches_per_hour"`
}

// Consent configures consent records.
type Consent struct {
	TTL Duration `yaml:"ttl"`
}

// Audit configures the usage history.
type Audit struct {
	RetentionYears     int          `yaml:"retention_years"`
	CheckpointInterval Duration     `yaml:"checkpoint_interval"`
	Witness            AuditWitness `yaml:"witness"`
}

// AuditWitness says where checkpoints are published as they are made,
// outside the database (either, both or neither).
type AuditWitness struct {
	// File is an absolute path each checkpoint is appended to as a JSON
	// line (what `dinhdanh audit verify -checkpoints` reads). Put it
	// where the database's administrators cannot write.
	File string `yaml:"file"`
	// URL receives each checkpoint as a JSON POST; it must answer 2xx.
	URL string `yaml:"url"`
}

func (e Email) validate(devMode, sending bool, add func(key, msg string, args ...any)) {
	if !e.Enabled() {
		return
	}
	if a, err := mail.ParseAddress(e.From); err != nil || a.Address == "" {
		add("email.from", "must be an e-mail address, e.g. \"Định danh điện tử <no-reply@id.example.gov.vn>\", got %q", e.From)
	}
	if e.SMTPPort < 0 || e.SMTPPort > 65535 {
		add("email.smtp_port", "must be a TCP port, got %d", e.SMTPPort)
	}
	switch e.TLS {
	case "starttls", "tls":
	case "none":
		// Addresses and messages in clear, and a password if one is set:
		// only to a relay on this host, or on a developer's machine.
		if !devMode && !isLocalhost(e.SMTPHost) {
			add("email.tls", "none is allowed only for a relay on localhost outside dev mode, got host %q", e.SMTPHost)
		}
	default:
		add("email.tls", "must be starttls, tls or none, got %q", e.TLS)
	}
	if sending && e.Username != "" && e.Password == "" {
		add("DINHDANH_SMTP_PASSWORD", "is required when email.username is set")
	}
}

// Log configures operational logging.
type Log struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // json or text
}

// Reconcile schedules the vehicle-registry reconciliation (README,
// "Vehicle registry reconciliation").
type Reconcile struct {
	// VehiclesEvery runs `reconcile vehicles` from the serving gateway once
	// per period of this length (periods start at multiples of it, UTC:
	// 24h runs each day after midnight UTC); of several replicas one runs
	// each period. 0 (the default) turns the schedule off; `dinhdanh dev`
	// turns it on daily. At least 1h when on.
	VehiclesEvery Duration `yaml:"vehicles_every"`
}

// Duration is a time.Duration written as "15m" in YAML.
type Duration time.Duration

// UnmarshalYAML parses a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration (e.g. 15m, 12h)", n.Line, s)
	}
	*d = Duration(v)
	return nil
}

// D returns the time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Default is the configuration used when no file is given.
func Default() Config {
	return Config{
		Issuer:  "http://localhost:8080",
		Listen:  ":8080",
		DB:      Database{MaxConns: 64},
		Session: Session{Lifetime: Duration(12 * time.Hour), IdleTimeout: Duration(30 * time.Minute)},
		Tokens: Tokens{
			AccessTTL: Duration(10 * time.Minute), RefreshTTL: Duration(30 * 24 * time.Hour),
			IDTokenTTL: Duration(10 * time.Minute), CodeTTL: Duration(time.Minute),
		},
		Keys: Keys{ActivationDelay: Duration(24 * time.Hour)},
		Argon2: Argon2{
			MemoryKiB: 19 * 1024, Iterations: 2, Parallelism: 1,
			MemoryBudgetMiB: 128, Queue: 16, QueueWait: Duration(time.Second),
		},
		Lockout: Lockout{
			MaxPerAccount: 5, MaxPerAddress: 20, Window: Duration(15 * time.Minute),
			AccountDelayAfter: 10, HardLockAfter: 100, GlobalPerMinute: 300,
			RegistryBatchesPerHour: 3600,
		},
		Consent: Consent{TTL: Duration(365 * 24 * time.Hour)},
		Audit:   Audit{RetentionYears: 5, CheckpointInterval: Duration(time.Minute)},
		Log:     Log{Level: "info", Format: "json"},
		Email:   Email{TLS: "starttls"},
	}
}

// Load reads the YAML file at path (none when empty) over the defaults, then
// the environment, then validates. getenv is os.Getenv outside tests.
func Load(path string, getenv func(string) string) (Config, error) {
	cfg := Default()
	if path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("config: %w", err)
		}
		if err := Decode(bytes.NewReader(b), &cfg); err != nil {
			return cfg, fmt.Errorf("config: %s: %w", path, err)
		}
	}
	var errs []error
	cfg.DB.URL = readEnv(getenv, "DATABASE_URL", &errs)
	cfg.DB.MigrateURL = readEnv(getenv, "DATABASE_MIGRATE_URL", &errs)
	cfg.DB.ReadURL = readEnv(getenv, "DATABASE_READ_URL", &errs)
	if v := getenv("DINHDANH_ISSUER"); v != "" {
		cfg.Issuer = v
	}
	if v := getenv("DINHDANH_LISTEN"); v != "" {
		cfg.Listen = v
	}
	if v := getenv("DINHDANH_BENCH_AUDIT_OFF"); v != "" {
		off, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("DINHDANH_BENCH_AUDIT_OFF: want true or false, got %q", v))
		}
		cfg.BenchAuditOff = off
	}
	cfg.Secrets.EncryptionKey = readKey(getenv, "DINHDANH_ENCRYPTION_KEY", &errs)
	cfg.Secrets.PairwiseKey = readKey(getenv, "DINHDANH_PAIRWISE_KEY", &errs)
	cfg.Secrets.SecretPepper = readKey(getenv, "DINHDANH_SECRET_PEPPER", &errs)
	cfg.Secrets.AuditKey = readKey(getenv, "DINHDANH_AUDIT_KEY", &errs)
	cfg.Secrets.SessionKey = readKey(getenv, "DINHDANH_SESSION_KEY", &errs)
	cfg.Secrets.AdminToken = readEnv(getenv, "DINHDANH_ADMIN_TOKEN", &errs)
	cfg.Secrets.MetricsToken = readEnv(getenv, "DINHDANH_METRICS_TOKEN", &errs)
	cfg.SMS.Token = readEnv(getenv, "DINHDANH_SMS_TOKEN", &errs)
	cfg.Email.Password = readEnv(getenv, "DINHDANH_SMTP_PASSWORD", &errs)
	if len(errs) > 0 {
		return cfg, fmt.Errorf("config: %w", errors.Join(errs...))
	}
	return cfg, nil
}

// Decode decodes YAML strictly into cfg: unknown keys are errors.
func Decode(r io.Reader, cfg *Config) error {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

func readEnv(getenv func(string) string, name string, errs *[]error) string {
	if v := getenv(name); v != "" {
		return v
	}
	if f := getenv(name + "_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			*errs = append(*errs, fmt.Errorf("%s_FILE: %w", name, err))
			return ""
		}
		return strings.TrimSpace(string(b))
	}
	return ""
}

func readKey(getenv func(string) string, name string, errs *[]error) []byte {
	v := readEnv(getenv, name, errs)
	if v == "" {
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		b, err = base64.RawURLEncoding.DecodeString(v)
	}
	if err != nil || len(b) != 32 {
		*errs = append(*errs, fmt.Errorf("%s: must be 32 bytes, base64-encoded (openssl rand -base64 32)", name))
		return nil
	}
	return b
}

// Needs says what a command requires of the configuration.
type Needs struct {
	// DB: DATABASE_URL must be set (not for `dev`, which provisions its own).
	DB bool
	// Secrets: every key must be set (serving outside dev mode).
	Secrets bool
	// SMS: an SMS gateway must be configured (serving outside dev mode).
	SMS bool
	// Mail: the SMTP password must be set when the relay takes a username
	// (serving: the commands that send no mail, such as the migration and
	// the retention jobs, need not hold that credential).
	Mail bool
}

// Validate reports every invalid or missing value together, naming the key.
// MinAdminTokenLen is the shortest admin API token accepted outside dev
// mode: 32 characters, about 192 bits as base64 of random bytes.
const MinAdminTokenLen = 32

func (c Config) Validate(needs Needs) error {
	var errs []error
	add := func(key, msg string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", key, fmt.Sprintf(msg, args...)))
	}
	if u, err := url.Parse(c.Issuer); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		add("issuer", "must be an absolute http(s) URL, got %q", c.Issuer)
	} else {
		if u.Scheme == "http" && !isLocalhost(u.Hostname()) {
			add("issuer", "must use https outside localhost, got %q", c.Issuer)
		}
		if u.RawQuery != "" || u.Fragment != "" {
			add("issuer", "must not have a query or fragment")
		}
	}
	if c.Listen == "" {
		add("listen", "is required, e.g. \":8080\"")
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		add("tls", "cert_file and key_file go together")
	}
	if needs.DB && c.DB.URL == "" {
		add("DATABASE_URL", "is required (the application role's connection URL)")
	}
	if c.DB.MaxConns < 1 {
		add("database.max_conns", "must be at least 1")
	}
	if c.BenchAuditOff && !c.DevMode {
		// Every use of an account must leave its audit row in production;
		// the no-op exists only to measure the trail's cost.
		add("bench_audit_off", "turns the audit trail off for measurement only and is refused outside dev mode (dev_mode: true or dinhdanh dev)")
	}
	if needs.Secrets && !c.DevMode {
		for _, k := range []struct {
			name string
			v    []byte
		}{
			{"DINHDANH_ENCRYPTION_KEY", c.Secrets.EncryptionKey}, {"DINHDANH_PAIRWISE_KEY", c.Secrets.PairwiseKey},
			{"DINHDANH_SECRET_PEPPER", c.Secrets.SecretPepper}, {"DINHDANH_AUDIT_KEY", c.Secrets.AuditKey},
			{"DINHDANH_SESSION_KEY", c.Secrets.SessionKey},
		} {
			if len(k.v) == 0 {
				add(k.name, "is required outside dev mode (32 random bytes, base64)")
			}
		}
		// The admin token alone unlocks the relying-party registry and
		// officers' history lookups, and nothing throttles guesses at it.
		if t := c.Secrets.AdminToken; t != "" && len(t) < MinAdminTokenLen {
			add("DINHDANH_ADMIN_TOKEN", "must have at least %d characters (e.g. openssl rand -base64 32), got %d", MinAdminTokenLen, len(t))
		}
		if t := c.Secrets.MetricsToken; t != "" && len(t) < MinAdminTokenLen {
			add("DINHDANH_METRICS_TOKEN", "must have at least %d characters (e.g. openssl rand -base64 32), got %d", MinAdminTokenLen, len(t))
		}
		if t := c.Secrets.MetricsToken; t != "" && t == c.Secrets.AdminToken {
			add("DINHDANH_METRICS_TOKEN", "must differ from DINHDANH_ADMIN_TOKEN (one credential per job)")
		}
	}
	if needs.SMS && !c.DevMode {
		if u, err := url.Parse(c.SMS.WebhookURL); err != nil || u.Scheme != "https" || u.Host == "" {
			add("sms.webhook_url", "must be the https URL of the SMS gateway outside dev mode (one-time codes must reach citizens)")
		}
	}
	c.Email.validate(c.DevMode, needs.Mail, add)
	positive := map[string]Duration{
		"session.lifetime": c.Session.Lifetime, "session.idle_timeout": c.Session.IdleTimeout,
		"tokens.access_ttl": c.Tokens.AccessTTL, "tokens.refresh_ttl": c.Tokens.RefreshTTL,
		"tokens.id_token_ttl": c.Tokens.IDTokenTTL, "tokens.code_ttl": c.Tokens.CodeTTL,
		"lockout.window": c.Lockout.Window, "consent.ttl": c.Consent.TTL,
		"audit.checkpoint_interval": c.Audit.CheckpointInterval,
	}
	keys := make([]string, 0, len(positive))
	for k := range positive {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		if positive[key] <= 0 {
			add(key, "must be a positive duration")
		}
	}
	if c.Tokens.CodeTTL > Duration(10*time.Minute) {
		add("tokens.code_ttl", "must be at most 10m (RFC 6749 §4.1.2)")
	}
	if e := c.Reconcile.VehiclesEvery; e != 0 && e < Duration(time.Hour) {
		add("reconcile.vehicles_every", "must be 0 (off) or at least 1h, got %s", time.Duration(e))
	}
	if c.Keys.ActivationDelay < 0 {
		add("keys.activation_delay", "must not be negative")
	}
	if c.Argon2.MemoryKiB < 8*1024 {
		add("argon2.memory_kib", "must be at least 8192")
	}
	if c.Argon2.Iterations < 1 {
		add("argon2.iterations", "must be at least 1")
	}
	if c.Argon2.Parallelism < 1 {
		add("argon2.parallelism", "must be at least 1")
	}
	if c.Argon2.MaxConcurrent < 0 {
		add("argon2.max_concurrent", "must not be negative")
	}
	if c.Argon2.MaxConcurrent == 0 && uint64(c.Argon2.MemoryBudgetMiB)*1024 < uint64(c.Argon2.MemoryKiB) {
		add("argon2.memory_budget_mib", "must hold at least one hash (argon2.memory_kib / 1024)")
	}
	if c.Argon2.Queue < 0 {
		add("argon2.queue", "must not be negative")
	}
	if c.Argon2.QueueWait <= 0 || c.Argon2.QueueWait > Duration(10*time.Second) {
		add("argon2.queue_wait", "must be positive and at most 10s (a citizen waits that long for a page)")
	}
	if c.Lockout.MaxPerAccount < 1 {
		add("lockout.max_per_account", "must be at least 1")
	}
	if c.Lockout.MaxPerAddress < c.Lockout.MaxPerAccount {
		add("lockout.max_per_address", "must be at least lockout.max_per_account")
	}
	if c.Lockout.AccountDelayAfter < 1 {
		add("lockout.account_delay_after", "must be at least 1")
	}
	if c.Lockout.HardLockAfter <= c.Lockout.AccountDelayAfter || c.Lockout.HardLockAfter > 100 {
		add("lockout.hard_lock_after", "must be above lockout.account_delay_after and at most 100 (NIST SP 800-63B §5.2.2)")
	}
	if c.Lockout.GlobalPerMinute < 1 {
		add("lockout.global_failures_per_minute", "must be at least 1")
	}
	if c.Lockout.RegistryBatchesPerHour < 1 {
		add("lockout.registry_batches_per_hour", "must be at least 1")
	}
	if c.Audit.RetentionYears < 5 {
		add("audit.retention_years", "must be at least 5 (the law keeps each use for 5 years)")
	}
	if f := c.Audit.Witness.File; f != "" && !filepath.IsAbs(f) {
		add("audit.witness.file", "must be an absolute path, got %q", f)
	}
	if w := c.Audit.Witness.URL; w != "" {
		if u, err := url.Parse(w); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
			add("audit.witness.url", "must be an absolute http(s) URL, got %q", w)
		} else if u.Scheme == "http" && !isLocalhost(u.Hostname()) {
			add("audit.witness.url", "must use https outside localhost, got %q", w)
		}
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		add("log.level", "must be debug, info, warn or error, got %q", c.Log.Level)
	}
	switch c.Log.Format {
	case "json", "text":
	default:
		add("log.format", "must be json or text, got %q", c.Log.Format)
	}
	if len(errs) > 0 {
		return fmt.Errorf("invalid configuration:\n  %w", joinLines(errs))
	}
	return nil
}

func isLocalhost(h string) bool {
	return h == "localhost" || h == "127.0.0.1" || h == "::1" || strings.HasSuffix(h, ".localhost")
}

type lines []error

func (l lines) Error() string {
	s := make([]string, len(l))
	for i, e := range l {
		s[i] = e.Error()
	}
	return strings.Join(s, "\n  ")
}

func (l lines) Unwrap() []error { return l }

func joinLines(errs []error) error { return lines(errs) }
