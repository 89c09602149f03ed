package pg_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/gateway/schema"
	"github.com/dinhdanh/dinhdanh/internal/pg"
	"github.com/dinhdanh/dinhdanh/testsupport/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func TestCollectRejectsBadNames(t *testing.T) {
	cases := []struct {
		name  string
		files fstest.MapFS
		err   string
	}{
		{"no timestamp", fstest.MapFS{"init.sql": {Data: []byte("SELECT 1")}}, "name must be"},
		{"short timestamp", fstest.MapFS{"2026_init.sql": {Data: []byte("SELECT 1")}}, "name must be"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pg.Collect(pg.Source{Domain: "x", FS: tc.files})
			require.ErrorContains(t, err, tc.err)
		})
	}
	dup := fstest.MapFS{"20260101000000_a.sql": {Data: []byte("SELECT 1")}}
	_, err := pg.Collect(pg.Source{Domain: "a", FS: dup}, pg.Source{Domain: "b", FS: dup})
	require.ErrorContains(t, err, "used by both")
}

func TestMigrateIsIdempotentAndOrdered(t *testing.T) {
	db := pgtest.New(t)
	ctx := t.Context()
	extra := pg.Source{Domain: "extra", FS: fstest.MapFS{
		"20990101000001_second.sql": {Data: []byte("INSERT INTO mig_probe VALUES (2)")},
		"20990101000000_first.sql":  {Data: []byte("CREATE TABLE mig_probe (n int); INSERT INTO mig_probe VALUES (1)")},
	}}
	sources := append(schema.Sources(), extra)
	err := pg.CheckCurrent(ctx, db.Owner, sources...)
	require.ErrorIs(t, err, pg.ErrOutdatedSchema)
	require.ErrorContains(t, err, "extra/20990101000000_first.sql")

	done, err := pg.Migrate(ctx, db.Owner, sources...)
	require.NoError(t, err)
	require.Len(t, done, 2)
	require.Equal(t, "20990101000000", done[0].Version)
	done, err = pg.Migrate(ctx, db.Owner, sources...)
	require.NoError(t, err)
	require.Empty(t, done)
	require.NoError(t, pg.CheckCurrent(ctx, db.App, sources...))
	var n int
	require.NoError(t, db.Owner.QueryRow(ctx, "SELECT sum(n) FROM mig_probe").Scan(&n))
	require.Equal(t, 3, n)
}

func TestMigrateFailureRollsBackThatFile(t *testing.T) {
	db := pgtest.New(t)
	ctx := t.Context()
	bad := pg.Source{Domain: "bad", FS: fstest.MapFS{
		"20990101000000_bad.sql": {Data: []byte("CREATE TABLE half_done (n int); SELECT nonsense_column FROM half_done")},
	}}
	_, err := pg.Migrate(ctx, db.Owner, append(schema.Sources(), bad)...)
	require.ErrorContains(t, err, "bad/20990101000000_bad.sql")
	var exists bool
	require.NoError(t, db.Owner.QueryRow(ctx, "SELECT to_regclass('half_done') IS NOT NULL").Scan(&exists))
	require.False(t, exists, "a failed migration must leave nothing behind")
}

func TestConcurrentMigrationsDoNotRace(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	src := pg.Source{Domain: "race", FS: fstest.MapFS{
		"20990101000000_once.sql": {Data: []byte("CREATE TABLE created_once (n int)")},
	}}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = pg.Migrate(ctx, db.Owner, append(schema.Sources(), src)...)
		}()
	}
	wg.Wait()
	require.NoError(t, errors.Join(errs...))
}

func TestAppRoleCannotCreateTables(t *testing.T) {
	db := pgtest.New(t)
	_, err := db.App.Exec(t.Context(), "CREATE TABLE sneaky (n int)")
	require.Error(t, err)
}
