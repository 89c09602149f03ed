-- Dependents and guardianship records (package guardianship). A dependent
-- (a child under 14, a ward) is registered under a guardian's account; it
-- has an opaque id, used as an account id would be (consents, histories,
-- pairwise subjects), and no sign-in. One row per person: a new
-- registration after an ended one replaces it in place and keeps the id.
-- No foreign key to accounts: the row is written in a transaction that
-- audits, and the key-share lock of a foreign key check would wait on an
-- account locked FOR UPDATE elsewhere.
CREATE TABLE guardianship_records (
	id          uuid PRIMARY KEY,
	ward_id     text NOT NULL REFERENCES population (personal_id),
	guardian_id text NOT NULL REFERENCES population (personal_id),
	number      text NOT NULL CHECK (number <> '' AND length(number) <= 200),
	starts      timestamptz NOT NULL,
	ends        timestamptz,
	officer_id  text NOT NULL CHECK (officer_id <> ''),
	unit        text NOT NULL CHECK (unit <> ''),
	created_at  timestamptz NOT NULL,
	CHECK (ward_id <> guardian_id),
	CHECK (ends IS NULL OR ends > starts)
);
CREATE INDEX guardianship_records_ward_idx ON guardianship_records (ward_id, starts DESC);
CREATE INDEX guardianship_records_created_idx ON guardianship_records (created_at DESC);

CREATE TABLE dependents (
	id                  uuid PRIMARY KEY,
	personal_id         text NOT NULL UNIQUE REFERENCES population (personal_id),
	full_name           text NOT NULL,
	birth_date          date NOT NULL,
	relation            text NOT NULL CHECK (relation IN ('child', 'ward')),
	guardian_account_id uuid NOT NULL,
	basis               text NOT NULL CHECK (basis IN ('registry', 'record')),
	record_id           uuid REFERENCES guardianship_records (id),
	registered_at       timestamptz NOT NULL,
	authority_ends      timestamptz,
	ended_at            timestamptz,
	end_reason          text NOT NULL DEFAULT '' CHECK (end_reason IN ('', 'age_14', 'record_ended')),
	CHECK ((basis = 'record') = (record_id IS NOT NULL)),
	CHECK ((ended_at IS NULL) = (end_reason = ''))
);
CREATE INDEX dependents_guardian_idx ON dependents (guardian_account_id, registered_at);
CREATE INDEX dependents_due_idx ON dependents (authority_ends) WHERE ended_at IS NULL;
CREATE INDEX dependents_record_idx ON dependents (record_id) WHERE record_id IS NOT NULL;
