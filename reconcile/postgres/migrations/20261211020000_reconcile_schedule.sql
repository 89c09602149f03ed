-- Runs started from the staff console and on a schedule (issue 14).
--
-- period: the scheduled period a run claims (for example
-- 2026-12-11T00:00:00Z for a daily schedule); NULL for runs started by
-- hand. The unique index lets exactly one replica claim each period: the
-- claim is an INSERT, so it needs no session state and works through
-- PgBouncer in transaction mode.
-- progress_at: set when the run starts and after each batch; a run not
-- finished, not stopped and without progress for 15 minutes counts as
-- dead (its process ended), so that another may start.
-- stopped_at: the run ended with an error (or its process was stopped)
-- before it finished; the batches done stay recorded under it.
ALTER TABLE reconcile_runs
	ADD COLUMN period      text,
	ADD COLUMN progress_at timestamptz NOT NULL DEFAULT now(),
	ADD COLUMN stopped_at  timestamptz;
CREATE UNIQUE INDEX reconcile_runs_period_idx ON reconcile_runs (period) WHERE period IS NOT NULL;
