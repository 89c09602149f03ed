package main

import (
	"bytes"
	"encoding/json"
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

// TestImportPopulationBatches: generated citizens straight into the
// database with progress as log lines (stderr is not a terminal) and the
// rate at the end; a file refused at its second batch keeps the first,
// names the bad line and the line to resume at, and resuming finishes it.
func TestImportPopulationBatches(t *testing.T) {
	db := toolEnv(t)
	count := func(table string) int {
		var n int
		require.NoError(t, db.Owner.QueryRow(t.Context(), "SELECT count(*) FROM "+table).Scan(&n))
		return n
	}
	out, errOut, err := ddErr(t, "import", "population", "-generate", "300", "-seed", "4", "-batch", "100")
	require.NoError(t, err)
	require.Regexp(t, `imported 300 people, \d+ documents, \d+ accounts \(0 already there\) in .*: \d+ rows/s, \d+ people/s; peak memory \d+ MB`, out)
	require.Regexp(t, `import population: \d+ rows \(100\.0% of 300 citizens\), \d+ rows/s`, errOut)
	require.Equal(t, 300, count("population"))
	require.Equal(t, 3, countEvents(t, db, "reason = 'population_import'"), "one event per batch")

	// A file of other citizens with a bad line 7 in the second batch of 5.
	var b bytes.Buffer
	recs := population.Generate(12, 9)
	for i := range recs {
		recs[i].Account = nil // the generated phones of seed 4 again
	}
	for i, r := range recs {
		line, err := json.Marshal(r)
		require.NoError(t, err)
		if i == 6 {
			line = []byte(`{"personal_id":"12","full_name":""}`)
		}
		b.Write(append(line, '\n'))
	}
	p := filepath.Join(t.TempDir(), "people.jsonl")
	require.NoError(t, os.WriteFile(p, b.Bytes(), 0o600))
	_, _, err = ddErr(t, "import", "-batch", "5", "population", p)
	require.ErrorContains(t, err, "lines 6-10 refused")
	require.ErrorContains(t, err, "line 7: ")
	require.ErrorContains(t, err, "resume with -resume-at 6")
	require.Equal(t, 305, count("population"), "the first batch stays")

	b.Reset()
	for _, r := range recs {
		line, err := json.Marshal(r)
		require.NoError(t, err)
		b.Write(append(line, '\n'))
	}
	require.NoError(t, os.WriteFile(p, b.Bytes(), 0o600))
	out, _, err = ddErr(t, "import", "population", "-batch", "5", "-resume-at", "6", p)
	require.NoError(t, err)
	require.Contains(t, out, "imported 7 people")
	require.Equal(t, 312, count("population"))
}
