package population

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/accounts"
	accountspg "github.com/dinhdanh/dinhdanh/accounts/postgres"
	"github.com/dinhdanh/dinhdanh/attributes"
	attributespg "github.com/dinhdanh/dinhdanh/attributes/postgres"
	"github.com/dinhdanh/dinhdanh/audit"
	foreignerspg "github.com/dinhdanh/dinhdanh/foreigners/postgres"
)

// SentinelSeeder gives demo accounts recognisable biometric records
// (biometrics/postgres.Store satisfies it).
type SentinelSeeder interface {
	SeedDemoSentinels(ctx context.Context) (int64, error)
}

// Target is where records go.
type Target struct {
	// Pool connects as the application role.
	Pool *pgxpool.Pool
	// Accounts hashes passwords and seals TOTP secrets of account parts;
	// files with account parts are refused when nil.
	Accounts *accounts.Service
	// Biometrics, when set, seeds biometric sentinels after a demo load.
	Biometrics SentinelSeeder
	// Audit, when set, records one operator.action event per import.
	Audit  audit.Recorder
	Now    func() time.Time
	Logger *slog.Logger
}

// Report counts what an import wrote.
type Report struct {
	People    int
	Documents int
	// Accounts created; AccountsSkipped already existed and were left alone.
	Accounts        int
	AccountsSkipped int
	Sentinels       int64
}

func (t Target) now() time.Time {
	if t.Now != nil {
		return t.Now().UTC()
	}
	return time.Now().UTC()
}

// Import reads a whole file, validates every line, and writes everything in
// one transaction, or nothing: a *ValidationError lists every bad line. A
// person already present is replaced; an account already present is kept.
func Import(ctx context.Context, dst Target, r io.Reader, format Format) (Report, error) {
	var lines []line
	var bad []LineError
	switch format {
	case CSV:
		lines, bad = readCSV(r)
	case JSONLines:
		lines, bad = readJSONLines(r)
	default:
		return Report{}, fmt.Errorf("population: unknown format %q", format)
	}
	return importLines(ctx, dst, lines, bad, nil)
}

// ImportRecords imports records as if they were the lines of a file.
func ImportRecords(ctx context.Context, dst Target, recs []Record) (Report, error) {
	lines := make([]line, len(recs))
	for i, r := range recs {
		lines[i] = line{i + 1, r}
	}
	return importLines(ctx, dst, lines, nil, nil)
}

// batchState is what one batched import carries from batch to batch.
type batchState struct {
	// hashes are the password hashes computed so far (generated citizens
	// share one password: argon2id once per import, not once per batch).
	hashes map[string]string
	// detail is added to the batch's audit event.
	detail map[string]string
}

