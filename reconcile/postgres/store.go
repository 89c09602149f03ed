package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/dinhdanh/dinhdanh/reconcile"
)

// Migrations are the vehicle registry and the reconciliation tables.
//
//go:embed migrations/*.sql
var Migrations embed.FS

// Store runs reconciliations on a pgx pool.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
}

var _ reconcile.Store = (*Store)(nil)

// NewStore returns a Store on pool (the application role). now is the clock
// for progress (time.Now when nil); timestamps in rows are the database's.
func NewStore(pool *pgxpool.Pool, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{pool: pool, now: now}
}

// VehicleRecord is a row of the vehicle registry, for imports, fixtures and
// the benchmark.
type VehicleRecord struct {
	Number, OwnerID, OwnerName                           string
	OwnerBirthDate                                       time.Time // zero: unknown
	OwnerStreet, OwnerWard, OwnerDistrict, OwnerProvince string
	Retired                                              bool
}

// PutVehicles writes records with COPY (one statement, all or nothing).
func (s *Store) PutVehicles(ctx context.Context, recs []VehicleRecord) error {
	_, err := s.pool.CopyFrom(ctx, pgx.Identifier{"vehicle_records"},
		[]string{"number", "owner_id", "owner_name", "owner_birth_date", "owner_street", "owner_ward", "owner_district", "owner_province", "status"},
		pgx.CopyFromSlice(len(recs), func(i int) ([]any, error) {
			r := recs[i]
			var birth any
			if !r.OwnerBirthDate.IsZero() {
				birth = r.OwnerBirthDate
			}
			status := "active"
			if r.Retired {
				status = "retired"
			}
			return []any{r.Number, r.OwnerID, r.OwnerName, birth, r.OwnerStreet, r.OwnerWard, r.OwnerDistrict, r.OwnerProvince, status}, nil
		}))
	return err
}

// OwnerID returns the owner ID number a vehicle record holds.
func (s *Store) OwnerID(ctx context.Context, number string) (string, error) {
	var id string
	err := s.pool.QueryRow(ctx, `SELECT owner_id FROM vehicle_records WHERE number = $1`, number).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", reconcile.ErrNotFound
	}
	return id, err
}

// batchSQL reconciles the records with lo < number <= hi. Every statement
// of the batch is one data-modifying CTE: the retired are recorded apart,
// present numbers are checked against the rules and the population
// registry, and missing ones are looked up by name, birth date and address.
// Names and address parts are compared under reconcile_fold
// (reconcile.Fold: NFC, white space, case, tone placement; diacritics
// kept), the population registry through its index on
// (reconcile_fold(full_name), birth_date).
const batchSQL = `
WITH b AS (
	SELECT * FROM vehicle_records WHERE number > $2 AND number <= $3
), retired AS (
	INSERT INTO reconcile_findings (run_id, number, kind, reason, province, before_id, after_id)
	SELECT $1, number, 'retired', $5, owner_province, owner_id, owner_id FROM b WHERE status = 'retired'
), wrong AS (
	INSERT INTO reconcile_findings (run_id, number, kind, reason, province, before_id, after_id)
	SELECT $1, number, 'wrong_id', reason, owner_province, owner_id, owner_id FROM (
		SELECT c.number, c.owner_province, c.owner_id,
			CASE
			WHEN c.owner_id !~ '^[0-9]{12}$' THEN $6
			WHEN NOT (substr(c.owner_id, 1, 3) = ANY ($4::text[])) THEN $7
			WHEN c.owner_birth_date IS NOT NULL
				AND 1900 + (substr(c.owner_id, 4, 1)::int / 2) * 100 + substr(c.owner_id, 5, 2)::int
					<> extract(year FROM c.owner_birth_date)::int THEN $8
			WHEN c.person IS NULL THEN $9
			WHEN c.name_differs AND c.birth_date IS DISTINCT FROM c.owner_birth_date THEN $10
			WHEN c.name_differs THEN $11
			WHEN c.birth_date IS DISTINCT FROM c.owner_birth_date THEN $12
			END AS reason
		FROM (SELECT b.number, b.owner_province, b.owner_id, b.owner_birth_date, p.personal_id AS person, p.birth_date,
				b.owner_name <> p.full_name AND reconcile_fold(b.owner_name) <> reconcile_fold(p.full_name) AS name_differs
			FROM b LEFT JOIN population p ON p.personal_id = b.owner_id
			WHERE b.status = 'active' AND b.owner_id <> '') c
	) w WHERE reason IS NOT NULL
), cand AS (
	SELECT b.number, b.owner_province, count(p.personal_id) AS n, min(p.personal_id) AS pid
	FROM b LEFT JOIN population p
		ON reconcile_fold(p.full_name) = reconcile_fold(b.owner_name)
		AND p.birth_date = b.owner_birth_date
		AND reconcile_fold(p.street) = reconcile_fold(b.owner_street)
		AND reconcile_fold(p.ward) = reconcile_fold(b.owner_ward)
		AND reconcile_fold(p.district) = reconcile_fold(b.owner_district)
		AND reconcile_fold(p.province) = reconcile_fold(b.owner_province)
	WHERE b.status = 'active' AND b.owner_id = ''
	GROUP BY b.number, b.owner_province
), completed AS (
	UPDATE vehicle_records v SET owner_id = c.pid, updated_at = now()
	FROM cand c WHERE c.n = 1 AND v.number = c.number AND v.owner_id = ''
	RETURNING v.number
), missing AS (
	INSERT INTO reconcile_findings (run_id, number, kind, reason, province, before_id, after_id)
	SELECT $1, c.number,
		CASE WHEN c.n = 1 THEN 'completed' ELSE 'unmatched' END,
		CASE WHEN c.n = 1 THEN $13 WHEN c.n = 0 THEN $14 ELSE $15 END,
		c.owner_province, '', CASE WHEN c.n = 1 THEN c.pid ELSE '' END
	FROM cand c
)
SELECT (SELECT count(*) FROM b), (SELECT count(*) FROM completed)`

