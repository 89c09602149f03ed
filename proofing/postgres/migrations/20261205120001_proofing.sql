-- Identity proofing (package proofing): the challenges chips answer, the
-- chip reads the gateway verified (never a biometric), the app's level 1
-- submissions, and the fingerprint templates enrolled when each card was
-- made (the built-in matcher's references).

-- A challenge is single use: used_at is set once.
CREATE TABLE proofing_challenges (
	value      bytea PRIMARY KEY CHECK (length(value) = 8),
	issued_to  text NOT NULL CHECK (issued_to <> '' AND length(issued_to) <= 200),
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	used_at    timestamptz
);
CREATE INDEX proofing_challenges_expiry_idx ON proofing_challenges (expires_at);

-- A verified (or refused) chip read, with one check per test.
CREATE TABLE chip_reads (
	id              uuid PRIMARY KEY,
	personal_id     text NOT NULL DEFAULT '',
	document_number text NOT NULL DEFAULT '',
	issuing_state   text NOT NULL DEFAULT '',
	document_expiry date,
	access_control  text NOT NULL DEFAULT '' CHECK (access_control IN ('', 'PACE', 'BAC')),
	signer          text NOT NULL DEFAULT '',
	csca            text NOT NULL DEFAULT '',
	person          jsonb NOT NULL DEFAULT '{}',
	mismatches      text[] NOT NULL DEFAULT '{}',
	checks          jsonb NOT NULL CHECK (jsonb_typeof(checks) = 'array'),
	read_by         text NOT NULL DEFAULT '',
	unit            text NOT NULL DEFAULT '',
	created_at      timestamptz NOT NULL,
	used_at         timestamptz
);
CREATE INDEX chip_reads_by_idx ON chip_reads (read_by, created_at DESC) WHERE read_by <> '';
CREATE INDEX chip_reads_personal_idx ON chip_reads (personal_id, created_at DESC);
REVOKE DELETE, TRUNCATE ON chip_reads FROM dinhdanh_app;

-- The app's requests for level 1. The portrait stays only while pending.
CREATE TABLE enrolment_submissions (
	id              uuid PRIMARY KEY,
	account_id      uuid NOT NULL REFERENCES accounts (id),
	personal_id     text NOT NULL,
	channel         text NOT NULL CHECK (channel IN ('nfc', 'qr')),
	read_id         uuid REFERENCES chip_reads (id),
	document_number text NOT NULL DEFAULT '',
	issuing_state   text NOT NULL DEFAULT '',
	document_expiry date,
	signer          text NOT NULL DEFAULT '',
	checks          jsonb NOT NULL CHECK (jsonb_typeof(checks) = 'array'),
	state           text NOT NULL CHECK (state IN ('pending', 'approved', 'refused')),
	portrait        bytea,
	portrait_format text NOT NULL DEFAULT '',
	created_at      timestamptz NOT NULL,
	decided_at      timestamptz,
	decided_by      text NOT NULL DEFAULT '',
	unit            text NOT NULL DEFAULT '',
	reason          text NOT NULL DEFAULT '',
	evidence_id     text NOT NULL DEFAULT '',
	CONSTRAINT enrolment_submissions_portrait_while_pending CHECK (state = 'pending' OR portrait IS NULL),
	CONSTRAINT enrolment_submissions_decided CHECK ((state = 'pending') = (decided_at IS NULL))
);
CREATE INDEX enrolment_submissions_pending_idx ON enrolment_submissions (created_at) WHERE state = 'pending';
CREATE INDEX enrolment_submissions_account_idx ON enrolment_submissions (account_id, created_at DESC);
REVOKE DELETE, TRUNCATE ON enrolment_submissions FROM dinhdanh_app;

-- Fingerprint templates (ISO/IEC 19794-2) enrolled when the card was made.
CREATE TABLE fingerprint_references (
	personal_id text NOT NULL CHECK (personal_id ~ '^[0-9]{12}$'),
	position    smallint NOT NULL CHECK (position BETWEEN 1 AND 10),
	template    bytea NOT NULL CHECK (length(template) BETWEEN 24 AND 65536),
	source      text NOT NULL,
	loaded_at   timestamptz NOT NULL,
	PRIMARY KEY (personal_id, position)
);
