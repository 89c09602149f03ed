-- Officers' API credentials (package staff): the token is never stored, only
-- its HMAC-SHA-256 under a server key. A revoked credential stays, for the
-- history of who could act when.
CREATE TABLE staff_credentials (
	id          uuid PRIMARY KEY,
	officer_id  text NOT NULL CHECK (officer_id ~ '^[A-Za-z0-9._@:-]{1,128}$'),
	unit        text NOT NULL CHECK (unit <> '' AND length(unit) <= 200),
	token_hash  bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
	created_at  timestamptz NOT NULL,
	created_by  text NOT NULL,
	revoked_at  timestamptz
);
CREATE INDEX staff_credentials_officer_idx ON staff_credentials (officer_id);
-- The app role may issue, read and revoke; nobody deletes a credential.
REVOKE DELETE, TRUNCATE ON staff_credentials FROM dinhdanh_app;
