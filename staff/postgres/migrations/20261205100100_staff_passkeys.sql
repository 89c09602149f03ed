-- Staff members' passkeys (WebAuthn credentials): the public key and the
-- authenticator's signature counter, as go-webauthn's Credential in JSON.
-- Nothing secret is stored.
CREATE TABLE staff_passkeys (
	id           bytea PRIMARY KEY CHECK (length(id) BETWEEN 16 AND 1023),
	member_id    uuid NOT NULL REFERENCES staff_members (id),
	name         text NOT NULL CHECK (name <> '' AND length(name) <= 100),
	credential   jsonb NOT NULL,
	sign_count   bigint NOT NULL DEFAULT 0,
	created_at   timestamptz NOT NULL,
	last_used_at timestamptz
);
CREATE INDEX staff_passkeys_member_idx ON staff_passkeys (member_id);
