package population_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dinhdanh/dinhdanh/population"
)

// jsonl writes records as a JSON-lines file.
func jsonl(t *testing.T, recs []population.Record) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	for _, r := range recs {
		require.NoError(t, enc.Encode(r))
	}
	return b.Bytes()
}

// TestGeneratorBoundedAndSame: a Generator gives Generate's citizens one at
// a time, with unique personal id numbers, account phones and document
// numbers, and the documents come from their own stream, so the people are
// the same with or without them.
func TestGeneratorBoundedAndSame(t *testing.T) {
	t.Parallel()
	const n = 5000
	want := population.Generate(n, 7)
	plain := population.NewGenerator(7, population.GenerateOptions{})
	withDocs := population.NewGenerator(7, population.GenerateOptions{Documents: true})
	pids, phones, docs := map[string]bool{}, map[string]bool{}, map[string]bool{}
	kinds := map[string]int{}
	for i := range n {
		p, d := plain.Next(), withDocs.Next()
		require.Equal(t, want[i], p)
		got := d.Documents
		d.Documents = nil
		require.Equal(t, want[i], d, "citizen %d", i)
		require.False(t, pids[p.PersonalID], "personal id %s twice", p.PersonalID)
		pids[p.PersonalID] = true
		if p.Account != nil {
			require.False(t, phones[p.Phone])
			phones[p.Phone] = true
		}
		for _, doc := range got {
			k := doc.Kind + "/" + doc.Number
			require.False(t, docs[k], "document %s twice", k)
			docs[k] = true
			kinds[doc.Kind]++
		}
	}
	// About a third of the ~88% adults have a licence, a fifth a vehicle.
	require.InDelta(t, n*0.88/3, kinds["driving_licence"], n*0.05)
	require.InDelta(t, n*0.88/5, kinds["vehicle_registration"], n*0.05)
}

// TestImportBatches: a file is written batch by batch; a bad line stops
// the import at its batch with nothing of that batch written, the earlier
// batches kept, and the line to resume at; resuming there once the line is
// fixed finishes the import, and a whole re-run changes nothing.
func TestImportBatches(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	recs := population.Generate(250, 11)
	bad := recs[130] // line 131, in the third batch of 50
	bad.BirthDate = "1990-02-30"
	broken := append(append(append([]population.Record{}, recs[:130]...), bad), recs[131:]...)

	var progress []population.BatchProgress
	opts := population.BatchOptions{Lines: 50, Progress: func(p population.BatchProgress) { progress = append(progress, p) }}
	_, err := population.ImportBatches(ctx, f.dst, bytes.NewReader(jsonl(t, broken)), population.JSONLines, opts)
	var be *population.BatchError
	require.ErrorAs(t, err, &be)
	require.Equal(t, 101, be.FirstLine)
	require.Equal(t, 150, be.LastLine)
	require.Equal(t, 101, be.ResumeAt)
	require.Equal(t, 100, be.DoneLine)
	require.Equal(t, 100, be.Done.People)
	require.Contains(t, err.Error(), "line 131: birth_date \"1990-02-30\" is not a date")
	require.Contains(t, err.Error(), "resume with -resume-at 101")
	require.Equal(t, 100, f.count(t, "population"), "two batches written, nothing of the bad one")
	require.Len(t, progress, 2)
	require.Equal(t, 100, progress[1].Line)
	var lines []string
	for _, e := range f.env.Audit.Events() {
		if e.Reason == "population_import" {
			lines = append(lines, e.Detail["first_line"]+"-"+e.Detail["last_line"])
		}
	}
	require.Equal(t, []string{"1-50", "51-100"}, lines, "one audit event per committed batch, naming its lines")

	// Fixed, resumed at the line it named.
	rep, err := population.ImportBatches(ctx, f.dst, bytes.NewReader(jsonl(t, recs)), population.JSONLines,
		population.BatchOptions{Lines: 50, ResumeAt: be.ResumeAt})
	require.NoError(t, err)
	require.Equal(t, 150, rep.People)
	require.Equal(t, 250, f.count(t, "population"))
	accountsBefore := f.count(t, "accounts")

	// A whole re-run: people replaced, accounts kept.
	rep, err = population.ImportBatches(ctx, f.dst, bytes.NewReader(jsonl(t, recs)), population.JSONLines, population.BatchOptions{Lines: 64})
	require.NoError(t, err)
	require.Equal(t, 250, rep.People)
	require.Zero(t, rep.Accounts)
	require.Equal(t, accountsBefore, rep.AccountsSkipped)
	require.Equal(t, 250, f.count(t, "population"))
	require.Equal(t, accountsBefore, f.count(t, "accounts"))
}

