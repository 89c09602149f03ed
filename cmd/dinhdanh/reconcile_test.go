package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReconcileCommand(t *testing.T) {
	db := toolEnv(t)
	ctx := t.Context()
	_, err := db.App.Exec(ctx, `INSERT INTO population (personal_id, full_name, birth_date, gender, nationality, street, ward, district, province)
		VALUES ('001190000002', 'Trần Thị Bình', '1990-05-06', 'female', 'VN', '5 Kim Mã', 'Kim Mã', 'Ba Đình', 'Hà Nội')`)
	require.NoError(t, err)
	_, err = db.App.Exec(ctx, `INSERT INTO vehicle_records (number, owner_id, owner_name, owner_birth_date, owner_street, owner_ward, owner_district, owner_province, status) VALUES
		('29A-00002', '', 'Trần Thị Bình', '1990-05-06', '5 Kim Mã', 'Kim Mã', 'Ba Đình', 'Hà Nội', 'active'),
		('29A-00005', '12345', 'Trần Thị Bình', '1990-05-06', '', '', '', 'Hà Nội', 'active'),
		('29A-00013', 'bad', 'Trần Thị Bình', '1990-05-06', '', '', '', 'Hà Nội', 'retired')`)
	require.NoError(t, err)

	csvPath := filepath.Join(t.TempDir(), "report.csv")
	out := dd(t, "reconcile", "vehicles", "-batch", "2", "-csv", csvPath)
	require.Contains(t, out, "run 1: 3 vehicle records")
	b, err := os.ReadFile(csvPath)
	require.NoError(t, err)
	require.Equal(t, "province,kind,count\nHà Nội,completed,1\nHà Nội,wrong_id,1\nHà Nội,retired,1\n", string(b))
	require.Equal(t, string(b), dd(t, "reconcile", "report"))
	require.Contains(t, dd(t, "reconcile", "findings", "-run", "1", "-actor", "bob"), "29A-00005,wrong_id,not 12 digits,Hà Nội,12345,12345,")
	// The findings hold owners' ID numbers: the export is audited (the
	// report, figures only, is not).
	require.Equal(t, 1, countEvents(t, db, `type = 'operator.action' AND reason = 'reconcile.findings_exported' AND actor_kind = 'operator' AND actor_id = 'bob'
		AND detail->>'run' = '1' AND detail->>'rows' = '3'`))

	require.Contains(t, dd(t, "reconcile", "undo", "1", "-vehicle", "29A-00002"), "1 owner ID number(s) restored")
	var owner string
	require.NoError(t, db.App.QueryRow(ctx, `SELECT owner_id FROM vehicle_records WHERE number = '29A-00002'`).Scan(&owner))
	require.Empty(t, owner)
	var audited int
	require.NoError(t, db.App.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE reason IN ('reconcile.vehicles', 'reconcile.undo')`).Scan(&audited))
	require.Equal(t, 2, audited)

	_, _, err = ddErr(t, "reconcile", "undo", "x")
	require.ErrorContains(t, err, "RUN must be a run id")
	_, _, err = ddErr(t, "reconcile", "nonsense")
	require.ErrorContains(t, err, "usage:")
}