// sharedSQL flags, after completion, every active record whose ID number is
// held by active records naming different people (name or birth date).
const sharedSQL = `
INSERT INTO reconcile_findings (run_id, number, kind, reason, province, before_id, after_id)
SELECT $1, v.number, 'shared_id', $2, v.owner_province, v.owner_id, v.owner_id
FROM vehicle_records v JOIN (
	SELECT owner_id FROM vehicle_records
	WHERE status = 'active' AND owner_id <> ''
	GROUP BY owner_id
	HAVING count(DISTINCT reconcile_fold(owner_name) || '|' || coalesce(owner_birth_date::text, '')) > 1
) s USING (owner_id)
WHERE v.status = 'active'`

// Reconcile starts a run by hand (Start) and carries it through
// (Continue): for the benchmark and tests; the reconcile.Service audits.
func (s *Store) Reconcile(ctx context.Context, actor string, rules reconcile.Rules, batch int, progress func(reconcile.Progress)) (reconcile.Run, error) {
	run, err := s.Start(ctx, actor, "")
	if err != nil {
		return run, err
	}
	return s.Continue(ctx, run, rules, batch, progress)
}

// runLock is the transaction-level advisory lock key that serialises
// starting runs (pg_advisory_xact_lock: released at commit, no session
// state, so it works through PgBouncer in transaction mode).
const runLock = 0x7265636f6e63 // "reconc"

// Start records a new run, unless one is running or, for a scheduled
// period, that period was claimed: check and insert are one transaction
// under runLock, and the unique index on period settles the rest.
func (s *Store) Start(ctx context.Context, actor, period string) (reconcile.Run, error) {
	var run reconcile.Run
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(runLock)); err != nil {
			return err
		}
		if period != "" {
			var claimed bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM reconcile_runs WHERE period = $1)`, period).Scan(&claimed); err != nil {
				return err
			}
			if claimed {
				return reconcile.ErrPeriodClaimed
			}
		}
		var running bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM reconcile_runs
			WHERE finished_at IS NULL AND stopped_at IS NULL AND progress_at > now() - make_interval(secs => $1))`,
			reconcile.RunStaleAfter.Seconds()).Scan(&running); err != nil {
			return err
		}
		if running {
			return reconcile.ErrRunning
		}
		var p *string
		if period != "" {
			p = &period
		}
		err := tx.QueryRow(ctx, `INSERT INTO reconcile_runs (actor, period) VALUES ($1, $2) RETURNING id, started_at, progress_at`, actor, p).
			Scan(&run.ID, &run.StartedAt, &run.ProgressAt)
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			return reconcile.ErrPeriodClaimed
		}
		return err
	})
	if err != nil {
		if errors.Is(err, reconcile.ErrRunning) || errors.Is(err, reconcile.ErrPeriodClaimed) {
			return reconcile.Run{}, err
		}
		return reconcile.Run{}, fmt.Errorf("reconcile: start run: %w", err)
	}
	run.Actor, run.Period = actor, period
	return run, nil
}

