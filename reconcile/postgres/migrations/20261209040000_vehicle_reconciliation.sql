-- The vehicle registry as the police hold it, and the reconciliation of its
-- owners with the population registry (issue 14).
--
-- Why a table of its own rather than documents (kind vehicle_registration):
-- documents.holder_id is NOT NULL and references population, so a record
-- whose owner ID number is missing, malformed or unknown, which is exactly
-- what reconciliation is for, cannot be stored there. vehicle_records keeps
-- the owner as the vehicle registry holds them (name, birth date, address
-- and the ID number, possibly empty or wrong).
CREATE TABLE vehicle_records (
	number           text PRIMARY KEY CHECK (number <> ''),
	owner_id         text NOT NULL DEFAULT '',
	owner_name       text NOT NULL DEFAULT '',
	owner_birth_date date,
	owner_street     text NOT NULL DEFAULT '',
	owner_ward       text NOT NULL DEFAULT '',
	owner_district   text NOT NULL DEFAULT '',
	owner_province   text NOT NULL DEFAULT '',
	status           text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'retired')),
	updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vehicle_records_owner_idx ON vehicle_records (owner_id) WHERE owner_id <> '';

-- For completing missing ID numbers: the population registry looked up by
-- normalised name and birth date.
CREATE INDEX population_name_birth_idx ON population (lower(btrim(full_name)), birth_date);

CREATE TABLE reconcile_runs (
	id          bigserial PRIMARY KEY,
	actor       text NOT NULL,
	started_at  timestamptz NOT NULL DEFAULT now(),
	finished_at timestamptz,
	records     bigint NOT NULL DEFAULT 0,
	undone_at   timestamptz,
	undone_by   text NOT NULL DEFAULT ''
);

-- One row per finding. before_id/after_id are the record's owner ID number
-- before and after the run: they differ only for 'completed', the one kind
-- that changes a record, and undo writes before_id back.
CREATE TABLE reconcile_findings (
	run_id    bigint NOT NULL REFERENCES reconcile_runs (id),
	number    text NOT NULL,
	kind      text NOT NULL CHECK (kind IN ('completed', 'unmatched', 'wrong_id', 'shared_id', 'retired')),
	reason    text NOT NULL,
	province  text NOT NULL DEFAULT '',
	before_id text NOT NULL DEFAULT '',
	after_id  text NOT NULL DEFAULT '',
	undone_at timestamptz,
	undone_by text NOT NULL DEFAULT '',
	PRIMARY KEY (run_id, number, kind)
);
