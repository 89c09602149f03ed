package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/population"
)

func TestImportWritesNothingWhenALineIsBad(t *testing.T) {
	db := toolEnv(t)
	count := func(table string) int {
		var n int
		require.NoError(t, db.Owner.QueryRow(t.Context(), "SELECT count(*) FROM "+table).Scan(&n))
		return n
	}
	good := population.DemoFile()
	lines := bytes.Count(good, []byte("\n"))
	bad := append(append([]byte{}, good...), []byte(`{"personal_id":"12","full_name":""}`+"\n")...)
	p := filepath.Join(t.TempDir(), "people.jsonl")
	require.NoError(t, os.WriteFile(p, bad, 0o600))

	_, _, err := ddErr(t, "import", "population", p)
	require.ErrorContains(t, err, fmt.Sprintf("line %d", lines+1))
	require.Zero(t, count("population"), "the good lines are not written either")
	require.Zero(t, count("accounts"))
	require.Zero(t, countEvents(t, db, "reason = 'population_import'"))

	_, _, err = ddErr(t, "import", "population", filepath.Join(t.TempDir(), "people.xlsx"))
	require.Error(t, err)
	_, _, err = ddErr(t, "import", "people", p)
	require.ErrorContains(t, err, "usage: dinhdanh import")

	importDemo(t)
	require.NotZero(t, count("population"))
	require.NotZero(t, count("accounts"))
	require.Equal(t, 1, countEvents(t, db, "reason = 'population_import'"))
}

func TestImportRefusesOutdatedSchema(t *testing.T) {
	db := toolEnv(t)
	_, err := db.Owner.Exec(t.Context(), "DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)")
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "people.jsonl")
	require.NoError(t, os.WriteFile(p, population.DemoFile(), 0o600))
	_, _, err = ddErr(t, "import", "population", p)
	require.ErrorContains(t, err, "dinhdanh migrate up")
}

func TestImportForeigners(t *testing.T) {
	db := toolEnv(t)
	count := func() int {
		var n int
		require.NoError(t, db.Owner.QueryRow(t.Context(), "SELECT count(*) FROM foreign_residents").Scan(&n))
		return n
	}
	good := population.DemoForeignersFile()
	lines := bytes.Count(good, []byte("\n"))
	bad := append(append([]byte{}, good...), []byte(`{"id":"12","passport_no":""}`+"\n")...)
	p := filepath.Join(t.TempDir(), "foreigners.jsonl")
	require.NoError(t, os.WriteFile(p, bad, 0o600))
	_, _, err := ddErr(t, "import", "foreigners", p)
	require.ErrorContains(t, err, fmt.Sprintf("line %d", lines+1))
	require.Zero(t, count())
	require.Zero(t, countEvents(t, db, "reason = 'foreigners_import'"))

	require.NoError(t, os.WriteFile(p, good, 0o600))
	out, _, err := ddErr(t, "import", "foreigners", p)
	require.NoError(t, err)
	require.Contains(t, out, fmt.Sprintf("imported %d foreign residents", lines))
	require.Equal(t, lines, count())
	require.Equal(t, 1, countEvents(t, db, "reason = 'foreigners_import'"))
}
