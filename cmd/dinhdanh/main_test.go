package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestServeRefusesInvalidConfigNamingEveryKey(t *testing.T) {
	p := filepath.Join(t.TempDir(), "bad.yaml")
	require.NoError(t, os.WriteFile(p, []byte("issuer: ftp://x\nlisten: \"\"\nlockout:\n  max_per_account: 0\n"), 0o600))
	for _, k := range []string{"DATABASE_URL", "DINHDANH_ENCRYPTION_KEY"} {
		t.Setenv(k, "")
	}
	var out, errb bytes.Buffer
	err := run(t.Context(), []string{"serve", "-config", p}, &out, &errb)
	require.Error(t, err)
	for _, want := range []string{"issuer:", "listen:", "lockout.max_per_account", "DATABASE_URL", "DINHDANH_ENCRYPTION_KEY"} {
		require.Contains(t, err.Error(), want)
	}
}

func TestUnknownCommand(t *testing.T) {
	var out, errb bytes.Buffer
	require.ErrorContains(t, run(t.Context(), []string{"frobnicate"}, &out, &errb), "unknown command")
	require.Contains(t, errb.String(), "Usage:")
}

func TestMigrateUpAndStatus(t *testing.T) {
	db := pgtest.New(t)
	t.Setenv("DATABASE_MIGRATE_URL", db.OwnerURL)
	var out, errb bytes.Buffer
	require.NoError(t, run(t.Context(), []string{"migrate", "up"}, &out, &errb))
	require.Contains(t, out.String(), "schema is up to date")
	out.Reset()
	require.NoError(t, run(t.Context(), []string{"migrate", "status"}, &out, &errb))
	require.Contains(t, out.String(), "0 pending")
}

func TestServeRefusesOutdatedSchema(t *testing.T) {
	db := pgtest.New(t)
	_, err := db.Owner.Exec(t.Context(), "DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)")
	require.NoError(t, err)
	t.Setenv("DATABASE_URL", db.AppURL)
	t.Setenv("DINHDANH_ISSUER", "http://localhost:0")
	p := filepath.Join(t.TempDir(), "dev.yaml")
	require.NoError(t, os.WriteFile(p, []byte("dev_mode: true\nlisten: 127.0.0.1:0\n"), 0o600))
	var out, errb bytes.Buffer
	err = run(t.Context(), []string{"serve", "-config", p}, &out, &errb)
	require.ErrorContains(t, err, "dinhdanh migrate up")
}

// TestHelpAndVersion: asking for help is no failure, on any command, and
// the binary says what it is.
func TestHelpAndVersion(t *testing.T) {
	tests := []struct {
		args []string
		// want is in stdout or stderr (flag sets print their flags to
		// stderr).
		want string
	}{
		{[]string{"-h"}, "Usage:"},
		{[]string{"help"}, "Usage:"},
		{[]string{"client", "-h"}, "dinhdanh client create"},
		{[]string{"audit", "--help"}, "dinhdanh audit verify"},
		{[]string{"dev", "-h"}, "-demo-rp"},
		{[]string{"serve", "-h"}, "-config"},
		{[]string{"client", "create", "-h"}, "-redirect-uri"},
		{[]string{"version"}, "dinhdanh "},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			var out, errb bytes.Buffer
			require.NoError(t, run(t.Context(), tc.args, &out, &errb))
			require.Contains(t, out.String()+errb.String(), tc.want)
		})
	}
}

func TestDemoRPURL(t *testing.T) {
	tests := []struct{ listen, want string }{
		{":8081", "http://localhost:8081"},
		{"127.0.0.1:8081", "http://127.0.0.1:8081"},
		{"0.0.0.0:9000", "http://localhost:9000"},
		{"[::1]:8081", "http://[::1]:8081"},
		{"rp.local:80", "http://rp.local:80"},
	}
	for _, tc := range tests {
		got, err := demoRPURL(tc.listen)
		require.NoError(t, err, tc.listen)
		require.Equal(t, tc.want, got)
	}
	for _, bad := range []string{"8081", "", "localhost"} {
		_, err := demoRPURL(bad)
		require.Error(t, err, bad)
	}
}

// TestServeRefusesTheOwnersCredentials: one credential per job; the
// serving replicas never hold the schema owner's.
func TestServeRefusesTheOwnersCredentials(t *testing.T) {
	db := pgtest.New(t)
	t.Setenv("DATABASE_URL", db.AppURL)
	t.Setenv("DATABASE_MIGRATE_URL", db.OwnerURL)
	for _, k := range []string{"DINHDANH_ENCRYPTION_KEY", "DINHDANH_PAIRWISE_KEY", "DINHDANH_SECRET_PEPPER", "DINHDANH_AUDIT_KEY", "DINHDANH_SESSION_KEY"} {
		t.Setenv(k, "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	}
	p := filepath.Join(t.TempDir(), "prod.yaml")
	require.NoError(t, os.WriteFile(p, []byte("issuer: https://id.example.gov.vn\nlisten: 127.0.0.1:0\nsms:\n  webhook_url: https://sms.example.gov.vn/send\n"), 0o600))
	var out, errb bytes.Buffer
	err := run(t.Context(), []string{"serve", "-config", p}, &out, &errb)
	require.ErrorContains(t, err, "must not hold the schema owner's credentials")
}
