-- Registry push credentials become listable and revocable (issue 14): each
-- gets an id, when it was last used and when (and by whom) it was revoked.
-- A new credential for a kind revokes the one before it instead of
-- overwriting it, so the list keeps the history; at most one credential per
-- kind is in force.
ALTER TABLE registry_credentials DROP CONSTRAINT registry_credentials_pkey;
ALTER TABLE registry_credentials ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
ALTER TABLE registry_credentials ADD COLUMN last_used_at timestamptz;
ALTER TABLE registry_credentials ADD COLUMN revoked_at timestamptz;
ALTER TABLE registry_credentials ADD COLUMN revoked_by text;
ALTER TABLE registry_credentials ADD CONSTRAINT registry_credentials_revoked_check
	CHECK ((revoked_at IS NULL) = (revoked_by IS NULL));
CREATE UNIQUE INDEX registry_credentials_in_force ON registry_credentials (kind) WHERE revoked_at IS NULL;
