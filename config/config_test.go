package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/config"
)

const key = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=" // 32 bytes

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func fullEnv() map[string]string {
	return map[string]string{
		"DATABASE_URL": "postgres://app@db/dinhdanh", "DINHDANH_ENCRYPTION_KEY": key, "DINHDANH_PAIRWISE_KEY": key,
		"DINHDANH_SECRET_PEPPER": key, "DINHDANH_AUDIT_KEY": key, "DINHDANH_SESSION_KEY": key,
		"DINHDANH_SMTP_PASSWORD": "smtp-secret",
	}
}

func write(t *testing.T, body string) string {
	p := filepath.Join(t.TempDir(), "c.yaml")
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

func TestExampleConfigIsValid(t *testing.T) {
	cfg, err := config.Load("example.yaml", env(fullEnv()))
	require.NoError(t, err)
	require.NoError(t, cfg.Validate(config.Needs{DB: true, Secrets: true, SMS: true}))
	require.Equal(t, "https://id.example.gov.vn", cfg.Issuer)
}

func TestUnknownKeyIsAnError(t *testing.T) {
	_, err := config.Load(write(t, "issuer: https://x.vn\nlisten: :1\nlistn: typo\n"), env(fullEnv()))
	require.ErrorContains(t, err, "listn")
}

func TestValidateReportsEveryProblemTogether(t *testing.T) {
	p := write(t, "issuer: http://id.example.vn\nlisten: \"\"\ntokens:\n  code_ttl: 1h\nargon2:\n  memory_kib: 10\nlog:\n  level: loud\nreconcile:\n  vehicles_every: 5m\n")
	cfg, err := config.Load(p, env(map[string]string{}))
	require.NoError(t, err)
	err = cfg.Validate(config.Needs{DB: true, Secrets: true, SMS: true})
	require.Error(t, err)
	for _, want := range []string{"issuer: must use https", "listen:", "tokens.code_ttl", "argon2.memory_kib", "log.level", "reconcile.vehicles_every", "DATABASE_URL", "DINHDANH_ENCRYPTION_KEY", "DINHDANH_AUDIT_KEY", "sms.webhook_url"} {
		require.Contains(t, err.Error(), want)
	}
}

func TestSecretsFromFilesAndBadKeys(t *testing.T) {
	e := fullEnv()
	delete(e, "DINHDANH_PAIRWISE_KEY")
	e["DINHDANH_PAIRWISE_KEY_FILE"] = write(t, key+"\n")
	e["DINHDANH_SECRET_PEPPER"] = "c2hvcnQ="
	_, err := config.Load("", env(e))
	require.ErrorContains(t, err, "DINHDANH_SECRET_PEPPER: must be 32 bytes")
	require.False(t, strings.Contains(err.Error(), "PAIRWISE"), err.Error())
}

func TestBadDurationNamesTheLine(t *testing.T) {
	_, err := config.Load(write(t, "session:\n  lifetime: forever\n"), env(fullEnv()))
	require.ErrorContains(t, err, "line 2")
}

// TestShortAdminTokenRefused: the admin token alone opens the client
// registry and officers' lookups, and guesses are not throttled.
func TestShortAdminTokenRefused(t *testing.T) {
	e := fullEnv()
	e["DINHDANH_ADMIN_TOKEN"] = "admin"
	cfg, err := config.Load("example.yaml", env(e))
	require.NoError(t, err)
	require.ErrorContains(t, cfg.Validate(config.Needs{DB: true, Secrets: true, SMS: true}), "DINHDANH_ADMIN_TOKEN")

	e["DINHDANH_ADMIN_TOKEN"] = "kX3v9q2mJ7tYb1LwZr8nC4pHs6dFg0aQ"
	cfg, err = config.Load("example.yaml", env(e))
	require.NoError(t, err)
	require.NoError(t, cfg.Validate(config.Needs{DB: true, Secrets: true, SMS: true}))

	delete(e, "DINHDANH_ADMIN_TOKEN")
	cfg, err = config.Load("example.yaml", env(e))
	require.NoError(t, err)
	require.NoError(t, cfg.Validate(config.Needs{DB: true, Secrets: true, SMS: true}), "no token: no admin API")
}

// TestMetricsTokenIsItsOwnCredential: the scrape token is as long as the
// admin token and never the same one.
func TestMetricsTokenIsItsOwnCredential(t *testing.T) {
	needs := config.Needs{DB: true, Secrets: true, SMS: true}
	e := fullEnv()
	e["DINHDANH_ADMIN_TOKEN"] = "kX3v9q2mJ7tYb1LwZr8nC4pHs6dFg0aQ"
	for _, tc := range []struct{ token, want string }{
		{e["DINHDANH_ADMIN_TOKEN"], "must differ"},
		{"short", "at least"},
		{"Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3Jhdg", ""},
	} {
		e["DINHDANH_METRICS_TOKEN"] = tc.token
		cfg, err := config.Load("example.yaml", env(e))
		require.NoError(t, err)
		err = cfg.Validate(needs)
		if tc.want == "" {
			require.NoError(t, err)
			require.Equal(t, tc.token, cfg.Secrets.MetricsToken)
			continue
		}
		require.ErrorContains(t, err, "DINHDANH_METRICS_TOKEN")
		require.ErrorContains(t, err, tc.want)
	}
}

func TestAdmissionAndThrottleKeysAreChecked(t *testing.T) {
	cfg := config.Default()
	require.Equal(t, 6, cfg.Argon2.Slots(), "128 MiB / 19 MiB")
	cfg.Argon2.MaxConcurrent = 3
	require.Equal(t, 3, cfg.Argon2.Slots())

	cfg = config.Default()
	cfg.Argon2.MemoryBudgetMiB = 8
	cfg.Argon2.Queue = -1
	cfg.Argon2.QueueWait = 0
	cfg.Lockout.HardLockAfter = 101
	cfg.Lockout.GlobalPerMinute = 0
	err := cfg.Validate(config.Needs{})
	require.Error(t, err)
	for _, want := range []string{"argon2.memory_budget_mib", "argon2.queue:", "argon2.queue_wait", "lockout.hard_lock_after", "lockout.global_failures_per_minute"} {
		require.Contains(t, err.Error(), want)
	}
}

func TestAuditWitness(t *testing.T) {
	p := write(t, "issuer: https://id.example.vn\nlisten: :1\naudit:\n  witness:\n    file: /var/lib/witness/audit.jsonl\n    url: https://witness.example.vn/checkpoints\n")
	cfg, err := config.Load(p, env(fullEnv()))
	require.NoError(t, err)
	require.NoError(t, cfg.Validate(config.Needs{DB: true, Secrets: true}))
	require.Equal(t, "/var/lib/witness/audit.jsonl", cfg.Audit.Witness.File)
	require.Equal(t, "https://witness.example.vn/checkpoints", cfg.Audit.Witness.URL)

	p = write(t, "issuer: https://id.example.vn\nlisten: :1\naudit:\n  witness:\n    file: audit.jsonl\n    url: http://witness.example.vn/\n")
	cfg, err = config.Load(p, env(fullEnv()))
	require.NoError(t, err)
	err = cfg.Validate(config.Needs{DB: true, Secrets: true})
	require.ErrorContains(t, err, "audit.witness.file: must be an absolute path")
	require.ErrorContains(t, err, "audit.witness.url: must use https outside localhost")

	_, err = config.Load(write(t, "audit:\n  witness:\n    fil: /x\n"), env(fullEnv()))
	require.ErrorContains(t, err, "fil")
}

func TestEmail(t *testing.T) {
	cfg, err := config.Load("example.yaml", env(fullEnv()))
	require.NoError(t, err)
	require.True(t, cfg.Email.Enabled())
	require.Equal(t, config.Email{SMTPHost: "smtp.example.gov.vn", SMTPPort: 587, From: "Định danh điện tử <no-reply@id.example.gov.vn>",
		Username: "dinhdanh", Password: "smtp-secret", TLS: "starttls"}, cfg.Email)

	// Off by default.
	cfg, err = config.Load("", env(fullEnv()))
	require.NoError(t, err)
	require.False(t, cfg.Email.Enabled())

	e := fullEnv()
	delete(e, "DINHDANH_SMTP_PASSWORD")
	p := write(t, "issuer: https://id.example.vn\nlisten: :1\nemail:\n  smtp_host: mail.example.vn\n  from: nobody\n  username: u\n  tls: none\n  smtp_port: 70000\n")
	cfg, err = config.Load(p, env(e))
	require.NoError(t, err)
	err = cfg.Validate(config.Needs{DB: true, Secrets: true, Mail: true})
	for _, want := range []string{"email.from", "email.smtp_port", "email.tls: none is allowed only", "DINHDANH_SMTP_PASSWORD"} {
		require.ErrorContains(t, err, want)
	}
	// A command that sends no mail (the migration, retention) need not
	// hold the SMTP password.
	err = cfg.Validate(config.Needs{DB: true, Secrets: true})
	require.ErrorContains(t, err, "email.from")
	require.NotContains(t, err.Error(), "DINHDANH_SMTP_PASSWORD")
	p = write(t, "issuer: https://id.example.vn\nlisten: :1\nemail:\n  smtp_host: localhost\n  from: no-reply@id.example.vn\n  tls: none\n")
	cfg, err = config.Load(p, env(e))
	require.NoError(t, err)
	require.NoError(t, cfg.Validate(config.Needs{DB: true, Secrets: true}))
	p = write(t, "issuer: https://id.example.vn\nlisten: :1\nemail:\n  smtp_host: mail.example.vn\n  from: no-reply@id.example.vn\n  tls: ssl\n")
	cfg, err = config.Load(p, env(e))
	require.NoError(t, err)
	require.ErrorContains(t, cfg.Validate(config.Needs{DB: true, Secrets: true}), "email.tls: must be starttls, tls or none")
}

// TestBenchAuditOffOnlyInDevMode: the counting no-op in place of the audit
// trail is for measurement only; outside dev mode the configuration is
// refused, from the file or the environment.
func TestBenchAuditOffOnlyInDevMode(t *testing.T) {
	needs := config.Needs{DB: true, Secrets: true}
	for _, tc := range []struct {
		name, yaml string
		env        map[string]string
		wantErr    string
	}{
		{name: "off by default", yaml: "issuer: https://id.example.vn\nlisten: :1\n"},
		{name: "refused outside dev mode", yaml: "issuer: https://id.example.vn\nlisten: :1\nbench_audit_off: true\n",
			wantErr: "bench_audit_off: turns the audit trail off for measurement only and is refused outside dev mode"},
		{name: "refused from the environment outside dev mode", yaml: "issuer: https://id.example.vn\nlisten: :1\n",
			env: map[string]string{"DINHDANH_BENCH_AUDIT_OFF": "true"}, wantErr: "bench_audit_off: "},
		{name: "accepted in dev mode", yaml: "issuer: http://localhost:8080\nlisten: :1\ndev_mode: true\nbench_audit_off: true\n"},
		{name: "accepted from the environment in dev mode", yaml: "issuer: http://localhost:8080\nlisten: :1\ndev_mode: true\n",
			env: map[string]string{"DINHDANH_BENCH_AUDIT_OFF": "1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := fullEnv()
			for k, v := range tc.env {
				e[k] = v
			}
			cfg, err := config.Load(write(t, tc.yaml), env(e))
			require.NoError(t, err)
			err = cfg.Validate(needs)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, strings.Contains(tc.name, "accepted"), cfg.BenchAuditOff)
		})
	}

	_, err := config.Load("", env(map[string]string{"DINHDANH_BENCH_AUDIT_OFF": "maybe"}))
	require.ErrorContains(t, err, "DINHDANH_BENCH_AUDIT_OFF")
}