// Continue reconciles every vehicle record for run: each batch of vehicle
// numbers is its own transaction, which also records the run's progress
// (a stopped run keeps the batches done, recorded under its run id, and
// undo still works on them), then one set-based statement flags shared
// numbers. Memory in this process is one batch's bounds. A run that fails
// is marked stopped, so that it does not block the next.
func (s *Store) Continue(ctx context.Context, run reconcile.Run, rules reconcile.Rules, batch int, progress func(reconcile.Progress)) (reconcile.Run, error) {
	run, err := s.cont(ctx, run, rules, batch, progress)
	if err != nil {
		if _, serr := s.pool.Exec(context.WithoutCancel(ctx), `UPDATE reconcile_runs SET stopped_at = now(), records = $2 WHERE id = $1 AND finished_at IS NULL`,
			run.ID, run.Records); serr != nil {
			err = errors.Join(err, serr)
		}
	}
	return run, err
}

func (s *Store) cont(ctx context.Context, run reconcile.Run, rules reconcile.Rules, batch int, progress func(reconcile.Progress)) (reconcile.Run, error) {
	if batch <= 0 {
		batch = 20000
	}
	start := s.now()
	var total int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM vehicle_records`).Scan(&total); err != nil {
		return run, err
	}
	report := func(done int64) {
		if progress != nil {
			progress(reconcile.Progress{Done: done, Total: total, Elapsed: s.now().Sub(start)})
		}
	}
	lo := ""
	for {
		var hi *string
		if err := s.pool.QueryRow(ctx,
			`SELECT max(number) FROM (SELECT number FROM vehicle_records WHERE number > $1 ORDER BY number LIMIT $2) b`,
			lo, batch).Scan(&hi); err != nil {
			return run, fmt.Errorf("reconcile: next batch: %w", err)
		}
		if hi == nil {
			break
		}
		var n, completed int64
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if err := tx.QueryRow(ctx, batchSQL, run.ID, lo, *hi, rules.ProvinceCodes,
				reconcile.ReasonRetired, reconcile.ReasonLength, reconcile.ReasonProvince, reconcile.ReasonYear,
				reconcile.ReasonNotInRegistry, reconcile.ReasonBothDiffer, reconcile.ReasonNameDiffers, reconcile.ReasonBirthDiffers,
				reconcile.ReasonCompleted, reconcile.ReasonNoMatch, reconcile.ReasonSeveralMatch).Scan(&n, &completed); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `UPDATE reconcile_runs SET records = records + $2, progress_at = now() WHERE id = $1`, run.ID, n)
			return err
		})
		if err != nil {
			return run, fmt.Errorf("reconcile: batch after %q: %w", lo, err)
		}
		run.Records += n
		lo = *hi
		if run.Records < total { // the end is reported once, after the shared numbers
			report(run.Records)
		}
	}
	if _, err := s.pool.Exec(ctx, sharedSQL, run.ID, reconcile.ReasonShared); err != nil {
		return run, fmt.Errorf("reconcile: shared numbers: %w", err)
	}
	if err := s.pool.QueryRow(ctx, `UPDATE reconcile_runs SET finished_at = now(), progress_at = now(), records = $2 WHERE id = $1 RETURNING finished_at`,
		run.ID, run.Records).Scan(&run.FinishedAt); err != nil {
		return run, err
	}
	report(run.Records)
	return run, nil
}

// Figures counts a run's findings that are not undone, per province and kind.
func (s *Store) Figures(ctx context.Context, runID int64) ([]reconcile.Figure, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT province, kind, count(*) FROM reconcile_findings
		WHERE run_id = $1 AND undone_at IS NULL GROUP BY province, kind`, runID)
	if err != nil {
		return nil, err
	}
	figs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (reconcile.Figure, error) {
		var f reconcile.Figure
		err := r.Scan(&f.Province, &f.Kind, &f.Count)
		return f, err
	})
	if err != nil {
		return nil, err
	}
	reconcile.SortFigures(figs)
	return figs, nil
}

