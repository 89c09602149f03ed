package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dinhdanh/dinhdanh/audit/audittest"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/audit"
	auditpg "github.com/dinhdanh/dinhdanh/audit/postgres"
	"github.com/dinhdanh/dinhdanh/config"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

// tamper changes rows as a superuser who switched the append-only triggers
// off.
func tamper(t *testing.T, db *pgtest.DB, stmts ...string) {
	t.Helper()
	audittest.Tamper(t, db.Super(t), stmts...)
}

func TestAuditVerifyNamesTamperedEvent(t *testing.T) {
	db := toolEnv(t)
	out := dd(t, "audit", "verify")
	require.Contains(t, out, "audit chain intact: no events")

	for _, id := range []string{"svc-1", "svc-2", "svc-3"} {
		dd(t, "client", "create", "-id", id, "-name-vi", "Dịch vụ "+id, "-redirect-uri", "https://"+id+".example/cb")
	}
	out = dd(t, "audit", "verify")
	require.Contains(t, out, "audit chain intact: events 1..3")

	cps := filepath.Join(t.TempDir(), "checkpoints.jsonl")
	require.Contains(t, dd(t, "audit", "export-checkpoints", "-o", cps), "checkpoints (events up to 3)")
	b, err := os.ReadFile(cps)
	require.NoError(t, err)
	require.NotEmpty(t, b)
	require.Equal(t, string(b), dd(t, "audit", "export-checkpoints"), "the same lines on standard output")
	require.Contains(t, dd(t, "audit", "verify", "-checkpoints", cps), "checked against")

	tamper(t, db, "UPDATE audit_events SET actor_id = 'mallory' WHERE seq = 2")
	out, _, err = ddErr(t, "audit", "verify")
	require.ErrorContains(t, err, "audit chain broken: first bad event 2 (modified)")
	require.Contains(t, out, "BROKEN at event 2")
	require.Contains(t, out, "#2 client.changed")
	require.Contains(t, out, "by operator mallory")
	require.Contains(t, out, "client svc-2")

	out, _, err = ddErr(t, "audit", "verify", "-json")
	require.Error(t, err)
	var rep struct {
		OK      bool `json:"ok"`
		Problem struct {
			Kind  audit.ProblemKind `json:"kind"`
			Seq   int64             `json:"seq"`
			Event struct {
				ClientID string `json:"client_id"`
			} `json:"event"`
		} `json:"problem"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rep))
	require.False(t, rep.OK)
	require.Equal(t, audit.Modified, rep.Problem.Kind)
	require.Equal(t, int64(2), rep.Problem.Seq)
	require.Equal(t, "svc-2", rep.Problem.Event.ClientID)

	// Only the range after the last checkpoint before -from is read.
	_, _, err = ddErr(t, "audit", "verify", "-from", "3")
	require.NoError(t, err, "event 2 lies before a checkpoint covering it")
	_, _, err = ddErr(t, "audit", "verify", "-from", "5", "-to", "4")
	require.ErrorContains(t, err, "is not a range")

	// Nothing is past retention here, so retention has nothing to refuse.
	require.Contains(t, dd(t, "audit", "retain"), "nothing to drop")
}

// Deleting the end of the chain and the stored checkpoints is caught by the
// sealed head; deleting the seals that cover it too, by checkpoints
// exported before.
func TestAuditVerifyWithExportedCheckpoints(t *testing.T) {
	db := toolEnv(t)
	for _, id := range []string{"svc-1", "svc-2"} {
		dd(t, "client", "create", "-id", id, "-name-vi", "Dịch vụ", "-redirect-uri", "https://"+id+".example/cb")
	}
	cps := filepath.Join(t.TempDir(), "checkpoints.jsonl")
	dd(t, "audit", "export-checkpoints", "-o", cps)
	tamper(t, db, "DELETE FROM audit_events WHERE seq = 2", "DELETE FROM audit_checkpoints")
	_, _, err := ddErr(t, "audit", "verify")
	require.ErrorContains(t, err, "first bad event 2 (deleted)", "the sealed head covers event 2")
	tamper(t, db, "DELETE FROM audit_seals WHERE seq >= 2")
	require.Contains(t, dd(t, "audit", "verify"), "intact", "without the exported checkpoints the cut is invisible")
	_, _, err = ddErr(t, "audit", "verify", "-checkpoints", cps)
	require.ErrorContains(t, err, "first bad event 2 (deleted)")
}

func TestAuditRetainDropsExpiredPartitions(t *testing.T) {
	db := toolEnv(t)
	_, err := db.Owner.Exec(t.Context(), "SELECT audit_ensure_partition('2015-03-01')")
	require.NoError(t, err)
	out := dd(t, "audit", "retain")
	require.Contains(t, out, "dropped 1 partitions: audit_events_y2015m03")
	require.Contains(t, out, "held no events")
	require.Contains(t, out, "(audit.retention_applied)")
	require.Equal(t, 4, strings.Count(strings.SplitN(out, "\n", 2)[0], "audit_events_y"), "this month and 3 ahead: %s", out)
	require.Contains(t, dd(t, "audit", "retain"), "nothing to drop")
	require.Contains(t, dd(t, "audit", "verify"), "intact")

	t.Setenv("DATABASE_MIGRATE_URL", "")
	_, _, err = ddErr(t, "audit", "retain")
	require.ErrorContains(t, err, "DATABASE_MIGRATE_URL is required")
}

// serve and dev run the same maintenance at start and then daily.
func TestAuditMaintenanceRunsInTheBackground(t *testing.T) {
	db := toolEnv(t)
	_, err := db.Owner.Exec(t.Context(), "SELECT audit_ensure_partition('2015-03-01')")
	require.NoError(t, err)
	cfg, err := config.Load("", os.Getenv)
	require.NoError(t, err)
	stop, err := startAuditMaintenance(t.Context(), cfg, db.OwnerURL, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	defer stop()
	require.Eventually(t, func() bool {
		return countEvents(t, db, "type = 'audit.retention_applied' AND actor_kind = 'system'") == 1
	}, 10*time.Second, 50*time.Millisecond)
	var old *string
	require.NoError(t, db.Owner.QueryRow(t.Context(), "SELECT to_regclass('audit_events_y2015m03')::text").Scan(&old))
	require.Nil(t, old, "the expired partition is dropped")

	_, err = startAuditMaintenance(t.Context(), cfg, "postgres://nobody@127.0.0.1:1/x?connect_timeout=1", slog.New(slog.DiscardHandler))
	require.ErrorContains(t, err, "DATABASE_MIGRATE_URL")
}

func TestAuditPublicKey(t *testing.T) {
	toolEnv(t)
	out, errOut, err := ddErr(t, "audit", "public-key")
	require.NoError(t, err)
	ks, err := audit.ParsePublicKeys([]byte(out))
	require.NoError(t, err)
	require.Len(t, ks, 1)
	for id := range ks {
		require.Contains(t, errOut, id)
	}
	require.True(t, strings.HasPrefix(out, "-----BEGIN PUBLIC KEY-----"))
}

// The writer publishes each checkpoint to the witness file configured under
// audit.witness as it makes it; verify -checkpoints against that file
// catches a rewritten chain and a truncated one, which the database alone
// cannot once the seals and checkpoints are gone too.
func TestAuditVerifyAgainstTheWitness(t *testing.T) {
	db := toolEnv(t)
	dir := t.TempDir()
	witness := filepath.Join(dir, "witness.jsonl")
	cfg := filepath.Join(dir, "dinhdanh.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("audit:\n  witness:\n    file: "+witness+"\n"), 0o600))
	for _, id := range []string{"svc-1", "svc-2"} {
		dd(t, "client", "create", "-config", cfg, "-id", id, "-name-vi", "Dịch vụ", "-redirect-uri", "https://"+id+".example/cb")
	}
	b, err := os.ReadFile(witness)
	require.NoError(t, err)
	require.Equal(t, 2, strings.Count(string(b), "\n"), "each writer sealed a checkpoint on close: %s", b)
	require.Contains(t, dd(t, "audit", "verify", "-checkpoints", witness), "intact")

	// Rewrite event 1 and every later hash, and remove what in the
	// database would show it.
	var stmts []string
	var prev audit.Hash
	for en, err := range auditpg.NewStore(db.App, nil).Entries(t.Context(), 1, 1000) {
		require.NoError(t, err)
		if en.Seq == 1 {
			en.ClientID = "svc-9"
			stmts = append(stmts, "UPDATE audit_events SET client_id = 'svc-9' WHERE seq = 1")
		}
		en.Hash = audit.ComputeHash(prev, en)
		stmts = append(stmts, fmt.Sprintf(`UPDATE audit_events SET hash = '\x%s' WHERE seq = %d`, en.Hash, en.Seq))
		prev = en.Hash
	}
	tamper(t, db, stmts...)
	tamper(t, db, "DELETE FROM audit_checkpoints", "DELETE FROM audit_seals")
	_, _, err = ddErr(t, "audit", "verify", "-checkpoints", witness)
	require.ErrorContains(t, err, "first bad event 1 (rewritten)")

	tamper(t, db, "TRUNCATE audit_events", "TRUNCATE audit_checkpoints", "TRUNCATE audit_seals")
	require.Contains(t, dd(t, "audit", "verify"), "intact: no events", "the database alone cannot tell")
	out, _, err := ddErr(t, "audit", "verify", "-checkpoints", witness)
	require.ErrorContains(t, err, "first bad event 1 (deleted)")
	require.Contains(t, out, "truncated")
}
