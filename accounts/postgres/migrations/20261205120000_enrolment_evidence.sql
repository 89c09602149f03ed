-- Enrolment evidence (issue 10): an account's level rests on a record of
-- which document was read, which checks passed, who checked and when. The
-- level is never set without one: the constraint below refuses a level
-- above 0 with no evidence, for every role.
CREATE TABLE enrolment_evidence (
	id              uuid PRIMARY KEY,
	-- Order of writing, for "newest" when two share a timestamp.
	seq             bigint GENERATED ALWAYS AS IDENTITY,
	account_id      uuid NOT NULL REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED,
	level           smallint NOT NULL CHECK (level BETWEEN 1 AND 2),
	method          text NOT NULL CHECK (method IN ('counter', 'app', 'import')),
	document_number text NOT NULL DEFAULT '',
	issuing_state   text NOT NULL DEFAULT '',
	document_expiry date,
	signer          text NOT NULL DEFAULT '',
	checks          jsonb NOT NULL CHECK (jsonb_typeof(checks) = 'array' AND jsonb_array_length(checks) > 0),
	officer_id      text NOT NULL DEFAULT '',
	unit            text NOT NULL DEFAULT '',
	source          text NOT NULL DEFAULT '',
	created_at      timestamptz NOT NULL,
	revoked_at      timestamptz,
	revoked_reason  text NOT NULL DEFAULT '',
	CHECK (method <> 'counter' OR (officer_id <> '' AND unit <> '')),
	CHECK ((revoked_at IS NULL) = (revoked_reason = ''))
);
CREATE INDEX enrolment_evidence_account_idx ON enrolment_evidence (account_id, created_at DESC, seq DESC);

-- Evidence is written once: only a revocation (once) may change a row.
CREATE FUNCTION enrolment_evidence_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF OLD.revoked_at IS NOT NULL
		OR (to_jsonb(NEW) - 'revoked_at' - 'revoked_reason') IS DISTINCT FROM (to_jsonb(OLD) - 'revoked_at' - 'revoked_reason') THEN
		RAISE EXCEPTION 'enrolment evidence is written once; only a revocation may change it';
	END IF;
	RETURN NEW;
END $$;
CREATE TRIGGER enrolment_evidence_immutable BEFORE UPDATE ON enrolment_evidence
	FOR EACH ROW EXECUTE FUNCTION enrolment_evidence_immutable();
REVOKE DELETE, TRUNCATE ON enrolment_evidence FROM dinhdanh_app;

ALTER TABLE accounts ADD COLUMN evidence_id uuid REFERENCES enrolment_evidence (id) DEFERRABLE INITIALLY DEFERRED;

-- Levels set before evidence records existed rest on a record that says so.
INSERT INTO enrolment_evidence (id, account_id, level, method, checks, source, created_at)
SELECT gen_random_uuid(), id, level, 'import',
	'[{"name":"registry_enrolment","ok":true,"detail":"level recorded before enrolment evidence existed"}]'::jsonb,
	'migration 20261205120000', updated_at
FROM accounts WHERE level > 0;
UPDATE accounts a SET evidence_id = e.id FROM enrolment_evidence e WHERE e.account_id = a.id AND a.level > 0;

ALTER TABLE accounts ADD CONSTRAINT accounts_level_has_evidence CHECK (level = 0 OR evidence_id IS NOT NULL);
