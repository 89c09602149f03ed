-- Citizens' passkeys (WebAuthn credentials), a second factor: the public
-- key and the authenticator's signature counter, as go-webauthn's
-- Credential in JSON, with the AAGUID and transports beside it for
-- reading. Nothing secret is stored.
CREATE TABLE account_passkeys (
	id           bytea PRIMARY KEY CHECK (length(id) BETWEEN 16 AND 1023),
	account_id   uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	name         text NOT NULL CHECK (name <> '' AND length(name) <= 100),
	aaguid       bytea NOT NULL DEFAULT '',
	transports   text[] NOT NULL DEFAULT '{}',
	credential   jsonb NOT NULL,
	sign_count   bigint NOT NULL DEFAULT 0 CHECK (sign_count >= 0),
	created_at   timestamptz NOT NULL,
	last_used_at timestamptz
);
CREATE INDEX account_passkeys_account_idx ON account_passkeys (account_id);
