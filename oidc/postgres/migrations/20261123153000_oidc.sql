-- OpenID Connect provider: relying parties, fosite grants and tokens, used
-- client-assertion ids, signing keys.

CREATE TABLE oidc_clients (
	id          text PRIMARY KEY,
	data        jsonb NOT NULL,
	secret_hash bytea,
	disabled    boolean NOT NULL DEFAULT false,
	created_at  timestamptz NOT NULL,
	updated_at  timestamptz NOT NULL
);

-- One row per code, token, PKCE or OpenID Connect session and PAR request.
-- signature is the HMAC signature of the token (never the token itself; for
-- PAR the request_uri). data is the serialised request with its session,
-- which names claims but never holds their values.
CREATE TABLE oidc_requests (
	kind             text NOT NULL CHECK (kind IN ('code','access','refresh','pkce','oidc','par')),
	signature        text NOT NULL,
	request_id       text NOT NULL,
	client_id        text NOT NULL,
	account_id       text NOT NULL DEFAULT '',
	active           boolean NOT NULL DEFAULT true,
	requested_at     timestamptz NOT NULL,
	expires_at       timestamptz,
	data             bytea NOT NULL,
	PRIMARY KEY (signature, kind)
);
CREATE INDEX oidc_requests_request_id_idx ON oidc_requests (request_id, kind);
CREATE INDEX oidc_requests_account_idx ON oidc_requests (account_id) WHERE account_id <> '';
CREATE INDEX oidc_requests_expires_idx ON oidc_requests (expires_at);

-- jti of private_key_jwt client assertions already used (RFC 7523 §3).
CREATE TABLE oidc_assertion_jtis (
	jti        text PRIMARY KEY,
	expires_at timestamptz NOT NULL
);
CREATE INDEX oidc_assertion_jtis_expires_idx ON oidc_assertion_jtis (expires_at);

-- Signing keys; the private key is sealed with AES-256-GCM.
CREATE TABLE oidc_signing_keys (
	kid         text PRIMARY KEY,
	alg         text NOT NULL CHECK (alg IN ('ES256','RS256')),
	public_jwk  jsonb NOT NULL,
	private_enc bytea NOT NULL,
	created_at  timestamptz NOT NULL,
	sign_from   timestamptz NOT NULL,
	retire_at   timestamptz
);

-- Bumped by every key change; replicas poll it.
CREATE TABLE oidc_keys_version (
	id      boolean PRIMARY KEY DEFAULT true CHECK (id),
	version bigint NOT NULL
);
INSERT INTO oidc_keys_version (id, version) VALUES (true, 0);