// Findings streams a run's findings in number then kind order, counted
// and read in one snapshot (a repeatable-read, read-only transaction), so
// that count, called before the first finding, is exactly how many follow
// even while the run is still adding findings.
func (s *Store) Findings(ctx context.Context, runID int64, count func(int64) error, each func(reconcile.Finding) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var exists bool
		var n int64
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM reconcile_runs WHERE id = $1),
			(SELECT count(*) FROM reconcile_findings WHERE run_id = $1)`, runID).Scan(&exists, &n); err != nil {
			return err
		}
		if !exists {
			return reconcile.ErrNotFound
		}
		if count != nil {
			if err := count(n); err != nil {
				return err
			}
		}
		rows, err := tx.Query(ctx, `
			SELECT run_id, number, kind, reason, province, before_id, after_id, undone_at
			FROM reconcile_findings WHERE run_id = $1 ORDER BY number, kind`, runID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var f reconcile.Finding
			var undone *time.Time
			if err := rows.Scan(&f.RunID, &f.Number, &f.Kind, &f.Reason, &f.Province, &f.Before, &f.After, &undone); err != nil {
				return err
			}
			if undone != nil {
				f.UndoneAt = undone.UTC()
			}
			if err := each(f); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// Undo restores the before value of a run's completions (all of them, or
// the one of number) on records that still hold the completed value, and
// marks those findings undone, in one transaction.
func (s *Store) Undo(ctx context.Context, runID int64, number, actor string) (int64, error) {
	var restored int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM reconcile_runs WHERE id = $1)`, runID).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			return reconcile.ErrNotFound
		}
		if number != "" {
			var undone *time.Time
			err := tx.QueryRow(ctx, `SELECT undone_at FROM reconcile_findings WHERE run_id = $1 AND number = $2 AND kind = 'completed'`,
				runID, number).Scan(&undone)
			if errors.Is(err, pgx.ErrNoRows) {
				var any bool
				if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM reconcile_findings WHERE run_id = $1 AND number = $2)`, runID, number).Scan(&any); err != nil {
					return err
				}
				if any {
					return reconcile.ErrNotUndoable
				}
				return reconcile.ErrNotFound
			}
			if err != nil {
				return err
			}
			if undone != nil {
				return reconcile.ErrUndone
			}
		}
		err := tx.QueryRow(ctx, `
			WITH r AS (
				UPDATE vehicle_records v SET owner_id = f.before_id, updated_at = now()
				FROM reconcile_findings f
				WHERE f.run_id = $1 AND f.kind = 'completed' AND f.undone_at IS NULL
					AND ($2 = '' OR f.number = $2)
					AND v.number = f.number AND v.owner_id = f.after_id
				RETURNING v.number
			), m AS (
				UPDATE reconcile_findings f SET undone_at = now(), undone_by = $3
				FROM r WHERE f.run_id = $1 AND f.kind = 'completed' AND f.number = r.number
				RETURNING 1
			)
			SELECT count(*) FROM m`, runID, number, actor).Scan(&restored)
		if err != nil {
			return err
		}
		if number == "" {
			_, err = tx.Exec(ctx, `UPDATE reconcile_runs SET undone_at = now(), undone_by = $2 WHERE id = $1 AND undone_at IS NULL`, runID, actor)
		}
		return err
	})
	return restored, err
}

const runColumns = `id, actor, started_at, finished_at, records, undone_at, coalesce(period, ''), stopped_at, progress_at`

func scanRun(row pgx.Row) (reconcile.Run, error) {
	var r reconcile.Run
	var fin, undone, stopped *time.Time
	if err := row.Scan(&r.ID, &r.Actor, &r.StartedAt, &fin, &r.Records, &undone, &r.Period, &stopped, &r.ProgressAt); err != nil {
		if errors.Is(err, pgx.ErrNoRows) {
			return r, reconcile.ErrNotFound
		}
		return r, err
	}
	for _, t := range []struct {
		from *time.Time
		to   *time.Time
	}{{fin, &r.FinishedAt}, {undone, &r.UndoneAt}, {stopped, &r.StoppedAt}} {
		if t.from != nil {
			*t.to = t.from.UTC()
		}
	}
	r.StartedAt, r.ProgressAt = r.StartedAt.UTC(), r.ProgressAt.UTC()
	return r, nil
}

// LatestRun returns the newest run.
func (s *Store) LatestRun(ctx context.Context) (reconcile.Run, error) {
	return scanRun(s.pool.QueryRow(ctx, `SELECT `+runColumns+` FROM reconcile_runs ORDER BY id DESC LIMIT 1`))
}

// GetRun returns run id.
func (s *Store) GetRun(ctx context.Context, id int64) (reconcile.Run, error) {
	return scanRun(s.pool.QueryRow(ctx, `SELECT `+runColumns+` FROM reconcile_runs WHERE id = $1`, id))
}

// Runs returns the newest runs, newest first.
func (s *Store) Runs(ctx context.Context, limit int) ([]reconcile.Run, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+runColumns+` FROM reconcile_runs ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []reconcile.Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}