func importLines(ctx context.Context, dst Target, lines []line, bad []LineError, st *batchState) (Report, error) {
	start := time.Now()
	now := dst.now()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	items, outside, more := checkAll(lines, today)
	bad = append(bad, more...)
	if dst.Accounts == nil {
		for _, it := range items {
			if it.account != nil {
				bad = append(bad, LineError{it.line, errors.New("account parts need an accounts service")})
			}
		}
	}

	var people []attributes.Person
	var docs []attributes.Document
	for _, it := range items {
		people = append(people, it.person)
		docs = append(docs, it.docs...)
	}
	rep := Report{People: len(people), Documents: len(docs)}
	err := pgx.BeginFunc(ctx, dst.Pool, func(tx pgx.Tx) error {
		// Guardians outside the file are looked up even when other lines
		// are bad, so that one run reports every bad line.
		if len(outside) > 0 {
			ids := make([]string, 0, len(outside))
			for id := range outside {
				ids = append(ids, id)
			}
			found, err := attributespg.Existing(ctx, tx, ids)
			if err != nil {
				return err
			}
			for id, lns := range outside {
				if !found[id] {
					for _, n := range lns {
						bad = append(bad, LineError{n, fmt.Errorf("guardian_id %s is neither in the file nor in the registry", id)})
					}
				}
			}
		}
		// An account phone another citizen's account holds (one phone per
		// account) is named with its line, not left to the constraint.
		var phones []string
		for _, it := range items {
			if it.account != nil && it.account.in.Phone != "" {
				phones = append(phones, it.account.in.Phone)
			}
		}
		holders, err := accountspg.PhoneHolders(ctx, tx, phones)
		if err != nil {
			return err
		}
		for _, it := range items {
			if it.account == nil {
				continue
			}
			if pid, ok := holders[it.account.in.Phone]; ok && pid != it.person.PersonalID {
				bad = append(bad, LineError{it.line, fmt.Errorf("account: phone %s is held by another citizen's account", it.account.in.Phone)})
			}
		}
		if len(bad) > 0 {
			return validationError(bad)
		}
		var hashes map[string]string
		if st != nil {
			hashes = st.hashes
		}
		recs, err := accountRecords(dst.Accounts, items, now, hashes)
		if err != nil {
			return err
		}
		if _, err := attributespg.WritePeople(ctx, tx, people); err != nil {
			return err
		}
		if _, err := attributespg.WriteDocuments(ctx, tx, docs); err != nil {
			return err
		}
		n, err := accountspg.WriteAccounts(ctx, tx, recs)
		if err != nil {
			return err
		}
		rep.Accounts, rep.AccountsSkipped = int(n), len(recs)-int(n)
		// Recorded inside the transaction: an import whose event cannot be
		// recorded does not happen.
		if dst.Audit != nil {
			e := audit.Event{Time: now, Type: audit.OperatorAction, ActorKind: audit.System, ActorID: "importer",
				Outcome: audit.Success, Reason: "population_import", Detail: map[string]string{
					"people": strconv.Itoa(rep.People), "documents": strconv.Itoa(rep.Documents),
					"accounts_created": strconv.Itoa(rep.Accounts), "accounts_skipped": strconv.Itoa(rep.AccountsSkipped),
				}}
			if st != nil {
				maps.Copy(e.Detail, st.detail)
			}
			if err := dst.Audit.Record(ctx, e); err != nil {
				return fmt.Errorf("audit: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			return Report{}, err
		}
		return Report{}, fmt.Errorf("population: nothing imported: %w", err)
	}
	if dst.Logger != nil && st == nil {
		dst.Logger.InfoContext(ctx, "population imported", "people", rep.People, "documents", rep.Documents,
			"accounts_created", rep.Accounts, "accounts_skipped", rep.AccountsSkipped, "took", time.Since(start).String())
	}
	return rep, nil
}

// validationError sorts bad lines and merges entries for the same line.
func validationError(bad []LineError) error {
	sort.SliceStable(bad, func(i, j int) bool { return bad[i].Line < bad[j].Line })
	var out []LineError
	for _, l := range bad {
		if n := len(out); n > 0 && out[n-1].Line == l.Line {
			out[n-1].Err = errors.Join(out[n-1].Err, l.Err)
			continue
		}
		out = append(out, l)
	}
	return &ValidationError{Lines: out}
}

// maxCachedHashes bounds the password hashes a batched import keeps: demo
// and test files share a few passwords; a file with one per account gets
// no help from a cache and must not grow one.
const maxCachedHashes = 16

// accountRecords builds the account rows, hashing each distinct password
// once (generated citizens share one); hashes, when given, carries the
// hashes over from earlier batches.
func accountRecords(svc *accounts.Service, items []item, now time.Time, hashes map[string]string) ([]accounts.Record, error) {
	if hashes == nil {
		hashes = map[string]string{}
	}
	var out []accounts.Record
	for _, it := range items {
		if it.account == nil {
			continue
		}
		rec, err := svc.NewRecord(it.account.in, now)
		if err != nil {
			return nil, fmt.Errorf("population: line %d: %w", it.line, err)
		}
		if pw := it.account.password; pw != "" {
			h, ok := hashes[pw]
			if !ok {
				if h, err = svc.HashPassword(pw); err != nil {
					return nil, fmt.Errorf("population: line %d: %w", it.line, err)
				}
				if len(hashes) < maxCachedHashes {
					hashes[pw] = h
				}
			}
			rec.PasswordHash = h
		}
		if it.account.totp != "" {
			sealed, err := svc.SealTOTPSecret(rec.ID, it.account.totp)
			if err != nil {
				return nil, fmt.Errorf("population: line %d: %w", it.line, err)
			}
			rec.TOTP = accounts.TOTPState{Secret: sealed, Confirmed: true}
		}
		rec.LockReason = it.account.lockReason
		out = append(out, rec)
	}
	return out, nil
}

// ForeignersReport counts what a foreigners' registry import wrote.
type ForeignersReport struct {
	Residents int
}

// ImportForeigners reads a foreigners' registry extract (CSV, see
// ForeignerCSVColumns, or JSON lines of ForeignerRecord), validates every
// line and writes every resident in one transaction, or nothing: a
// *ValidationError lists every bad line, including a passport the registry
// already holds under another number. A resident already present (same
// number) is replaced: a later extract with a renewed permit or passport
// updates the record (what that does to a locked account is the permit
// sweep's business, not the import's).
func ImportForeigners(ctx context.Context, dst Target, r io.Reader, format Format) (ForeignersReport, error) {
	var lines []foreignerLine
	var bad []LineError
	switch format {
	case CSV:
		lines, bad = readForeignerCSV(r)
	case JSONLines:
		lines, bad = readForeignerJSONLines(r)
	default:
		return ForeignersReport{}, fmt.Errorf("population: unknown format %q", format)
	}
	return importForeigners(ctx, dst, lines, bad)
}

// ImportForeignerRecords imports records as if they were the lines of a
// file.
func ImportForeignerRecords(ctx context.Context, dst Target, recs []ForeignerRecord) (ForeignersReport, error) {
	lines := make([]foreignerLine, len(recs))
	for i, r := range recs {
		lines[i] = foreignerLine{i + 1, r}
	}
	return importForeigners(ctx, dst, lines, nil)
}

func importForeigners(ctx context.Context, dst Target, lines []foreignerLine, bad []LineError) (ForeignersReport, error) {
	start := time.Now()
	now := dst.now()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	residents, nums, more := checkForeigners(lines, today)
	bad = append(bad, more...)
	rep := ForeignersReport{Residents: len(residents)}
	err := pgx.BeginFunc(ctx, dst.Pool, func(tx pgx.Tx) error {
		// A passport the registry holds under another number is reported
		// even when other lines are bad, so that one run lists every bad
		// line.
		countries := make([]string, len(residents))
		numbers := make([]string, len(residents))
		for i, r := range residents {
			countries[i], numbers[i] = r.IssuingCountry, r.PassportNo
		}
		holders, err := foreignerspg.PassportHolders(ctx, tx, countries, numbers)
		if err != nil {
			return err
		}
		for i, r := range residents {
			if id, ok := holders[[2]string{r.IssuingCountry, r.PassportNo}]; ok && id != r.ID {
				bad = append(bad, LineError{nums[i], fmt.Errorf("passport %s %s is held by another id in the registry", r.IssuingCountry, r.PassportNo)})
			}
		}
		if len(bad) > 0 {
			return validationError(bad)
		}
		if _, err := foreignerspg.Write(ctx, tx, residents); err != nil {
			return err
		}
		if dst.Audit != nil {
			e := audit.Event{Time: now, Type: audit.OperatorAction, ActorKind: audit.System, ActorID: "importer",
				Outcome: audit.Success, Reason: "foreigners_import", Detail: map[string]string{
					"residents": strconv.Itoa(rep.Residents),
				}}
			if err := dst.Audit.Record(ctx, e); err != nil {
				return fmt.Errorf("audit: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			return ForeignersReport{}, err
		}
		return ForeignersReport{}, fmt.Errorf("population: nothing imported: %w", err)
	}
	if dst.Logger != nil {
		dst.Logger.InfoContext(ctx, "foreigners imported", "residents", rep.Residents, "took", time.Since(start).String())
	}
	return rep, nil
}
