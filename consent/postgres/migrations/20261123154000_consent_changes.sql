-- Consent records (consent package). consent_changes is append-only: every
-- grant and revocation is a new row, so the consent in force at any past
-- moment can be rebuilt. consent_heads points at the latest grant (and its
-- revocation) of each citizen and client, maintained in the same transaction
-- as each append, and carries the last-use mark, which is not history.
CREATE TABLE consent_changes (
	seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_id      text NOT NULL,
	client_id       text NOT NULL,
	kind            text NOT NULL CHECK (kind IN ('granted', 'revoked')),
	at              timestamptz NOT NULL,
	actor_kind      text NOT NULL,
	actor_id        text NOT NULL DEFAULT '',
	scopes          text[] NOT NULL DEFAULT '{}',
	claims          text[] NOT NULL DEFAULT '{}',
	declined        text[] NOT NULL DEFAULT '{}',
	purpose_version text NOT NULL DEFAULT '',
	expires_at      timestamptz,
	CHECK ((kind = 'granted') = (expires_at IS NOT NULL)),
	CHECK (expires_at IS NULL OR expires_at > at)
);
CREATE INDEX consent_changes_pair_idx ON consent_changes (account_id, client_id, seq);

CREATE TABLE consent_heads (
	account_id   text NOT NULL,
	client_id    text NOT NULL,
	grant_seq    bigint NOT NULL REFERENCES consent_changes (seq),
	revoke_seq   bigint REFERENCES consent_changes (seq),
	last_at      timestamptz NOT NULL,
	last_used_at timestamptz,
	PRIMARY KEY (account_id, client_id)
);

-- The application may only append and read changes.
REVOKE UPDATE, DELETE, TRUNCATE ON consent_changes FROM dinhdanh_app;

CREATE FUNCTION consent_changes_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'consent_changes is append-only';
END
$$;
CREATE TRIGGER consent_changes_no_update BEFORE UPDATE ON consent_changes
	FOR EACH ROW EXECUTE FUNCTION consent_changes_append_only();
