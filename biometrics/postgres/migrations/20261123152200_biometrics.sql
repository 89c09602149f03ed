-- Biometric information (portrait, fingerprints) in a table of its own.
-- Only the biometrics package reads or writes it.
CREATE TABLE biometric_records (
	account_id  uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	kind        text NOT NULL CHECK (kind IN ('portrait', 'fingerprint')),
	position    smallint NOT NULL DEFAULT 0 CHECK ((kind = 'portrait' AND position = 0) OR (kind = 'fingerprint' AND position BETWEEN 1 AND 10)),
	template    bytea NOT NULL,
	format      text NOT NULL DEFAULT '',
	captured_at timestamptz NOT NULL,
	captured_by text NOT NULL DEFAULT '',
	PRIMARY KEY (account_id, kind, position)
);
