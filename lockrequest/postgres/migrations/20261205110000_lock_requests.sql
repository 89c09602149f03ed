-- Locks by authorities (package lockrequest): an officer's request to lock a
-- citizen's account and a supervisor's decision on it. Staff members are
-- recorded by id, username, name and unit as they were when they acted.
CREATE TABLE lock_requests (
	id              uuid PRIMARY KEY,
	account_id      uuid NOT NULL REFERENCES accounts (id),
	personal_id     text NOT NULL CHECK (personal_id ~ '^[0-9]{12}$'),
	reason          text NOT NULL CHECK (reason IN ('misuse', 'card_revoked', 'death', 'court_order', 'other')),
	reason_text     text NOT NULL CHECK (length(reason_text) <= 2000),
	state           text NOT NULL CHECK (state IN ('pending', 'approved', 'refused', 'withdrawn')),
	filed_by        text NOT NULL CHECK (filed_by <> ''),
	filed_username  text NOT NULL,
	filed_name      text NOT NULL,
	filed_unit      text NOT NULL CHECK (filed_unit <> ''),
	filed_unit_name text NOT NULL,
	filed_unit_level text NOT NULL,
	filed_at        timestamptz NOT NULL,
	decided_by      text,
	decided_username text,
	decided_name    text,
	decided_unit    text,
	decided_unit_name text,
	decided_unit_level text,
	decided_at      timestamptz,
	note            text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
	CHECK ((state = 'pending') = (decided_at IS NULL)),
	CHECK ((decided_at IS NULL) = (decided_by IS NULL))
);
-- One pending request per account.
CREATE UNIQUE INDEX lock_requests_pending_account_idx ON lock_requests (account_id) WHERE state = 'pending';
CREATE INDEX lock_requests_state_unit_idx ON lock_requests (state, filed_unit text_pattern_ops, filed_at DESC);
CREATE INDEX lock_requests_filed_by_idx ON lock_requests (filed_by, filed_at DESC);

-- Unlocks at the counter and the verified chip read each rests on. No
-- foreign key to accounts: the row is written in a transaction that waits
-- for the account's own unlock (accounts.Service.Unlock, on another
-- connection), which locks the account's row FOR UPDATE; the key-share lock
-- a foreign key check takes would make them wait on each other for ever.
CREATE TABLE counter_unlocks (
	id              uuid PRIMARY KEY,
	account_id      uuid NOT NULL,
	personal_id     text NOT NULL CHECK (personal_id ~ '^[0-9]{12}$'),
	chip_read_id    text NOT NULL CHECK (chip_read_id <> '' AND length(chip_read_id) <= 128),
	officer_id      text NOT NULL CHECK (officer_id <> ''),
	officer_username text NOT NULL,
	officer_name    text NOT NULL,
	unit            text NOT NULL CHECK (unit <> ''),
	unit_name       text NOT NULL,
	unit_level      text NOT NULL,
	unlocked_at     timestamptz NOT NULL
);
CREATE INDEX counter_unlocks_account_idx ON counter_unlocks (account_id, unlocked_at DESC);

-- A decision is history: nobody deletes a request or an unlock, and an
-- unlock is never changed.
REVOKE DELETE, TRUNCATE ON lock_requests FROM dinhdanh_app;
REVOKE DELETE, TRUNCATE, UPDATE ON counter_unlocks FROM dinhdanh_app;
