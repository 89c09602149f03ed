-- Authorization requests parked while the citizen answers the consent
-- screen. id_hash is SHA-256 of the challenge id (the id itself, which
-- travels in the browser, is not stored). data is the request's parameters
-- and the sign-in that satisfied it, never attribute values. A challenge is
-- answered once (answered_at) and then deleted; expired ones are removed by
-- maintenance.
CREATE TABLE oidc_consent_challenges (
	id_hash     text PRIMARY KEY,
	account_id  text NOT NULL,
	client_id   text NOT NULL,
	data        jsonb NOT NULL,
	created_at  timestamptz NOT NULL,
	expires_at  timestamptz NOT NULL,
	answered_at timestamptz
);
CREATE INDEX oidc_consent_challenges_expires_idx ON oidc_consent_challenges (expires_at);

-- Revoking a consent deletes the tokens of one citizen at one client.
CREATE INDEX oidc_requests_account_client_idx ON oidc_requests (account_id, client_id) WHERE account_id <> '';