// TestImportBatchesRefusals: what stops a batch, each naming its line(s).
func TestImportBatchesRefusals(t *testing.T) {
	t.Parallel()
	recs := population.Generate(40, 12)
	var child int
	for i, r := range recs {
		if r.GuardianID != "" {
			child = i
			break
		}
	}
	require.NotZero(t, child)
	phoneTaken := population.Generate(40, 13)
	for i := range phoneTaken {
		if phoneTaken[i].Account != nil {
			// Another person's account on the phone of recs' first account.
			for _, r := range recs {
				if r.Account != nil {
					phoneTaken[i].Phone = r.Phone
					break
				}
			}
			break
		}
	}
	cases := []struct {
		name string
		file []byte
		fmt  population.Format
		want []string
	}{
		{"not JSON", []byte(string(jsonl(t, recs[:3])) + "{\"personal_id\": \n"), population.JSONLines, []string{"line 4: not a valid record"}},
		{"duplicate in a batch", jsonl(t, append(recs[:5:5], recs[2])), population.JSONLines, []string{"line 6: personal_id " + recs[2].PersonalID + " already on line 3"}},
		{"child before guardian in another batch", jsonl(t, []population.Record{recs[child]}), population.JSONLines, []string{"line 1: guardian_id", "neither in the file nor in the registry"}},
		{"bad CSV header", []byte("personal_id,name\n"), population.CSV, []string{"lines 1-1 refused", "line 1: unknown column \"name\""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t)
			_, err := population.ImportBatches(t.Context(), f.dst, bytes.NewReader(tc.file), tc.fmt, population.BatchOptions{Lines: 10})
			var be *population.BatchError
			require.ErrorAs(t, err, &be)
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
			require.Zero(t, f.count(t, "population"))
		})
	}
	t.Run("phone held by another account", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		ctx := t.Context()
		_, err := population.ImportBatches(ctx, f.dst, bytes.NewReader(jsonl(t, recs)), population.JSONLines, population.BatchOptions{})
		require.NoError(t, err)
		_, err = population.ImportBatches(ctx, f.dst, bytes.NewReader(jsonl(t, phoneTaken)), population.JSONLines, population.BatchOptions{Lines: 10})
		var be *population.BatchError
		require.ErrorAs(t, err, &be)
		require.Equal(t, 1, be.FirstLine)
		require.ErrorContains(t, err, "lines 1-10 refused")
		require.Regexp(t, `line \d+: account: phone \+8498\d+ is held by another citizen's account`, err.Error())
		require.Equal(t, 40, f.count(t, "population"), "nothing of the second file")
	})
	t.Run("cancelled", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := population.ImportBatches(ctx, f.dst, bytes.NewReader(jsonl(t, recs)), population.JSONLines, population.BatchOptions{Lines: 10})
		require.Error(t, err)
		require.ErrorIs(t, err, context.Canceled)
		require.ErrorContains(t, err, "lines 1-10 interrupted, nothing of them or after them written; resume with -resume-at 1")
		require.Zero(t, f.count(t, "population"))
	})
}

// TestImportGenerated: generated citizens go in batches like a file's
// lines, documents included, and a second run changes nothing.
func TestImportGenerated(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := t.Context()
	var last population.BatchProgress
	opts := population.BatchOptions{Lines: 700, Progress: func(p population.BatchProgress) { last = p }}
	rep, err := population.ImportGenerated(ctx, f.dst, 2000, 5, population.GenerateOptions{Documents: true}, opts)
	require.NoError(t, err)
	require.Equal(t, 2000, rep.People)
	require.Equal(t, 2000, last.Line)
	require.Equal(t, 2000, f.count(t, "population"))
	require.Equal(t, rep.Documents, f.count(t, "documents"))
	require.Greater(t, rep.Documents, 800)
	require.Equal(t, rep.Accounts, f.count(t, "accounts"))
	require.Equal(t, rep.People+rep.Documents+rep.Accounts, last.Rows)

	rep2, err := population.ImportGenerated(ctx, f.dst, 2000, 5, population.GenerateOptions{Documents: true}, population.BatchOptions{})
	require.NoError(t, err)
	require.Zero(t, rep2.Accounts)
	require.Equal(t, rep.Accounts, rep2.AccountsSkipped)
	require.Equal(t, 2000, f.count(t, "population"))

	_, err = population.ImportGenerated(ctx, f.dst, population.MaxGenerated+1, 5, population.GenerateOptions{}, population.BatchOptions{})
	require.ErrorContains(t, err, "between 0 and")
}
